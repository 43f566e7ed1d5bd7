"""`bakeoff run`'s worker split and refusals with --cluster, decided before anything
starts: the cluster's nodes as Ray would list them, without a cluster."""

from __future__ import annotations

import socket

import pytest
import typer

from bakeoff.api import plan_run
from bakeoff.cli import run_input
from bakeoff.cli.run_input import refuse_unreachable_engines, worker_split
from bakeoff.harness import ray_api
from bakeoff.harness.options import RunOptions
from bakeoff.harness.ray_api import Node

HERE = socket.gethostname()


@pytest.fixture
def two_hosts(monkeypatch: pytest.MonkeyPatch) -> list[Node]:
    """A cluster of 3 + 3 CPUs, one node on this host and one on another; this machine
    has 2 usable cores."""
    nodes = [Node("a", "10.0.0.1", HERE, 3.0), Node("b", "10.0.0.2", "loadgen-2", 3.0)]
    monkeypatch.setattr(run_input, "usable_cores", lambda: 2)
    monkeypatch.setattr(ray_api, "installed", lambda: True)
    monkeypatch.setattr(ray_api, "auth_mode", lambda: "token")
    monkeypatch.setattr(ray_api, "connect", lambda address: None)
    monkeypatch.setattr(ray_api, "alive_nodes", lambda: nodes)
    return nodes


def test_connections_on_a_cluster_split_over_the_cluster_s_cores(two_hosts: list[Node]) -> None:
    assert worker_split(None, None, None, 12, cluster="ray://head:10001") == (6, 2)
    assert worker_split(None, None, None, 12) == (2, 6)  # this machine's 2 cores


def test_a_cluster_without_a_split_runs_one_worker_per_core(two_hosts: list[Node]) -> None:
    assert worker_split(None, None, None, None, cluster="auto") == (6, 1)
    assert worker_split(None, 4, 2, None, cluster="auto") == (4, 2)


def test_an_embedded_engine_on_a_cluster_with_other_hosts_is_refused_in_one_line(
    two_hosts: list[Node], capsys: pytest.CaptureFixture[str]
) -> None:
    options = RunOptions(cluster="ray://head:10001")
    trials = plan_run(["ycsb-c"], ["redis", "sqlite"], options)
    with pytest.raises(typer.Exit) as refused:
        refuse_unreachable_engines(options, trials)
    assert refused.value.exit_code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "sqlite is embedded" in line and "loadgen-2" in line


def test_an_embedded_engine_on_a_cluster_of_this_host_runs(
    two_hosts: list[Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = [Node("a", "10.0.0.1", HERE, 3.0), Node("b", "10.0.0.1", HERE, 3.0)]
    monkeypatch.setattr(ray_api, "alive_nodes", lambda: here)
    options = RunOptions(cluster="auto")
    refuse_unreachable_engines(options, plan_run(["ycsb-c"], ["sqlite"], options))
    refuse_unreachable_engines(RunOptions(), plan_run(["ycsb-c"], ["sqlite"], RunOptions()))

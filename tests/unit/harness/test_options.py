"""One set of run options, the same for the CLI, the Python API and the manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.api import run_benchmark
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.options import RunOptions, spin_wait_ns, split_connections
from bakeoff.results import load_manifest


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"operations": 10, "duration_s": 1.0}, "give --operations or --duration, not both"),
        ({"arrival": "bursty"}, "--arrival 'bursty': expected constant or poisson"),
        ({"processes": 0}, "processes must be at least 1"),
        ({"rate": 0.0}, "rate must be positive"),
        ({"spin_wait_us": -1.0}, "spin wait must be 0 or more µs"),
    ],
)
def test_invalid_options_are_refused_with_one_message(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        RunOptions(**changes)  # type: ignore[arg-type]


def test_connections_count_every_worker_process() -> None:
    assert RunOptions(processes=2, clients=4).connections == 8


def test_the_manifest_records_the_options_the_api_was_given(tmp_path: Path) -> None:
    options = RunOptions(
        output=tmp_path, records=50, operations=100, clients=2, engine_options=EngineOptions()
    )

    result = run_benchmark(["ycsb-c"], ["sqlite"], options, repeat=2)

    manifest = load_manifest(result.path)
    assert manifest["options"] == {**options.manifest(), "repeat": 2}
    trials = manifest["trials"]
    assert isinstance(trials, list)
    assert [t["load_generator"]["connections"] for t in trials] == [2, 2]


def test_an_unknown_option_is_an_error_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="threadz"):
        run_benchmark(["ycsb-c"], ["sqlite"], output=tmp_path, threadz=4)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("connections", "cores", "split"),
    [
        (1, 2, (1, 1)),
        (8, 2, (2, 4)),  # one process per core, the rest as threads
        (8, 4, (4, 2)),
        (7, 2, (1, 7)),  # a prime above the core count: one process, so P × C = N exactly
        (2, 8, (2, 1)),  # never more processes than connections
        (12, 8, (6, 2)),
    ],
)
def test_split_multiplies_out_with_at_most_one_process_per_core(
    connections: int, cores: int, split: tuple[int, int]
) -> None:
    assert split_connections(connections, cores) == split
    processes, clients = split
    assert processes * clients == connections
    assert processes <= cores


def test_split_phase_polls_by_default_for_one_connection_where_a_core_is_left_free() -> None:
    assert spin_wait_ns(RunOptions(), cores=2) == 200_000
    assert spin_wait_ns(RunOptions(processes=3), cores=4) == 200_000
    assert spin_wait_ns(RunOptions(processes=2), cores=2) == 0
    assert spin_wait_ns(RunOptions(), cores=1) == 0
    assert spin_wait_ns(RunOptions(cluster="auto"), cores=8) == 0


def test_several_connections_per_process_poll_briefly_where_a_core_is_left_free() -> None:
    assert spin_wait_ns(RunOptions(processes=1, clients=8), cores=2) == 20_000
    assert spin_wait_ns(RunOptions(processes=2, clients=4), cores=4) == 20_000
    assert spin_wait_ns(RunOptions(processes=2, clients=4), cores=2) == 0
    assert spin_wait_ns(RunOptions(processes=1, clients=8, cluster="auto"), cores=8) == 0


def test_split_phase_polls_as_asked() -> None:
    assert spin_wait_ns(RunOptions(spin_wait_us=150.5), cores=1) == 150_500
    assert spin_wait_ns(RunOptions(spin_wait_us=0), cores=8) == 0

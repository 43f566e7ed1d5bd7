"""The Ray executor on a two-node cluster on this machine (tests/ray_cluster.py): exact
counts, exact merges across nodes, a node lost mid-run. SQLite keeps these tests free of
Docker: every node of this cluster runs on the machine that holds its file."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bakeoff.api import run_benchmark
from bakeoff.core import histogram as hdr
from bakeoff.core.measures import LatencyKind, Phase
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.harness.client_groups import client_groups
from bakeoff.harness.clients import PhaseCommand, PhaseResult
from bakeoff.harness.options import RunOptions
from bakeoff.harness.phase_wait import wait_for_phase
from bakeoff.harness.plan import plan_trials
from bakeoff.harness.progress import SilentProgress
from bakeoff.harness.ray_executor import RayExecutor
from bakeoff.harness.recorder import merge_rows
from bakeoff.harness.runner import TrialRunner
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir
from tests.ray_cluster import LocalRayCluster

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(ray_cluster: LocalRayCluster) -> LocalRayCluster:
    return ray_cluster


def _measured(rows: object) -> int:
    return sum(
        r.count
        for r in rows  # type: ignore[attr-defined]
        if r.phase is Phase.MEASURE and r.latency_kind is LatencyKind.SERVICE
    )


def test_merged_counts_equal_the_requested_and_every_node_is_recorded(
    cluster: LocalRayCluster, tmp_path: Path
) -> None:
    result = run_benchmark(
        ["ycsb-c"],
        ["sqlite"],
        RunOptions(
            cluster=cluster.address,
            processes=4,
            clients=2,
            records=200,
            operations=3001,
            warmup_s=0,
            output=tmp_path,
        ),
    )
    (trial,) = result.trials
    assert trial.status == "ok", trial.error
    assert _measured(trial.rows) == 3001
    measure = trial.load_generator["measure"]
    assert isinstance(measure, dict)
    nodes = measure["nodes"]
    assert len(nodes) == 2
    assert sorted(w for n in nodes for w in n["workers"]) == [0, 1, 2, 3]
    assert sorted(c for n in nodes for c in n["connections"]) == list(range(8))
    assert sum(n["operations"] for n in nodes) == 3001
    for node in nodes:
        assert node["clock_offset_uncertainty_ns"] >= 0
        assert {"host", "cores", "memory_bytes", "python", "ray", "client_saturated"} <= set(node)
    assert trial.load_generator["executor"] == "ray"


def test_the_merged_histogram_is_the_merge_of_every_worker_s(
    cluster: LocalRayCluster, tmp_path: Path
) -> None:
    workload = load_workload(shipped_workloads_dir() / "ycsb-c.yaml").with_overrides(
        records=100, operation_count=1200, warmup_s=0
    )
    (trial,) = plan_trials([(workload, None)], [engine_spec("sqlite")])
    executor = RayExecutor(cluster.address)
    runner = TrialRunner(RunOptions(cluster=cluster.address, processes=3), executor=executor)
    with EmbeddedProvisioner(engine_spec("sqlite"), parent_dir=tmp_path) as endpoint:
        control: Any = trial.driver()
        control.connect(endpoint, {})
        control.setup(workload.table_spec())
        groups = client_groups(trial, endpoint, runner.options, executor, spawn=False)
        try:
            for group in groups:
                group.connect()
                group.setup(workload.table_spec())
            load = PhaseCommand(
                phase=Phase.LOAD,
                start_ns=time.perf_counter_ns(),
                interval_ns=10**9,
                load_ranges={0: (0, 100)},
                connections=3,
            )
            wait_for_phase(groups, executor.schedule(load), {}, SilentProgress())
            measure = PhaseCommand(
                phase=Phase.MEASURE,
                start_ns=time.perf_counter_ns(),
                interval_ns=10**8,
                operations={0: 400, 1: 400, 2: 400},
            )
            results: dict[int, PhaseResult] = {}
            wait_for_phase(groups, executor.schedule(measure), results, SilentProgress())
        finally:
            for group in groups:
                group.close()
            control.close()
            executor.close()
    assert not [r.fatal_error for r in results.values() if r.fatal_error]
    worker_rows = [row for i in sorted(results) for row in results[i].rows]
    merged = merge_rows(worker_rows)
    assert sum(r.count for r in merged if r.latency_kind is LatencyKind.SERVICE) == 1200
    for row in merged:
        parts = [
            w.histogram
            for w in worker_rows
            if (w.interval, w.operation, w.latency_kind)
            == (row.interval, row.operation, row.latency_kind)
        ]
        expected = hdr.merge_encoded(parts)
        got = hdr.decode(row.histogram)
        assert got.get_total_count() == expected.get_total_count() == row.count
        assert hdr.percentiles_us(got) == hdr.percentiles_us(expected)


class _KillWorkerNodeDuringMeasure(SilentProgress):
    def __init__(self, cluster: LocalRayCluster) -> None:
        self.killer = threading.Timer(3.0, cluster.kill_worker)

    def phase_started(self, phase: str, total_ops: int | None, duration_s: float | None) -> None:
        if phase == Phase.MEASURE.value:
            self.killer.start()


def test_a_node_lost_mid_run_ends_the_trial_partial_keeping_what_was_merged(
    cluster: LocalRayCluster, tmp_path: Path
) -> None:
    progress = _KillWorkerNodeDuringMeasure(cluster)
    try:
        result = run_benchmark(
            ["ycsb-c"],
            ["sqlite"],
            RunOptions(
                cluster=cluster.address,
                processes=4,
                records=100,
                duration_s=12.0,
                warmup_s=1.0,
                interval_s=0.5,
                output=tmp_path,
            ),
            progress=progress,
        )
    finally:
        if progress.killer.is_alive() or progress.killer.finished.is_set():
            progress.killer.join()
        cluster.start_worker()
    (trial,) = result.trials
    assert trial.status == "partial", trial.error
    assert trial.error is not None and "node " in trial.error
    assert any(r.phase is Phase.WARMUP for r in trial.rows)
    measure = trial.load_generator["measure"]
    assert isinstance(measure, dict)
    (lost,) = [n for n in measure["nodes"] if n["lost"]]
    assert lost["node_id"][:12] in trial.error
    # The lost node handed over its intervals as it moved past them: they are kept,
    # beside everything the surviving node measured.
    survivors = sum(n["operations"] for n in measure["nodes"] if not n["lost"])
    assert survivors > 0
    assert _measured(trial.rows) > survivors


def test_an_open_loop_splits_the_global_rate_and_keeps_each_worker_s_schedule(
    cluster: LocalRayCluster, tmp_path: Path
) -> None:
    rate, duration_s = 400.0, 3.0
    result = run_benchmark(
        ["ycsb-c"],
        ["sqlite"],
        RunOptions(
            cluster=cluster.address,
            processes=4,
            records=200,
            rate=rate,
            duration_s=duration_s,
            warmup_s=0,
            output=tmp_path,
        ),
    )
    (trial,) = result.trials
    assert trial.status == "ok", trial.error
    measure = trial.load_generator["measure"]
    assert isinstance(measure, dict)
    assert measure["target_ops_per_s"] == rate
    assert rate * 0.85 <= measure["achieved_ops_per_s"] <= rate * 1.05
    # Each node runs the share of the global rate of the connections it holds.
    for node in measure["nodes"]:
        share = rate * duration_s * len(node["connections"]) / 4
        assert share * 0.85 <= node["operations"] <= share * 1.02, node
    # Response time is measured from each connection's intended start times, on its
    # node's clock: one per operation, never shorter than the service time, and close
    # to it at a rate the engine keeps up with (a schedule that started off the
    # barrier would make every operation late by the barrier's lead).
    rows = [r for r in trial.rows if r.phase is Phase.MEASURE]
    service = hdr.merge_encoded(r.histogram for r in rows if r.latency_kind is LatencyKind.SERVICE)
    response = hdr.merge_encoded(
        r.histogram for r in rows if r.latency_kind is LatencyKind.RESPONSE
    )
    assert response.get_total_count() == service.get_total_count() == _measured(trial.rows)
    service_us, response_us = hdr.percentiles_us(service), hdr.percentiles_us(response)
    assert response_us["p50_us"] >= service_us["p50_us"]
    assert response_us["p50_us"] < 50_000

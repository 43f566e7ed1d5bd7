"""The split-phase closed loop (one thread per process over all its connections) against
real Redis and PostgreSQL servers: same operations, same accounting as the thread per
connection loop, and the choice recorded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from bakeoff.adapters.redis import RedisAdapter
from bakeoff.core import histogram as hdr
from bakeoff.core.measures import LatencyKind, Phase
from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.external import ExternalProvisioner
from bakeoff.harness.loadgen import ConnectionState
from bakeoff.harness.multiplex import run_split_phase_closed_loop
from bakeoff.harness.operation_stream import OperationStream
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import plan_trials
from bakeoff.harness.progress import SilentProgress
from bakeoff.harness.recorder import Recorder
from bakeoff.harness.runner import TrialRunner
from bakeoff.harness.trial import TrialRecord
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir
from bakeoff.workloads.model import OperationMix, Workload
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker


class DuringMeasure(SilentProgress):
    """Does `action` to the server from another client, `after_s` into the measure phase."""

    def __init__(self, after_s: float, url: str, action: Callable[[redis.Redis], object]) -> None:
        self.after_s, self.url, self.action = after_s, url, action

    def phase_started(self, phase: str, total_ops: int | None, duration_s: float | None) -> None:
        if phase == "measure":
            threading.Timer(self.after_s, self._act).start()

    def _act(self) -> None:
        client = redis.Redis.from_url(self.url)
        self.action(client)
        client.close()


def _trial_record(
    servers: ServerPool, engine: str, workload_name: str, options: RunOptions, **overrides: Any
) -> TrialRecord:
    endpoint = servers.endpoint(engine)
    workload = load_workload(shipped_workloads_dir() / f"{workload_name}.yaml").with_overrides(
        **overrides
    )
    (trial,) = plan_trials([(workload, None)], [engine_spec(engine)])
    return TrialRunner(options).run(trial, ExternalProvisioner(engine_spec(engine), endpoint.url))


def _outcomes(record: TrialRecord) -> dict[str, int]:
    """Measured operations by outcome."""
    totals = {"ok": 0, "not_found": 0, "errors": 0}
    for row in record.rows:
        if row.phase is Phase.MEASURE and row.latency_kind is LatencyKind.SERVICE:
            totals["ok"] += row.count
            totals["not_found"] += row.not_found
            totals["errors"] += row.errors_transient + row.errors_fatal + row.errors_unsupported
    return totals


@pytest.mark.parametrize(
    ("engine", "workload"), [("redis", "ycsb-a"), ("postgres", "ycsb-a"), ("redis", "ycsb-e")]
)
def test_every_operation_is_counted_once_and_verified(
    servers: ServerPool, engine: str, workload: str
) -> None:
    record = _trial_record(
        servers,
        engine,
        workload,
        RunOptions(processes=1, clients=4),
        records=500,
        operation_count=3001,
    )
    assert record.status == "ok", record.error
    measure = record.load_generator["measure"]
    assert isinstance(measure, dict)
    assert str(measure["client_io"]).startswith("split-phase")
    assert sum(_outcomes(record).values()) == 3001
    assert _outcomes(record)["errors"] == 0
    assert measure["operations"] == 3001
    assert record.verify["ok"] is True


@pytest.mark.parametrize("engine", ["redis", "postgres"])
def test_exists_runs_split_phase_and_absent_keys_are_not_found(
    servers: ServerPool, engine: str
) -> None:
    workload = Workload(
        name="exists-mix",
        records=300,
        operations=OperationMix(read=0.4, exists=0.4, delete=0.2),
        operation_count=2000,
    )
    (trial,) = plan_trials([(workload, None)], [engine_spec(engine)])
    endpoint = servers.endpoint(engine)
    record = TrialRunner(RunOptions(processes=1, clients=4)).run(
        trial, ExternalProvisioner(engine_spec(engine), endpoint.url)
    )
    assert record.status == "ok", record.error
    measure = record.load_generator["measure"]
    assert isinstance(measure, dict)
    assert str(measure["client_io"]).startswith("split-phase")
    outcomes = _outcomes(record)
    assert outcomes["errors"] == 0
    assert outcomes["not_found"] > 0


def test_duration_bound_run_stops_at_the_deadline(servers: ServerPool) -> None:
    record = _trial_record(
        servers, "redis", "ycsb-b", RunOptions(processes=1, clients=8), records=500, duration_s=1.0
    )
    assert record.status == "ok", record.error
    measure = record.load_generator["measure"]
    assert isinstance(measure, dict)
    assert 1.0 <= float(measure["wall_s"]) < 1.5
    assert int(measure["operations"]) > 100


def test_rmw_open_loop_opt_out_and_single_clients_not_polling_keep_blocking_calls(
    servers: ServerPool,
) -> None:
    rmw = _trial_record(
        servers, "redis", "ycsb-f", RunOptions(clients=2), records=200, operation_count=400
    )
    open_loop = _trial_record(
        servers,
        "redis",
        "ycsb-c",
        RunOptions(clients=2, rate=2000.0),
        records=200,
        operation_count=400,
    )
    opted_out = _trial_record(
        servers,
        "redis",
        "ycsb-c",
        RunOptions(clients=2, split_phase=False),
        records=200,
        operation_count=400,
    )
    one_client = _trial_record(
        servers,
        "redis",
        "ycsb-c",
        RunOptions(clients=1, spin_wait_us=0),
        records=200,
        operation_count=400,
    )
    for record in (rmw, open_loop, opted_out, one_client):
        assert record.status == "ok", record.error
        measure = record.load_generator["measure"]
        assert isinstance(measure, dict)
        assert str(measure["client_io"]).startswith("blocking")


def test_not_found_reads_are_counted_as_such(servers: ServerPool) -> None:
    """Another client deletes every record mid-run: reads after that are misses."""
    endpoint = servers.endpoint("redis")

    workload = load_workload(shipped_workloads_dir() / "ycsb-c.yaml").with_overrides(
        records=200, duration_s=1.0
    )
    (trial,) = plan_trials([(workload, None)], [engine_spec("redis")])
    record = TrialRunner(
        RunOptions(clients=4), DuringMeasure(0.3, endpoint.url, lambda c: c.flushdb())
    ).run(trial, ExternalProvisioner(engine_spec("redis"), endpoint.url))
    # The verify phase then finds the table empty, so the trial fails; its rows stay.
    outcomes = _outcomes(record)
    assert outcomes["ok"] > 0
    assert outcomes["not_found"] > 0


def test_stop_request_ends_the_loop_while_the_server_is_stalled(servers: ServerPool) -> None:
    """Ctrl-C must not wait for replies that a paused server holds back. (Nothing is
    loaded, so every read is a miss: a miss is a completed operation too.)"""
    endpoint = servers.endpoint("redis")
    workload = load_workload(shipped_workloads_dir() / "ycsb-c.yaml").with_overrides(records=100)
    adapters = [RedisAdapter() for _ in range(2)]
    for adapter in adapters:
        adapter.connect(endpoint, {})
        adapter.setup(workload.table_spec())
    streams = [
        OperationStream(workload, connection=w, connections=2, expected_operations=10**6)
        for w in (0, 1)
    ]
    recorders = [
        Recorder(
            list(streams[0].operations),
            Phase.MEASURE,
            start_ns=time.perf_counter_ns(),
        )
        for _ in (0, 1)
    ]
    states = [ConnectionState(), ConnectionState()]
    loop = threading.Thread(
        target=run_split_phase_closed_loop,
        args=(adapters, streams, recorders, states),
        kwargs={"operations": [None, None], "deadline_ns": None},
        daemon=True,
    )
    pauser = redis.Redis.from_url(endpoint.url)
    try:
        loop.start()
        time.sleep(0.3)
        pauser.client_pause(3000, all=True)
        time.sleep(0.2)
        for state in states:
            state.stop_requested = True
        loop.join(1.0)
        assert not loop.is_alive()
        assert all(state.completed > 0 for state in states)
        assert sum(
            r.count + r.not_found for rec in recorders for r in rec.rows(time.perf_counter_ns())
        ) == sum(state.completed for state in states)
    finally:
        pauser.client_unpause()
        pauser.close()
        loop.join(5.0)
        for adapter in adapters:
            adapter.close()


def test_a_driver_socket_timeout_does_not_cut_the_split_phase_wait(servers: ServerPool) -> None:
    """The wait for a reply is the loop's, not the driver's: a server pause longer than
    the URL's socket_timeout shows as latency (as a closed loop's service time does),
    not as timeouts, and the loop carries on after it."""
    endpoint = servers.endpoint("redis")
    url = endpoint.url + "?socket_timeout=0.05"

    workload = load_workload(shipped_workloads_dir() / "ycsb-c.yaml").with_overrides(
        records=200, duration_s=1.5
    )
    (trial,) = plan_trials([(workload, None)], [engine_spec("redis")])
    record = TrialRunner(
        RunOptions(clients=4),
        DuringMeasure(0.3, endpoint.url, lambda c: c.client_pause(400, all=True)),
    ).run(trial, ExternalProvisioner(engine_spec("redis"), url))
    assert record.status == "ok", record.error
    measured = [
        r for r in record.rows if r.phase is Phase.MEASURE and r.latency_kind is LatencyKind.SERVICE
    ]
    assert sum(r.errors_transient + r.errors_fatal for r in measured) == 0
    slowest = max(hdr.percentiles_us(hdr.merge_encoded([r.histogram]))["max_us"] for r in measured)
    assert slowest >= 300_000  # the pause, in the latencies
    assert sum(r.count for r in measured if r.start_s >= 1.0) > 0  # and work after it


@pytest.mark.parametrize("engine", ["redis", "postgres"])
def test_one_connection_spins_for_its_replies_and_counts_each_operation_once(
    servers: ServerPool, engine: str
) -> None:
    record = _trial_record(
        servers,
        engine,
        "ycsb-a",
        RunOptions(processes=1, clients=1, spin_wait_us=150),
        records=500,
        operation_count=2001,
    )
    assert record.status == "ok", record.error
    measure = record.load_generator["measure"]
    assert isinstance(measure, dict)
    assert measure["client_io"] == (
        "split-phase: one thread per process waits on all its connections, "
        "polling 150 µs before it sleeps"
    )
    assert sum(_outcomes(record).values()) == measure["operations"] == 2001
    assert _outcomes(record)["errors"] == 0
    assert record.verify["ok"] is True

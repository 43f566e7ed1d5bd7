"""Which way a trial's connections wait for their replies, decided before it runs."""

from __future__ import annotations

import pytest

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness import client_io as client_io_module
from bakeoff.harness.client_io import trial_io
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial, plan_trials
from bakeoff.workloads.loader import load_workload, shipped_workloads_dir


def _trial(engine: str, workload: str = "ycsb-c") -> Trial:
    loaded = load_workload(shipped_workloads_dir() / f"{workload}.yaml")
    (trial,) = plan_trials([(loaded, None)], [engine_spec(engine)])
    return trial


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_io_module, "usable_cores", lambda: 2)


@pytest.mark.usefixtures("two_cores")
def test_one_connection_polls_in_a_worker_process_of_its_own_by_default() -> None:
    _, io = trial_io(RunOptions(), _trial("redis"), faults=False)
    assert (io.split_phase, io.spin_ns, io.worker_processes) == (True, 200_000, True)


@pytest.mark.usefixtures("two_cores")
def test_worker_processes_on_every_core_sleep_at_once_in_their_own_threads() -> None:
    _, io = trial_io(RunOptions(processes=2, clients=4), _trial("postgres"), faults=False)
    assert (io.split_phase, io.spin_ns, io.worker_processes) == (True, 0, False)


@pytest.mark.usefixtures("two_cores")
def test_one_connection_asked_not_to_poll_blocks_in_this_process() -> None:
    _, io = trial_io(RunOptions(spin_wait_us=0), _trial("redis"), faults=False)
    assert (io.split_phase, io.spin_ns, io.worker_processes) == (False, 0, False)


@pytest.mark.usefixtures("two_cores")
@pytest.mark.parametrize(
    ("engine", "workload", "options", "faults"),
    [
        ("sqlite", "ycsb-c", RunOptions(), False),  # no split form
        ("redis", "ycsb-f", RunOptions(), False),  # read-modify-write: two round trips
        ("redis", "ycsb-c", RunOptions(rate=100.0), False),  # open loop
        ("redis", "ycsb-c", RunOptions(), True),  # faults: each connection reconnects
    ],
)
def test_what_cannot_run_split_phase_never_polls(
    engine: str, workload: str, options: RunOptions, faults: bool
) -> None:
    _, io = trial_io(options, _trial(engine, workload), faults=faults)
    assert (io.split_phase, io.spin_ns, io.worker_processes) == (False, 0, False)


@pytest.mark.usefixtures("two_cores")
def test_connections_bakeoff_split_leave_a_core_to_an_engine_on_this_machine() -> None:
    picked = RunOptions(processes=2, clients=4, auto_split=True)
    options, io = trial_io(picked, _trial("redis"), faults=False)
    assert (options.processes, options.clients) == (1, 8)
    # The core left over lets the one process poll briefly between its replies.
    assert (io.split_phase, io.spin_ns, io.worker_processes) == (True, 20_000, True)


@pytest.mark.usefixtures("two_cores")
@pytest.mark.parametrize(
    ("engine", "options"),
    [
        ("redis", RunOptions(processes=2, clients=4)),  # the user's own split
        ("sqlite", RunOptions(processes=2, clients=4, auto_split=True)),  # in this process
        (
            "redis",
            RunOptions(
                processes=2,
                clients=4,
                auto_split=True,
                engine_options=EngineOptions(urls={"redis": "redis://db.internal:6379/0"}),
            ),
        ),
        ("redis", RunOptions(processes=2, clients=4, auto_split=True, rate=500.0)),
    ],
)
def test_other_splits_stay_as_given(engine: str, options: RunOptions) -> None:
    regrouped, _ = trial_io(options, _trial(engine), faults=False)
    assert (regrouped.processes, regrouped.clients) == (2, 4)

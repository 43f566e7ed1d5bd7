"""Runs trials: provision → setup → load → settle → warm-up → measure → verify → teardown.

Each connection has its own adapter, operation stream and recorder, so nothing is shared
on the measured path (docs/glossary.md). The main thread only starts, polls and joins the
connections' threads and worker processes, which keeps a termination signal (Ctrl-C,
SIGTERM, SIGHUP: a KeyboardInterrupt, engines/cleanup.py) responsive: it stops them,
keeps what they measured, records the trial, and only then lets the provisioner's
context manager remove the engine, so no operation fails because the engine went first.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bakeoff.adapters.errors import AdapterError
from bakeoff.adapters.protocol import Capability, Endpoint
from bakeoff.core.faults import parse_faults
from bakeoff.core.measures import LatencyKind, Phase
from bakeoff.core.query_plans import Moment
from bakeoff.engines.base import Provisioner, ProvisioningError
from bakeoff.engines.catalog import Provision
from bakeoff.engines.cleanup import signal_name
from bakeoff.harness.answers_check import AnswerReferences
from bakeoff.harness.client_groups import client_groups
from bakeoff.harness.client_io import trial_io
from bakeoff.harness.clients import ClientGroup, PhaseCommand, PhaseResult
from bakeoff.harness.executor import Executor, executor_for
from bakeoff.harness.fault_trial import TrialFaults
from bakeoff.harness.load_report import load_report
from bakeoff.harness.loadgen import split_evenly
from bakeoff.harness.options import RunOptions
from bakeoff.harness.phase_end import journal_phase
from bakeoff.harness.phase_wait import wait_for_phase
from bakeoff.harness.plan import Trial
from bakeoff.harness.progress import ProgressSink, SilentProgress
from bakeoff.harness.query_plans import explain_shapes
from bakeoff.harness.recorder import merge_rows
from bakeoff.harness.schema_trial import answers_of, layout_of, verify_trial
from bakeoff.harness.settle import REUSED, SettleFailedError, not_settled, settle_after_load
from bakeoff.harness.steady_state import SteadyStateMonitor
from bakeoff.harness.telemetry_sampler import TrialRowListener, trial_sampler
from bakeoff.harness.trial import PhaseJournal, TrialRecord
from bakeoff.harness.trial_state import TrialState, trial_record
from bakeoff.workloads.model import Workload
from bakeoff.workloads.phase_length import AUTO


class TrialFailedError(RuntimeError):
    pass


class TrialPartialError(RuntimeError):
    """A worker was lost mid-phase: the trial keeps what was merged and ends there."""


class RunInterruptedError(KeyboardInterrupt):
    """A termination signal stopped the run. `record` is the trial it interrupted (None
    between trials); `path` is the run folder once every trial so far is written there."""

    def __init__(self, record: TrialRecord | None, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.record = record
        self.signum = signum
        self.path: object = None
        """What the run's sink returned when it finished (RunWriter: the run folder)."""

    @property
    def exit_code(self) -> int:
        """The shell's convention for death by a signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


def interrupting_signal(interrupt: KeyboardInterrupt) -> int:
    """The signal behind an interrupt: `Interrupted` knows it, a bare one is Ctrl-C."""
    return int(getattr(interrupt, "signum", signal.SIGINT))


class TrialRunner:
    def __init__(
        self,
        options: RunOptions,
        progress: ProgressSink | None = None,
        telemetry_listeners: Sequence[TrialRowListener] = (),
        executor: Executor | None = None,
    ) -> None:
        self.run_options = self.options = options  # self.options: the trial in flight's
        self.executor = executor or executor_for(options.cluster)
        self.progress: ProgressSink = progress or SilentProgress()
        self.telemetry_listeners = telemetry_listeners
        self._embedded = False
        self._loaded: dict[tuple[str, str, float | None], str] = {}
        """(engine, table, CPU limit: one instance each) -> hash of its data's workload."""
        self._answers = AnswerReferences()
        self._faults = TrialFaults(())

    def forget_engine(self, engine: str) -> None:
        """The engine's instance is gone: nothing of it can be reused."""
        self._loaded = {key: h for key, h in self._loaded.items() if key[0] != engine}

    def run(
        self, trial: Trial, provisioner: Provisioner, journal: PhaseJournal | None = None
    ) -> TrialRecord:
        """Run one trial. Failures become a failed TrialRecord; an interrupt is re-raised
        as RunInterruptedError holding the record of the interrupted trial. `journal`
        receives each phase's rows as the phase ends."""
        started = datetime.now(UTC)
        self.options = trial.options or self.run_options
        self._faults = TrialFaults(parse_faults((*trial.workload.faults, *self.options.faults)))
        self._embedded = trial.engine.provision is Provision.EMBEDDED
        self.options, self._io = trial_io(self.options, trial, faults=bool(self._faults.specs))
        state = TrialState(trial, journal)
        status, error = "ok", None
        label = trial.progress_label
        self.progress.trial_started(label)
        try:
            with provisioner as started_endpoint, contextlib.closing(self._faults):
                state.endpoint = endpoint = self._faults.route(provisioner, started_endpoint)
                try:
                    self._run_phases(trial, endpoint, provisioner, state)
                except KeyboardInterrupt as interrupt:
                    # Recorded while the engine still runs: the connections have stopped
                    # and handed over what they measured.
                    raise self._interrupted(trial, state, started, interrupt) from interrupt
        except RunInterruptedError as stopped:
            self.progress.trial_finished(label, "interrupted", f"by {stopped}")
            raise
        except KeyboardInterrupt as interrupt:  # while the engine started or was removed
            stopped_here = self._interrupted(trial, state, started, interrupt)
            self.progress.trial_finished(label, "interrupted", f"by {stopped_here}")
            raise stopped_here from interrupt
        except TrialPartialError as exc:
            status, error = "partial", str(exc)
        except (TrialFailedError, ProvisioningError, AdapterError, SettleFailedError) as exc:
            status, error = "failed", str(exc)
        except Exception as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        record = self._answers.checked(self._record(trial, state, started, status, error))
        self.progress.trial_finished(label, record.status, record.error or "")
        return record

    def _interrupted(
        self, trial: Trial, state: TrialState, started: datetime, interrupt: KeyboardInterrupt
    ) -> RunInterruptedError:
        signum = interrupting_signal(interrupt)
        error = f"interrupted by {signal_name(signum)}"
        record = self._record(trial, state, started, "interrupted", error)
        return RunInterruptedError(record, signum)

    # -- phases ----------------------------------------------------------------------

    def _run_phases(
        self, trial: Trial, endpoint: Endpoint, provisioner: Provisioner, state: TrialState
    ) -> None:
        workload = trial.workload
        table = layout_of(trial)
        # The runner's own connection: resets the table, verifies, cleans up.
        control: Any = trial.driver()
        groups: list[ClientGroup] = []
        state.sampler = trial_sampler(
            provisioner, trial, endpoint, self.options, self.telemetry_listeners
        )
        try:
            control.connect(endpoint, self.options.adapter_options)
            loaded_key = (trial.label, workload.table, self.options.engine_options.cpus)
            reuse_data = self.options.reuse and self._loaded.get(loaded_key) == workload.spec_hash()
            if not reuse_data:
                # A trial starts from an empty table, also on an external server.
                control.teardown(table)
            self._loaded.pop(loaded_key, None)
            control.setup(table)
            groups = client_groups(
                trial, endpoint, self.options, self.executor, spawn=self._io.worker_processes
            )
            for group in groups:
                group.connect()
            for group in groups:
                group.setup(table)
            if reuse_data:
                state.verify["data"] = "reused from an earlier trial (--reuse)"
                state.load_generator["settle"] = not_settled(REUSED)
            else:
                self._load(groups, trial, state)
                state.load_generator["settle"] = settle_after_load(control, trial, self.options)
                state.answers = answers_of(control, trial)
                state.plans += explain_shapes(control, trial, Moment.AFTER_LOAD)
            self._warm_up(groups, provisioner, state, workload)
            try:
                self._operate(
                    Phase.MEASURE,
                    groups,
                    provisioner,
                    state,
                    operations=workload.operation_count,
                    duration_s=workload.duration_s,
                )
            finally:
                self._faults.stop()
            control = self._verify(control, trial, endpoint, state)
            state.plans += explain_shapes(control, trial, Moment.AFTER_RUN)
            keeps_its_size = workload.operations.keeps_its_size()
            if self.options.reuse and keeps_its_size and state.verify.get("ok"):
                self._loaded[loaded_key] = workload.spec_hash()
            elif not self.options.keep:
                control.teardown(table)
            if not state.verify.get("ok", True):
                raise TrialFailedError(f"verification failed: {state.verify.get('problem')}")
        finally:
            for group in groups:
                # Closing must not mask the error that ended the trial.
                with contextlib.suppress(Exception):
                    group.close()
            with contextlib.suppress(Exception):
                control.close()
            if state.sampler is not None:
                state.sampler.close()

    def _verify(self, control: Any, trial: Trial, endpoint: Endpoint, state: TrialState) -> Any:
        """The verify phase; the control connection to use from now on. After faults the
        lost-write count replaces it (a fault may lose records on purpose), and the
        control connection, maybe broken by a restart, is made anew."""
        if not self._faults.tracking:
            sample = self.options.verify_sample
            state.verify.update(verify_trial(control, trial, state.counts, sample, state.answers))
            return control
        options = self.options.adapter_options
        state.lost_writes = self._faults.lost_writes(
            trial.driver, endpoint, options, trial.workload.table_spec(), state.writes
        )
        state.verify["replaced_by"] = "lost-write check (faults were scheduled)"
        with contextlib.suppress(Exception):
            control.close()
        fresh: Any = trial.driver()
        fresh.connect(endpoint, options)
        fresh.setup(layout_of(trial))  # prepares what explain and teardown use
        return fresh

    def _load(self, groups: Sequence[ClientGroup], trial: Trial, state: TrialState) -> None:
        workload = trial.workload
        batched = bool(trial.model) or Capability.BATCH_INSERT in trial.adapter.capabilities
        connections = self.options.connections
        shares = split_evenly(workload.records, connections)
        firsts = [sum(shares[:w]) for w in range(connections)]
        command = PhaseCommand(
            phase=Phase.LOAD,
            start_ns=time.perf_counter_ns(),
            interval_ns=self._interval_ns,
            load_ranges={w: (firsts[w], shares[w]) for w in range(connections)},
            load_batch=self.options.load_batch if batched else 1,
            connections=connections,
        )
        self._phase(groups, command, None, state, workload.rows_to_load, None)

    def _warm_up(
        self,
        groups: Sequence[ClientGroup],
        provisioner: Provisioner,
        state: TrialState,
        workload: Workload,
    ) -> None:
        monitor = SteadyStateMonitor() if workload.warmup_s == AUTO else None
        operations = workload.warmup_operations or None
        # An automatic warm-up is bounded by a deadline; the rule usually ends it before.
        duration_s = monitor.rule.max_s if monitor else float(workload.warmup_s) or None
        if operations or duration_s:
            self._operate(
                Phase.WARMUP,
                groups,
                provisioner,
                state,
                operations=operations,
                duration_s=duration_s,
                monitor=monitor,
            )

    def _operate(
        self,
        phase: Phase,
        groups: Sequence[ClientGroup],
        provisioner: Provisioner,
        state: TrialState,
        *,
        operations: int | None,
        duration_s: float | None,
        monitor: SteadyStateMonitor | None = None,
    ) -> None:
        connections = self.options.connections
        shares = split_evenly(operations, connections) if operations else [None] * connections
        # Read before the phase's clock starts: a container's CPU reading takes a while.
        engine_cpu_start = provisioner.engine_cpu_seconds()
        start = time.perf_counter_ns()
        if phase is Phase.MEASURE:
            self._faults.start(start)
        rate = self.options.rate
        command = PhaseCommand(
            phase=phase,
            start_ns=start,
            interval_ns=self._interval_ns,
            operations=dict(enumerate(shares)),
            deadline_ns=(
                start + int(duration_s * 1e9) if duration_s is not None and not operations else None
            ),
            rate_per_connection=rate / connections if rate else None,
            arrival=self.options.arrival,
            split_phase=self._io.split_phase,
            spin_ns=self._io.spin_ns,
            track_writes=self._faults.tracking and phase is Phase.MEASURE,
        )
        self._phase(
            groups, command, provisioner, state, operations, duration_s, engine_cpu_start, monitor
        )

    @property
    def _interval_ns(self) -> int:
        return int(self.options.interval_s * 1e9)

    def _phase(
        self,
        groups: Sequence[ClientGroup],
        command: PhaseCommand,
        provisioner: Provisioner | None,
        state: TrialState,
        total_ops: int | None,
        duration_s: float | None,
        engine_cpu_start: float | None = None,
        monitor: SteadyStateMonitor | None = None,
    ) -> None:
        command = self.executor.schedule(command)
        phase = command.phase
        self.progress.phase_started(phase.value, total_ops, duration_s)
        results: dict[int, PhaseResult] = {}
        sampler = state.sampler
        if sampler is not None:
            sampler.start(phase.value, command.start_ns, command.interval_ns)
        lost: list[str] = []
        try:
            wait_for_phase(groups, command, results, self.progress, monitor, lost)
        finally:
            end = time.perf_counter_ns()
            telemetry = sampler.stop(end) if sampler is not None else []
            state.telemetry.extend(telemetry)
            ordered = [results[i] for i in sorted(results)]
            rows = merge_rows(row for result in ordered for row in result.rows)
            state.rows.extend(rows)
            state.writes.extend(write for result in ordered for write in result.writes)
            for row in rows:
                if row.latency_kind is LatencyKind.SERVICE:
                    key = f"{row.phase.value}:{row.operation}"
                    state.counts[key] = state.counts.get(key, 0) + row.count
            wall_s = (end - command.start_ns) / 1e9
            completed = sum(r.completed for r in ordered)
            if phase is not Phase.LOAD:
                engine_cpu_end = provisioner.engine_cpu_seconds() if provisioner else None
                report = load_report(
                    command,
                    ordered,
                    wall_s,
                    completed,
                    duration_s,
                    engine_cpu_start,
                    engine_cpu_end,
                    connections=self.options.connections,
                    embedded=self._embedded,
                    engine_memory_bytes=provisioner.engine_memory_bytes() if provisioner else None,
                )
                if monitor is not None:
                    report["steady_state"] = monitor.outcome(wall_s)
                report.update(self.executor.placement(results))
                state.load_generator[phase.value] = report
            self.progress.phase_finished(phase.value, completed, wall_s)
        if state.journal is not None and state.trial is not None and state.endpoint is not None:
            journal_phase(
                state.journal, state.trial, state.endpoint.version, phase, rows, telemetry
            )
        if lost:
            raise TrialPartialError(f"{phase.value} phase: {'; '.join(lost)}")
        failures = [r.fatal_error for r in ordered if r.fatal_error]
        if failures:
            raise TrialFailedError(f"{phase.value} phase: {failures[0]}")

    # -- results ---------------------------------------------------------------------

    def failed_before_start(self, trial: Trial, error: str) -> TrialRecord:
        """The record of a trial whose engine could not even be provisioned."""
        self.options = trial.options or self.run_options
        return self._record(trial, TrialState(), datetime.now(UTC), "failed", error)

    def _record(
        self, trial: Trial, state: TrialState, started: datetime, status: str, error: str | None
    ) -> TrialRecord:
        state.faults = self._faults.describe()
        return trial_record(self.options, trial, state, started, status, error)

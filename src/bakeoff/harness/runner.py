"""Runs trials: provision → setup → load → warm-up → measure → verify → teardown.

Each phase runs one thread per worker; every worker owns its adapter (one connection),
its operation stream and its recorder, so nothing is shared on the measured path. The
main thread only starts, polls and joins workers, which keeps Ctrl-C responsive: it stops
the workers, keeps what they measured, and lets the provisioner's context manager remove
the engine.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bakeoff.adapters.errors import AdapterError
from bakeoff.adapters.protocol import Adapter, Capability, Endpoint, RecordCount
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.engines.base import Provisioner, ProvisionerBase, ProvisioningError
from bakeoff.engines.catalog import EngineSpec, Provision
from bakeoff.harness.clients import (
    ClientGroup,
    PhaseCommand,
    PhaseResult,
    ThreadClientGroup,
    usable_cores,
)
from bakeoff.harness.loadgen import split_evenly
from bakeoff.harness.plan import Trial
from bakeoff.harness.progress import ProgressSink, SilentProgress
from bakeoff.harness.recorder import merge_rows
from bakeoff.harness.trial import TrialRecord, TrialSink
from bakeoff.harness.worker_process import ProcessClientGroup, SharedProgress
from bakeoff.workloads.generators import connection_rng
from bakeoff.workloads.keys import key_names
from bakeoff.workloads.model import Workload

ProvisionerFactory = Callable[[EngineSpec], Provisioner]
_POLL_S = 0.25


SATURATION = 0.9
"""Share of its CPU capacity above which the client, not the engine, may be the limit."""


@dataclass(frozen=True)
class RunOptions:
    processes: int = 1
    """Client processes. 1 runs the clients as threads of this process."""
    clients: int = 1
    """Clients (connections) per process."""
    interval_s: float = 1.0
    load_batch: int = 500
    verify_sample: int = 100
    keep_table: bool = False
    reuse: bool = False
    """Keep each engine's container across trials, and its loaded table across trials of
    a workload that neither inserts nor deletes (so the data stays as loaded)."""
    rate: float | None = None
    """Open loop: target operations per second over all workers; None for a closed loop."""
    arrival: str = "constant"
    adapter_options: Mapping[str, str] = field(default_factory=dict)
    split_phase: bool = True
    """Closed loops run each process's clients in one thread that waits on all their
    sockets, where the adapter declares SPLIT_PHASE and the workload has no
    read-modify-write (docs/load-generator.md); False keeps a thread per client."""

    @property
    def workers(self) -> int:
        return self.processes * self.clients

    def describe(self) -> dict[str, object]:
        return {
            "processes": self.processes,
            "clients_per_process": self.clients,
            "connections": self.workers,
            "loop": "open" if self.rate else "closed",
            "target_ops_per_s": self.rate,
            "arrival": self.arrival if self.rate else None,
            "latency_kinds": ["service", "response"] if self.rate else ["service"],
        }


class TrialFailedError(RuntimeError):
    pass


class RunInterruptedError(KeyboardInterrupt):
    """Ctrl-C: every trial finished or begun so far has been written to the run folder."""


@dataclass
class _TrialState:
    rows: list[IntervalRow] = field(default_factory=list)
    endpoint: Endpoint | None = None
    verify: dict[str, object] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    load_generator: dict[str, object] = field(default_factory=dict)


class TrialRunner:
    def __init__(self, options: RunOptions, progress: ProgressSink | None = None) -> None:
        self.options = options
        self.progress: ProgressSink = progress or SilentProgress()
        self._embedded = False
        self._loaded: dict[tuple[str, str], str] = {}
        """(engine, table) -> hash of the workload whose data it holds (--reuse)."""

    def forget_engine(self, engine: str) -> None:
        """The engine's instance is gone: nothing of it can be reused."""
        self._loaded = {key: h for key, h in self._loaded.items() if key[0] != engine}

    def run(self, trial: Trial, provisioner: Provisioner) -> TrialRecord:
        """Run one trial. Failures become a failed TrialRecord; Ctrl-C is re-raised after
        the record of the interrupted trial has been attached to the exception."""
        started = datetime.now(UTC)
        self._embedded = trial.engine.provision is Provision.EMBEDDED
        # Decided before the trial from declared capabilities and the workload.
        # With one client per process there is nothing to wait on together, and the
        # extra wait before each read would only cost (one more system call).
        self._split_phase = (
            self.options.split_phase
            and self.options.clients > 1
            and self.options.rate is None
            and Capability.SPLIT_PHASE in trial.adapter.capabilities
            and trial.workload.operations.all_split_phase()
        )
        state = _TrialState()
        status, error = "ok", None
        label = f"{trial.workload.name} on {trial.engine.display_name}"
        self.progress.trial_started(label)
        try:
            with provisioner as endpoint:
                state.endpoint = endpoint
                self._run_phases(trial, endpoint, provisioner, state)
        except KeyboardInterrupt as interrupt:
            record = self._record(trial, state, started, "interrupted", "interrupted by the user")
            self.progress.trial_finished(label, "interrupted", "")
            raise RunInterruptedError(record) from interrupt
        except (TrialFailedError, ProvisioningError, AdapterError) as exc:
            status, error = "failed", str(exc)
        except Exception as exc:
            status, error = "failed", f"{type(exc).__name__}: {exc}"
        record = self._record(trial, state, started, status, error)
        self.progress.trial_finished(label, status, error or "")
        return record

    # -- phases ----------------------------------------------------------------------

    def _groups(self, trial: Trial, endpoint: Endpoint) -> list[ClientGroup]:
        options = self.options
        workers = options.workers
        workload = trial.workload
        total = workload.operation_count or 0
        expected = dict(enumerate(split_evenly(total, workers))) if total else {}
        common: dict[str, Any] = {
            "adapter_cls": trial.adapter,
            "endpoint": endpoint,
            "options": dict(options.adapter_options),
            "workload": workload,
            "total_workers": workers,
            "expected_operations": expected,
        }
        slices = [
            list(range(p * options.clients, (p + 1) * options.clients))
            for p in range(options.processes)
        ]
        if options.processes == 1:
            return [ThreadClientGroup(workers=slices[0], **common)]
        shared = SharedProgress(options.processes)
        return [
            ProcessClientGroup(slot, shared, workers=slices[slot], **common)
            for slot in range(options.processes)
        ]

    def _run_phases(
        self, trial: Trial, endpoint: Endpoint, provisioner: Provisioner, state: _TrialState
    ) -> None:
        workload = trial.workload
        table = workload.table_spec()
        # The runner's own connection: resets the table, verifies, cleans up.
        control = trial.adapter()
        groups: list[ClientGroup] = []
        try:
            control.connect(endpoint, self.options.adapter_options)
            loaded_key = (trial.engine.name, workload.table)
            reuse_data = self.options.reuse and self._loaded.get(loaded_key) == workload.spec_hash()
            if not reuse_data:
                # A trial starts from an empty table, also on an external server.
                control.teardown(table)
            self._loaded.pop(loaded_key, None)
            control.setup(table)
            groups = self._groups(trial, endpoint)
            for group in groups:
                group.connect()
            for group in groups:
                group.setup(table)
            if reuse_data:
                state.verify["data"] = "reused from an earlier trial (--reuse)"
            else:
                self._load(groups, trial, state)
            if workload.warmup_operations or workload.warmup_s:
                self._operate(
                    Phase.WARMUP,
                    groups,
                    provisioner,
                    state,
                    operations=workload.warmup_operations or None,
                    duration_s=workload.warmup_s or None,
                )
            self._operate(
                Phase.MEASURE,
                groups,
                provisioner,
                state,
                operations=workload.operation_count,
                duration_s=workload.duration_s,
            )
            state.verify.update(self._verify(control, trial, state))
            keeps_its_size = not (workload.operations.insert or workload.operations.delete)
            if self.options.reuse and keeps_its_size and state.verify.get("ok"):
                self._loaded[loaded_key] = workload.spec_hash()
            elif not self.options.keep_table:
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

    def _load(self, groups: Sequence[ClientGroup], trial: Trial, state: _TrialState) -> None:
        workload = trial.workload
        batched = Capability.BATCH_INSERT in trial.adapter.capabilities
        workers = self.options.workers
        shares = split_evenly(workload.records, workers)
        firsts = [sum(shares[:w]) for w in range(workers)]
        command = PhaseCommand(
            phase=Phase.LOAD,
            start_ns=time.perf_counter_ns(),
            interval_ns=self._interval_ns,
            load_ranges={w: (firsts[w], shares[w]) for w in range(workers)},
            load_batch=self.options.load_batch if batched else 1,
        )
        self._phase(groups, command, None, state, workload.records, None)

    def _operate(
        self,
        phase: Phase,
        groups: Sequence[ClientGroup],
        provisioner: Provisioner,
        state: _TrialState,
        *,
        operations: int | None,
        duration_s: float | None,
    ) -> None:
        workers = self.options.workers
        shares = split_evenly(operations, workers) if operations else [None] * workers
        # Read before the phase's clock starts: a container's CPU reading takes a while.
        engine_cpu_start = provisioner.engine_cpu_seconds()
        start = time.perf_counter_ns()
        rate = self.options.rate
        command = PhaseCommand(
            phase=phase,
            start_ns=start,
            interval_ns=self._interval_ns,
            operations=dict(enumerate(shares)),
            deadline_ns=(
                start + int(duration_s * 1e9) if duration_s is not None and not operations else None
            ),
            rate_per_worker=rate / workers if rate else None,
            arrival=self.options.arrival,
            split_phase=self._split_phase,
        )
        self._phase(groups, command, provisioner, state, operations, duration_s, engine_cpu_start)

    @property
    def _interval_ns(self) -> int:
        return int(self.options.interval_s * 1e9)

    def _phase(  # noqa: PLR0912 - one place that owns a phase's start, polling and ending
        self,
        groups: Sequence[ClientGroup],
        command: PhaseCommand,
        provisioner: Provisioner | None,
        state: _TrialState,
        total_ops: int | None,
        duration_s: float | None,
        engine_cpu_start: float | None = None,
    ) -> None:
        phase = command.phase
        self.progress.phase_started(phase.value, total_ops, duration_s)
        for group in groups:
            group.start_phase(command)
        results: dict[int, PhaseResult] = {}
        poll = _POLL_S / len(groups)
        try:
            while len(results) < len(groups):
                for i, group in enumerate(groups):
                    if i not in results:
                        result = group.wait(poll)
                        if result is not None:
                            results[i] = result
                elapsed = (time.perf_counter_ns() - command.start_ns) / 1e9
                self.progress.advance(sum(g.completed() for g in groups), elapsed)
        except KeyboardInterrupt:
            for group in groups:
                group.request_stop()
            for i, group in enumerate(groups):
                while i not in results:
                    result = group.wait(1.0)
                    if result is not None:
                        results[i] = result
            raise
        finally:
            end = time.perf_counter_ns()
            ordered = [results[i] for i in sorted(results)]
            rows = merge_rows(row for result in ordered for row in result.rows)
            state.rows.extend(rows)
            for row in rows:
                if row.latency_kind is LatencyKind.SERVICE:
                    key = f"{row.phase.value}:{row.operation}"
                    state.counts[key] = state.counts.get(key, 0) + row.count
            wall_s = (end - command.start_ns) / 1e9
            completed = sum(r.completed for r in ordered)
            if phase is not Phase.LOAD:
                engine_cpu_end = provisioner.engine_cpu_seconds() if provisioner else None
                state.load_generator[phase.value] = self._phase_report(
                    command,
                    ordered,
                    wall_s,
                    completed,
                    duration_s,
                    engine_cpu_start,
                    engine_cpu_end,
                )
            self.progress.phase_finished(phase.value, completed, wall_s)
        failures = [r.fatal_error for r in ordered if r.fatal_error]
        if failures:
            raise TrialFailedError(f"{phase.value} phase: {failures[0]}")

    def _phase_report(
        self,
        command: PhaseCommand,
        results: Sequence[PhaseResult],
        wall_s: float,
        completed: int,
        duration_s: float | None,
        engine_cpu_start: float | None,
        engine_cpu_end: float | None,
    ) -> dict[str, object]:
        """Did the load generator keep up? Client CPU, engine CPU, rate and backlog."""
        per_process = [r.cpu_s / r.wall_s if r.wall_s > 0 else 0.0 for r in results]
        cores = usable_cores()
        client_cpu = sum(r.cpu_s for r in results)
        report: dict[str, object] = {
            "client_io": (
                "split-phase: one thread per process waits on all its connections"
                if command.split_phase
                else "blocking: one thread per connection"
            ),
            "wall_s": round(wall_s, 6),
            "operations": completed,
            "achieved_ops_per_s": completed / wall_s if wall_s > 0 else 0.0,
            "client_cpu_s": client_cpu,
            "client_cpu_per_op_us": client_cpu / completed * 1e6 if completed else None,
            "client_process_utilisation": per_process,
            "usable_cores": cores,
            "engine_cpu_s": (
                engine_cpu_end - engine_cpu_start
                if engine_cpu_start is not None and engine_cpu_end is not None
                else None
            ),
        }
        # One process runs Python on at most one core (the GIL); several share the cores.
        saturated = bool(per_process) and (
            max(per_process) >= SATURATION or client_cpu / wall_s >= SATURATION * cores
        )
        if self._embedded:
            # The engine itself runs in the client processes: their CPU is its work.
            report["client_saturated"] = None
            report["client_saturation_note"] = "embedded engine: runs inside the client"
        else:
            report["client_saturated"] = saturated
        if command.rate_per_worker is not None:
            target = command.rate_per_worker * self.options.workers
            report["target_ops_per_s"] = target
            report["late_operations"] = sum(r.late for r in results)
            if duration_s is not None:
                report["backlog_operations"] = max(0, round(target * wall_s) - completed)
        return report

    # -- verify ----------------------------------------------------------------------

    def _verify(self, adapter: Adapter, trial: Trial, state: _TrialState) -> dict[str, object]:
        """Count the records and read a sample of the loaded ones back."""
        workload = trial.workload
        inserted = sum(
            state.counts.get(f"{p.value}:insert", 0) for p in (Phase.WARMUP, Phase.MEASURE)
        )
        deleted = sum(
            state.counts.get(f"{p.value}:delete", 0) for p in (Phase.WARMUP, Phase.MEASURE)
        )
        expected_max = workload.records + inserted
        expected_min = expected_max - deleted
        result: dict[str, object] = {
            "expected_records_min": expected_min,
            "expected_records_max": expected_max,
        }
        problems: list[str] = []
        if isinstance(adapter, RecordCount) and Capability.COUNT in type(adapter).capabilities:
            counted = adapter.count_records(workload.table)
            result["counted_records"] = counted
            if not expected_min <= counted <= expected_max:
                problems.append(
                    f"table holds {counted} records, expected "
                    + (
                        f"{expected_max}"
                        if expected_min == expected_max
                        else f"{expected_min}..{expected_max}"
                    )
                )
        else:
            result["counted_records"] = None
        sample = min(self.options.verify_sample, workload.records)
        rng = connection_rng(workload.seed, 0, "verify")
        numbers = rng.choice(workload.records, size=sample, replace=False).astype(np.int64)
        keys = key_names(numbers, prefix=workload.key_prefix, insert_order=workload.insert_order)
        names = set(workload.fields.names())
        lowest = _minimum_length(workload)
        longest = workload.fields.length.maximum
        missing = malformed = 0
        for key in keys:
            record = adapter.read(workload.table, key, None)
            if record is None:
                missing += 1
            elif set(record) != names or any(
                not isinstance(v, str) or not lowest <= len(v) <= longest for v in record.values()
            ):
                malformed += 1
        result.update(sample_size=sample, sample_missing=missing, sample_malformed=malformed)
        if missing > deleted:
            problems.append(f"{missing} of {sample} sampled records are missing")
        if malformed:
            problems.append(f"{malformed} of {sample} sampled records have wrong fields")
        result["ok"] = not problems
        if problems:
            result["problem"] = "; ".join(problems)
        return result

    # -- results ---------------------------------------------------------------------

    def failed_before_start(self, trial: Trial, error: str) -> TrialRecord:
        """The record of a trial whose engine could not even be provisioned."""
        return self._record(trial, _TrialState(), datetime.now(UTC), "failed", error)

    def _record(
        self, trial: Trial, state: _TrialState, started: datetime, status: str, error: str | None
    ) -> TrialRecord:
        endpoint = state.endpoint
        return TrialRecord(
            trial=trial.index,
            repetition=trial.repetition,
            engine=trial.engine.name,
            engine_version=endpoint.version if endpoint else "unknown",
            workload=trial.workload,
            endpoint_display_url=endpoint.display_url if endpoint else "",
            settings=dict(endpoint.settings) if endpoint else {},
            provenance=dict(endpoint.provenance) if endpoint else {},
            adapter=trial.adapter.name,
            threads=self.options.workers,
            seed=trial.workload.seed,
            started_at=started,
            ended_at=datetime.now(UTC),
            status=status,
            error=error,
            verify=state.verify,
            rows=state.rows,
            load_generator={**self.options.describe(), **state.load_generator},
        )


def _minimum_length(workload: Workload) -> int:
    length: Any = workload.fields.length
    return int(getattr(length, "min", getattr(length, "value", 1)))


class _SharedProvisioner(ProvisionerBase):
    """One engine instance for several trials (--reuse): started on first use, stopped
    by `close()` at the end of the run rather than after each trial."""

    def __init__(self, inner: Provisioner) -> None:
        self.inner = inner
        self.endpoint: Endpoint | None = None

    def start(self) -> Endpoint:
        if self.endpoint is None:
            self.endpoint = self.inner.start()
        return self.endpoint

    def stop(self) -> None:
        pass

    def engine_cpu_seconds(self) -> float | None:
        return self.inner.engine_cpu_seconds()

    def close(self) -> None:
        self.endpoint = None
        self.inner.stop()


def run_trials(
    trials: Sequence[Trial],
    provisioner_for: ProvisionerFactory,
    writer: TrialSink,
    runner: TrialRunner,
) -> list[TrialRecord]:
    """Run every trial, writing each as soon as it ends. On Ctrl-C the run is finished
    with status "interrupted" (every trial measured so far kept) and the interrupt re-raised.
    """
    records: list[TrialRecord] = []
    shared: dict[str, _SharedProvisioner] = {}
    try:
        for trial in trials:
            engine = trial.engine.name
            try:
                provisioner: Provisioner
                if runner.options.reuse:
                    if engine not in shared:
                        shared[engine] = _SharedProvisioner(provisioner_for(trial.engine))
                    provisioner = shared[engine]
                else:
                    provisioner = provisioner_for(trial.engine)
            except ProvisioningError as exc:
                record = runner.failed_before_start(trial, str(exc))
            else:
                record = runner.run(trial, provisioner)
            if record.status != "ok" and engine in shared:
                # A failed trial may have broken the instance: the next one starts afresh.
                shared.pop(engine).close()
                runner.forget_engine(engine)
            writer.add_trial(record)
            records.append(record)
    except RunInterruptedError as interrupt:
        partial = interrupt.args[0] if interrupt.args else None
        if isinstance(partial, TrialRecord):
            writer.add_trial(partial)
            records.append(partial)
        writer.finish("interrupted")
        raise
    except KeyboardInterrupt:
        writer.finish("interrupted")
        raise
    finally:
        for instance in shared.values():
            with contextlib.suppress(Exception):
                instance.close()
    failed = [r for r in records if r.status != "ok"]
    writer.finish("ok" if not failed else ("failed" if len(failed) == len(records) else "partial"))
    return records

"""Runs trials: provision → setup → load → warm-up → measure → verify → teardown.

Each phase runs one thread per worker; every worker owns its adapter (one connection),
its operation stream and its recorder, so nothing is shared on the measured path. The
main thread only starts, polls and joins workers, which keeps Ctrl-C responsive: it stops
the workers, keeps what they measured, and lets the provisioner's context manager remove
the engine.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bakeoff.adapters.errors import AdapterError
from bakeoff.adapters.protocol import Adapter, Capability, Endpoint, RecordCount
from bakeoff.engines.base import Provisioner, ProvisioningError
from bakeoff.engines.catalog import EngineSpec
from bakeoff.harness.loadgen import (
    OperationStream,
    WorkerState,
    load_records,
    run_closed_loop,
    split_evenly,
)
from bakeoff.harness.plan import Trial
from bakeoff.harness.progress import ProgressSink, SilentProgress
from bakeoff.harness.recorder import Recorder, merge_rows
from bakeoff.report.schema import IntervalRow, Phase
from bakeoff.report.store import RunWriter, TrialRecord
from bakeoff.workloads.generators import key_names, worker_rng
from bakeoff.workloads.model import Operation, Workload

ProvisionerFactory = Callable[[EngineSpec], Provisioner]
_POLL_S = 0.25


@dataclass(frozen=True)
class RunOptions:
    threads: int = 1
    interval_s: float = 1.0
    load_batch: int = 500
    verify_sample: int = 100
    keep_table: bool = False
    adapter_options: Mapping[str, str] = field(default_factory=dict)


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


class TrialRunner:
    def __init__(self, options: RunOptions, progress: ProgressSink | None = None) -> None:
        self.options = options
        self.progress: ProgressSink = progress or SilentProgress()

    def run(self, trial: Trial, provisioner: Provisioner) -> TrialRecord:
        """Run one trial. Failures become a failed TrialRecord; Ctrl-C is re-raised after
        the record of the interrupted trial has been attached to the exception."""
        started = datetime.now(UTC)
        state = _TrialState()
        status, error = "ok", None
        label = f"{trial.workload.name} on {trial.engine.display_name}"
        self.progress.trial_started(label)
        try:
            with provisioner as endpoint:
                state.endpoint = endpoint
                self._run_phases(trial, endpoint, state)
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

    def _run_phases(self, trial: Trial, endpoint: Endpoint, state: _TrialState) -> None:
        workload = trial.workload
        threads = self.options.threads
        adapters: list[Adapter] = []
        try:
            for _ in range(threads):
                adapter = trial.adapter()
                adapters.append(adapter)
                adapter.connect(endpoint, self.options.adapter_options)
            table = workload.table_spec()
            # A trial starts from an empty table, also on an external server.
            adapters[0].teardown(table)
            for adapter in adapters:
                adapter.setup(table)
            self._load(adapters, workload, state)
            streams = self._streams(workload, threads)
            if workload.warmup_operations or workload.warmup_s:
                self._operate(
                    Phase.WARMUP,
                    adapters,
                    streams,
                    state,
                    operations=workload.warmup_operations or None,
                    duration_s=workload.warmup_s or None,
                )
            self._operate(
                Phase.MEASURE,
                adapters,
                streams,
                state,
                operations=workload.operation_count,
                duration_s=workload.duration_s,
            )
            state.verify = self._verify(adapters[0], trial, state)
            if not self.options.keep_table:
                adapters[0].teardown(table)
            if not state.verify.get("ok", True):
                raise TrialFailedError(f"verification failed: {state.verify.get('problem')}")
        finally:
            for adapter in adapters:
                # Closing must not mask the error that ended the trial.
                with contextlib.suppress(Exception):
                    adapter.close()

    def _streams(self, workload: Workload, threads: int) -> list[OperationStream]:
        total = workload.operation_count or 0
        per_worker = split_evenly(total, threads) if total else [workload.records] * threads
        return [
            OperationStream(workload, worker=w, workers=threads, expected_operations=n)
            for w, n in enumerate(per_worker)
        ]

    def _load(self, adapters: Sequence[Adapter], workload: Workload, state: _TrialState) -> None:
        batched = Capability.BATCH_INSERT in type(adapters[0]).capabilities
        op_name = "insert_batch" if batched and self.options.load_batch > 1 else "insert"
        shares = split_evenly(workload.records, len(adapters))
        firsts = [sum(shares[:w]) for w in range(len(adapters))]

        def job(w: int, recorder: Recorder, worker_state: WorkerState) -> None:
            load_records(
                adapters[w],
                workload,
                firsts[w],
                shares[w],
                recorder,
                worker_state,
                batch_size=self.options.load_batch if batched else 1,
                worker=w,
            )

        self._phase(Phase.LOAD, [op_name], job, len(adapters), state, workload.records, None)

    def _operate(
        self,
        phase: Phase,
        adapters: Sequence[Adapter],
        streams: Sequence[OperationStream],
        state: _TrialState,
        *,
        operations: int | None,
        duration_s: float | None,
    ) -> None:
        shares = split_evenly(operations, len(adapters)) if operations else None
        op_names = [op.value for op in streams[0].operations]
        deadline: list[int | None] = [None]

        def job(w: int, recorder: Recorder, worker_state: WorkerState) -> None:
            run_closed_loop(
                adapters[w],
                streams[w],
                recorder,
                worker_state,
                operations=shares[w] if shares else None,
                deadline_ns=deadline[0],
            )

        if duration_s is not None and operations is None:
            deadline[0] = time.perf_counter_ns() + int(duration_s * 1e9)
        self._phase(phase, op_names, job, len(adapters), state, operations, duration_s)

    def _phase(
        self,
        phase: Phase,
        op_names: list[str],
        job: Callable[[int, Recorder, WorkerState], None],
        workers: int,
        state: _TrialState,
        total_ops: int | None,
        duration_s: float | None,
    ) -> None:
        interval_ns = int(self.options.interval_s * 1e9)
        start = time.perf_counter_ns()
        recorders = [
            Recorder(op_names, phase, start_ns=start, interval_ns=interval_ns)
            for _ in range(workers)
        ]
        states = [WorkerState() for _ in range(workers)]

        def guarded(w: int) -> None:
            try:
                job(w, recorders[w], states[w])
            except Exception as exc:
                states[w].fatal_error = f"{type(exc).__name__}: {exc}"

        threads = [
            threading.Thread(target=guarded, args=(w,), name=f"bakeoff-{phase}-{w}", daemon=True)
            for w in range(workers)
        ]
        self.progress.phase_started(phase.value, total_ops, duration_s)
        for t in threads:
            t.start()
        try:
            while any(t.is_alive() for t in threads):
                threads[0].join(_POLL_S) if threads[0].is_alive() else time.sleep(_POLL_S)
                elapsed = (time.perf_counter_ns() - start) / 1e9
                self.progress.advance(sum(s.completed for s in states), elapsed)
        except KeyboardInterrupt:
            for s in states:
                s.stop_requested = True
            for t in threads:
                t.join()
            raise
        finally:
            end = time.perf_counter_ns()
            rows = merge_rows(row for rec in recorders for row in rec.rows(end))
            state.rows.extend(rows)
            for row in rows:
                key = f"{row.phase.value}:{row.operation}"
                state.counts[key] = state.counts.get(key, 0) + row.count
            self.progress.phase_finished(
                phase.value, sum(s.completed for s in states), (end - start) / 1e9
            )
        failures = [s.fatal_error for s in states if s.fatal_error]
        if failures:
            raise TrialFailedError(f"{phase.value} phase: {failures[0]}")

    # -- verify ----------------------------------------------------------------------

    def _verify(self, adapter: Adapter, trial: Trial, state: _TrialState) -> dict[str, object]:
        """Count the records and read a sample of the loaded ones back."""
        workload = trial.workload
        inserted = sum(
            state.counts.get(f"{p.value}:{Operation.INSERT.value}", 0)
            for p in (Phase.WARMUP, Phase.MEASURE)
        )
        deleted = sum(
            state.counts.get(f"{p.value}:{Operation.DELETE.value}", 0)
            for p in (Phase.WARMUP, Phase.MEASURE)
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
        rng = worker_rng(workload.seed, 0, "verify")
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
            threads=self.options.threads,
            seed=trial.workload.seed,
            started_at=started,
            ended_at=datetime.now(UTC),
            status=status,
            error=error,
            verify=state.verify,
            rows=state.rows,
        )


def _minimum_length(workload: Workload) -> int:
    length: Any = workload.fields.length
    return int(getattr(length, "min", getattr(length, "value", 1)))


def run_trials(
    trials: Sequence[Trial],
    provisioner_for: ProvisionerFactory,
    writer: RunWriter,
    runner: TrialRunner,
) -> list[TrialRecord]:
    """Run every trial, writing each as soon as it ends. On Ctrl-C the run is finished
    with status "interrupted" (every trial measured so far kept) and the interrupt re-raised.
    """
    records: list[TrialRecord] = []
    try:
        for trial in trials:
            try:
                provisioner = provisioner_for(trial.engine)
            except ProvisioningError as exc:
                record = runner.failed_before_start(trial, str(exc))
            else:
                record = runner.run(trial, provisioner)
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
    failed = [r for r in records if r.status != "ok"]
    writer.finish("ok" if not failed else ("failed" if len(failed) == len(records) else "partial"))
    return records

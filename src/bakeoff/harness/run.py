"""Every trial of a run in turn, each written as soon as it ends (and each of its phases
as soon as that ends)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import TelemetrySource
from bakeoff.engines.base import Provisioner, ProvisionerBase, ProvisioningError
from bakeoff.engines.catalog import EngineSpec
from bakeoff.engines.cleanup import orderly_interrupts, shielded
from bakeoff.engines.provisioning import EngineOptions
from bakeoff.harness.plan import Trial
from bakeoff.harness.runner import RunInterruptedError, TrialRunner, interrupting_signal
from bakeoff.harness.trial import TrialRecord, TrialSink

ProvisionerFactory = Callable[[EngineSpec, EngineOptions | None], Provisioner]
"""A fresh provisioner for an engine, with a trial's own engine options (a swept CPU
limit) where it has them, else the run's."""


class SharedProvisioner(ProvisionerBase):
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

    def telemetry_source(self) -> TelemetrySource | None:
        return self.inner.telemetry_source()

    def engine_memory_bytes(self) -> int | None:
        return self.inner.engine_memory_bytes()

    def close(self) -> None:
        self.endpoint = None
        self.inner.stop()


def run_trials(
    trials: Iterable[Trial],
    provisioner_for: ProvisionerFactory,
    writer: TrialSink,
    runner: TrialRunner,
) -> list[TrialRecord]:
    """Run every trial, writing each as soon as it ends. `trials` may decide each next
    trial from what was written before it (`bakeoff capacity` does).

    A termination signal (Ctrl-C, SIGTERM, SIGHUP, with `install_signal_cleanup()`)
    stops the trial in flight, which is written with what it measured; the run is
    finished with status "interrupted" and RunInterruptedError raised with its path.
    A signal that arrives while a trial is being written waits for the write.
    """
    with orderly_interrupts():
        return _run_trials(trials, provisioner_for, writer, runner)


def _run_trials(
    trials: Iterable[Trial],
    provisioner_for: ProvisionerFactory,
    writer: TrialSink,
    runner: TrialRunner,
) -> list[TrialRecord]:
    records: list[TrialRecord] = []
    shared: dict[tuple[str, float | None], SharedProvisioner] = {}
    try:
        for trial in trials:
            engine_options = trial.options.engine_options if trial.options else None
            # Trials at different CPU limits never share an instance.
            engine = (trial.engine.name, engine_options.cpus if engine_options else None)
            try:
                provisioner: Provisioner
                if runner.run_options.reuse:
                    if engine not in shared:
                        shared[engine] = SharedProvisioner(
                            provisioner_for(trial.engine, engine_options)
                        )
                    provisioner = shared[engine]
                else:
                    provisioner = provisioner_for(trial.engine, engine_options)
            except ProvisioningError as exc:
                record = runner.failed_before_start(trial, str(exc))
            else:
                record = runner.run(trial, provisioner, journal=writer)
            if record.status != "ok" and engine in shared:
                # A failed trial may have broken the instance: the next one starts afresh.
                shared.pop(engine).close()
                runner.forget_engine(trial.engine.name)
            with shielded():
                writer.add_trial(record)
            records.append(record)
    except KeyboardInterrupt as interrupt:
        stopped = (
            interrupt
            if isinstance(interrupt, RunInterruptedError)
            else RunInterruptedError(None, interrupting_signal(interrupt))
        )
        if stopped.record is not None:
            writer.add_trial(stopped.record)
            records.append(stopped.record)
        stopped.path = writer.finish("interrupted")
        if stopped is interrupt:
            raise
        raise stopped from interrupt
    finally:
        for instance in shared.values():
            with contextlib.suppress(Exception):
                instance.close()
        with contextlib.suppress(Exception):
            runner.executor.close()  # a cluster's placement group goes with the run
    failed = [r for r in records if r.status != "ok"]
    with shielded():
        writer.finish(
            "ok" if not failed else ("failed" if len(failed) == len(records) else "partial")
        )
    return records

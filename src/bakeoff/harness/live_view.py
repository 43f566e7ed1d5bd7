"""The live view of a run: its metrics served for Prometheus on 127.0.0.1 while it runs.

`bakeoff run --prometheus PORT` starts one `LiveView`. It hears the run three ways, none
on the measured path: the progress the main thread reports (operations done so far in
the phase, so throughput as it happens), each interval's telemetry as the sampler reads
it, and each phase's interval rows as the phase ends (operations, errors and latency
percentiles per operation, of its last whole interval). Metric names are in
docs/telemetry.md; docs/grafana/bakeoff.json is a dashboard of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bakeoff.core import histogram as hdr
from bakeoff.core.measures import IntervalRow, LatencyKind
from bakeoff.core.telemetry import MetricKind, TelemetryRow
from bakeoff.harness.progress import ProgressSink
from bakeoff.harness.trial import PhaseRecord, TrialRecord, TrialSink

LOOPBACK = "127.0.0.1"
QUANTILES = (("0.5", "p50_us"), ("0.99", "p99_us"), ("0.999", "p999_us"))


class LiveViewError(OSError):
    """The endpoint could not be served (the port is taken); nothing was started."""


class LiveView:
    """A Prometheus endpoint on 127.0.0.1:`port` (0: any free port, see `port`)."""

    def __init__(self, port: int) -> None:
        from prometheus_client import CollectorRegistry, Gauge, start_http_server

        self.registry = CollectorRegistry()
        trial, op = ["trial", "phase"], ["engine", "workload", "phase", "operation"]
        self.done = Gauge(
            "bakeoff_phase_operations", "Operations done so far in the phase", trial,
            registry=self.registry,
        )  # fmt: skip
        self.rate = Gauge(
            "bakeoff_phase_throughput_ops", "Operations per second since the last poll",
            trial, registry=self.registry,
        )  # fmt: skip
        self.ops = Gauge(
            "bakeoff_operation_throughput_ops",
            "Successful operations per second in the phase's last whole interval",
            op, registry=self.registry,
        )  # fmt: skip
        self.errors = Gauge(
            "bakeoff_operation_errors", "Errors in the phase's last whole interval", op,
            registry=self.registry,
        )  # fmt: skip
        self.latency = Gauge(
            "bakeoff_operation_latency_us",
            "Service-time percentiles (µs) of the phase's last whole interval",
            [*op, "quantile"], registry=self.registry,
        )  # fmt: skip
        self.telemetry = Gauge(
            "bakeoff_telemetry",
            "The engine's telemetry: a gauge's level, a counter's increase per second",
            ["engine", "workload", "source", "metric", "unit"], registry=self.registry,
        )  # fmt: skip
        try:
            self._server, _ = start_http_server(port, addr=LOOPBACK, registry=self.registry)
        except OSError as error:
            raise LiveViewError(
                f"--prometheus {port}: cannot listen on {LOOPBACK}:{port} "
                f"({error.strerror or error})"
            ) from None
        self._trial = self._phase = ""
        self._last = (0, 0.0)

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- telemetry, from the sampler's thread --------------------------------------------

    def telemetry_rows(self, engine: str, workload: str, rows: Sequence[TelemetryRow]) -> None:
        for row in rows:
            counter = row.kind is MetricKind.COUNTER
            if counter and row.duration_s <= 0:
                continue
            value = row.value / row.duration_s if counter else row.value
            unit = f"{row.unit}/s" if counter else row.unit
            self.telemetry.labels(engine, workload, row.source, row.metric, unit).set(value)

    # -- the client's progress, from the main thread -------------------------------------

    def progress(self, inner: ProgressSink) -> ProgressSink:
        """`inner`, also telling this view."""
        return _Progress(self, inner)

    def advance(self, completed_ops: int, elapsed_s: float) -> None:
        done, at = self._last
        self.done.labels(self._trial, self._phase).set(completed_ops)
        if elapsed_s > at:
            rate = (completed_ops - done) / (elapsed_s - at)
            self.rate.labels(self._trial, self._phase).set(rate)
        self._last = (completed_ops, elapsed_s)

    # -- each phase's rows, as the run's journal receives them ---------------------------

    def sink(self, inner: TrialSink) -> TrialSink:
        """`inner`, also telling this view of each phase."""
        return _Sink(self, inner)

    def phase_rows(
        self, engine: str, workload: str, phase: str, rows: Sequence[IntervalRow]
    ) -> None:
        service = [r for r in rows if r.latency_kind is LatencyKind.SERVICE]
        for operation in sorted({r.operation for r in service}):
            mine = [r for r in service if r.operation == operation]
            whole = [r for r in mine if r.duration_s > 0 and r.interval < mine[-1].interval]
            last = (whole or mine)[-1]
            labels = (engine, workload, phase, operation)
            if last.duration_s > 0:
                self.ops.labels(*labels).set(last.count / last.duration_s)
            errors = last.errors_transient + last.errors_fatal + last.errors_unsupported
            self.errors.labels(*labels).set(errors)
            if last.count and last.histogram:
                figures = hdr.percentiles_us(hdr.decode(last.histogram))
                for quantile, column in QUANTILES:
                    self.latency.labels(*labels, quantile).set(figures[column])


class _Progress:
    def __init__(self, view: LiveView, inner: ProgressSink) -> None:
        self.view, self.inner = view, inner

    def trial_started(self, label: str) -> None:
        self.view._trial = label
        self.inner.trial_started(label)

    def phase_started(self, phase: str, total_ops: int | None, duration_s: float | None) -> None:
        self.view._phase, self.view._last = phase, (0, 0.0)
        self.inner.phase_started(phase, total_ops, duration_s)

    def advance(self, completed_ops: int, elapsed_s: float) -> None:
        self.view.advance(completed_ops, elapsed_s)
        self.inner.advance(completed_ops, elapsed_s)

    def phase_finished(self, phase: str, completed_ops: int, elapsed_s: float) -> None:
        self.inner.phase_finished(phase, completed_ops, elapsed_s)

    def trial_finished(self, label: str, status: str, detail: str) -> None:
        self.inner.trial_finished(label, status, detail)


class _Sink:
    def __init__(self, view: LiveView, inner: TrialSink) -> None:
        self.view, self.inner = view, inner

    def add_phase(self, phase: PhaseRecord) -> None:
        self.inner.add_phase(phase)
        self.view.phase_rows(phase.engine, phase.workload.name, phase.phase.value, phase.rows)

    def add_trial(self, trial: TrialRecord) -> None:
        self.inner.add_trial(trial)

    def finish(self, status: str) -> Any:
        return self.inner.finish(status)

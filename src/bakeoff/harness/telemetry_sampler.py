"""Polling telemetry sources off the measured path, on the latency histograms' intervals.

A `TelemetrySampler` is a thread of the coordinating process. During a phase it reads
every source at the phase start (the baseline), then at each `every`-th boundary of
the histograms' intervals (phase start + k × width) and once more when the phase ends;
counters become the increase over each interval, gauges keep the level read at its end.
A source that raises is logged once and skipped: its counters restart from the next
reading that succeeds, and the trial goes on. The time spent reading each source is
itself a metric (`telemetry.read_s`), so a report can show what telemetry cost.
"""

from __future__ import annotations

import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bakeoff.adapters.statistics import statistics_source
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import MetricKind, MetricReading, TelemetryRow, TelemetrySource
from bakeoff.engines.base import Provisioner
from bakeoff.harness.options import RunOptions
from bakeoff.harness.plan import Trial

log = logging.getLogger(__name__)
READ_TIME = "telemetry.read_s"
"""Seconds spent reading a source in an interval (a row per source, its `source`)."""

RowListener = Callable[[Sequence[TelemetryRow]], None]
"""Told of each interval's rows as they are made (the live Prometheus view)."""
TrialRowListener = Callable[[str, str, Sequence[TelemetryRow]], None]
"""A RowListener told the trial's engine (as results name it) and workload too."""


@dataclass(frozen=True)
class Slot:
    """Where an interval's rows sit: phase, first histogram interval, start, width."""

    phase: str
    interval: int
    start_s: float
    duration_s: float

    def row(
        self, source: str, metric: str, value: float, unit: str, kind: MetricKind
    ) -> TelemetryRow:
        return TelemetryRow(
            self.phase,
            self.interval,
            self.start_s,
            self.duration_s,
            source,
            metric,
            value,
            unit,
            kind,
        )


def interval_rows(
    before: Sequence[MetricReading], after: Sequence[MetricReading], slot: Slot, source: str
) -> list[TelemetryRow]:
    """The rows of one interval: counters' increase from `before` to `after` (left out
    when the counter went back, as after an engine restart), gauges as in `after`."""
    previous = {r.metric: r.value for r in before}
    rows = []
    for reading in after:
        value = reading.value
        if reading.kind is MetricKind.COUNTER:
            if reading.metric not in previous or value < previous[reading.metric]:
                continue
            value -= previous[reading.metric]
        rows.append(slot.row(source, reading.metric, value, reading.unit, reading.kind))
    return rows


STOP_WAIT_S = 5.0
"""How long the end of a phase waits for a telemetry read in progress."""


@dataclass
class _PhaseSampling:
    """One phase's sampling: its clock, its stop signal and the rows it made."""

    phase: str
    start_ns: int
    interval_ns: int
    end_ns: int = 0
    stopped: threading.Event = field(default_factory=threading.Event)
    rows: list[TelemetryRow] = field(default_factory=list)
    thread: threading.Thread | None = None


class TelemetrySampler:
    """Samples `sources` during each phase between `start` and `stop`.

    `every` is how many histogram intervals one telemetry interval spans.
    """

    def __init__(
        self,
        sources: Sequence[TelemetrySource],
        *,
        every: int = 1,
        listeners: Sequence[RowListener] = (),
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be at least 1 interval, got {every}")
        self.sources = list(sources)
        self.every = every
        self._listeners = list(listeners)
        self._failed: set[str] = set()
        self._phase: _PhaseSampling | None = None
        self._stuck = False

    def start(self, phase: str, start_ns: int, interval_ns: int) -> None:
        """Sample from `start_ns` (the phase clock's start) in steps of `interval_ns`."""
        if self._phase is not None:
            raise RuntimeError("the sampler is sampling a phase already")
        if self._stuck:  # a source hangs: no second thread may call it
            return
        sampling = _PhaseSampling(phase, start_ns, interval_ns)
        sampling.thread = threading.Thread(
            target=self._sample, args=(sampling,), name=f"bakeoff-telemetry-{phase}", daemon=True
        )
        self._phase = sampling
        sampling.thread.start()

    def stop(self, end_ns: int) -> list[TelemetryRow]:
        """End the phase at `end_ns` (its last, shorter interval ends there); its rows.

        A source stuck in a read (an engine that stopped answering, a driver without a
        timeout) is given `STOP_WAIT_S`; then the phase keeps the rows it has and
        telemetry stops for the rest of the trial, which goes on."""
        sampling, self._phase = self._phase, None
        if sampling is None or sampling.thread is None:
            return []
        sampling.end_ns = end_ns
        sampling.stopped.set()
        sampling.thread.join(STOP_WAIT_S)
        if sampling.thread.is_alive():
            self._stuck = True
            log.warning(
                "a telemetry source did not answer within %g s; telemetry stops for this "
                "trial, which goes on",
                STOP_WAIT_S,
            )
        return list(sampling.rows)

    def close(self) -> None:
        """Close every source (each is safe to close twice)."""
        for source in self.sources:
            try:
                source.close()
            except Exception as error:
                self._failed_once(source, error)

    def _read(self, source: TelemetrySource) -> tuple[Sequence[MetricReading] | None, float]:
        began = time.perf_counter()
        try:
            readings: Sequence[MetricReading] | None = source.read()
        except Exception as error:
            self._failed_once(source, error)
            readings = None
        return readings, time.perf_counter() - began

    def _failed_once(self, source: TelemetrySource, error: Exception) -> None:
        if source.name not in self._failed:
            self._failed.add(source.name)
            log.warning(
                "telemetry source %s failed (%s: %s); its intervals are left out, the trial "
                "goes on",
                source.name,
                type(error).__name__,
                error,
            )

    def _sample(self, sampling: _PhaseSampling) -> None:
        phase, start_ns, interval_ns = sampling.phase, sampling.start_ns, sampling.interval_ns
        last = [self._read(source)[0] for source in self.sources]
        spent = [0.0] * len(self.sources)
        step, width = 0, self.every * interval_ns
        while True:
            boundary = start_ns + step * interval_ns + width
            # A read slower than an interval (Docker's stats on a busy daemon) widens the
            # interval rather than filing its values under the wrong one.
            while boundary + width <= time.perf_counter_ns():
                boundary += width
            wait_s = max(0.0, (boundary - time.perf_counter_ns()) / 1e9)
            stopped = sampling.stopped.wait(wait_s)
            end_ns = min(boundary, sampling.end_ns) if stopped else boundary
            begins_ns = step * interval_ns
            if end_ns <= start_ns + begins_ns:  # stopped on a boundary
                break
            slot = Slot(phase, step, begins_ns / 1e9, (end_ns - start_ns - begins_ns) / 1e9)
            rows: list[TelemetryRow] = []
            for i, source in enumerate(self.sources):
                readings, took = self._read(source)
                spent[i] += took
                before, last[i] = last[i], readings
                if before is not None and readings is not None:
                    rows.extend(interval_rows(before, readings, slot, source.name))
                    rows.append(slot.row(source.name, READ_TIME, spent[i], "s", MetricKind.COUNTER))
                    spent[i] = 0.0
            sampling.rows.extend(rows)
            for listener in self._listeners:
                try:
                    listener(rows)
                except Exception as error:  # a live view must not end the trial
                    log.warning("telemetry listener failed: %s", error)
            step = (boundary - start_ns) // interval_ns
            if stopped:
                break


def trial_sampler(
    provisioner: Provisioner,
    trial: Trial,
    endpoint: Endpoint,
    options: RunOptions,
    listeners: Sequence[TrialRowListener] = (),
) -> TelemetrySampler | None:
    """The sampler of one trial: the engine's container (if it runs in one) and its
    statistics views (if bakeoff reads any); None when telemetry is off or there is
    nothing to read. A source that cannot be opened is logged and left out."""
    if not options.telemetry:
        return None
    adapter = trial.adapter.name
    sources: list[TelemetrySource] = []
    for name, opener in (
        ("container", provisioner.telemetry_source),
        (adapter, lambda: statistics_source(adapter, endpoint)),
    ):
        try:
            source = opener()
        except Exception as error:
            log.warning("telemetry source %s could not be opened: %s", name, error)
            continue
        if source is not None:
            sources.append(source)
    if not sources:
        return None
    every = max(1, math.ceil(options.telemetry_interval_s / options.interval_s - 1e-9))
    told = [functools.partial(tell, trial.label, trial.workload.name) for tell in listeners]
    return TelemetrySampler(sources, every=every, listeners=told)

"""How long `bakeoff report` takes on a large result store: 100 runs × 7 engines × 6
operations × 60 one-second intervals (252,000 interval histograms).

Run: .venv/bin/python benchmarks/bench_report.py [--data DIR] [--runs N]
Prints the seconds to read the store into a ReportData and to render HTML, Markdown (with
its PNG plots), CSV and pytest-benchmark JSON. The goal is under 10 s.

The store is synthesised once (kept in --data for later invocations): three template runs
are written through the real RunWriter with real HdrHistograms of lognormal latencies,
and every benchmark run picks each engine × operation × interval row at random from one
of the three, so trials differ from each other as repetitions do while nothing needs to be
re-encoded. Each run is a real run directory: samples.parquet and manifest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from bakeoff.core.histogram import encode, new_histogram, record_bulk
from bakeoff.core.measures import IntervalRow, LatencyKind, Phase
from bakeoff.harness.trial import TrialRecord
from bakeoff.report.build import build_report
from bakeoff.report.commands import render_reports
from bakeoff.report.plots import report_plots, to_png, to_svg
from bakeoff.results.schema import MANIFEST_FILE, SAMPLES_FILE
from bakeoff.results.writer import RunWriter
from bakeoff.workloads.model import OperationMix, Workload

RUNS = 100
INTERVALS = 60
TEMPLATES = 3
THREADS = 8
OPERATIONS = {
    # operation: (share of the mix, latency relative to a read)
    "read": (0.50, 1.0),
    "update": (0.20, 1.7),
    "insert": (0.10, 1.9),
    "scan": (0.10, 6.0),
    "read_modify_write": (0.05, 2.7),
    "delete": (0.05, 1.5),
}
ENGINES = {
    # engine: (median read latency in µs, version, settings, provenance)
    "sqlite": (9.0, "SQLite 3.40.1", {"journal_mode": "wal", "synchronous": "normal"}, {}),
    "duckdb": (450.0, "DuckDB 1.1.3", {}, {}),
    "postgres": (
        180.0,
        "PostgreSQL 15.13",
        {"synchronous_commit": "on", "fsync": "on", "shared_buffers": "128MB"},
        {"image": "postgres:15.13-bookworm", "image_digest": "postgres@sha256:4f1c", "cpus": "2"},
    ),
    "mysql": (
        240.0,
        "MySQL 8.4.2",
        {"innodb_flush_log_at_trx_commit": "1", "sync_binlog": "1"},
        {"image": "mysql:8.4.2", "image_digest": "mysql@sha256:9ab0", "cpus": "2"},
    ),
    "redis": (
        60.0,
        "Redis 7.2.5",
        {"appendonly": "no", "save": ""},
        {"image": "redis:7.2.5", "image_digest": "redis@sha256:77de", "cpus": "2"},
    ),
    "mongo": (
        210.0,
        "MongoDB 7.0.12",
        {"writeConcern": "majority", "journal": "true"},
        {"image": "mongo:7.0.12", "image_digest": "mongo@sha256:0c3e", "cpus": "2"},
    ),
    "cassandra": (
        520.0,
        "Cassandra 4.1.5",
        {"commitlog_sync": "periodic", "consistency": "ONE"},
        {"image": "cassandra:4.1.5", "image_digest": "cassandra@sha256:d1a9", "cpus": "2"},
    ),
}
WORKLOAD = Workload(
    name="ycsb-mix",
    description="every YCSB operation in one mix",
    operations=OperationMix(**{op: share for op, (share, _) in OPERATIONS.items()}),
    operation_count=None,
    duration_s=float(INTERVALS),
)
STARTED = datetime(2026, 11, 1, tzinfo=UTC)


def interval_rows(engine: str, rng: np.random.Generator) -> list[IntervalRow]:
    median_us = ENGINES[engine][0]
    # Closed loop: THREADS workers each waiting for their call, capped so that
    # synthesising stays quick (the cap only thins the fastest engines' histograms).
    mean_latency_us = median_us * sum(s * f for s, f in OPERATIONS.values()) * 1.3
    rate = min(THREADS * 1e6 / mean_latency_us, 40_000.0)
    rows = []
    for operation, (share, factor) in OPERATIONS.items():
        for interval in range(INTERVALS):
            # A slow stretch now and then, as a checkpoint or a compaction would cause.
            stall = 3.0 if rng.random() < 0.03 else 1.0
            count = max(1, int(rng.poisson(rate * share / stall)))
            values = rng.lognormal(np.log(median_us * factor * stall * 1000), 0.55, count)
            hist = new_histogram()
            record_bulk(hist, values.astype(np.int64))
            rows.append(
                IntervalRow(
                    phase=Phase.MEASURE,
                    operation=operation,
                    latency_kind=LatencyKind.SERVICE,
                    interval=interval,
                    start_s=float(interval),
                    duration_s=1.0,
                    count=count,
                    not_found=0,
                    errors_transient=int(rng.random() < 0.01),
                    errors_fatal=0,
                    errors_unsupported=0,
                    histogram=encode(hist),
                )
            )
    return rows


def write_templates(folder: Path, rng: np.random.Generator) -> list[Path]:
    paths = []
    for template in range(TEMPLATES):
        writer = RunWriter(folder, run_id=f"template-{template}", command=["bakeoff", "run"])
        for trial, (engine, (_, version, settings, provenance)) in enumerate(ENGINES.items()):
            start = STARTED + timedelta(minutes=trial)
            writer.add_trial(
                TrialRecord(
                    trial=trial,
                    repetition=0,
                    engine=engine,
                    engine_version=version,
                    workload=WORKLOAD,
                    endpoint_display_url=f"{engine}://bench@127.0.0.1/bakeoff",
                    settings=settings,
                    provenance={"provisioner": "container" if provenance else "embedded"}
                    | provenance,
                    adapter="sql",
                    connections=THREADS,
                    seed=1,
                    started_at=start,
                    ended_at=start + timedelta(seconds=INTERVALS),
                    status="ok",
                    error=None,
                    verify={"ok": True},
                    rows=interval_rows(engine, rng),
                )
            )
        paths.append(writer.finish("ok"))
    return paths


def synthesise(folder: Path, runs: int) -> list[Path]:
    """`runs` run directories in `folder` (reused when already there)."""
    run_dirs = [folder / f"bench-{i:03d}" for i in range(runs)]
    if all((d / SAMPLES_FILE).is_file() for d in run_dirs):
        return run_dirs
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory() as scratch:
        templates = write_templates(Path(scratch), rng)
        frames = [pd.read_parquet(t / SAMPLES_FILE) for t in templates]
        manifest = json.loads((templates[0] / MANIFEST_FILE).read_text())
    measured = [f[f["phase"] == "measure"].reset_index(drop=True) for f in frames]
    others = frames[0][frames[0]["phase"] != "measure"]
    for i, run_dir in enumerate(run_dirs):
        run_id = run_dir.name
        # Row j of every template is the same trial × operation × interval.
        pick = rng.integers(0, TEMPLATES, size=len(measured[0]))
        rows = measured[0].copy()
        for t in range(1, TEMPLATES):
            rows[pick == t] = measured[t][pick == t]
        samples = pd.concat([others, rows], ignore_index=True)
        samples["run_id"] = run_id
        samples["repetition"] = 0
        run_dir.mkdir(parents=True, exist_ok=True)
        samples.to_parquet(run_dir / SAMPLES_FILE, index=False)
        started = STARTED + timedelta(hours=i)
        entry = dict(manifest)
        entry["run_id"] = run_id
        entry["started_at"] = started.isoformat().replace("+00:00", "Z")
        entry["ended_at"] = (started + timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
        (run_dir / MANIFEST_FILE).write_text(json.dumps(entry, indent=2))
    return run_dirs


def _cpu_s() -> float:
    # Worker processes count too: the report decodes in several when cores allow.
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="where the synthesised runs are kept")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = args.data or Path(scratch) / "results"
        start = time.perf_counter()
        run_dirs = synthesise(data, args.runs)
        print(f"store: {len(run_dirs)} runs in {data} ({time.perf_counter() - start:.1f} s)")

        out = Path(scratch) / "out"
        out.mkdir()
        load = os.getloadavg()[0]
        start = time.perf_counter()
        cpu_start = _cpu_s()
        written = render_reports(
            run_dirs,
            html=out / "report.html",
            markdown=out / "report.md",
            csv=out / "summary.csv",
            benchmark_json=out / "benchmark.json",
            title=None,
        )
        total_s = time.perf_counter() - start
        cpu_s = _cpu_s() - cpu_start
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1024:.0f} KiB" for p in written)
        print(
            f"render_reports (read + HTML + Markdown + CSV + JSON): {total_s:.2f} s wall, "
            f"{cpu_s:.2f} s CPU in all processes; {os.cpu_count()} cores, load average "
            f"{load:.1f} when it started"
        )
        print(f"  wrote {sizes}")
        verdict = "OK" if total_s < 10 else "TOO SLOW"
        print(f"{verdict}: {total_s:.2f} s for {args.runs} runs (goal < 10 s)")

        # Where the time goes: the store alone, then the rendering of what it gave.
        start = time.perf_counter()
        report = build_report(run_dirs)
        read_s = time.perf_counter() - start
        start = time.perf_counter()
        plots = report_plots(report)
        for plot in plots:
            to_svg(plot)
            to_png(plot, out / f"{plot.slug}.png")
        plot_s = time.perf_counter() - start
        print(f"  reading the store into a ReportData alone: {read_s:.2f} s")
        print(f"  building and rendering {len(plots)} plots (SVG and PNG): {plot_s:.2f} s")


if __name__ == "__main__":
    main()

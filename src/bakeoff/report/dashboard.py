"""The dashboard's numbers: telemetry over the measured phase as per-second series, cache
hit ratios, and what each operation cost the engine. Generic over whatever metrics the
runs' telemetry holds (docs/telemetry.md): a metric the engine did not give is absent.
"""

from __future__ import annotations

import pandas as pd

from bakeoff.report.views import WorkloadReport

CPU_METRICS = ("container.cpu_user_s", "container.cpu_system_s")
MEMORY_METRICS = ("container.memory_anon_bytes", "container.memory_file_bytes")
IO_METRICS = ("container.io_read_bytes", "container.io_write_bytes")
NETWORK_METRICS = ("container.net_rx_bytes", "container.net_tx_bytes")
READ_TIME = "telemetry.read_s"
HIT_RATIO = "cache_hit_ratio"
TRIAL = ["engine", "run_id", "trial"]
_PAIRS = (("_hit", "_read"), ("_hits", "_misses"))
"""(hits suffix, misses suffix): PostgreSQL's blks_hit/blks_read, Redis's
keyspace_hits/keyspace_misses; any source naming its counters so gets a hit ratio."""


def series(telemetry: pd.DataFrame) -> pd.DataFrame:
    """One row per trial, interval and metric with `level`: a counter's increase per
    second over its interval, a gauge's level at its end."""
    frame = telemetry[telemetry["duration_s"] > 0].copy()
    counters = frame["kind"] == "counter"
    frame["level"] = frame["value"].where(~counters, frame["value"] / frame["duration_s"])
    return frame


def hit_ratios(telemetry: pd.DataFrame) -> pd.DataFrame:
    """<source>.cache_hit_ratio per trial and interval, from counter pairs named as
    `_PAIRS` says (no interval where neither counter moved)."""
    found = []
    metrics = set(telemetry["metric"])
    for hits in sorted(metrics):
        for hit_suffix, miss_suffix in _PAIRS:
            misses = hits.removesuffix(hit_suffix) + miss_suffix
            if not hits.endswith(hit_suffix) or misses not in metrics:
                continue
            keys = [*TRIAL, "start_s", "duration_s"]
            pair = telemetry[telemetry["metric"].isin([hits, misses])]
            wide = pair.pivot_table(index=keys, columns="metric", values="value", aggfunc="sum")
            total = wide[hits] + wide[misses]
            ratio = (wide[hits] / total)[total > 0].rename("level").reset_index()
            source = hits.split(".", 1)[0]
            name = f"{source}.{hits.removeprefix(source + '.').removesuffix(hit_suffix)}"
            ratio["metric"] = f"{name}_{HIT_RATIO}"
            found.append(ratio)
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame()


def engine_metrics(telemetry: pd.DataFrame) -> list[str]:
    """Each metric of the engines' own statistics (not the container's or telemetry's
    own), in name order: each gets a panel of its own."""
    own = telemetry[~telemetry["source"].isin(["container"])]
    return sorted(set(own["metric"]) - {READ_TIME})


def operations_per_trial(workload: WorkloadReport) -> pd.Series:
    throughput = workload.throughput
    if throughput.empty:
        return pd.Series(dtype="float64")
    done = throughput["ops_per_s"] * throughput["duration_s"]
    return done.groupby([throughput[c] for c in TRIAL]).sum()


def cost_rows(workload: WorkloadReport) -> list[tuple[str, ...]]:
    """Per engine (median over its trials): engine CPU µs, bytes read from disk and bytes
    over the network per operation; and the share of the measured time telemetry spent
    reading its sources (on the coordinating process's thread, not the clients')."""
    telemetry = workload.telemetry
    ops = operations_per_trial(workload)
    if telemetry.empty or ops.empty:
        return []
    sums = telemetry.groupby([*TRIAL, "metric"])["value"].sum().unstack("metric")
    measured = telemetry.drop_duplicates([*TRIAL, "interval"]).groupby(TRIAL)["duration_s"].sum()
    rows: list[tuple[str, ...]] = []
    for engine in workload.engines:
        mine = sums[sums.index.get_level_values("engine") == engine]
        if mine.empty:
            continue
        per_op = ops.reindex(mine.index)

        def median(
            metrics: tuple[str, ...],
            scale: float,
            mine: pd.DataFrame = mine,
            ops: pd.Series = per_op,
        ) -> str:
            present = [m for m in metrics if m in mine.columns]
            if not present:
                return "–"
            value = (mine[present].sum(axis=1) / ops * scale).median()
            return f"{value:,.1f}" if pd.notna(value) else "–"

        reads = mine[READ_TIME] if READ_TIME in mine.columns else None
        share = (reads / measured.reindex(mine.index)).median() if reads is not None else None
        rows.append(
            (
                engine,
                f"{per_op.median():,.0f}",
                median(CPU_METRICS, 1e6),
                median(IO_METRICS[:1], 1.0),
                median(NETWORK_METRICS, 1.0),
                f"{share:.3%}" if share is not None and pd.notna(share) else "–",
            )
        )
    return rows


COST_COLUMNS = (
    "engine",
    "operations",
    "engine CPU µs / op",
    "disk bytes read / op",
    "network bytes / op",
    "telemetry reading time",
)

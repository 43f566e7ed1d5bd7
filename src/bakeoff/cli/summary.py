"""The comparison table `bakeoff run` prints, and its warnings about the load generator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table

from bakeoff.cli.common import stdout
from bakeoff.core.formats import format_fixed
from bakeoff.results.reader import load, load_manifest
from bakeoff.results.summary import TOTAL, summarize

_KIND_TITLES = {
    ("service", False): "Closed loop: latencies are service time, in µs",
    ("service", True): "Open loop, service time (from the actual start), in µs",
    ("response", True): "Open loop, response time (from the intended start), in µs",
}
_METRICS = ("ops_per_s", "p50_us", "p99_us", "p999_us", "max_us", "errors")


def print_summary(run_dir: Path) -> None:
    frame = load(run_dir)
    measured = frame[frame["phase"] == "measure"]
    if measured.empty:
        stdout.print("no results were measured")
        return
    kinds = [k for k in ("response", "service") if (measured["latency_kind"] == k).any()]
    open_loop = "response" in kinds
    for kind in kinds:
        _print_summary_table(summarize(frame, latency_kind=kind), _KIND_TITLES[kind, open_loop])
    for warning in saturation_warnings(load_manifest(run_dir)):
        stdout.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _print_summary_table(summary: Any, title: str) -> None:
    # Repetitions: the median trial per engine, with the number of trials beside it.
    grouped = (
        summary.groupby(["workload", "operation", "engine"], sort=False)
        .agg(**{m: (m, "median") for m in _METRICS}, trials=("trial", "nunique"))
        .reset_index()
    )
    grouped["_total"] = grouped["operation"] == TOTAL
    # Operations in name order with TOTAL last; engines fastest first within each.
    grouped = grouped.sort_values(
        ["workload", "_total", "operation", "ops_per_s"], ascending=[True, True, True, False]
    )
    repeated = bool((grouped["trials"] > 1).any())
    table = Table(
        title=title + (" (median of the trials)" if repeated else ""), title_justify="left"
    )
    for column in ("workload", "operation", "engine"):
        table.add_column(column)
    columns = ("ops/s", "p50", "p99", "p99.9", "max", "errors")
    for column in (*columns, "trials") if repeated else columns:
        table.add_column(column, justify="right")
    rows = [{str(k): v for k, v in record.items()} for record in grouped.to_dict("records")]
    previous: tuple[str, str] | None = None
    for row in rows:
        group = (str(row["workload"]), str(row["operation"]))
        cells = [
            group[0] if previous is None or group[0] != previous[0] else "",
            group[1] if group != previous else "",
            str(row["engine"]),
            format_fixed(row["ops_per_s"]),
            format_fixed(row["p50_us"], 1),
            format_fixed(row["p99_us"], 1),
            format_fixed(row["p999_us"], 1),
            format_fixed(row["max_us"], 1),
            format_fixed(row["errors"]),
        ]
        if repeated:
            cells.append(str(int(row["trials"])))
        table.add_row(*cells)
        previous = group
    stdout.print(table)


def saturation_warnings(manifest: dict[str, object]) -> list[str]:
    """One line per trial whose load generator, not the engine, may have been the limit."""
    warnings = []
    trials = manifest.get("trials")
    for trial in trials if isinstance(trials, list) else []:
        measure = (trial.get("load_generator") or {}).get("measure") or {}
        if measure.get("client_saturated"):
            busiest = max(measure.get("client_process_utilisation") or [0.0])
            warnings.append(
                f"{trial['engine']} / {trial['workload']}: the client was saturated "
                f"(busiest process at {busiest:.0%} of a core): these numbers may measure "
                "bakeoff, not the engine; add --processes or lower --rate"
            )
        backlog = measure.get("backlog_operations") or 0
        intended = (measure.get("target_ops_per_s") or 0) * (measure.get("wall_s") or 0)
        # A few operations due in the last milliseconds are normal; 1% is a missed target.
        if backlog > 0.01 * intended:
            warnings.append(
                f"{trial['engine']} / {trial['workload']}: the target rate was not met "
                f"({backlog} operations never started); response times include the backlog"
            )
    return warnings

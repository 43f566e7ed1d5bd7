"""The comparison table `bakeoff run` prints, with the report's checks and caveats.

It prints the `ReportData` that `bakeoff report` renders, so the terminal, the report and
its exports show the same figures (`bakeoff.results.figures` defines each).
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from bakeoff.cli.common import stdout
from bakeoff.core.formats import format_fixed, format_range
from bakeoff.report.build import ReportError, build_report
from bakeoff.report.html import operation_label, row_groups
from bakeoff.report.views import KindReport, ReportData, WorkloadReport
from bakeoff.results.summary import TOTAL

_KIND_TITLES = {
    ("service", False): "Closed loop: latencies are service time, in µs",
    ("service", True): "Open loop, service time (from the actual start), in µs",
    ("response", True): "Open loop, response time (from the intended start), in µs",
}


def print_summary(run_dir: Path) -> None:
    try:
        report = build_report(run_dir)
    except ReportError:
        stdout.print("no results were measured")
        return
    print_report_summary(report)


def print_report_summary(report: ReportData) -> None:
    """Caveats, one table per latency kind, then the checks: what to doubt before quoting."""
    if report.caveats:
        stdout.print("[bold]Read this first[/bold]")
        for caveat in report.caveats:
            stdout.print(f"  • {escape(caveat)}", highlight=False)
    kinds = dict.fromkeys(k.kind for w in report.workloads for k in w.kinds)
    open_loop = "response" in kinds
    for kind in (k for k in ("response", "service") if k in kinds):
        _print_table(report, kind, _KIND_TITLES.get((kind, open_loop), f"{kind} time, in µs"))
    if report.checks:
        stdout.print("[bold yellow]Before quoting a number[/bold yellow] (the checks column)")
        for check in report.checks:
            stdout.print(f"  [yellow]•[/yellow] {escape(check)}", highlight=False)


def _print_table(report: ReportData, kind_name: str, title: str) -> None:
    pairs = [(w, k) for w in report.workloads for k in w.kinds if k.kind == kind_name]
    most = max((r.trials for _, k in pairs for r in k.rows), default=1)
    if most > 1:
        spread = "95% CI" if most >= 6 else "range of the trials"
        title += f"; ops/s: median of {most} trials ({spread} beside it)"
    table = Table(title=title, title_justify="left")
    for column in ("workload", "operation", "engine"):
        table.add_column(column)
    numbers = ["ops/s", *(["spread"] if most > 1 else []), "share"]
    numbers += ["p50", "p99", "p99.9", "max (all trials)", "errors"]
    for column in numbers:
        table.add_column(column, justify="right")
    table.add_column("checks", style="yellow")
    for workload, kind in pairs:
        _add_rows(table, workload, kind, spread=most > 1)
    stdout.print(table)


def _add_rows(table: Table, workload: WorkloadReport, kind: KindReport, *, spread: bool) -> None:
    first = True
    for operation, rows in row_groups(workload, kind):
        # Engines fastest first within each operation.
        for position, row in enumerate(sorted(rows, key=lambda r: -r.ops_per_s)):
            cells = [
                workload.label if first else "",
                operation_label(workload, operation) if position == 0 else "",
                row.engine,
                format_fixed(row.ops_per_s),
            ]
            if spread:
                cells.append(format_range(row.ops_low, row.ops_high) if row.has_spread else "")
            cells += [
                "" if operation == TOTAL else f"{row.share:.0%}",
                format_fixed(row.p50_us, 1),
                format_fixed(row.p99_us, 1),
                format_fixed(row.p999_us, 1),
                format_fixed(row.max_us, 1),
                format_fixed(row.errors),
                escape(" ".join(row.flags(short=True))),
            ]
            table.add_row(*cells)
            first = False

"""The comparison table `bakeoff run` prints, with the report's checks and caveats.

It prints the `ReportData` that `bakeoff report` renders, so the terminal, the report and
its exports show the same figures (`bakeoff.results.figures` defines each).
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table

from bakeoff.cli.common import stdout
from bakeoff.core.formats import format_number
from bakeoff.report.build import ReportError, build_report
from bakeoff.report.fault_table import availability_section
from bakeoff.report.html import operation_label, row_groups
from bakeoff.report.section_parts import Section
from bakeoff.report.views import KindReport, ReportData, WorkloadReport
from bakeoff.results.figures import ENOUGH_FOR_INTERVAL
from bakeoff.results.summary import TOTAL

_TERMINAL_HEADINGS = (
    *("detect", "down", "recover", "p99 pre", "p99 in", "p99 post"),
    *("stable", "lost", "stale"),
)
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
    if (faults := availability_section(report.availability)) is not None:
        _print_availability(faults)
    if report.checks:
        stdout.print("[bold yellow]Before quoting a number[/bold yellow] (the checks column)")
        for check in report.checks:
            stdout.print(f"  [yellow]•[/yellow] {escape(check)}", highlight=False)


def _print_table(report: ReportData, kind_name: str, title: str) -> None:
    """One table per workload: a workload column would not fit 120 columns."""
    for workload in report.workloads:
        for kind in (k for k in workload.kinds if k.kind == kind_name):
            most = max((r.trials for r in kind.rows), default=1)
            heading = f"{workload.label}. {title}; max: the largest of all trials"
            if most > 1:
                spread = "95% CI" if most >= ENOUGH_FOR_INTERVAL else "range of the trials"
                heading += f"; ops/s: median of {most} trials ({spread} under it)"
            table = Table(title=heading, title_justify="left")
            table.add_column("operation")
            table.add_column("engine")
            for column in ("ops/s", "share", "p50", "p99", "p99.9", "max", "errors"):
                table.add_column(column, justify="right")
            table.add_column("checks", style="yellow")
            _add_rows(table, workload, kind)
            stdout.print(table)


def _print_availability(section: Section) -> None:
    """The report's availability table, narrowed to a terminal (the report adds the
    workload and the durability settings)."""
    (source,) = section.tables
    table = Table(
        title="Availability under faults, s and µs (docs/faults.md)", title_justify="left"
    )
    table.add_column("engine")
    table.add_column("fault", overflow="fold")
    for heading in _TERMINAL_HEADINGS:
        table.add_column(heading, justify="right")
    for row in source.rows:
        table.add_row(*(escape(cell) for cell in (row[0], row[2], *row[3:-1])))
    stdout.print(table)


def _add_rows(table: Table, workload: WorkloadReport, kind: KindReport) -> None:
    """Engines fastest first within each operation; the same numbers as the report's
    tables, written the same way."""
    for operation, rows in row_groups(workload, kind):
        for position, row in enumerate(sorted(rows, key=lambda r: -r.ops_per_s)):
            rate = format_number(row.ops_per_s)
            if row.has_spread:
                rate += "\n" + row.spread_text()
            table.add_row(
                operation_label(workload, operation) if position == 0 else "",
                row.engine,
                rate,
                "" if operation == TOTAL else f"{row.share:.0%}",
                *(format_number(v) for v in (row.p50_us, row.p99_us, row.p999_us, row.max_us)),
                f"{row.errors:,}",
                escape(" ".join(row.flags(short=True))),
                end_section=position == len(rows) - 1,
            )

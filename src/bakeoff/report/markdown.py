"""The report as Markdown: the same tables as the HTML page, and the plots as image files
in a folder beside it, for a README, a pull request or a blog post.

Markdown renderers pass raw HTML through, so every value from a run is escaped both for
Markdown (table pipes, emphasis) and for HTML.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from bakeoff import __version__
from bakeoff.core.formats import format_number
from bakeoff.report.capacity_tables import capacity_section
from bakeoff.report.error_latency import with_error_latency
from bakeoff.report.fault_table import availability_section
from bakeoff.report.html import (
    CLEAN_TEXT,
    SUMMARY_TABLE_COLUMNS,
    kind_heading,
    operation_label,
    row_groups,
    summary_note,
)
from bakeoff.report.methodology import methodology
from bakeoff.report.plot_parts import Plot
from bakeoff.report.plots import TIME_SERIES_MISSING, has_time_series
from bakeoff.report.plots_capacity import CAPACITY_PLOTS
from bakeoff.report.query_plans_section import with_query_plans
from bakeoff.report.section_parts import Section, Table
from bakeoff.report.views import KindReport, ReportData, SummaryRow, WorkloadReport
from bakeoff.results.summary import TOTAL

_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape_md(text: str) -> str:
    """Text that renders as itself in Markdown, in a table cell too."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _SPECIAL.sub(r"\\\1", text)
    return " ".join(text.split())


def render_markdown(report: ReportData, plots: Sequence[Plot], images: Mapping[str, str]) -> str:
    """The document. `images` maps each plot's slug to its path relative to the file."""
    lines = [f"# {escape_md(report.title)}", "", _lede(report), "", *_headline(report)]
    if (faults := availability_section(report.availability)) is not None:
        lines += [f"## {escape_md(faults.heading)}", "", *_section(faults)[2:]]
    for workload in report.workloads:
        lines += _workload(workload, plots, images)
    lines += _capacity(report, plots, images)
    lines += ["## Methodology", ""]
    for section in with_query_plans(with_error_latency(methodology(report), report), report):
        lines += _section(section)
    lines += [
        "---",
        "",
        f"Made by bakeoff {escape_md(__version__)} from the result store (Parquet and "
        "manifests), not from a live run.",
        "",
    ]
    return "\n".join(lines)


def _lede(report: ReportData) -> str:
    trials = report.trials.drop_duplicates(["run_id", "trial"]).shape[0]
    runs = len(report.runs)
    engines = ", ".join(escape_md(e) for e in report.engine_names)
    return (
        f"*{engines}: {trials} trials from {runs} run{'s' if runs != 1 else ''}. "
        "Latencies in µs; ops/s counts successful operations.*"
    )


def _headline(report: ReportData) -> list[str]:
    lines: list[str] = []
    if report.caveats:
        lines += ["## Read this first", ""]
        lines += [f"- {_inline(caveat)}" for caveat in report.caveats]
        lines.append("")
    lines += ["## Before quoting a number", ""]
    if report.checks:
        lines += [f"- {_inline(check)}" for check in report.checks]
    else:
        lines.append(escape_md(CLEAN_TEXT))
    return [*lines, ""]


def _workload(
    workload: WorkloadReport, plots: Sequence[Plot], images: Mapping[str, str]
) -> list[str]:
    lines = [f"## Workload {escape_md(workload.label)}", ""]
    description = workload.spec.get("description")
    if isinstance(description, str) and description:
        lines += [escape_md(description), ""]
    for kind in workload.kinds:
        lines += _summary_table(workload, kind)
    if not has_time_series(workload):
        lines += [f"*{escape_md(TIME_SERIES_MISSING)}*", ""]
    return lines + _plots(plots, images, workload.label)


def _capacity(report: ReportData, plots: Sequence[Plot], images: Mapping[str, str]) -> list[str]:
    section = capacity_section(report)
    if section is None:
        return []
    lines = ["## Capacity", "", *_table(section.table)]
    for note in section.notes:
        lines += [_inline(note), ""]
    if section.warnings:
        lines += [*(f"- {_inline(warning)}" for warning in section.warnings), ""]
    lines += _plots(plots, images, CAPACITY_PLOTS)
    if section.steps:
        lines += ["### Step history", ""]
        for steps in section.steps:
            lines += _table(steps)
    return lines


def _plots(plots: Sequence[Plot], images: Mapping[str, str], label: str) -> list[str]:
    lines: list[str] = []
    for plot in plots:
        if plot.workload == label and plot.slug in images:
            lines += [
                f"![{escape_md(plot.title)}]({images[plot.slug]})",
                "",
                f"*{escape_md(plot.title)}.* {escape_md(plot.caption)}",
                "",
            ]
    return lines


def _summary_table(workload: WorkloadReport, kind: KindReport) -> list[str]:
    header = ["operation", "engine", *(c.heading for c in SUMMARY_TABLE_COLUMNS), "checks"]
    lines = [
        f"### {escape_md(kind_heading(kind))}",
        "",
        escape_md(summary_note(kind, spread_at="in parentheses")),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---", "---", *("--:" for _ in SUMMARY_TABLE_COLUMNS), "---"]) + "|",
    ]
    for operation, rows in row_groups(workload, kind):
        for row in rows:
            cells = [escape_md(operation_label(workload, operation)), escape_md(row.engine)]
            cells += [_cell(row, column.field) for column in SUMMARY_TABLE_COLUMNS]
            cells.append(escape_md(", ".join(row.flags())))
            lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def _cell(row: SummaryRow, field: str) -> str:
    value = getattr(row, field)
    if field == "ops_per_s":
        spread = row.spread_text()
        text = format_number(value)
        return f"{text} ({spread})" if spread else text
    if field == "share":
        return "" if row.operation == TOTAL or not math.isfinite(value) else f"{value:.0%}"
    if isinstance(value, int):
        return f"**{value:,}**" if field == "errors" and value else f"{value:,}"
    return format_number(float(value))


def _section(section: Section) -> list[str]:
    lines = [f"### {escape_md(section.heading)}", ""]
    for paragraph in section.paragraphs:
        lines += [_inline(paragraph), ""]
    for table in section.tables:
        lines += _table(table)
    return lines


def _inline(text: str) -> str:
    pieces = text.split("`")
    return "".join(f"`{piece}`" if i % 2 else escape_md(piece) for i, piece in enumerate(pieces))


def _table(table: Table) -> list[str]:
    lines = []
    if table.title:
        lines += [f"**{escape_md(table.title)}**", ""]
    columns = [escape_md(c) or " " for c in table.columns]
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "|".join("---" for _ in columns) + "|")
    for index, row in enumerate(table.rows):
        if index in table.groups:
            heading = f"**{escape_md(row[0])}**"
            lines.append("| " + " | ".join([heading, *("" for _ in row[1:])]) + " |")
            continue
        cells = [escape_md(cell) for cell in row]
        if index in table.marked:
            # Durability settings: bold names, so the rows stand out without colour.
            cells[0] = f"**{cells[0]}** ⚑"
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines

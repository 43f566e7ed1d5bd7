"""The report as one self-contained HTML page: inline CSS, plots as inline SVG, no script
and nothing fetched, so it opens offline, mails as one file and prints.

The page is the Jinja2 templates in `templates/` (report.html.j2 includes the headline,
each workload and each methodology section), rendered with autoescaping: every value
from a run is escaped by the template engine; only the SVG that matplotlib wrote is
marked safe.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from bakeoff import __version__
from bakeoff.core.formats import format_number
from bakeoff.report.capacity_tables import capacity_section
from bakeoff.report.error_latency import with_error_latency
from bakeoff.report.fault_table import availability_section
from bakeoff.report.methodology import methodology
from bakeoff.report.plot_parts import Plot, slugify
from bakeoff.report.plots import TIME_SERIES_MISSING, has_time_series, report_colors
from bakeoff.report.plots_capacity import CAPACITY_PLOTS
from bakeoff.report.query_plans_section import with_query_plans
from bakeoff.report.views import KindReport, ReportData, SummaryRow, WorkloadReport
from bakeoff.results.figures import ENOUGH_FOR_INTERVAL, LEVEL
from bakeoff.results.summary import TOTAL
from bakeoff.results.validity import MIN_INTERVALS, MIN_MEASURED_S


@dataclass(frozen=True)
class Column:
    field: str
    """The SummaryRow field shown."""
    heading: str


SUMMARY_TABLE_COLUMNS = (
    Column("ops_per_s", "ops/s"),
    Column("share", "share"),
    Column("p50_us", "p50"),
    Column("p99_us", "p99"),
    Column("p999_us", "p99.9"),
    Column("max_us", "max"),
    Column("errors", "errors"),
)
"""The columns of every summary table; latencies are µs. A `checks` column follows."""

CLEAN_TEXT = (
    f"No doubts found: every measured phase lasted at least {MIN_MEASURED_S:g} s over "
    f"{MIN_INTERVALS} or more intervals, throughput was stable within and across trials, no "
    "ranking flipped between repetitions, and no operation failed."
)


def render_html(report: ReportData, plots: Sequence[Plot], svgs: Mapping[str, str]) -> str:
    """The page. `svgs` maps each plot's slug to its `<svg>` markup (see plots.to_svg)."""
    by_workload: dict[str, list[Plot]] = {}
    for plot in plots:
        by_workload.setdefault(plot.workload, []).append(plot)
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        version=__version__,
        lede=lede(report),
        sections=with_query_plans(with_error_latency(methodology(report), report), report),
        plots=by_workload,
        svgs={plot.slug: _svg(plot, svgs[plot.slug]) for plot in plots},
        colors=report_colors(report),
        capacity=capacity_section(report),
        capacity_plots=CAPACITY_PLOTS,
        columns=SUMMARY_TABLE_COLUMNS,
        total=TOTAL,
        clean_text=CLEAN_TEXT,
        time_series_missing=TIME_SERIES_MISSING,
        availability=availability_section(report.availability),
    )


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("bakeoff.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        slugify=slugify,
        inline=inline,
        number=format_number,
        percent=_percent,
        exact=_exact,
    )
    env.globals.update(
        kind_heading=kind_heading,
        summary_note=summary_note,
        row_groups=row_groups,
        operation_label=operation_label,
        has_time_series=has_time_series,
        table_class=_table_class,
    )
    return env


def lede(report: ReportData) -> str:
    runs = len(report.runs)
    trials = report.trials.drop_duplicates(["run_id", "trial"]).shape[0]
    dates = sorted(r.started_at[:10] for r in report.runs if r.started_at)
    when = ""
    if dates:
        when = f", {dates[0]}" if dates[0] == dates[-1] else f", {dates[0]} to {dates[-1]}"
    engines, workloads = len(report.engines), len(report.workloads)
    return (
        f"{engines} engine{'s' if engines != 1 else ''} × "
        f"{workloads} workload{'s' if workloads != 1 else ''}, "
        f"{trials} trials from {runs} run{'s' if runs != 1 else ''}{when}. "
        "Latencies in µs; ops/s counts successful operations."
    )


def kind_heading(kind: KindReport) -> str:
    return f"Summary: {kind.kind} time"


def summary_note(kind: KindReport, *, spread_at: str = "below it") -> str:
    counts = [row.trials for row in kind.rows] or [1]
    note = (
        f"Latencies in µs ({kind.kind} time), from every operation of every trial merged: "
        "max is the largest of all. An operation's ops/s is its share of the engine's "
        "throughput, not what the engine could do of that operation alone. "
    )
    if max(counts) == 1:
        return note + "One trial per engine: nothing says how much it varies (--repeat)."
    interval = f"the {LEVEL:.0%} confidence interval of that median"
    if min(counts) >= ENOUGH_FOR_INTERVAL:
        spread = interval
    elif max(counts) < ENOUGH_FOR_INTERVAL:
        spread = "their range (too few trials for a confidence interval)"
    else:
        spread = (
            f"{interval} where an engine has {ENOUGH_FOR_INTERVAL} trials or more, else their range"
        )
    most = "" if min(counts) == max(counts) else f" (up to {max(counts)})"
    note += f"ops/s is the median of an engine's trials{most}, with {spread} {spread_at}; "
    return note + "errors are summed."


def row_groups(workload: WorkloadReport, kind: KindReport) -> list[tuple[str, list[SummaryRow]]]:
    """(operation, its rows) in the workload's order, operations without rows left out."""
    groups = [(op, [r for r in kind.rows if r.operation == op]) for op in workload.operations]
    return [(op, rows) for op, rows in groups if rows]


def operation_label(workload: WorkloadReport, operation: str) -> str:
    if operation == TOTAL:
        return "all operations"
    if TOTAL not in workload.operations:
        return f"{operation} (all ops)"
    return operation


def inline(text: str) -> Markup:
    """Escaped text where `code` spans become <code>."""
    pieces = text.split("`")
    return Markup("").join(
        Markup("<code>{}</code>").format(piece) if i % 2 else escape(piece)
        for i, piece in enumerate(pieces)
    )


def _svg(plot: Plot, svg: str) -> Markup:
    # The SVG gets an accessible name; matplotlib's own markup is kept as written.
    label = escape(f"{plot.title}. {plot.caption}")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S704


def _percent(value: float) -> str:
    return f"{value:.0%}" if math.isfinite(value) else "–"


def _exact(value: float) -> str:
    return repr(float(value))


def _table_class(slug: str) -> str:
    return {"engines": "setup", "workloads": "kv", "runs": "runs"}.get(slug, "plain")

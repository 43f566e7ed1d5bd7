"""The report as one self-contained HTML page: inline CSS, plots as inline SVG, no script
and nothing fetched, so it opens offline, mails as one file and prints.

Every value that comes from a run goes through `html.escape`; only the SVG that
matplotlib wrote is inserted as markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape

from bakeoff import __version__
from bakeoff.core.formats import format_number
from bakeoff.report.error_latency import with_error_latency
from bakeoff.report.methodology import Section, Table, methodology
from bakeoff.report.plot_parts import Plot, slugify
from bakeoff.report.plots import TIME_SERIES_MISSING, engine_colors, has_time_series
from bakeoff.report.views import Estimate, KindReport, ReportData, SummaryRow, WorkloadReport
from bakeoff.results.summary import TOTAL

SUMMARY_TABLE_COLUMNS = (
    ("ops_per_s", "ops/s"),
    ("p50_us", "p50"),
    ("p99_us", "p99"),
    ("p999_us", "p99.9"),
    ("max_us", "max"),
    ("errors", "errors"),
)
"""(SummaryRow field, column heading) of every summary table; latencies are µs."""

_CSS = """
:root {
  --ink: #1d1f23; --muted: #5b6270; --rule: #d9dce1; --zebra: #f6f7f9;
  --accent: #1f5fa8; --mark: #fff4d6;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; color: var(--ink); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    sans-serif;
}
.page { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1.5rem 3rem; }
h1 { font-size: 1.7em; line-height: 1.25; margin: 0 0 .4rem; }
h2 {
  font-size: 1.3em; margin: 2.4rem 0 .6rem; padding-bottom: .25rem;
  border-bottom: 2px solid var(--rule);
}
h3 { font-size: 1.05em; margin: 1.6rem 0 .4rem; }
p { margin: .4rem 0 .8rem; max-width: 60rem; }
.lede { color: var(--muted); margin-bottom: 1rem; }
a { color: var(--accent); }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
nav.toc {
  background: var(--zebra); border: 1px solid var(--rule); border-radius: 6px;
  padding: .6rem 1rem; margin: 1rem 0 1.5rem; font-size: .93em;
}
nav.toc div { margin: .15rem 0; }
nav.toc ul { display: inline; margin: 0; padding: 0; }
nav.toc li { display: inline; }
nav.toc li + li::before { content: " · "; color: var(--muted); }
nav.toc .label { font-weight: 600; margin-right: .4rem; }
.table-wrap { overflow-x: auto; margin: .5rem 0 1.2rem; }
table { border-collapse: collapse; font-size: .9em; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { text-align: left; font-weight: 600; background: var(--zebra); }
thead th { border-bottom: 2px solid var(--rule); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.op { font-weight: 600; background: #fff; }
tr.op-start td { border-top: 2px solid var(--rule); }
tr.total td { background: var(--zebra); }
td.engine { white-space: nowrap; }
.swatch {
  display: inline-block; width: .7em; height: .7em; border-radius: 2px;
  margin-right: .4em; vertical-align: baseline;
}
.ci { display: block; color: var(--muted); font-size: .85em; }
td.bad { color: #a0281e; font-weight: 600; }
table.kv td:first-child, table.setup td:first-child { font-weight: 600; white-space: nowrap; }
table.setup td, table.setup th { min-width: 8rem; }
tr.group td {
  background: #eef1f5; font-weight: 700; border-top: 2px solid var(--rule);
}
tr.marked td { background: var(--mark); }
table.runs td.wrap { overflow-wrap: anywhere; min-width: 12em; }
caption {
  caption-side: top; text-align: left; color: var(--muted); font-size: .85em;
  padding: 0 0 .3rem;
}
figure { margin: 1.2rem 0 2rem; break-inside: avoid; page-break-inside: avoid; }
figure svg { display: block; width: 100%; height: auto; max-width: 100%; }
figcaption { font-size: .88em; color: var(--muted); margin-top: .3rem; max-width: 60rem; }
figcaption strong { color: var(--ink); }
.note { font-size: .88em; color: var(--muted); }
footer { margin-top: 3rem; color: var(--muted); font-size: .85em; }
@media (max-width: 700px) {
  body { font-size: 14px; }
  .page { padding: 1rem .8rem 2rem; }
}
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 9.5pt; }
  .page { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  section.workload { break-before: page; page-break-before: always; }
  section.workload:first-of-type { break-before: auto; page-break-before: auto; }
  .table-wrap { overflow: visible; }
  table { font-size: 8pt; }
  td.engine, thead th { white-space: normal; }
  table.runs td.wrap { min-width: 8em; }
  td.num, th.num { white-space: nowrap; }
  td { overflow-wrap: anywhere; }
  tr, figure { break-inside: avoid; page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  th, tr.group td, tr.marked td, tr.total td, .swatch {
    -webkit-print-color-adjust: exact; print-color-adjust: exact;
  }
}
"""


def render_html(report: ReportData, plots: Sequence[Plot], svgs: Mapping[str, str]) -> str:
    """The page. `svgs` maps each plot's slug to its `<svg>` markup (see plots.to_svg)."""
    by_workload: dict[str, list[Plot]] = {}
    for plot in plots:
        by_workload.setdefault(plot.workload, []).append(plot)
    colors = engine_colors(report.engine_names)
    sections = with_error_latency(methodology(report), report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="bakeoff {escape(__version__)}">',
        f"<title>{escape(report.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        '<div class="page">',
        "<header>",
        f"<h1>{escape(report.title)}</h1>",
        f'<p class="lede">{escape(_lede(report))}</p>',
        "</header>",
        _toc(report, sections),
        "<main>",
    ]
    for workload in report.workloads:
        parts.append(_workload(workload, by_workload.get(workload.label, []), svgs, colors))
    parts.append('<section id="methodology" class="methodology">')
    parts.append("<h2>Methodology</h2>")
    parts.extend(_section(section) for section in sections)
    parts.append("</section>")
    parts += [
        "</main>",
        "<footer>",
        f"<p>Made by bakeoff {escape(__version__)} from the result store (Parquet and "
        "manifests), not from a live run: rebuilding it from the same runs gives the same "
        "page.</p>",
        "</footer>",
        "</div>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _lede(report: ReportData) -> str:
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


def _toc(report: ReportData, sections: Sequence[Section]) -> str:
    workloads = "".join(
        f'<li><a href="#workload-{escape(slugify(w.label))}">{escape(w.label)}</a></li>'
        for w in report.workloads
    )
    methods = "".join(
        f'<li><a href="#{escape(s.slug)}">{escape(s.heading)}</a></li>' for s in sections
    )
    return (
        '<nav class="toc" aria-label="Contents">'
        f'<div><span class="label">Workloads</span><ul>{workloads}</ul></div>'
        f'<div><a class="label" href="#methodology">Methodology</a><ul>{methods}</ul></div>'
        "</nav>"
    )


def _workload(
    workload: WorkloadReport,
    plots: Sequence[Plot],
    svgs: Mapping[str, str],
    colors: Mapping[str, str],
) -> str:
    anchor = f"workload-{slugify(workload.label)}"
    parts = [
        f'<section class="workload" id="{escape(anchor)}">',
        f"<h2>Workload {escape(workload.label)}</h2>",
    ]
    description = workload.spec.get("description")
    if isinstance(description, str) and description:
        parts.append(f"<p>{escape(description)}</p>")
    for kind in workload.kinds:
        parts.append(_summary_table(workload, kind, colors))
    if not has_time_series(workload):
        parts.append(f'<p class="note">{escape(TIME_SERIES_MISSING)}</p>')
    for plot in plots:
        parts.append(_figure(plot, svgs[plot.slug]))
    parts.append("</section>")
    return "\n".join(parts)


def kind_heading(kind: KindReport) -> str:
    return f"Summary: {kind.kind} time"


def summary_note(kind: KindReport, *, interval_at: str = "below it") -> str:
    repetitions = max((row.repetitions for row in kind.rows), default=1)
    note = f"Latencies in µs ({kind.kind} time). "
    if repetitions > 1:
        note += (
            f"Up to {repetitions} trials per engine: each number is their median, "
            f"with its 95% confidence interval {interval_at}; max is over all trials, "
            "errors are summed."
        )
    else:
        note += "One trial per engine: no confidence intervals (repeat with --repeat)."
    return note


def _summary_table(workload: WorkloadReport, kind: KindReport, colors: Mapping[str, str]) -> str:
    head = "".join(
        f'<th class="num" scope="col">{escape(label)}</th>' for _, label in SUMMARY_TABLE_COLUMNS
    )
    rows: list[str] = []
    operations = [op for op in workload.operations if any(r.operation == op for r in kind.rows)]
    for operation in operations:
        group = [r for r in kind.rows if r.operation == operation]
        for position, row in enumerate(group):
            classes = []
            if position == 0:
                classes.append("op-start")
            if operation == TOTAL:
                classes.append("total")
            cells = []
            if position == 0:
                label = "all operations" if operation == TOTAL else operation
                cells.append(
                    f'<td class="op" rowspan="{len(group)}" scope="rowgroup">{escape(label)}</td>'
                )
            swatch = f'<span class="swatch" style="background:{escape(colors[row.engine])}">'
            cells.append(f'<td class="engine">{swatch}</span>{escape(row.engine)}</td>')
            cells.extend(_summary_cell(row, field) for field, _ in SUMMARY_TABLE_COLUMNS)
            rows.append(
                f'<tr class="{" ".join(classes)}" data-operation="{escape(row.operation)}" '
                f'data-engine="{escape(row.engine)}" data-repetitions="{row.repetitions}">'
                + "".join(cells)
                + "</tr>"
            )
    return (
        f"<h3>{escape(kind_heading(kind))}</h3>"
        f'<p class="note">{escape(summary_note(kind))}</p>'
        '<div class="table-wrap">'
        f'<table class="summary" data-workload="{escape(workload.label)}" '
        f'data-kind="{escape(kind.kind)}">'
        f'<thead><tr><th scope="col">operation</th><th scope="col">engine</th>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _summary_cell(row: SummaryRow, field: str) -> str:
    value = getattr(row, field)
    if isinstance(value, Estimate):
        interval = value.interval_text()
        ci = ""
        if interval:
            ci = (
                f'<span class="ci" data-low="{value.low!r}" data-high="{value.high!r}">'
                f"{escape(interval)}</span>"
            )
        return (
            f'<td class="num" data-field="{field}" data-value="{value.value!r}">'
            f"{escape(format_number(value.value))}{ci}</td>"
        )
    if isinstance(value, int):
        bad = " bad" if field == "errors" and value > 0 else ""
        return f'<td class="num{bad}" data-field="{field}" data-value="{value}">{value:,}</td>'
    number = float(value)
    return (
        f'<td class="num" data-field="{field}" data-value="{number!r}">'
        f"{escape(format_number(number))}</td>"
    )


def _figure(plot: Plot, svg: str) -> str:
    # The SVG gets an accessible name; matplotlib's own markup is kept as written.
    label = escape(f"{plot.title}. {plot.caption}")
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)
    return (
        f'<figure id="plot-{escape(plot.slug)}" data-plot="{escape(plot.slug)}">'
        f"{svg}"
        f"<figcaption><strong>{escape(plot.title)}.</strong> {escape(plot.caption)}"
        "</figcaption></figure>"
    )


def _section(section: Section) -> str:
    parts = [f'<section id="{escape(section.slug)}">', f"<h3>{escape(section.heading)}</h3>"]
    parts.extend(f"<p>{_inline(p)}</p>" for p in section.paragraphs)
    parts.extend(_table(table, section.slug) for table in section.tables)
    parts.append("</section>")
    return "\n".join(parts)


def _inline(text: str) -> str:
    """Escaped text where `code` spans become <code>."""
    pieces = text.split("`")
    return "".join(
        f"<code>{escape(piece)}</code>" if i % 2 else escape(piece)
        for i, piece in enumerate(pieces)
    )


def _table(table: Table, kind: str) -> str:
    css = {"engines": "setup", "workloads": "kv", "runs": "runs"}.get(kind, "plain")
    caption = f"<caption>{escape(table.title)}</caption>" if table.title else ""
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in table.columns)
    body = []
    for index, row in enumerate(table.rows):
        if index in table.groups:
            body.append(
                f'<tr class="group"><td colspan="{len(table.columns)}">{escape(row[0])}</td></tr>'
            )
            continue
        marked = ' class="marked"' if index in table.marked else ""
        body.append(f"<tr{marked}>{_cells(row, wrap=kind == 'runs')}</tr>")
    return (
        f'<div class="table-wrap"><table class="{css}" data-section="{escape(kind)}">'
        f"{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _cells(row: Iterable[str], *, wrap: bool) -> str:
    cells = list(row)
    out = []
    for i, cell in enumerate(cells):
        # The command line and options are long single tokens: let them wrap.
        cls = ' class="wrap"' if wrap and i >= len(cells) - 2 else ""
        out.append(f"<td{cls}>{escape(cell)}</td>")
    return "".join(out)

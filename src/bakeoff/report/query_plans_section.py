"""The report's "Query plans" section: per workload, engine and query shape, the access
path each engine chose after the load and after the run, with full scans flagged, and
(in HTML) each engine's own plan behind a disclosure (docs/query-plans.md)."""

from __future__ import annotations

from bakeoff.core.formats import format_number
from bakeoff.core.query_plans import QueryPlan
from bakeoff.report.section_parts import Section, Table
from bakeoff.report.views import ReportData
from bakeoff.results.query_plans import TrialPlans

COLUMNS = (
    "workload",
    "engine",
    "shape",
    "when",
    "access path",
    "index",
    "est. rows",
    "actual rows",
    "the engine's words",
)
FULL_SCAN_FLAG = "⚠ full scan"


def with_query_plans(sections: tuple[Section, ...], report: ReportData) -> tuple[Section, ...]:
    section = query_plans_section(report)
    return sections if section is None else (*sections, section)


def query_plans_section(report: ReportData) -> Section | None:
    """The section, or None when no engine of the report was explained or could be."""
    rows: list[tuple[str, ...]] = []
    marked: set[int] = set()
    details: list[tuple[str, str]] = []
    for trial in report.query_plans:
        for plan in sorted(trial.plans, key=lambda p: (p.shape, p.moment)):
            if plan.full_scan:
                marked.add(len(rows))
            rows.append(_row(trial, plan))
            summary = f"{trial.engine} · {trial.workload} · {plan.shape} · {plan.moment}"
            details.append((summary, f"{plan.statement}\n\n{plan.raw}".strip()))
    missing = report.plans_missing
    if not rows and not missing:
        return None
    paragraphs = [
        "Each query shape the workload sends, explained on the runner's own connection "
        "after the load and again after the run, off the measured path: PostgreSQL "
        "EXPLAIN (ANALYZE, BUFFERS) and MariaDB ANALYZE FORMAT=JSON for reads (a write is "
        "only planned, never executed), SQLite EXPLAIN QUERY PLAN, DuckDB EXPLAIN ANALYZE "
        "(a write in a transaction rolled back), MongoDB and FerretDB explain, Cassandra "
        "the trace of one read. Actual rows are measured only where "
        "the statement ran. A full scan reads the whole table for each operation: its "
        "cost grows with the data. Each engine's own plan is in the HTML report (under "
        "the table) and in plans.json in the run folder."
    ]
    scans = sorted(
        {
            f"{t.engine} {p.shape} ({t.workload})"
            for t in report.query_plans
            for p in t.plans
            if p.full_scan
        }
    )
    if scans:
        paragraphs.append(f"Full scans: {', '.join(scans)}.")
    paragraphs += [f"{engine}: {why}." for engine, why in missing]
    table = Table(COLUMNS, tuple(rows), marked=frozenset(marked))
    return Section("query-plans", "Query plans", tuple(paragraphs), (table,), tuple(details))


def _row(trial: TrialPlans, plan: QueryPlan) -> tuple[str, ...]:
    path = FULL_SCAN_FLAG if plan.full_scan else plan.access_path.value
    words = "; ".join(part for part in (plan.detail, plan.note or "") if part)
    return (
        trial.workload,
        trial.engine,
        plan.shape,
        plan.moment,
        path,
        plan.index or "",
        _rows(plan.estimated_rows),
        _rows(plan.actual_rows),
        words,
    )


def _rows(value: float | None) -> str:
    return "" if value is None else format_number(value)

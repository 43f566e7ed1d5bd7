"""The methodology's section on the load-generator nodes of a Ray cluster (--cluster)."""

from __future__ import annotations

from bakeoff.core.formats import as_text, format_memory
from bakeoff.report.section_parts import Section, Table
from bakeoff.report.views import ReportData


def cluster_section(report: ReportData) -> Section:
    rows = []
    for run in report.runs:
        for node in run.cluster_nodes:
            offset = node.get("clock_offset_ns")
            uncertainty = node.get("clock_offset_uncertainty_ns")
            workers = node.get("workers")
            rows.append(
                (
                    run.run_id,
                    as_text(node.get("trial")),
                    as_text(node.get("host")),
                    as_text(node.get("cores")),
                    format_memory(node.get("memory_bytes")),
                    f"Ray {as_text(node.get('ray'))}, Python {as_text(node.get('python'))}",
                    f"{as_text(offset)} ± {as_text(uncertainty)} ns",
                    f"{len(workers) if isinstance(workers, list) else '?'} "
                    f"({as_text(node.get('connections'))})",
                    as_text(node.get("operations")),
                    "yes" if node.get("client_saturated") else "no",
                    "lost" if node.get("lost") else "–",
                )
            )
    columns: tuple[str, ...] = ("run", "trial", "host", "cores", "memory", "versions")
    columns += ("clock offset", "workers (connections)", "operations", "client saturated", "lost")
    return Section(
        "cluster",
        "Load-generator nodes",
        (
            "The workers ran as Ray actors on these nodes (--cluster, docs/distributed.md). "
            "Each node's monotonic clock differs from the driver's by the offset, measured "
            "from round trips; the intervals of every node were aligned by it before their "
            "histograms were merged, so an offset's uncertainty is the most an operation "
            "can be placed in the wrong interval.",
        ),
        (Table(columns, tuple(rows)),),
    )

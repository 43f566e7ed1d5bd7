"""The methodology section: how the numbers were made, from the runs' manifests, as
neutral tables and paragraphs that both renderers (HTML, Markdown) lay out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from bakeoff.core.formats import as_text, format_memory, format_timestamp
from bakeoff.report import dashboard
from bakeoff.report.cluster_section import cluster_section
from bakeoff.report.section_parts import Section, Table
from bakeoff.report.views import EngineSetup, ReportData
from bakeoff.results.figures import LEVEL
from bakeoff.results.statistics import UNSTABLE_CV
from bakeoff.results.validity import EXTREME_MAX_RATIO, MIN_INTERVALS, MIN_MEASURED_S

DURABILITY_WORDS = re.compile(
    r"sync|journal|durab|commit|(^|_)wal(_|$)|flush|append|checkpoint|concern|consisten|isolation|"
    r"replica|save|barrier|write_?back|fsync",
    re.IGNORECASE,
)
"""Setting names that decide what a write survives or what a read sees: the settings a
fair comparison must line up first."""


def is_durability_setting(name: str) -> bool:
    return DURABILITY_WORDS.search(name) is not None


PROVENANCE_SHOWN = (
    ("provisioner", "provided as"),
    ("image", "image"),
    ("image_digest", "image digest"),
    ("image_id", "image id"),
    ("recipe_hash", "image recipe hash"),
    ("cpus", "CPU limit"),
    ("memory", "memory limit"),
    ("port_forwarding", "port forwarding"),
)
"""Provenance a reader needs to reproduce an engine; per-trial details (container ids,
ports, temporary paths) are left out."""


def limits_text(setup: EngineSetup, key: str) -> str:
    """A container limit, or what stands in for it for engines outside a container."""
    values = setup.provenance.get(key, ())
    if values:
        return ", ".join(values)
    provisioners = setup.provenance.get("provisioner", ())
    if "embedded" in provisioners:
        return "none: in the benchmark's own process"
    if "external" in provisioners:
        return "not managed by bakeoff (external server)"
    return "not recorded"


DASHBOARD_TEXT = (
    "Each workload's plots end with a dashboard per engine: its telemetry (the container's "
    "CPU, memory, disk and network, and the engine's own statistics) on the time axis of "
    "its throughput and latency. Below, what an operation cost the engine over the "
    "measured phase (the median over trials): CPU time of every process in its container, "
    "bytes it read from disk, bytes it sent and received.",
    "Telemetry is read off the measured path, by a thread of the coordinating process, "
    "once per interval; the last column is the time that thread spent reading, as a share "
    "of the measured time. What it cost the throughput was measured with telemetry on and "
    "off, alternated (docs/telemetry.md, benchmarks/telemetry_overhead.py); "
    "--telemetry off switches it off.",
)


def methodology(report: ReportData) -> tuple[Section, ...]:
    """How the numbers were made: everything here comes from the runs' manifests."""
    sections = [
        *_dashboard_section(report),
        _latency_section(report),
        _summarising_section(report),
        _engines_section(report),
        _workloads_section(report),
        _runs_section(report),
        _hosts_section(report),
        _drivers_section(report),
    ]
    if any(run.cluster_nodes for run in report.runs):
        sections.append(cluster_section(report))
    if report.data_models:
        sections.append(_data_models_section(report))
    if report.excluded:
        sections.append(_excluded_section(report))
    return tuple(sections)


def _dashboard_section(report: ReportData) -> list[Section]:
    tables = tuple(
        Table(dashboard.COST_COLUMNS, tuple(rows), title=workload.label)
        for workload in report.workloads
        if (rows := dashboard.cost_rows(workload))
    )
    if not tables:
        return []
    return [Section("dashboard", "Dashboard: what each operation cost", DASHBOARD_TEXT, tables)]


def _data_models_section(report: ReportData) -> Section:
    uses = report.data_models
    rows = tuple(
        (
            use.workload,
            use.engine,
            use.description,
            "; ".join(use.workarounds) or "none",
            use.answers,
        )
        for use in uses
    )
    layouts = tuple(
        Table(("statement",), tuple((line,) for line in use.layout), title=use.engine)
        for use in dict((u.engine, u) for u in uses).values()
        if use.layout
    )
    return Section(
        "data-models",
        "Data models and answers",
        (
            "Schema workloads run natively under each engine's data model (the engine "
            "column names it after a slash). After the load every engine answered the same "
            "questions; answers are compared in canonical form (docs/schema-workloads.md) "
            "with the first trial of the workload, and a trial whose answers differ fails. "
            "A workaround is a costly way a model runs an operation it has no native way "
            "for, run only because the workload allows it.",
        ),
        (
            Table(("workload", "engine", "data model", "workarounds", "answers"), rows),
            *layouts,
        ),
    )


def _latency_section(report: ReportData) -> Section:
    kinds = dict.fromkeys(k.kind for w in report.workloads for k in w.kinds)
    paragraphs = [
        f"{kind.capitalize()} time: {report.latency_kinds.get(kind, 'not described')}"
        for kind in kinds
    ]
    if list(kinds) == ["service"]:
        paragraphs.append(
            "Every trial ran closed-loop (each worker waits for its previous call), so "
            "every latency in this report is service time. Under a closed loop a stalled "
            "engine also slows the requests it would have received, so the latency "
            "percentiles do not show what clients arriving at a fixed rate would see."
        )
    else:
        paragraphs.append(
            "Each summary table and plot says which kind it shows; where both were "
            "measured, response time is shown first."
        )
    return Section("latency-kinds", "Service time and response time", tuple(paragraphs))


def _summarising_section(report: ReportData) -> Section:
    paragraphs = (
        "Only the measured phase counts: load and warm-up are recorded but left out of "
        "every number here. Each trial is reduced the way `bakeoff.report.summarize` "
        "does it: throughput is successful operations over the phase's wall time, and "
        "percentiles come from the exact merge of the trial's interval histograms "
        "(percentiles are never averaged).",
        "Across the trials of an engine (repetitions, or several runs given to the "
        "report) each figure has one definition, `bakeoff.results.figures`, which the "
        "terminal summary, the CSV and the JSON export use too. ops/s is the median of "
        "the trials' throughputs; an operation's ops/s is that median times the "
        "operation's share of the successful operations, so the parts add up to the "
        "whole. Under it: a confidence interval of the median when there are enough "
        f"trials for one at {LEVEL:.0%} (6 or more: the interval between order "
        "statistics, which assumes no distribution), else the plain range of the trials. "
        "p50 … p99.9 and max come from the merge of every histogram of every trial: max "
        "is the largest latency of any trial, and an all-operations percentile always lies "
        "between its operations'. Errors and operation counts are summed.",
        f"Checks: a phase shorter than {MIN_MEASURED_S:g} s or with fewer than "
        f"{MIN_INTERVALS} full intervals is too short; throughput varying by more than "
        f"{UNSTABLE_CV:.0%} (CV) across trials, or across one trial's intervals, is "
        "unstable (the limit `bakeoff compare` uses); a max more than "
        f"{EXTREME_MAX_RATIO:g} times the p99.9 is extreme; engines whose order changes "
        "between repetitions of one run flip; an engine is ahead of the next one only "
        "when their spreads do not overlap. The list at the top of the report names each.",
        "Trials that did not finish ok are left out of every number and listed under "
        "“Excluded trials”.",
    )
    return Section("summarising", "How the numbers are summarised", paragraphs)


def _engines_section(report: ReportData) -> Section:
    engines = report.engines
    columns = ("", *(e.engine for e in engines))
    rows: list[tuple[str, ...]] = []
    groups: set[int] = set()
    marked: set[int] = set()

    def add(label: str, values: Iterable[str]) -> None:
        rows.append((label, *values))

    def joined(values: Sequence[str], empty: str = "not recorded") -> str:
        return ", ".join(values) if values else empty

    add("version", (joined(e.versions) for e in engines))
    add("adapter", (joined(e.adapters) for e in engines))
    for key, label in PROVENANCE_SHOWN:
        if key in ("cpus", "memory"):
            add(label, (limits_text(e, key) for e in engines))
        elif any(e.provenance.get(key) for e in engines):
            add(label, (joined(e.provenance.get(key, ()), "–") for e in engines))
    add("connections", (joined(e.connections) for e in engines))
    add("after the load", (joined(e.settled) for e in engines))
    add("trials ok / run", (f"{e.trials_ok} / {e.trials_total}" for e in engines))
    names = dict.fromkeys(name for e in engines for name in e.settings)
    durable = [n for n in names if is_durability_setting(n)]
    other = [n for n in names if not is_durability_setting(n)]
    for heading, chosen, mark in (
        ("Durability and consistency settings", durable, True),
        ("Other engine settings", other, False),
    ):
        groups.add(len(rows))
        add(heading, ("" for _ in engines))
        if not chosen:
            add("(none recorded)", ("" for _ in engines))
        for name in chosen:
            if mark:
                marked.add(len(rows))
            add(name, (joined(e.settings.get(name, ()), "not set") for e in engines))
    paragraphs = (
        "How each engine ran, side by side, from the trials' manifests: a difference in "
        "a durability or consistency setting (highlighted) changes what a write costs, "
        "so compare those rows before comparing the numbers. Settings are what bakeoff "
        "set or read back from the engine; “not set” means that engine did not report "
        "that setting, not that it has no equivalent.",
        "“After the load” is what ran on the table between its load and the measurement: "
        "the engine's own upkeep after a bulk load (VACUUM, ANALYZE, CHECKPOINT), as "
        "pgbench -i does, or why none ran (YCSB runs none; --no-settle).",
    )
    table = Table(columns, tuple(rows), groups=frozenset(groups), marked=frozenset(marked))
    return Section("engines", "Engines side by side", paragraphs, (table,))


def _flatten(value: object, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        items: list[tuple[str, str]] = []
        for key, inner in value.items():
            items.extend(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return items
    if isinstance(value, list):
        return [(prefix, ", ".join(as_text(v) for v in value))]
    return [(prefix, as_text(value) if value is not None else "–")]


def _workloads_section(report: ReportData) -> Section:
    tables = []
    for workload in report.workloads:
        rows = [("spec hash (SHA-256)", workload.hash)]
        rows += [(k, v) for k, v in _flatten(workload.spec) if k != "operations" and v != ""]
        tables.append(Table(("setting", "value"), tuple(rows), title=workload.label))
    paragraphs = (
        "Each workload's full specification as it ran, defaults filled in. The hash "
        "identifies the spec: trials share a row of the summary only when it matches.",
    )
    return Section("workloads", "Workloads", paragraphs, tuple(tables))


def _options_text(options: Mapping[str, object]) -> str:
    return ", ".join(f"{k}={as_text(v) if v is not None else '–'}" for k, v in options.items())


def _runs_section(report: ReportData) -> Section:
    rows = []
    for run in report.runs:
        sha = run.git_sha[:12] if run.git_sha else "unknown"
        if run.dirty:
            sha += " (uncommitted changes)"
        rows.append(
            (
                run.run_id,
                format_timestamp(run.started_at),
                format_timestamp(run.ended_at) if run.ended_at else "–",
                run.status,
                f"{run.trials_ok} / {run.trials_total}",
                run.bakeoff_version or "unknown",
                sha,
                _options_text(run.options),
                " ".join(run.command),
            )
        )
    columns: tuple[str, ...] = ("run", "started", "ended", "status", "trials ok", "bakeoff")
    columns += ("git sha", "options", "command")
    return Section(
        "runs",
        "Runs",
        ("The runs this report was made from, oldest first.",),
        (Table(columns, tuple(rows)),),
    )


def _hosts_section(report: ReportData) -> Section:
    hosts: dict[tuple[str, ...], list[str]] = {}
    for run in report.runs:
        host = run.host
        cores = f"{as_text(host.get('logical_cores')) or '?'} logical"
        if host.get("usable_cores") not in (None, host.get("logical_cores")):
            cores += f", {as_text(host.get('usable_cores'))} usable"
        key = (
            as_text(host.get("cpu_model")) or "unknown",
            cores,
            format_memory(host.get("memory_bytes")),
            f"{as_text(host.get('os'))} {as_text(host.get('kernel'))}".strip() or "unknown",
            f"{as_text(host.get('python_implementation'))} {as_text(host.get('python'))}".strip(),
            _wakeup_text(host.get("idle_wakeup")),
        )
        hosts.setdefault(key, []).append(run.run_id)
    rows = tuple((*key, _runs_text(ids)) for key, ids in hosts.items())
    columns = ("CPU", "cores", "memory", "OS and kernel", "Python", "idle CPU wake-up", "runs")
    return Section(
        "hosts",
        "Hosts",
        (
            "The machine that ran the load generator. Embedded engines ran inside it; "
            "container engines on the same machine, within the limits listed above.",
            "Idle CPU wake-up: a ping-pong between two CPUs when the run started. Where "
            "each wait halts a CPU (about one idle entry per round trip) and a round trip "
            "takes tens of µs, one-connection latencies carry that wake-up too "
            "(docs/load-generator.md).",
        ),
        (Table(columns, rows),),
    )


def _wakeup_text(wakeup: object) -> str:
    if not isinstance(wakeup, dict) or wakeup.get("wakeup_round_trip_p50_us") is None:
        return "not measured"
    text = f"round trip p50 {as_text(wakeup['wakeup_round_trip_p50_us'])} µs"
    entries = wakeup.get("wakeup_idle_entries_per_round_trip")
    if entries is not None:
        text += f", {as_text(entries)} idle entries per round trip"
    return text


def _runs_text(run_ids: Sequence[str]) -> str:
    if len(run_ids) <= 3:
        return ", ".join(run_ids)
    return f"{len(run_ids)} runs ({run_ids[0]} … {run_ids[-1]})"


def _drivers_section(report: ReportData) -> Section:
    drivers: dict[str, dict[str, None]] = {}
    for run in report.runs:
        for name, version in run.drivers.items():
            drivers.setdefault(name, {})[version] = None
    rows = tuple((name, ", ".join(versions)) for name, versions in drivers.items())
    return Section(
        "drivers",
        "Client libraries",
        ("Versions of the Python packages that can change a result, as installed for the runs.",),
        (Table(("package", "version"), rows),),
    )


def _excluded_section(report: ReportData) -> Section:
    rows = tuple(
        (t.run_id, str(t.trial), t.engine, t.workload, t.status, t.error or "–")
        for t in report.excluded
    )
    return Section(
        "excluded",
        "Excluded trials",
        ("These trials did not finish ok; none of their measurements appear above.",),
        (Table(("run", "trial", "engine", "workload", "status", "error"), rows),),
    )

"""What the runs' manifests tell a report: each run, each trial, how each engine ran, the
workload specs and what each latency kind measures. Values become text here, as shown."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bakeoff.core.formats import as_text
from bakeoff.report.views import EngineSetup, ExcludedTrial, RunInfo
from bakeoff.results.reader import OK, StoredRun
from bakeoff.results.schema import LATENCY_KINDS


@dataclass(frozen=True)
class TrialInfo:
    """One trial entry of a manifest, as text."""

    run_id: str
    trial: int
    engine: str
    workload: str
    workload_hash: str
    status: str
    error: str
    engine_version: str
    adapter: str
    connections: str
    settings: dict[str, str]
    provenance: dict[str, str]
    settled: str
    """What ran on the table between the load and the measurement (harness/settle.py)."""


def trial_infos(run: StoredRun) -> list[TrialInfo]:
    return [
        TrialInfo(
            run_id=run.run_id,
            trial=int(item["trial"]),
            engine=as_text(item.get("engine")),
            workload=as_text(item.get("workload")),
            workload_hash=as_text(item.get("workload_hash")),
            status=as_text(item.get("status")) or "unknown",
            error=as_text(item.get("error")),
            engine_version=as_text(item.get("engine_version")),
            adapter=as_text(item.get("adapter")),
            # Manifests before bakeoff 0.2 named the connection count "threads".
            connections=as_text(item.get("connections", item.get("threads"))),
            settings={k: _setting_text(v) for k, v in _mapping(item.get("settings")).items()},
            provenance={k: as_text(v) for k, v in _mapping(item.get("provenance")).items()},
            settled=settled_text(_mapping(_mapping(item.get("load_generator")).get("settle"))),
        )
        for item in run.trials
    ]


def settled_text(settle: Mapping[str, object]) -> str:
    """A trial's settling as a report shows it: the statements, or why none ran ("" for
    a manifest from before bakeoff settled)."""
    if settle.get("settled"):
        return as_text(settle.get("statements"))
    why_not = settle.get("why_not")
    return f"none: {as_text(why_not)}" if why_not else ""


EMPTY_SETTING = "(empty)"
"""How a setting the engine reported as an empty string reads (Redis `save ""` turns
snapshots off): "not set" is for settings an engine did not report."""


def _setting_text(value: object) -> str:
    text = as_text(value)
    return text if text != "" else EMPTY_SETTING


def _mapping(value: object) -> dict[str, object]:
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def _distinct(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v != ""))


def engine_setup(engine: str, all_trials: Sequence[TrialInfo]) -> EngineSetup:
    mine = [t for t in all_trials if t.engine == engine]
    setting_names = dict.fromkeys(k for t in mine for k in t.settings)
    provenance_names = dict.fromkeys(k for t in mine for k in t.provenance)
    return EngineSetup(
        engine=engine,
        versions=_distinct(t.engine_version for t in mine),
        adapters=_distinct(t.adapter for t in mine),
        connections=_distinct(t.connections for t in mine),
        settled=_distinct(t.settled for t in mine),
        settings={
            name: _distinct(t.settings.get(name, "") for t in mine) for name in setting_names
        },
        provenance={
            name: _distinct(t.provenance.get(name, "") for t in mine) for name in provenance_names
        },
        trials_ok=sum(t.status == OK for t in mine),
        trials_total=len(mine),
    )


def run_info(run: StoredRun, trials: Sequence[TrialInfo]) -> RunInfo:
    manifest = run.manifest
    bakeoff = run.section("bakeoff")
    command = manifest.get("command")
    sha = bakeoff.get("git_sha")
    dirty = bakeoff.get("dirty")
    return RunInfo(
        run_id=run.run_id,
        path=run.path,
        status=as_text(manifest.get("status")) or "unknown",
        started_at=as_text(manifest.get("started_at")),
        ended_at=as_text(manifest.get("ended_at")),
        command=tuple(as_text(c) for c in command) if isinstance(command, list) else (),
        options=run.section("options"),
        bakeoff_version=as_text(bakeoff.get("version")),
        git_sha=as_text(sha) if sha else None,
        dirty=dirty if isinstance(dirty, bool) else None,
        host=run.section("host"),
        drivers={k: as_text(v) for k, v in run.section("drivers").items()},
        trials_ok=sum(t.status == OK for t in trials),
        trials_total=len(trials),
        cluster_nodes=_cluster_nodes(manifest),
    )


def _cluster_nodes(manifest: Mapping[str, object]) -> tuple[Mapping[str, object], ...]:
    nodes: list[Mapping[str, object]] = []
    trials = manifest.get("trials")
    for trial in trials if isinstance(trials, list) else []:
        load = trial.get("load_generator") if isinstance(trial, dict) else None
        measure = load.get("measure") if isinstance(load, dict) else None
        found = measure.get("nodes") if isinstance(measure, dict) else None
        for node in found if isinstance(found, list) else []:
            if isinstance(node, dict):
                nodes.append({"trial": trial.get("trial"), **node})
    return tuple(nodes)


def excluded_trials(all_trials: Sequence[TrialInfo]) -> tuple[ExcludedTrial, ...]:
    """The trials left out of every number: those that did not finish ok."""
    return tuple(
        ExcludedTrial(t.run_id, t.trial, t.engine, t.workload, t.status, t.error)
        for t in all_trials
        if t.status != OK
    )


def workload_spec(runs: Sequence[StoredRun], workload_hash: str) -> Mapping[str, object]:
    """The spec a workload ran with, from the first manifest that holds its hash."""
    for run in runs:
        for entry in run.section("workloads").values():
            item = _mapping(entry)
            if item.get("hash") == workload_hash:
                return _mapping(item.get("spec"))
    return {}


def latency_descriptions(runs: Sequence[StoredRun]) -> dict[str, str]:
    """What each latency kind measures: today's wording, then any a manifest adds."""
    descriptions = dict(LATENCY_KINDS)
    for run in runs:
        for kind, text in run.section("latency_kinds").items():
            descriptions.setdefault(kind, as_text(text))
    return descriptions


def interval_rows(runs: Sequence[StoredRun]) -> int:
    """Interval rows the runs hold, as their manifests count them."""
    rows = 0
    for run in runs:
        for entry in run.trials:
            count = entry.get("rows")
            rows += count if isinstance(count, int) else 0
    return rows

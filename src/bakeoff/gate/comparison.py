"""A comparison's result: per engine × workload × operation × metric a row with its
verdict, and how it is written out (JSON, Markdown for a pull request)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import pandas as pd

from bakeoff.core.formats import format_change, format_metric, format_p, format_percent, json_number
from bakeoff.gate.metrics import METRICS, CompareError
from bakeoff.gate.plan_changes import PlanChange
from bakeoff.results.statistics import UNSTABLE_CV


class Verdict(StrEnum):
    IMPROVED = "improved"
    REGRESSED = "regressed"
    UNCHANGED = "unchanged"
    UNSTABLE = "unstable"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class CompareOptions:
    threshold: float = 0.05
    """Smallest relative change of the median that counts (0.05 = 5 %)."""
    alpha: float = 0.05
    """Significance level of the Mann-Whitney test."""
    max_cv: float = UNSTABLE_CV
    """A side whose trials vary more than this (stdev / mean) makes the row unstable."""
    level: float = 0.95
    """Confidence level of the ratio's bootstrap interval."""
    metrics: tuple[str, ...] = tuple(METRICS)
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold < 1.0:
            raise CompareError(f"threshold must be in [0, 1), got {self.threshold}")
        if not 0.0 < self.alpha < 1.0:
            raise CompareError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.max_cv <= 0.0:
            raise CompareError(f"the CV limit must be positive, got {self.max_cv}")
        if not 0.0 < self.level < 1.0:
            raise CompareError(f"level must be in (0, 1), got {self.level}")
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown or not self.metrics:
            raise CompareError(
                f"unknown metric(s) {unknown or '(none given)'}; choose from {list(METRICS)}"
            )


@dataclass(frozen=True)
class Row:
    engine: str
    workload: str
    operation: str
    metric: str
    unit: str
    higher_is_better: bool
    baseline_n: int
    candidate_n: int
    baseline_median: float
    candidate_median: float
    ratio: float
    """median(candidate) / median(baseline)."""
    ci_low: float
    ci_high: float
    change: float
    """ratio - 1: +0.10 means the candidate's median is 10 % higher."""
    p_value: float
    baseline_cv: float
    candidate_cv: float
    verdict: Verdict
    reason: str
    baseline_engine_versions: tuple[str, ...] = ()
    candidate_engine_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Comparison:
    rows: list[Row]
    options: CompareOptions
    baseline: str = "baseline"
    candidate: str = "candidate"
    notes: list[str] = field(default_factory=list)
    """Things a reader must know: rows only one side has, workload specs that differ."""
    plan_changes: list[PlanChange] = field(default_factory=list)
    """Query shapes whose access path differs from the baseline's (gate/plan_changes.py)."""

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.verdict is Verdict.REGRESSED]

    @property
    def exit_code(self) -> int:
        """0 when nothing regressed, 1 when any row did."""
        return 1 if self.regressions else 0

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys((v.value for v in Verdict), 0)
        for row in self.rows:
            counts[row.verdict.value] += 1
        return counts

    def to_frame(self) -> pd.DataFrame:
        records = [{**asdict(r), "verdict": r.verdict.value} for r in self.rows]
        columns = [f.name for f in Row.__dataclass_fields__.values()]
        return pd.DataFrame(records, columns=columns)

    def to_dict(self) -> dict[str, object]:
        return {
            "baseline": self.baseline,
            "candidate": self.candidate,
            "options": {**asdict(self.options), "metrics": list(self.options.metrics)},
            "exit_code": self.exit_code,
            "counts": self.counts(),
            "notes": list(self.notes),
            "plan_changes": [change.to_dict() for change in self.plan_changes],
            "rows": [
                {
                    **{k: json_number(v) for k, v in asdict(r).items()},
                    "verdict": r.verdict.value,
                    "baseline_engine_versions": list(r.baseline_engine_versions),
                    "candidate_engine_versions": list(r.candidate_engine_versions),
                }
                for r in self.rows
            ],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        return render_markdown(self)


# -- rendering -------------------------------------------------------------------------

_MARK = {
    Verdict.REGRESSED: "🔴 regressed",
    Verdict.IMPROVED: "🟢 improved",
    Verdict.UNCHANGED: "unchanged",
    Verdict.UNSTABLE: "⚠️ unstable",
    Verdict.INCONCLUSIVE: "❔ inconclusive",
}


def change_text(row: Row) -> str:
    """The change of the median with its interval: +4.0% [+1.2%, +6.9%]."""
    return format_change(row.change, row.ci_low - 1, row.ci_high - 1)


def summary_line(comparison: Comparison) -> str:
    counts = comparison.counts()
    parts = [f"{n} {name}" for name, n in counts.items() if n]
    head = "REGRESSION" if comparison.exit_code else "no regression"
    changed = len(comparison.plan_changes)
    plans = f"; {changed} query plan{'s' * (changed != 1)} changed" if changed else ""
    return f"{head}: {', '.join(parts)} (threshold {comparison.options.threshold:.0%}){plans}"


def render_markdown(comparison: Comparison) -> str:
    """A PR comment: the verdict first, then every row."""
    options = comparison.options
    lines = [
        f"### bakeoff compare: {summary_line(comparison)}",
        "",
        f"Baseline `{comparison.baseline}`, candidate `{comparison.candidate}`. Change is "
        f"the candidate's median over the baseline's, with its {options.level:.0%} bootstrap "
        f"interval; p is a two-sided Mann-Whitney U test over trials. Rows whose trials vary "
        f"by more than {options.max_cv:.0%} (CV) are flagged unstable and not judged.",
        "",
        "| engine | workload | operation | metric | baseline | candidate | change [CI] | p "
        "| CV b/c | n b/c | verdict |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in comparison.rows:
        lines.append(
            f"| {r.engine} | {r.workload} | {r.operation} | {r.metric} "
            f"| {format_metric(r.baseline_median, r.unit)} "
            f"| {format_metric(r.candidate_median, r.unit)} "
            f"| {change_text(r)} | {format_p(r.p_value)} "
            f"| {format_percent(r.baseline_cv)}/{format_percent(r.candidate_cv)} "
            f"| {r.baseline_n}/{r.candidate_n} | {_MARK[r.verdict]} |"
        )
    if comparison.plan_changes:
        lines += ["", "**Query plans changed** (beside the verdicts above):", ""]
        lines.extend(f"- ⚠️ {change.text()}" for change in comparison.plan_changes)
    if comparison.notes:
        lines.append("")
        lines.extend(f"- {note}" for note in comparison.notes)
    return "\n".join(lines) + "\n"

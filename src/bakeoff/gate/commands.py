"""The regression gate's commands: `compare`, `history add|list`, `regress`.

Exit codes: 0 no regression, 1 regression, 2 usage error (one line on stderr saying what).
`register(main_app)` mounts them on the main `bakeoff` command.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bakeoff.core.formats import format_metric, format_p, format_percent
from bakeoff.gate import history as hist
from bakeoff.gate.compare import compare_paths
from bakeoff.gate.comparison import CompareOptions, Comparison, Verdict, change_text, summary_line
from bakeoff.gate.metrics import METRICS, CompareError
from bakeoff.results.reader import NotARunError
from bakeoff.results.statistics import UNSTABLE_CV

EXIT_REGRESSION = 1
EXIT_USAGE = 2
FORMATS = ("table", "markdown", "json")

_stdout = Console(width=None if sys.stdout.isatty() else 140)
_stderr = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    _stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_USAGE)


_FRACTION = re.compile(r"^\s*(?P<number>[0-9]*\.?[0-9]+)\s*(?P<percent>%?)\s*$")


def parse_fraction(text: str, option: str) -> float:
    """'5%' → 0.05; '0.05' → 0.05; a bare number of 1 or more is read as percent."""
    match = _FRACTION.match(text)
    if not match:
        raise _fail(
            f"{option} {text!r}: expected a percentage such as 5% or a fraction such as 0.05"
        )
    number = float(match.group("number"))
    if match.group("percent") or number >= 1.0:
        number /= 100.0
    return number


def _check_format(value: str) -> str:
    if value not in FORMATS:
        raise _fail(f"--format {value!r}: choose one of {', '.join(FORMATS)}")
    return value


def _metrics(values: list[str] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    if not values:
        return default
    names = tuple(dict.fromkeys(v.strip() for item in values for v in item.split(",") if v))
    unknown = [n for n in names if n not in METRICS]
    if unknown:
        raise _fail(f"--metric {', '.join(unknown)}: choose from {', '.join(METRICS)}")
    return names


def _write(path: Path | None, text: str) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"{path}: cannot write ({exc.strerror or exc})") from None


# -- compare ---------------------------------------------------------------------------

_STYLE = {
    Verdict.REGRESSED: "bold red",
    Verdict.IMPROVED: "green",
    Verdict.UNCHANGED: "",
    Verdict.UNSTABLE: "yellow",
    Verdict.INCONCLUSIVE: "dim",
}


def compare(
    baseline: Annotated[
        Path,
        typer.Argument(help="Baseline: a run directory, a results folder or a history store."),
    ],
    candidate: Annotated[
        Path, typer.Argument(help="Candidate: a run directory or a results folder.")
    ],
    threshold: Annotated[
        str, typer.Option(help="Smallest change of the median that counts, e.g. 5% or 0.05.")
    ] = "5%",
    max_cv: Annotated[
        str,
        typer.Option(
            "--max-cv", help="Rows whose trials vary more than this (stdev/mean) are unstable."
        ),
    ] = f"{UNSTABLE_CV:.0%}",
    alpha: Annotated[
        float,
        typer.Option(min=0.0001, max=0.5, help="Significance level of the Mann-Whitney test."),
    ] = 0.05,
    metric: Annotated[
        list[str] | None,
        typer.Option(help=f"Metrics to judge (repeat or comma-separate): {', '.join(METRICS)}."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="Standard output as table, markdown or json.")
    ] = "table",
    markdown: Annotated[
        Path | None, typer.Option(help="Also write the Markdown report (a PR comment) here.")
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the JSON report here.")
    ] = None,
) -> None:
    """Compare a CANDIDATE run with a BASELINE, trial by trial, and give a verdict per row.

    Per engine × workload × operation × metric (throughput, p50, p99, p99.9): the ratio of
    medians with a bootstrap confidence interval, a Mann-Whitney test over the trials, and
    a verdict: improved, regressed, unchanged, unstable (too noisy to judge) or
    inconclusive (too few trials; use --repeat 5). Exit 1 when any row regressed.
    """
    fmt = _check_format(output_format)
    try:
        options = CompareOptions(
            threshold=parse_fraction(threshold, "--threshold"),
            max_cv=parse_fraction(max_cv, "--max-cv"),
            alpha=alpha,
            metrics=_metrics(metric, tuple(METRICS)),
        )
        result = compare_paths(baseline, candidate, options)
    except (CompareError, hist.HistoryError) as exc:
        raise _fail(str(exc)) from None
    _write(markdown, result.to_markdown())
    _write(json_file, result.to_json())
    if fmt == "json":
        sys.stdout.write(result.to_json())
    elif fmt == "markdown":
        sys.stdout.write(result.to_markdown())
    else:
        _print_comparison(result)
    raise typer.Exit(result.exit_code)


def _print_comparison(result: Comparison) -> None:
    options = result.options
    table = Table(
        title=(
            f"candidate vs baseline: change of the median with its {options.level:.0%} "
            "bootstrap CI, Mann-Whitney p over trials; throughput in ops/s, latencies in µs"
        ),
        title_justify="left",
    )
    for column in ("workload", "engine", "operation", "metric"):
        table.add_column(column)
    for column in ("baseline", "candidate", "change [CI]", "p", "CV b/c", "n b/c"):
        table.add_column(column, justify="right")
    table.add_column("verdict")
    for r in result.rows:
        cv = "/".join(format_percent(c) for c in (r.baseline_cv, r.candidate_cv))
        table.add_row(
            r.workload,
            r.engine,
            r.operation,
            r.metric,
            format_metric(r.baseline_median, r.unit),
            format_metric(r.candidate_median, r.unit),
            change_text(r),
            format_p(r.p_value),
            cv,
            f"{r.baseline_n}/{r.candidate_n}",
            f"[{_STYLE[r.verdict]}]{r.verdict.value}[/]" if _STYLE[r.verdict] else r.verdict.value,
        )
    _stdout.print(table)
    for r in result.rows:
        if r.verdict in (Verdict.REGRESSED, Verdict.UNSTABLE, Verdict.INCONCLUSIVE):
            _stdout.print(
                f"  {r.engine}/{r.workload}/{r.operation} {r.metric}: {r.verdict.value}, "
                f"{r.reason}",
                highlight=False,
                markup=False,
            )
    for note in result.notes:
        _stdout.print(f"note: {note}", highlight=False, markup=False)
    _stdout.print(summary_line(result), highlight=False, markup=False)


# -- history ---------------------------------------------------------------------------

history_app = typer.Typer(
    help="A history of runs (Parquet, queried with duckdb) for `bakeoff regress`.",
    no_args_is_help=True,
)

HistoryOption = Annotated[
    Path,
    typer.Option("--history", envvar="BAKEOFF_HISTORY", help="The history store (a directory)."),
]


@history_app.command("add")
def history_add(
    run_dirs: Annotated[list[Path], typer.Argument(help="Finished run directories to append.")],
    history: HistoryOption = Path("history"),
    git_sha: Annotated[
        str | None,
        typer.Option(help="Commit under test (default: $GITHUB_SHA, else HEAD of the cwd)."),
    ] = None,
    label: Annotated[str | None, typer.Option(help="A free-form label for these runs.")] = None,
) -> None:
    """Append runs to the history, keyed by engine version, workload hash, host and commit."""
    for run_dir in run_dirs:
        try:
            added = hist.add_run(history, run_dir, git_sha=git_sha, label=label)
        except (hist.HistoryError, NotARunError) as exc:
            raise _fail(str(exc)) from None
        sha = added.git_sha[:12] if added.git_sha else "unknown"
        _stdout.print(
            f"added {added.run_id} to {history}: {added.points} points, commit {sha} "
            f"(from {added.git_sha_source}), host {added.host_fingerprint}",
            highlight=False,
            markup=False,
        )


@history_app.command("list")
def history_list(
    history: HistoryOption = Path("history"),
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """List the runs in the history, oldest first."""
    fmt = _check_format(output_format)
    try:
        runs = hist.list_runs(history)
    except hist.HistoryError as exc:
        raise _fail(str(exc)) from None
    if fmt == "json":
        sys.stdout.write(runs.to_json(orient="records", date_format="iso", indent=2) + "\n")
        return
    table = Table(title=f"{history}: {len(runs)} runs", title_justify="left")
    for column in (
        "run",
        "started",
        "commit",
        "host",
        "engines",
        "versions",
        "workloads",
        "trials",
    ):
        table.add_column(column)
    for record in runs.to_dict("records"):
        sha = record["git_sha"]
        table.add_row(
            str(record["run_id"]),
            str(record["started_at"])[:19],
            str(sha)[:12] if isinstance(sha, str) else "?",
            str(record["host_fingerprint"]),
            str(record["engines"]),
            str(record["engine_versions"]),
            str(record["workloads"]),
            str(record["trials"]),
        )
    _stdout.print(table)


# -- regress ---------------------------------------------------------------------------


def regress(
    history: Annotated[Path, typer.Argument(help="The history store to analyse.")],
    metric: Annotated[
        list[str] | None,
        typer.Option(
            help=f"Metrics to analyse (default throughput,p50,p99): {', '.join(METRICS)}."
        ),
    ] = None,
    threshold: Annotated[
        str, typer.Option(help="Smallest change of the mean that is reported, e.g. 5%.")
    ] = "5%",
    max_pvalue: Annotated[
        float,
        typer.Option("--max-pvalue", min=1e-9, max=0.5, help="Significance of a change point."),
    ] = 0.001,
    newest: Annotated[
        int, typer.Option(min=1, help="Fail when a regression starts in the newest N runs.")
    ] = 1,
    window: Annotated[
        int, typer.Option(min=2, help="Points analysed together (Otava's window).")
    ] = 50,
    output_format: Annotated[
        str, typer.Option("--format", help="Standard output as table, markdown or json.")
    ] = "table",
    markdown: Annotated[Path | None, typer.Option(help="Also write Markdown here.")] = None,
    json_file: Annotated[Path | None, typer.Option("--json", help="Also write JSON here.")] = None,
) -> None:
    """Find change points in every series of HISTORY (Apache Otava's e-divisive).

    A series is one engine × workload × host × operation × metric, one point per run.
    Exit 1 when a regression starts at the newest run (or within --newest N runs).
    """
    from bakeoff.gate.regress import RegressError, RegressOptions, describe, detect

    fmt = _check_format(output_format)
    try:
        options = RegressOptions(
            metrics=_metrics(metric, RegressOptions().metrics),
            threshold=parse_fraction(threshold, "--threshold"),
            max_pvalue=max_pvalue,
            newest=newest,
            window=window,
        )
        report = detect(history, options)
    except (RegressError, hist.HistoryError) as exc:
        raise _fail(str(exc)) from None
    _write(markdown, report.to_markdown())
    _write(json_file, report.to_json())
    if fmt == "json":
        sys.stdout.write(report.to_json())
    elif fmt == "markdown":
        sys.stdout.write(report.to_markdown())
    else:
        analysed = sum(1 for s in report.series if s.analysed)
        _stdout.print(
            f"{analysed} of {len(report.series)} series analysed, "
            f"{len(report.change_points)} change points",
            highlight=False,
        )
        for cp in report.change_points:
            flag = "FAIL " if cp.regression and cp.newest else "     "
            _stdout.print(flag + describe(cp), highlight=False, markup=False)
        for note in report.notes:
            _stdout.print(f"note: {note}", highlight=False, markup=False)
        verdict = (
            f"REGRESSION starts in the newest run(s): {len(report.failing)} series"
            if report.failing
            else "no regression starts in the newest run(s)"
        )
        _stdout.print(verdict, highlight=False, markup=False)
    raise typer.Exit(report.exit_code)


# -- mounting --------------------------------------------------------------------------


def register(main_app: typer.Typer) -> None:
    """Add `compare`, `regress` and the `history` group to the main command."""
    main_app.command("compare")(compare)
    main_app.command("regress")(regress)
    main_app.add_typer(history_app, name="history")


app = typer.Typer(
    help="bakeoff's regression gate: compare runs, keep a history, find change points.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
register(app)

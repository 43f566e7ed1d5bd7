"""The regression gate's commands: `compare` here, `history add|list` and `regress` in
`history_commands`.

Exit codes: 0 no regression, 1 regression, 2 usage error (one line on stderr saying what).
`register(main_app)` mounts them on the main `bakeoff` command.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bakeoff.core.formats import format_metric, format_p, format_percent
from bakeoff.gate import history as hist
from bakeoff.gate import history_commands
from bakeoff.gate.command_options import (
    FORMAT_METAVAR,
    check_format,
    fail,
    output_file,
    parse_fraction,
    parse_metrics,
    stdout,
    write_file,
)
from bakeoff.gate.compare import compare_paths
from bakeoff.gate.comparison import CompareOptions, Comparison, Verdict, change_text, summary_line
from bakeoff.gate.metrics import METRICS, CompareError
from bakeoff.results.statistics import UNSTABLE_CV

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
        typer.Argument(
            metavar="BASELINE",
            help="A run directory, a results folder or a history store.",
            show_default=False,
        ),
    ],
    candidate: Annotated[
        Path,
        typer.Argument(
            metavar="CANDIDATE",
            help="A run directory or a results folder.",
            show_default=False,
        ),
    ],
    threshold: Annotated[
        str,
        typer.Option(
            metavar="FRACTION", help="Smallest change of the median that counts: 5% or 0.05."
        ),
    ] = "5%",
    max_cv: Annotated[
        str,
        typer.Option(
            "--max-cv",
            metavar="FRACTION",
            help="Rows whose trials vary more than this (stdev/mean) are unstable.",
        ),
    ] = f"{UNSTABLE_CV:.0%}",
    alpha: Annotated[
        float,
        typer.Option(
            min=0.0001,
            max=0.5,
            metavar="P",
            help="Significance level of the Mann-Whitney test.",
        ),
    ] = 0.05,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            metavar="METRIC",
            help="Metrics to judge; repeat or comma-separate.",
            show_default=",".join(METRICS),
        ),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", metavar=FORMAT_METAVAR, help="Standard output's format.")
    ] = "table",
    markdown: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE",
            help="Also write the Markdown report (a PR comment) here.",
            callback=output_file,
        ),
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option(
            "--json", metavar="FILE", help="Also write the JSON report here.", callback=output_file
        ),
    ] = None,
) -> None:
    """Compare a CANDIDATE run with a BASELINE, trial by trial, and give a verdict per row.

    Per engine × workload × operation × metric (throughput, p50, p99, p99.9): the ratio of
    medians with a bootstrap confidence interval, a Mann-Whitney test over the trials, and
    a verdict: improved, regressed, unchanged, unstable (too noisy to judge) or
    inconclusive (too few trials; use --repeat 5). A query shape whose plan
    changed since the baseline (docs/query-plans.md) is printed beside them.

    \b
    Examples:
      bakeoff compare results/main-run results/pr-run
      bakeoff compare history/ results/pr-run --threshold 3% --markdown comment.md
      bakeoff compare BASE CAND --metric throughput,p99 --format json

    \b
    Exit codes: 0 nothing regressed, 1 a row regressed, 2 bad input.
    """
    fmt = check_format(output_format)
    try:
        options = CompareOptions(
            threshold=parse_fraction(threshold, "--threshold"),
            max_cv=parse_fraction(max_cv, "--max-cv"),
            alpha=alpha,
            metrics=parse_metrics(metric, tuple(METRICS)),
        )
        result = compare_paths(baseline, candidate, options)
    except (CompareError, hist.HistoryError) as exc:
        raise fail(str(exc)) from None
    write_file(markdown, result.to_markdown())
    write_file(json_file, result.to_json())
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
    stdout.print(table)
    for r in result.rows:
        if r.verdict in (Verdict.REGRESSED, Verdict.UNSTABLE, Verdict.INCONCLUSIVE):
            stdout.print(
                f"  {r.engine}/{r.workload}/{r.operation} {r.metric}: {r.verdict.value}, "
                f"{r.reason}",
                highlight=False,
                markup=False,
            )
    for change in result.plan_changes:
        stdout.print(f"PLAN CHANGE {change.text()}", highlight=False, markup=False)
    for note in result.notes:
        stdout.print(f"note: {note}", highlight=False, markup=False)
    stdout.print(summary_line(result), highlight=False, markup=False)


# -- mounting --------------------------------------------------------------------------


def register(main_app: typer.Typer) -> None:
    """Add `compare`, `regress` and the `history` group to the main command."""
    main_app.command("compare")(compare)
    main_app.command("regress")(history_commands.regress)
    main_app.add_typer(history_commands.history_app, name="history")


app = typer.Typer(
    help="bakeoff's regression gate: compare runs, keep a history, find change points.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
register(app)

"""`bakeoff history add|list` and `bakeoff regress`: a history of runs and the change
points in it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from bakeoff.gate import history as hist
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
from bakeoff.gate.metrics import METRICS
from bakeoff.results.reader import NotARunError

# -- history ---------------------------------------------------------------------------

history_app = typer.Typer(
    help="A history of runs (Parquet, queried with duckdb) for `bakeoff regress`.",
    no_args_is_help=True,
)

HistoryOption = Annotated[
    Path,
    typer.Option(
        "--history",
        envvar="BAKEOFF_HISTORY",
        metavar="FOLDER",
        help="The history store (a directory).",
    ),
]


@history_app.command("add")
def history_add(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(
            metavar="RUN", help="Finished run directories to append.", show_default=False
        ),
    ],
    history: HistoryOption = Path("history"),
    git_sha: Annotated[
        str | None,
        typer.Option(
            metavar="SHA",
            help="Commit under test.",
            show_default="$GITHUB_SHA, else HEAD of the cwd",
        ),
    ] = None,
    label: Annotated[
        str | None, typer.Option(metavar="TEXT", help="A free-form label for these runs.")
    ] = None,
) -> None:
    """Append runs to the history, keyed by engine version, workload hash, host and commit.

    A query plan that changed since the history's earlier runs of the same workload
    is printed (docs/query-plans.md).
    """
    for run_dir in run_dirs:
        try:
            added = hist.add_run(history, run_dir, git_sha=git_sha, label=label)
        except (hist.HistoryError, NotARunError) as exc:
            raise fail(str(exc)) from None
        sha = added.git_sha[:12] if added.git_sha else "unknown"
        stdout.print(
            f"added {added.run_id} to {history}: {added.points} points, commit {sha} "
            f"(from {added.git_sha_source}), host {added.host_fingerprint}",
            highlight=False,
            markup=False,
        )
        for change in added.plan_changes:
            stdout.print(f"PLAN CHANGE {change.text()}", highlight=False, markup=False)


@history_app.command("list")
def history_list(
    history: HistoryOption = Path("history"),
    output_format: Annotated[
        str, typer.Option("--format", metavar="table|json", help="Standard output's format.")
    ] = "table",
) -> None:
    """List the runs in the history, oldest first."""
    fmt = check_format(output_format)
    try:
        runs = hist.list_runs(history)
    except hist.HistoryError as exc:
        raise fail(str(exc)) from None
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
    stdout.print(table)


# -- regress ---------------------------------------------------------------------------


def regress(
    history: Annotated[
        Path,
        typer.Argument(metavar="HISTORY", help="The history store to analyse.", show_default=False),
    ],
    metric: Annotated[
        list[str] | None,
        typer.Option(
            metavar="METRIC",
            help=f"Metrics to analyse, of {', '.join(METRICS)}; repeat or comma-separate.",
            show_default="throughput,p50,p99",
        ),
    ] = None,
    threshold: Annotated[
        str,
        typer.Option(metavar="FRACTION", help="Smallest change of the mean that is reported."),
    ] = "5%",
    max_pvalue: Annotated[
        float,
        typer.Option(
            "--max-pvalue",
            min=1e-9,
            max=0.5,
            metavar="P",
            help="Significance of a change point.",
        ),
    ] = 0.001,
    newest: Annotated[
        int,
        typer.Option(
            min=1, metavar="N", help="Fail when a regression starts in the newest N runs."
        ),
    ] = 1,
    window: Annotated[
        int, typer.Option(min=2, metavar="N", help="Points analysed together (Otava's window).")
    ] = 50,
    output_format: Annotated[
        str, typer.Option("--format", metavar=FORMAT_METAVAR, help="Standard output's format.")
    ] = "table",
    markdown: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Also write Markdown here.", callback=output_file),
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option("--json", metavar="FILE", help="Also write JSON here.", callback=output_file),
    ] = None,
) -> None:
    """Find change points in every series of HISTORY (Apache Otava's e-divisive).

    A series is one engine × workload × host × operation × metric, one point per run.
    Exit 1 when a regression starts at the newest run (or within --newest N runs).

    \b
    Exit codes: 0 no new regression, 1 a regression starts in the newest N runs,
    2 bad input (or apache-otava missing).
    """
    from bakeoff.gate.regress import RegressError, RegressOptions, describe, detect

    fmt = check_format(output_format)
    try:
        options = RegressOptions(
            metrics=parse_metrics(metric, RegressOptions().metrics),
            threshold=parse_fraction(threshold, "--threshold"),
            max_pvalue=max_pvalue,
            newest=newest,
            window=window,
        )
        report = detect(history, options)
    except (RegressError, hist.HistoryError) as exc:
        raise fail(str(exc)) from None
    write_file(markdown, report.to_markdown())
    write_file(json_file, report.to_json())
    if fmt == "json":
        sys.stdout.write(report.to_json())
    elif fmt == "markdown":
        sys.stdout.write(report.to_markdown())
    else:
        analysed = sum(1 for s in report.series if s.analysed)
        stdout.print(
            f"{analysed} of {len(report.series)} series analysed, "
            f"{len(report.change_points)} change points",
            highlight=False,
        )
        for cp in report.change_points:
            flag = "FAIL " if cp.regression and cp.newest else "     "
            stdout.print(flag + describe(cp), highlight=False, markup=False)
        for note in report.notes:
            stdout.print(f"note: {note}", highlight=False, markup=False)
        verdict = (
            f"REGRESSION starts in the newest run(s): {len(report.failing)} series"
            if report.failing
            else "no regression starts in the newest run(s)"
        )
        stdout.print(verdict, highlight=False, markup=False)
    raise typer.Exit(report.exit_code)

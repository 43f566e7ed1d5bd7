"""`bakeoff report`: HTML, Markdown, CSV and pytest-benchmark JSON from stored runs.

`render_reports` is what both `bakeoff report` and `bakeoff run --report` call; it reads
only the result store, so a report of an old run looks like one of a new run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bakeoff.core.files import replace_atomically
from bakeoff.report.build import ReportError, build_report
from bakeoff.report.exports import write_benchmark_json, write_csv
from bakeoff.report.html import render_html
from bakeoff.report.markdown import render_markdown
from bakeoff.report.plots import report_plots, to_png, to_svg
from bakeoff.results.reader import NotARunError, run_directories

EXIT_USAGE = 2
HTML_NAME = "report.html"
MARKDOWN_NAME = "report.md"

app = typer.Typer(
    help="Render reports from stored runs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
_stdout = Console(highlight=False, soft_wrap=True)
_stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def default_outputs(run_dirs: Sequence[Path | str]) -> tuple[Path, Path]:
    """Where report.html and report.md go when no output is named: into the run
    directory when there is one run, else into the current directory."""
    try:
        runs = run_directories(run_dirs)
    except NotARunError as exc:
        raise ReportError(str(exc)) from exc
    folder = runs[0] if len(runs) == 1 else Path.cwd()
    return folder / HTML_NAME, folder / MARKDOWN_NAME


def plots_folder(markdown: Path) -> Path:
    """The folder of PNG plots beside a Markdown report: report.md → report-plots/."""
    return markdown.with_name(f"{markdown.stem}-plots")


def render_reports(
    run_dirs: Sequence[Path | str],
    *,
    html: Path | None = None,
    markdown: Path | None = None,
    csv: Path | None = None,
    benchmark_json: Path | None = None,
    title: str | None = None,
) -> list[Path]:
    """Render the runs in `run_dirs` (run directories or results folders).

    With no output named, writes report.html and report.md (plots in report-plots/)
    into the run directory, or into the current directory for several runs. Returns the
    files written (the Markdown's plot images not included).
    """
    if html is None and markdown is None and csv is None and benchmark_json is None:
        html, markdown = default_outputs(run_dirs)
    report = build_report(list(run_dirs), title=title)
    plots = report_plots(report)
    written: list[Path] = []
    if html is not None:
        svgs = {plot.slug: to_svg(plot) for plot in plots}
        _write_text(Path(html), render_html(report, plots, svgs))
        written.append(Path(html))
    if markdown is not None:
        markdown = Path(markdown)
        folder = plots_folder(markdown)
        images: dict[str, str] = {}
        for plot in plots:
            image = _atomic(folder / f"{plot.slug}.png", partial(to_png, plot))
            images[plot.slug] = f"{folder.name}/{image.name}"
        _write_text(markdown, render_markdown(report, plots, images))
        written.append(markdown)
    if csv is not None:
        written.append(_atomic(Path(csv), lambda tmp: write_csv(report, tmp)))
    if benchmark_json is not None:
        written.append(_atomic(Path(benchmark_json), lambda tmp: write_benchmark_json(report, tmp)))
    return written


class ReportWriteError(OSError):
    """A report file could not be written; says which and why."""


def _write_text(path: Path, text: str) -> None:
    _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _atomic(path: Path, write: Callable[[Path], object]) -> Path:
    # A reader (a browser reloading, a CI job picking the file up) never sees half a report.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return replace_atomically(path, write)
    except OSError as exc:
        raise ReportWriteError(f"{path}: cannot write ({exc.strerror or exc})") from exc


def output_file(param: typer.CallbackParam, value: Path | None) -> Path | None:
    """Refuse an output file named like an option: `--html --markdown` is a forgotten
    value, and would write an HTML page named --markdown (./--name still works)."""
    if value is not None and str(value).startswith("-"):
        name = param.opts[0] if param.opts else param.name
        _stderr.print(
            f"[red]error:[/red] {name} needs a file name, got the option {escape(str(value))!r} "
            f"(for a file of that name, write ./{escape(str(value))})"
        )
        raise typer.Exit(EXIT_USAGE)
    return value


@app.command("report")
def report_command(
    run_dirs: Annotated[
        list[Path],
        typer.Argument(
            metavar="RUN",
            help="Run directories (results/<run-id>) or results folders; several runs are "
            "reported together, repetitions of an engine × workload pooled.",
            show_default=False,
        ),
    ],
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            help="Write the HTML page here.",
            show_default=False,
            callback=output_file,
        ),
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(
            "--markdown",
            metavar="FILE",
            help="Write Markdown here, its plots as PNG in <name>-plots/ beside it.",
            show_default=False,
            callback=output_file,
        ),
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            metavar="FILE",
            help="Write the summary tables as CSV here.",
            show_default=False,
            callback=output_file,
        ),
    ] = None,
    benchmark_json: Annotated[
        Path | None,
        typer.Option(
            "--benchmark-json",
            metavar="FILE",
            help="Write pytest-benchmark-compatible JSON here (for CI dashboards).",
            show_default=False,
            callback=output_file,
        ),
    ] = None,
    title: Annotated[
        str | None,
        typer.Option("--title", metavar="TEXT", help="Title of the report.", show_default=False),
    ] = None,
) -> None:
    """Render a report of stored runs (HTML, Markdown, CSV, pytest-benchmark JSON).

    Without an output option, report.html and report.md go into the run directory, or
    into the current directory when several runs are given.

    \b
    Examples:
      bakeoff report results/20260101T120000Z-ab12
      bakeoff report results/ --html bakeoff.html --title "ycsb-b, 3 engines"
      bakeoff report RUN_A RUN_B --markdown report.md --csv summary.csv

    \b
    Exit codes: 0 written, 2 bad input (not a run, an unwritable file).
    """
    try:
        written = render_reports(
            run_dirs,
            html=html,
            markdown=markdown,
            csv=csv,
            benchmark_json=benchmark_json,
            title=title,
        )
    except (ReportError, NotARunError, FileNotFoundError, ReportWriteError) as exc:
        _stderr.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    for path in written:
        _stdout.print(f"wrote {path}")

"""`bakeoff report`, `compare` and `history add` on damaged runs: exit 2, one line naming
the damaged file, no traceback; and report files that cannot be written say why."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from bakeoff.cli import app
from bakeoff.results.schema import MANIFEST_FILE, SAMPLES_FILE
from tests.unit.results.read_only import read_only_folder
from tests.unit.results.test_reader import finished_run
from tests.unit.results.test_reader_errors import MANIFEST_DAMAGE, SAMPLE_DAMAGE

runner = CliRunner()


def _bad_histograms(file: Path) -> None:
    frame = pd.read_parquet(file)
    frame["histogram"] = "SElTVE9HUkFNIGdhcmJhZ2U="
    frame.to_parquet(file)


DAMAGE: dict[str, tuple[str, Callable[[Path], object]]] = {
    **{f"samples {k}": (SAMPLES_FILE, v) for k, v in SAMPLE_DAMAGE.items()},
    **{f"manifest {k}": (MANIFEST_FILE, v) for k, v in MANIFEST_DAMAGE.items()},
    "manifest {}": (MANIFEST_FILE, lambda f: f.write_text("{}")),
    "histogram payload": (SAMPLES_FILE, _bad_histograms),
}


def one_error_line(output: str, naming: Path) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    assert str(naming) in lines[0].replace("\n", ""), output
    assert "Traceback" not in output


@pytest.fixture(params=list(DAMAGE.values()), ids=list(DAMAGE))
def damaged(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    file_name, damage = request.param
    run = finished_run(tmp_path / "results", "damaged")
    damage(run / file_name)
    yield run / file_name


def test_report_on_a_damaged_run_exits_2_naming_the_file(damaged: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(damaged.parent), "--csv", str(tmp_path / "x.csv")])
    assert result.exit_code == 2, result.output
    one_error_line(result.output, damaged)


def test_compare_with_a_damaged_run_exits_2_naming_it(damaged: Path, tmp_path: Path) -> None:
    baseline = finished_run(tmp_path / "baseline", "baseline")
    result = runner.invoke(app, ["compare", str(baseline), str(damaged.parent)])
    assert result.exit_code == 2, result.output
    # compare names the run it was given when the damage is in a histogram it decodes
    one_error_line(result.output, damaged.parent)


def test_history_add_of_a_damaged_run_exits_2_naming_it(damaged: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["history", "add", str(damaged.parent), "--history", str(tmp_path / "history")]
    )
    assert result.exit_code == 2, result.output
    one_error_line(result.output, damaged)


def test_a_report_into_a_read_only_folder_says_so(tmp_path: Path) -> None:
    run = finished_run(tmp_path / "results", "run")
    with read_only_folder(tmp_path / "ro") as folder:
        for option, name in (("--html", "report.html"), ("--markdown", "report.md")):
            target = folder / name
            result = runner.invoke(app, ["report", str(run), option, str(target)])
            assert result.exit_code == 2, result.output
            one_error_line(result.output, target.parent)
            assert "cannot write" in result.output

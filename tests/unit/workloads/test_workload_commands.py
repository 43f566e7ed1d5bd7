from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bakeoff.workloads.commands import app
from bakeoff.workloads.loader import WORKLOADS_DIR_ENV, load_workload, resolve_workload

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _shipped_workloads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKLOADS_DIR_ENV, raising=False)


def test_list_shows_every_shipped_workload() -> None:
    result = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for name in ("ycsb-a", "ycsb-b", "ycsb-c", "ycsb-d", "ycsb-e", "ycsb-f"):
        assert name in result.stdout
    assert "read 95%, update 5%" in result.stdout
    assert "scrambled_zipfian" in result.stdout
    assert "latest" in result.stdout


def test_list_with_a_broken_workload_fails_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.yaml").write_text("name: b\noperations: {read: 2}\n", encoding="utf-8")
    monkeypatch.setenv(WORKLOADS_DIR_ENV, str(tmp_path))
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{tmp_path / 'broken.yaml'}:2: operations.read: ")
    assert "Traceback" not in result.output


def test_show_prints_the_full_spec_and_its_hash() -> None:
    result = runner.invoke(app, ["show", "ycsb-a"])
    assert result.exit_code == 0, result.output
    workload = load_workload(resolve_workload("ycsb-a"))
    assert f"# spec_hash: {workload.spec_hash()}" in result.stdout
    shown = yaml.safe_load(result.stdout)
    assert shown == workload.model_dump(mode="json")
    assert shown["key_prefix"] == "user"  # defaults are included


def test_show_unknown_name_exits_2_with_one_line() -> None:
    result = runner.invoke(app, ["show", "ycsb-z"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "ycsb-a, ycsb-b" in result.stderr


def test_show_invalid_file_prints_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: t\nrecrods: 1\noperations: {read: 0.5}\n", encoding="utf-8")
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}:2: recrods: unknown field 'recrods' (did you mean 'records'?)",
        f"{path}:3: operations: operation proportions must sum to 1, they sum to 0.5",
    ]


def test_import_prints_yaml_and_warns_about_unknown_properties() -> None:
    result = runner.invoke(app, ["import-ycsb", str(FIXTURES / "unknown_keys.properties")])
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load(result.stdout)
    assert spec["name"] == "unknown_keys"
    assert spec["request_distribution"]["type"] == "hotspot"
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 3
    assert "jdbc.url=jdbc:postgresql://localhost/ycsb (line 27)" in warnings[0]
    assert "hunter2" not in result.output
    assert "note: ignored db=site.ycsb.db.JdbcDBClient" in result.stderr


def test_import_strict_fails_on_unknown_properties_and_writes_nothing(tmp_path: Path) -> None:
    output = tmp_path / "out.yaml"
    result = runner.invoke(
        app,
        ["import-ycsb", str(FIXTURES / "unknown_keys.properties"), "-o", str(output), "--strict"],
    )
    assert result.exit_code == 2
    assert "3 unknown properties" in result.stderr
    assert not output.exists()


def test_import_strict_passes_a_clean_file() -> None:
    result = runner.invoke(app, ["import-ycsb", str(FIXTURES / "workloada.properties"), "--strict"])
    assert result.exit_code == 0
    assert result.stderr == ""


def test_import_writes_a_loadable_file(tmp_path: Path) -> None:
    output = tmp_path / "a.yaml"
    args = ["import-ycsb", str(FIXTURES / "workloada.properties"), "--output", str(output)]
    result = runner.invoke(app, [*args, "--name", "my-a"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    workload = load_workload(output)
    assert workload.name == "my-a"
    assert workload.request_distribution.type == "scrambled_zipfian"

    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "--force" in again.stderr
    assert runner.invoke(app, [*args, "--force"]).exit_code == 0
    assert load_workload(output).name == "workloada"


def test_import_of_an_invalid_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.properties"
    path.write_text("recordcount=many\n", encoding="utf-8")
    result = runner.invoke(app, ["import-ycsb", str(path)])
    assert result.exit_code == 2
    assert result.stderr == f"{path}:1: recordcount: expected a whole number (got 'many')\n"


@pytest.mark.parametrize("command", [[], ["list"], ["show"], ["import-ycsb"]])
def test_help_texts(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Usage" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"name: x\0\n", ":1: invalid YAML: character 0x0000 is not allowed in YAML"),
        (
            b"name: x\noperations: " + b"[" * 20_000 + b"]" * 20_000 + b"\n",
            ":2: invalid YAML: nested deeper than 32 levels",
        ),
        (b"a: &a [1, 1]\nb: [*a, *a]\n", ":2: invalid YAML: aliases (*name) are not allowed"),
        (b"name: x\noperations: {read: 1.0}\nduration_s: .inf\n", ":3: duration_s: expected a"),
    ],
)
def test_show_of_a_hostile_file_exits_2_with_one_line(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}{expected}")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output

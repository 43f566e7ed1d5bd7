from __future__ import annotations

from pathlib import Path

import pytest

from bakeoff.core.operations import OPERATIONS
from bakeoff.workloads.loader import (
    WORKLOADS_DIR_ENV,
    WorkloadError,
    list_workloads,
    load_workload,
    resolve_workload,
    shipped_workloads_dir,
)
from bakeoff.workloads.model import ConstantLength, UniformLength

REPO = Path(__file__).resolve().parents[3]

# YCSB's core workloads as YCSB documents them.
SCHEMA_WORKLOADS = ("orders", "timeseries")
"""Shipped schema workloads (tests/unit/workloads/test_schema_workloads.py)."""
DOCUMENTED = {
    "ycsb-a": ({"read": 0.5, "update": 0.5}, "scrambled_zipfian"),
    "ycsb-b": ({"read": 0.95, "update": 0.05}, "scrambled_zipfian"),
    "ycsb-c": ({"read": 1.0}, "scrambled_zipfian"),
    "ycsb-d": ({"read": 0.95, "insert": 0.05}, "latest"),
    "ycsb-e": ({"scan": 0.95, "insert": 0.05}, "scrambled_zipfian"),
    "ycsb-f": ({"read": 0.5, "read_modify_write": 0.5}, "scrambled_zipfian"),
}

MINIMAL = "name: t\noperations:\n  read: 1.0\n"


@pytest.fixture(autouse=True)
def _shipped_workloads(monkeypatch: pytest.MonkeyPatch) -> None:
    # tox passes BAKEOFF_* through; these tests are about the repository's own files.
    monkeypatch.delenv(WORKLOADS_DIR_ENV, raising=False)


def write(tmp_path: Path, text: str, name: str = "w.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(path: Path) -> WorkloadError:
    with pytest.raises(WorkloadError) as caught:
        load_workload(path)
    return caught.value


# -- the shipped workloads -----------------------------------------------------------


def test_shipped_dir_is_the_top_level_workloads_folder() -> None:
    assert shipped_workloads_dir() == REPO / "workloads"


def test_list_workloads_finds_the_ycsb_core_and_the_schema_workloads() -> None:
    listed = list_workloads()
    assert [name for name, _, _ in listed] == sorted([*DOCUMENTED, *SCHEMA_WORKLOADS])
    for name, path, workload in listed:
        assert path == REPO / "workloads" / f"{name}.yaml"
        assert workload.name == name


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_shipped_workload_has_ycsb_proportions_and_defaults(name: str) -> None:
    mix, distribution = DOCUMENTED[name]
    workload = load_workload(resolve_workload(name))

    proportions = workload.operations.proportions()
    assert {op: share for op, share in proportions.items() if share > 0} == mix
    assert workload.request_distribution.type == distribution
    assert workload.records == 1000
    # A measured phase of 10 s, not YCSB's 1000 operations (docs/reports.md).
    assert workload.operation_count is None
    assert workload.duration_s == 10.0
    assert workload.fields.count == 10
    assert workload.fields.length == ConstantLength(value=100)
    assert workload.read_all_fields is True
    assert workload.write_all_fields is False
    assert workload.insert_order == "hashed"
    assert workload.table == "usertable"


def test_ycsb_e_scans_one_to_a_hundred_records_uniformly() -> None:
    workload = load_workload(resolve_workload("ycsb-e"))
    assert workload.scan_length == UniformLength(distribution="uniform", min=1, max=100)


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_shipped_workload_explains_itself_in_a_comment_header(name: str) -> None:
    text = (REPO / "workloads" / f"{name}.yaml").read_text(encoding="utf-8")
    assert text.startswith("# YCSB core workload")
    if DOCUMENTED[name][1] == "scrambled_zipfian":
        header = text.split("\nname:")[0]
        assert "scrambled" in header


def test_package_data_link_points_at_the_same_files() -> None:
    # Wheels are built from src/bakeoff/workloads/shipped; it must not drift from workloads/.
    shipped = REPO / "src" / "bakeoff" / "workloads" / "shipped"
    assert shipped.is_symlink()
    assert shipped.resolve() == (REPO / "workloads").resolve()


# -- error messages ------------------------------------------------------------------


def test_misspelled_field_names_file_line_path_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\noperations:\n  read: 1.0\nrecrods: 10\n")
    error = error_for(path)
    assert (error.file, error.line, error.field_path) == (path, 4, "recrods")
    assert str(error) == f"{path}:4: recrods: unknown field 'recrods' (did you mean 'records'?)"


def test_misspelled_nested_field_inside_a_union_member(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        MINIMAL + "request_distribution:\n  type: zipfian\n  constnt: 0.5\n",
    )
    error = error_for(path)
    assert error.line == 6
    assert error.field_path == "request_distribution.constnt"
    assert "unknown field 'constnt' (did you mean 'constant'?)" in error.message


def test_unknown_field_without_close_match_lists_valid_fields(tmp_path: Path) -> None:
    error = error_for(write(tmp_path, MINIMAL.replace("  read", "  xyzzy: 0\n  read")))
    assert error.field_path == "operations.xyzzy"
    valid = ", ".join(sorted(op.name for op in OPERATIONS))
    assert valid.startswith("delete, ")
    assert f"valid fields: {valid}" in error.message


def test_mix_not_summing_to_one_reports_the_sum(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\noperations:\n  read: 0.5\n  update: 0.6\n")
    error = error_for(path)
    assert error.line == 3  # the mapping under `operations:`
    assert error.field_path == "operations"
    assert "sum to 1.1" in error.message


def test_bad_discriminator_lists_the_allowed_values(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "request_distribution:\n  type: zipf\n")
    error = error_for(path)
    assert error.line == 5
    assert error.field_path == "request_distribution.type"
    assert error.message.startswith(
        "expected one of uniform, zipfian, scrambled_zipfian, latest, hotspot, sequential, "
        "exponential (got 'zipf'"
    )
    assert "did you mean 'zipfian'?" in error.message


def test_missing_discriminator_says_which_key_and_values(tmp_path: Path) -> None:
    error = error_for(write(tmp_path, MINIMAL + "scan_length:\n  max: 10\n"))
    assert error.field_path == "scan_length.distribution"
    assert error.message == "missing; set 'distribution' to one of constant, uniform, zipfian"


def test_scalar_instead_of_union_mapping_shows_how_to_write_it(tmp_path: Path) -> None:
    error = error_for(write(tmp_path, MINIMAL + "request_distribution: latest\n"))
    assert error.line == 4
    assert "write {type: latest}" in error.message


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("records: lots", "records: expected a whole number (got 'lots')"),
        ("records: 0", "records: expected a value >= 1 (got 0)"),
        ("read_all_fields: maybe", "read_all_fields: expected true or false (got 'maybe')"),
        ("fields: 10", "fields: expected a mapping (got 10)"),
        (
            "insert_order: hash",
            "insert_order: expected one of hashed, ordered (got 'hash'; did you mean 'hashed'?)",
        ),
        ("table: 1users", "table: expected an identifier of at most 63 letters"),
    ],
)
def test_wrong_type_or_value(tmp_path: Path, line: str, expected: str) -> None:
    path = write(tmp_path, MINIMAL + line + "\n")
    assert str(error_for(path)).startswith(f"{path}:4: {expected}")


def test_missing_required_field_points_at_the_parent_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "# a comment\nname: t\nrecords: 5\n")
    error = error_for(path)
    assert (error.line, error.field_path) == (2, "operations")
    assert error.message == "missing required field 'operations'"


def test_workload_level_rule_is_reported_on_the_workload(tmp_path: Path) -> None:
    error = error_for(write(tmp_path, MINIMAL + "operation_count: null\n"))
    assert error.field_path == "workload"
    assert error.message == "give operation_count or duration_s"


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\noperations:\n  read: 1\n update: 0\n")
    error = error_for(path)
    assert error.line == 4
    assert error.message.startswith("invalid YAML: ")
    assert "indentation" in error.message
    assert "\n" not in str(error)


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    error = error_for(write(tmp_path, MINIMAL + "records: 5\nrecords: 6\n"))
    assert (error.line, error.field_path) == (5, "records")
    assert "already given on line 4" in error.message


def test_every_problem_is_reported_one_line_each_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: t\nrecrods: 10\noperations:\n  read: 0.5\ninsert_order: hash\n",
    )
    error = error_for(path)
    lines = str(error).splitlines()
    assert [e.line for e in error.errors] == [2, 4, 5]
    assert len(lines) == 3
    assert all(line.startswith(f"{path}:") for line in lines)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "expected a mapping of workload fields (got a list)"),
        ("just text\n", "expected a mapping of workload fields (got the str 'just text')"),
    ],
)
def test_files_that_are_not_a_mapping(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_for(write(tmp_path, text)).message


def test_unreadable_file(tmp_path: Path) -> None:
    error = error_for(tmp_path / "absent.yaml")
    assert error.line is None
    assert str(error) == f"{tmp_path / 'absent.yaml'}: cannot read file: No such file or directory"


# -- finding workloads ---------------------------------------------------------------


def test_resolve_accepts_names_and_paths(tmp_path: Path) -> None:
    assert resolve_workload("ycsb-a") == REPO / "workloads" / "ycsb-a.yaml"
    own = write(tmp_path, MINIMAL, "mine.yaml")
    assert resolve_workload(str(own)) == own


def test_resolve_unknown_name_lists_known_names() -> None:
    with pytest.raises(WorkloadError) as caught:
        resolve_workload("ycsb-g")
    message = str(caught.value)
    assert "did you mean 'ycsb-" in message
    assert "ycsb-a, ycsb-b, ycsb-c, ycsb-d, ycsb-e, ycsb-f" in message


def test_resolve_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WorkloadError, match="no such file"):
        resolve_workload(str(tmp_path / "nope.yaml"))


def test_environment_variable_overrides_the_shipped_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, MINIMAL, "only.yaml")
    monkeypatch.setenv(WORKLOADS_DIR_ENV, str(tmp_path))
    assert shipped_workloads_dir() == tmp_path
    assert [name for name, _, _ in list_workloads()] == ["only"]
    assert resolve_workload("only") == tmp_path / "only.yaml"


def test_environment_variable_must_name_a_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(WORKLOADS_DIR_ENV, str(tmp_path / "missing"))
    with pytest.raises(WorkloadError, match=WORKLOADS_DIR_ENV):
        shipped_workloads_dir()

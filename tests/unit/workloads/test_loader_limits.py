"""Hostile or mistaken workload files end in the loader's own one-line error, before anything
starts: bounds on counts, lengths, durations and file size, strict types, and YAML without
aliases or deep nesting."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bakeoff.workloads.loader import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    WORKLOADS_DIR_ENV,
    WorkloadError,
    list_workloads,
    load_workload,
    resolve_workload,
)

MINIMAL = "name: t\noperations:\n  read: 1.0\n"

# The shipped workloads' hashes: results name their workload by this hash, so the limits
# must not change it. They changed once, on purpose, when the shipped YCSB workloads went
# from 1,000 operations to a 10-s measured phase (issue 14): results of the two are
# different measurements and must not be pooled under one workload.
SHIPPED_HASHES = {
    "ycsb-a": "4701943a5fe5bf6dfd6cbf23352966d3efee4d51e1835591a553598f6c02cf21",
    "ycsb-b": "f1a21c7a9c6138c6d3955db3bf8582f0d6501aa1730a2defa6349c191a1668c6",
    "ycsb-c": "8eabc921576898d7d1bce77a9c6ef3c38a16bc7a12705971fd9432b144b1a13b",
    "ycsb-d": "ce0dcc34ec40601908cc11d3fd7fc4f529bc3824d3ce12b2e8ce291aee926a2c",
    "ycsb-e": "99271ebe9761c885cae920e40ab394920f4a2d07035bfeae328b7878c0abb423",
    "ycsb-f": "65fad9c004756a0f481bfc6599e648ba00995cc4404bc5b817c4c520f13d2689",
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def one_line_error(path: Path) -> str:
    with pytest.raises(WorkloadError) as caught:
        load_workload(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}")
    return message


def test_shipped_workloads_and_their_hashes_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKLOADS_DIR_ENV, raising=False)
    hashes = {name: w.spec_hash() for name, _, w in list_workloads()}
    assert {name: hashes[name] for name in SHIPPED_HASHES} == SHIPPED_HASHES


# -- defect 6: bounds and strict types -----------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("records: 1000000000000", "records: expected a value <= 10000000000"),
        ("records: " + "1" + "0" * 30, "records: expected a value <= 10000000000"),
        ("operation_count: 10000000000000", "operation_count: expected a value <= 1000000000000"),
        (
            "warmup_operations: 10000000000000",
            "warmup_operations: expected a value <= 1000000000000",
        ),
        ("duration_s: .inf", "duration_s: expected a finite number (got inf)"),
        ("duration_s: 604801", "duration_s: expected a value <= 604800"),
        ("warmup_s: .nan", "warmup_s: expected a finite number (got nan)"),
        (
            "fields: {length: {distribution: constant, value: 1000000000}}",
            "fields.length.value: expected a value <= 1048576",
        ),
        (
            "scan_length: {distribution: uniform, max: 1000000000}",
            "scan_length.max: expected a value <= 1048576",
        ),
        (
            "fields: {count: 1024, length: {distribution: constant, value: 1048576}}",
            "fields: a record of 1024 fields of up to 1048576 characters exceeds the limit",
        ),
        ("description: " + "d" * 5000, "description: expected at most 4096 characters"),
        ("key_prefix: " + "k" * 40, "key_prefix: expected at most 32 characters"),
        ("records: true", "records: expected a whole number (got true)"),
        ("records: 10.0", "records: expected a whole number (got 10.0)"),
        ("records: '10'", "records: expected a whole number (got '10')"),
        ("seed: false", "seed: expected a whole number (got false)"),
        ("duration_s: true", "duration_s: expected a number (got true)"),
        ("read_all_fields: 1", "read_all_fields: expected true or false (got 1)"),
    ],
)
def test_out_of_bounds_or_wrongly_typed_values_are_refused(
    tmp_path: Path, line: str, expected: str
) -> None:
    path = write(tmp_path, MINIMAL + line + "\n")
    assert one_line_error(path).startswith(f"{path}:4: {expected}")


def test_a_share_of_true_is_not_a_share_of_one(tmp_path: Path) -> None:
    path = write(tmp_path, "name: t\noperations:\n  read: true\n")
    assert one_line_error(path).startswith(f"{path}:3: operations.read: expected a number")


def test_a_long_name_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "name: " + "n" * 129 + "\noperations: {read: 1.0}\n")
    assert one_line_error(path).startswith(f"{path}:1: name: expected at most 128 characters")


def test_the_bounds_themselves_are_accepted(tmp_path: Path) -> None:
    workload = load_workload(
        write(
            tmp_path,
            MINIMAL
            + "records: 10000000000\noperation_count: 1000000000000\n"
            + "fields: {count: 16, length: {distribution: constant, value: 1048576}}\n"
            + "warmup_s: 604800\n",
        )
    )
    assert workload.records == 10**10
    assert workload.fields.length.maximum == 2**20


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "description: " + "d" * MAX_FILE_BYTES + "\n")
    assert one_line_error(path) == f"{path}: larger than the limit of {MAX_FILE_BYTES} bytes"


# -- defect 3: aliases ---------------------------------------------------------------


def _alias_bomb(levels: int) -> str:
    lines = ['  l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"  l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 10)}]")
    return MINIMAL + "description:\n" + "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, _alias_bomb(9))  # a billion "lol"s once expanded
    started = time.perf_counter()
    message = one_line_error(path)
    assert time.perf_counter() - started < 5
    assert (
        message == f"{path}:6: invalid YAML: aliases (*name) are not allowed; write the value out"
    )


def test_anchors_without_aliases_are_harmless(tmp_path: Path) -> None:
    assert load_workload(write(tmp_path, "name: t\noperations: &mix\n  read: 1.0\n")).name == "t"


# -- defect 7: characters YAML refuses, and deep nesting -----------------------------


@pytest.mark.parametrize("character", ["\0", "\x07", "\x1b", "\ufffe"])
def test_a_control_character_is_the_loaders_error(tmp_path: Path, character: str) -> None:
    path = write(tmp_path, f"name: t\noperations: {{read: 1.0}}\ndescription: x{character}\n")
    assert one_line_error(path).startswith(f"{path}:3: invalid YAML: character 0x")


@pytest.mark.parametrize(
    "nested",
    [
        "[" * 20_000 + "]" * 20_000,
        "{a: " * 20_000 + "1" + "}" * 20_000,
        "".join(f"\n{'  ' * (i + 1)}k:" for i in range(MAX_DEPTH + 5)) + " 1",
    ],
)
def test_deep_nesting_is_the_loaders_error(tmp_path: Path, nested: str) -> None:
    path = write(tmp_path, "name: t\noperations: {read: 1.0}\ndescription: " + nested + "\n")
    assert f"invalid YAML: nested deeper than {MAX_DEPTH} levels" in one_line_error(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-13-01", "invalid YAML value: month must be in 1..12"),
        ("9" * 5000, "invalid YAML value: Exceeds the limit (4300 digits)"),
    ],
)
def test_values_yaml_cannot_construct_are_the_loaders_error(
    tmp_path: Path, value: str, expected: str
) -> None:
    path = write(tmp_path, MINIMAL + f"records: {value}\n")
    assert one_line_error(path).startswith(f"{path}: {expected}")


def test_an_empty_tagged_number_is_the_loaders_error(tmp_path: Path) -> None:
    # Found by the property-based test: PyYAML indexes the empty text and raises IndexError.
    path = write(tmp_path, MINIMAL + "records: !!int\n")
    assert one_line_error(path).startswith(f"{path}: invalid YAML value: ")


def test_a_line_break_in_a_key_stays_on_one_line(tmp_path: Path) -> None:
    # Found by the property-based test: an unknown key "a\nb" split the error in two.
    path = write(tmp_path, MINIMAL + '"a\\nb": 1\n')
    assert one_line_error(path).startswith(f"{path}:4: a\\nb: unknown field 'a\\nb'")


@pytest.mark.parametrize("name", ["a" * 5000, "a/" * 3000])
def test_a_name_too_long_for_the_file_system_is_the_loaders_error(name: str) -> None:
    with pytest.raises(WorkloadError, match="cannot use as a workload file: File name too long"):
        resolve_workload(name)

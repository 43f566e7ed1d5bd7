"""Whatever a workload file holds, the loader returns a workload or raises its own
`WorkloadError`, one line per problem, each naming the file.

A few thousand cases run with the unit tests; `--hypothesis-profile=thorough` (see
conftest.py) runs 10,000 per property.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bakeoff.workloads.loader import WorkloadError, load_workload
from bakeoff.workloads.model import Workload

# Hypothesis's own default profile runs 100 cases; the unit tests run more, a named
# profile (--hypothesis-profile) decides for itself.
_EXAMPLES = 750 if settings.get_current_profile_name() == "default" else settings().max_examples
_SETTINGS = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def workload_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties") / "w.yaml"


def load_or_refuse(path: Path) -> None:
    try:
        load_workload(path)
    except WorkloadError as error:
        lines = str(error).splitlines()
        assert len(lines) == len(error.errors)
        assert all(line.startswith(str(path)) for line in lines)


# -- arbitrary files -----------------------------------------------------------------


@_SETTINGS
@given(content=st.binary(max_size=4096))
def test_any_bytes(workload_file: Path, content: bytes) -> None:
    workload_file.write_bytes(content)
    load_or_refuse(workload_file)


@_SETTINGS
@given(content=st.text(max_size=2048))
def test_any_text(workload_file: Path, content: str) -> None:
    workload_file.write_text(content, encoding="utf-8")
    load_or_refuse(workload_file)


# -- YAML-ish text: YAML's own syntax in any order -----------------------------------

_TOKENS = [
    "name: t\n", "operations:\n", "  read: 1.0\n", "records: ", "fields:", "length:",
    "distribution: ", "constant", "uniform", "zipfian", "value: ", "type: ", "latest",
    ":", ": ", "-", "- ", "\n", "  ", "    ", "\t", "[", "]", "{", "}", ",", "?", "? ",
    "&a ", "*a", "&b ", "*b", "<<: ", "!!str ", "!!int ", "!!float ", "!!binary ",
    "!!python/object:os.system ", "!foo ", "%YAML 1.1\n", "---\n", "...\n", "#",
    "'", '"', "\\", "|\n", ">\n", "~", "null", "true", "yes", "no", ".inf", "-.inf",
    ".nan", "0x1F", "0o17", "1e400", "1.0e400", "1_000", "0b101", "190:20:30",
    "2024-13-01", "2001-12-14t21:59:43.10-05:00", "9" * 40, "\x00", "\x1b", "\ufeff",
    "\u2028", "\x85", "é",
]  # fmt: skip

yaml_ish = st.lists(st.one_of(st.sampled_from(_TOKENS), st.text(max_size=4)), max_size=80).map(
    "".join
)


@_SETTINGS
@given(content=yaml_ish)
def test_yaml_ish_text(workload_file: Path, content: str) -> None:
    workload_file.write_text(content, encoding="utf-8")
    load_or_refuse(workload_file)


# -- structured documents: the workload's own keys with any values -------------------


def _names(model: type[Any], seen: set[str]) -> None:
    for name, field in getattr(model, "model_fields", {}).items():
        seen.add(name)
        for member in getattr(field.annotation, "__args__", ()) or (field.annotation,):
            if isinstance(member, type) and member is not model:
                _names(member, seen)


_KEYS: set[str] = {"distribution", "type", "constant", "value", "min", "max"}
_names(Workload, _KEYS)
_TAGS = ["constant", "uniform", "zipfian", "scrambled_zipfian", "latest", "hotspot", "sequential"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(_TAGS),
)
keys = st.one_of(st.sampled_from(sorted(_KEYS)), st.text(max_size=10), st.integers())
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=6)),
    max_leaves=30,
)
workload_like = st.dictionaries(keys, documents, max_size=12).map(
    lambda d: {"name": "t", "operations": {"read": 1.0}, **d}
)


@_SETTINGS
@given(document=st.one_of(workload_like, documents), flow=st.booleans())
def test_structured_documents(workload_file: Path, document: Any, flow: bool) -> None:
    workload_file.write_text(
        yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True), encoding="utf-8"
    )
    load_or_refuse(workload_file)

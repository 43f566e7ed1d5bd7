"""Reading workload files, and finding the shipped ones.

Every problem is raised as a `WorkloadError` pointing at the offending line (see
`bakeoff.workloads.errors`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bakeoff.workloads.errors import WorkloadError, closest, kind_of_value, locate, yaml_line
from bakeoff.workloads.model import Workload

__all__ = [
    "WORKLOADS_DIR_ENV",
    "WorkloadError",
    "list_workloads",
    "load_workload",
    "resolve_workload",
    "shipped_workloads_dir",
]

WORKLOADS_DIR_ENV = "BAKEOFF_WORKLOADS_DIR"
_SUFFIXES = (".yaml", ".yml")
# A workload is a page of settings; these refuse what no workload needs (README: Limits).
MAX_FILE_BYTES = 2**20
MAX_DEPTH = 32
# Where a wheel carries its copy of the top-level workloads/ folder (see shipped_workloads_dir).
_PACKAGE_DATA_DIR = Path(__file__).resolve().parent / "shipped"

# -- loading -------------------------------------------------------------------------


def load_workload(path: Path) -> Workload:
    """Read and validate one workload file; every problem is raised as a `WorkloadError`."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise WorkloadError(path, None, "", f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise WorkloadError(path, None, "", f"larger than the limit of {MAX_FILE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorkloadError(path, None, "", f"not UTF-8 text ({exc.reason})") from None

    root, data = _parse_yaml(path, text)
    if root is None:
        raise WorkloadError(path, 1, "", "the file is empty; expected a mapping of workload fields")
    if not isinstance(root, yaml.MappingNode):
        raise WorkloadError(
            path,
            yaml_line(root),
            "",
            f"expected a mapping of workload fields (got {kind_of_value(data)})",
        )

    problems = list(_duplicate_keys(path, root))
    try:
        workload = Workload.model_validate(data)
    except ValidationError as exc:
        problems.extend(locate(path, root, err) for err in exc.errors())
    if problems:
        raise WorkloadError.collect(problems)
    return workload


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases and with a nesting limit.

    An alias repeats a node wherever it is used, so a few nested ones make a 1 KB file
    expand a billion times (an "alias bomb"); no workload needs them. The composer recurses
    once per level, so a deep file would end in a RecursionError.
    """

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
        line = None if event.start_mark is None else event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _RefusedYamlError(line, "aliases (*name) are not allowed; write the value out")
        if self._depth >= MAX_DEPTH:
            raise _RefusedYamlError(line, f"nested deeper than {MAX_DEPTH} levels")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _RefusedYamlError(Exception):
    def __init__(self, line: int | None, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


def _parse_yaml(path: Path, text: str) -> tuple[yaml.Node | None, Any]:
    try:
        loader = _BoundedLoader(text)
        try:
            node = loader.get_single_node()
            data = None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except _RefusedYamlError as exc:
        raise WorkloadError(path, exc.line, "", f"invalid YAML: {exc.problem}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "unreadable YAML"
        if exc.context and exc.problem and exc.context_mark is not None:
            problem = f"{problem} ({exc.context} on line {exc.context_mark.line + 1})"
        if "<block" in problem:
            # PyYAML's block-structure errors are almost always mis-indented lines.
            problem += "; check the indentation"
        line = None if mark is None else mark.line + 1
        raise WorkloadError(path, line, "", f"invalid YAML: {problem}") from None
    except yaml.reader.ReaderError as exc:
        # A character YAML does not allow (NUL, most control characters); no mark, a position.
        line = text.count("\n", 0, exc.position) + 1
        problem = f"character {exc.character:#06x} is not allowed in YAML"
        raise WorkloadError(path, line, "", f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise WorkloadError(path, None, "", f"invalid YAML: {' '.join(str(exc).split())}") from None
    except (ValueError, IndexError, TypeError, OverflowError) as exc:
        # PyYAML's constructors let some values through unchecked: a date such as
        # 2024-13-01, an integer longer than Python converts, an empty `!!int`.
        problem = str(exc).partition(";")[0] or type(exc).__name__
        raise WorkloadError(path, None, "", f"invalid YAML value: {problem}") from None
    return node, data


def _duplicate_keys(path: Path, node: yaml.Node, prefix: str = "") -> Iterable[WorkloadError]:
    # PyYAML silently keeps the last of two equal keys; in a benchmark spec that hides which
    # value was meant, so it is an error here.
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            dotted = f"{prefix}.{name}" if prefix else name
            if name in seen:
                yield WorkloadError(
                    path,
                    yaml_line(key),
                    dotted,
                    f"duplicate key; it is already given on line {seen[name]}",
                )
            else:
                seen[name] = yaml_line(key)
            yield from _duplicate_keys(path, value, dotted)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(path, item, f"{prefix}[{index}]")


# -- finding workloads ---------------------------------------------------------------


def shipped_workloads_dir() -> Path:
    """The folder holding bakeoff's own workloads.

    The canonical files live in the repository's top-level ``workloads/`` folder, where users
    browse and edit them. In order:

    1. ``$BAKEOFF_WORKLOADS_DIR``, to point bakeoff at another collection;
    2. the source checkout's ``workloads/`` (editable installs and running from the tree);
    3. ``bakeoff/workloads/shipped/`` inside the installed package: in the source tree it is a
       symbolic link to the top-level folder, which setuptools follows when it builds a
       wheel, so an installed wheel carries real copies without a second set to keep in sync.
    """
    override = os.environ.get(WORKLOADS_DIR_ENV)
    if override:
        directory = Path(override).expanduser()
        if not directory.is_dir():
            raise WorkloadError(
                directory,
                None,
                WORKLOADS_DIR_ENV,
                "expected a directory of workload files (it does not exist or is not a directory)",
            )
        return directory

    package_dir = Path(__file__).resolve().parent  # <root>/src/bakeoff/workloads
    checkout = package_dir.parents[2]
    if (
        package_dir.parents[1].name == "src"
        and (checkout / "pyproject.toml").is_file()
        and (checkout / "workloads").is_dir()
    ):
        return checkout / "workloads"

    if _PACKAGE_DATA_DIR.is_dir():
        return _PACKAGE_DATA_DIR

    raise WorkloadError(
        _PACKAGE_DATA_DIR,
        None,
        "",
        f"bakeoff's shipped workloads are missing from this installation; "
        f"set {WORKLOADS_DIR_ENV} to a folder of workload files",
    )


def _workload_files(directory: Path) -> list[Path]:
    files = [p for p in directory.iterdir() if p.suffix in _SUFFIXES and p.is_file()]
    return sorted(files, key=lambda p: p.name)


def list_workloads() -> list[tuple[str, Path, Workload]]:
    """Every shipped workload as (name, file, validated spec), by name.

    One invalid file fails the whole listing: a collection that silently lost a workload
    would make results harder to compare than an error does.
    """
    return [(p.stem, p, load_workload(p)) for p in _workload_files(shipped_workloads_dir())]


def resolve_workload(name_or_path: str) -> Path:
    """A workload file from a shipped name ("ycsb-a") or a path ("my/ycsb-a.yaml")."""
    try:
        return _resolve(name_or_path)
    except OSError as exc:  # a name too long for the file system, say
        problem = f"cannot use as a workload file: {exc.strerror or exc}"
        raise WorkloadError(Path(name_or_path), None, "", problem) from None


def _resolve(name_or_path: str) -> Path:
    candidate = Path(name_or_path).expanduser()
    if candidate.is_file():
        return candidate
    looks_like_path = "/" in name_or_path or os.sep in name_or_path or candidate.suffix in _SUFFIXES
    if looks_like_path:
        problem = "is a directory" if candidate.is_dir() else "no such file"
        raise WorkloadError(candidate, None, "", f"{problem}; expected a workload YAML file")

    directory = shipped_workloads_dir()
    for suffix in _SUFFIXES:
        shipped = directory / f"{name_or_path}{suffix}"
        if shipped.is_file():
            return shipped

    known = [p.stem for p in _workload_files(directory)]
    close = closest(name_or_path, known)
    hint = f" (did you mean '{close}'?)" if close else ""
    listing = ", ".join(known) if known else f"none found in {directory}"
    raise WorkloadError(
        Path(name_or_path),
        None,
        "",
        f"unknown workload{hint}; expected a file path or one of: {listing}",
    )

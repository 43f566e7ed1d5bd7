"""Workload errors that point at the offending line.

Errors are reported as ``<file>:<line>: <field.path>: <what was expected> (got <value>)`` so
that a user can jump straight to the mistake. To get line numbers the YAML is composed into a
node tree (which keeps each node's position) and pydantic's error locations are walked down
that tree alongside the model's own field types.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Discriminator, Tag
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from bakeoff.workloads.model import Workload

_MAX_SHOWN = 60

__all__ = [
    "WorkloadError",
    "closest",
    "describe_error",
    "kind_of_value",
    "locate",
    "model_path",
    "yaml_line",
]


class WorkloadError(Exception):
    """A workload (or workload-like input) is invalid; `str()` gives one line per problem.

    The attributes describe the first problem; `errors` holds every problem found, so a
    caller can show them all at once instead of making the user fix them one run at a time.
    """

    file: Path
    line: int | None
    field_path: str
    message: str

    def __init__(
        self,
        file: Path,
        line: int | None,
        field_path: str,
        message: str,
        *,
        more: Sequence[WorkloadError] = (),
    ) -> None:
        self.file = file
        self.line = line
        self.field_path = field_path
        self.message = message
        self.more = tuple(more)
        super().__init__(self.one_line())

    @property
    def errors(self) -> tuple[WorkloadError, ...]:
        return (self, *self.more)

    def one_line(self) -> str:
        where = str(self.file) if self.line is None else f"{self.file}:{self.line}"
        if self.field_path:
            return _escaped(f"{where}: {self.field_path}: {self.message}")
        return _escaped(f"{where}: {self.message}")

    def __str__(self) -> str:
        return "\n".join(error.one_line() for error in self.errors)

    @classmethod
    def collect(cls, errors: Sequence[WorkloadError]) -> WorkloadError:
        """One exception carrying several problems, ordered as they appear in the file."""
        ordered = sorted(errors, key=lambda e: (e.line is None, e.line or 0))
        first = ordered[0]
        return cls(first.file, first.line, first.field_path, first.message, more=ordered[1:])


def _escaped(text: str) -> str:
    # A key or value from the file may hold a line break or a control character; shown
    # escaped, so that each problem stays on one line of the terminal.
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def yaml_line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


# -- walking pydantic error locations down the model and the YAML tree ----------------


@dataclass(frozen=True)
class _Union:
    """A discriminated union: which key selects the member, and the member for each tag."""

    discriminator: str
    members: dict[str, type[BaseModel]]


def _shape_of(annotation: Any, discriminator: Any) -> Any:
    if isinstance(discriminator, Discriminator):
        # A callable discriminator: each member is tagged, and the tag is a level of
        # pydantic's location that the YAML does not have.
        tagged = {}
        for member in typing.get_args(annotation):
            model, *metadata = typing.get_args(member)
            for tag in metadata:
                if isinstance(tag, Tag):
                    tagged[tag.tag] = model
        return _Union("", tagged)
    if isinstance(discriminator, str):
        members: dict[str, type[BaseModel]] = {}
        for member in typing.get_args(annotation):
            if isinstance(member, type) and issubclass(member, BaseModel):
                tag_field = member.model_fields.get(discriminator)
                if tag_field is not None:
                    for tag in typing.get_args(tag_field.annotation):
                        members[str(tag)] = member
        return _Union(discriminator, members)
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        # `X | None`: an error is about X, since null itself is always accepted.
        non_null = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(non_null) == 1:
            return _shape_of(non_null[0], None)
    if origin is typing.Annotated:
        return _shape_of(typing.get_args(annotation)[0], None)
    return annotation


def _discriminator(field: FieldInfo) -> Any:
    callable_ones = [m for m in field.metadata if isinstance(m, Discriminator)]
    return callable_ones[0] if callable_ones else field.discriminator


@dataclass
class _Walk:
    path: list[str | int]
    node: yaml.Node | None  # deepest node reached; the parent mapping if the key is absent
    key_node: yaml.Node | None  # the key of the last element, if it is present
    found: bool  # whether every element of the location exists in the YAML
    shape: Any  # the model type at the location
    owner: type[BaseModel] | None  # the model the last element is a field of


def _walk(root: yaml.Node | None, loc: Sequence[int | str]) -> _Walk:
    walk = _Walk([], root, None, True, Workload, None)
    for element in loc:
        shape = walk.shape
        if isinstance(shape, _Union):
            # pydantic puts the chosen tag into the location; the YAML has no such level.
            walk.shape = shape.members.get(str(element))
            continue
        if isinstance(shape, type) and issubclass(shape, BaseModel) and isinstance(element, str):
            walk.owner = shape
            field = shape.model_fields.get(element)
            walk.shape = (
                None if field is None else _shape_of(field.annotation, _discriminator(field))
            )
        else:
            walk.owner = None
            walk.shape = None
        walk.path.append(element)
        if not walk.found:
            continue
        key, value = _child(walk.node, element)
        walk.key_node = key
        if value is None:
            walk.found = False
        else:
            walk.node = value
    return walk


def _child(node: yaml.Node | None, element: int | str) -> tuple[yaml.Node | None, yaml.Node | None]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if str(key.value) == str(element):
                return key, value
    elif (
        isinstance(node, yaml.SequenceNode)
        and isinstance(element, int)
        and 0 <= element < len(node.value)
    ):
        return None, node.value[element]
    return None, None


def model_path(loc: Sequence[int | str]) -> tuple[int | str, ...]:
    """A pydantic error location with discriminated-union tags removed (the user's path)."""
    return tuple(_walk(None, loc).path)


def _dotted(path: Sequence[int | str]) -> str:
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (f".{element}" if text else element)
    return text or "workload"


_PATH_IN_MESSAGE = re.compile(r"^(?:Value error, )?([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+): ")


def locate(path: Path, root: yaml.Node, err: ErrorDetails) -> WorkloadError:
    loc = err["loc"]
    named = _PATH_IN_MESSAGE.match(err["msg"]) if not loc else None
    if named:
        # A check across fields (a schema workload's operations against its entities)
        # names the field it is about at the start of its message.
        walk = _walk(root, named.group(1).split("."))
        message = err["msg"][named.end() :]
        return WorkloadError(path, _line_of(walk.node), named.group(1), message)
    walk = _walk(root, loc)
    kind = err["type"]
    field_path = _dotted(walk.path)
    node: yaml.Node | None = walk.node

    if kind == "extra_forbidden":
        name = str(walk.path[-1]) if walk.path else "?"
        valid = sorted(walk.owner.model_fields) if walk.owner is not None else []
        close = closest(name, valid)
        if close:
            message = f"unknown field '{name}' (did you mean '{close}'?)"
        elif valid:
            message = f"unknown field '{name}'; valid fields: {', '.join(valid)}"
        else:
            message = f"unknown field '{name}'"
        return WorkloadError(path, _line_of(walk.key_node or node), field_path, message)

    if kind == "missing":
        name = str(walk.path[-1]) if walk.path else "?"
        return WorkloadError(path, _line_of(node), field_path, f"missing required field '{name}'")

    if isinstance(walk.shape, _Union) and walk.found:
        return _union_error(path, walk, err)

    return WorkloadError(path, _line_of(node), field_path, describe_error(err, shape=walk.shape))


def _union_error(path: Path, walk: _Walk, err: ErrorDetails) -> WorkloadError:
    assert isinstance(walk.shape, _Union)
    union = walk.shape
    tags = list(union.members)
    allowed = ", ".join(tags)
    field_path = f"{_dotted(walk.path)}.{union.discriminator}"
    node = walk.node
    if err["type"] == "union_tag_invalid":
        tag = str(err.get("ctx", {}).get("tag", ""))
        _, tag_node = _child(node, union.discriminator)
        message = f"expected one of {allowed} (got {_show(tag)}{_did_you_mean(tag, tags)})"
        return WorkloadError(path, _line_of(tag_node or node), field_path, message)
    if err["type"] == "union_tag_not_found":
        message = f"missing; set '{union.discriminator}' to one of {allowed}"
        return WorkloadError(path, _line_of(node), field_path, message)
    if err["type"] in {"model_attributes_type", "model_type", "dict_type"}:
        value = err.get("input")
        hint = ""
        if isinstance(value, str) and value in union.members:
            hint = f"; write {{{union.discriminator}: {value}}}"
        message = (
            f"expected a mapping with '{union.discriminator}' set to one of {allowed}"
            f" (got {_show(value)}{hint})"
        )
        return WorkloadError(path, _line_of(node), _dotted(walk.path), message)
    return WorkloadError(path, _line_of(node), _dotted(walk.path), describe_error(err))


def _line_of(node: yaml.Node | None) -> int | None:
    return None if node is None else yaml_line(node)


# -- wording -------------------------------------------------------------------------

_EXPECTED_BY_TYPE = {
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "finite_number": "expected a finite number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "string_type": "expected text",
    "model_type": "expected a mapping",
    "model_attributes_type": "expected a mapping",
    "dict_type": "expected a mapping",
    "list_type": "expected a list",
}

_BOUNDS = {
    "greater_than": ("gt", ">"),
    "greater_than_equal": ("ge", ">="),
    "less_than": ("lt", "<"),
    "less_than_equal": ("le", "<="),
}

# The model's patterns, said in words; an unlisted pattern is shown as it is.
_PATTERN_WORDS = {
    r"^[A-Za-z0-9][A-Za-z0-9_.-]*$": (
        "letters, digits, '_', '.' and '-', starting with a letter or digit"
    ),
    r"^[A-Za-z_][A-Za-z0-9_]{0,62}$": (
        "an identifier of at most 63 letters, digits and '_', not starting with a digit"
    ),
    r"^[A-Za-z_][A-Za-z0-9_]*$": (
        "an identifier of letters, digits and '_', not starting with a digit"
    ),
    r"^[A-Za-z0-9_]*$": "letters, digits and '_' only",
}


def describe_error(err: ErrorDetails, *, shape: Any = None) -> str:
    """pydantic's error as '<what was expected> (got <value>)', without its location."""
    kind = err["type"]
    ctx = err.get("ctx", {})
    value = err.get("input")
    got = f" (got {_show(value)})"

    if kind in {"value_error", "assertion_error"}:
        message = str(ctx.get("error", err["msg"]))
        # A model-level check has the whole mapping as input: the message says what is wrong.
        return message if isinstance(value, dict | list) else message + got
    if kind == "literal_error" and typing.get_args(shape):
        choices = [str(arg) for arg in typing.get_args(shape)]
        hint = _did_you_mean(str(value), choices)
        return f"expected one of {', '.join(choices)} (got {_show(value)}{hint})"

    if kind in _BOUNDS:
        key, symbol = _BOUNDS[kind]
        bound = ctx.get(key)
        shown = f"{bound:g}" if isinstance(bound, float) else str(bound)
        expected = f"expected a value {symbol} {shown}"
    elif kind == "literal_error":
        expected = f"expected {ctx.get('expected', 'one of the allowed values')}"
    elif kind == "string_too_long":
        expected = f"expected at most {ctx.get('max_length')} characters"
    elif kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        expected = f"expected {_PATTERN_WORDS.get(pattern, f'text matching {pattern}')}"
    elif kind in _EXPECTED_BY_TYPE:
        expected = _EXPECTED_BY_TYPE[kind]
    else:
        expected = err["msg"][:1].lower() + err["msg"][1:]
    return expected + got


def closest(word: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = closest(word, choices)
    return f"; did you mean '{close}'?" if close else ""


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def kind_of_value(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    return f"the {type(value).__name__} {_show(value)}"

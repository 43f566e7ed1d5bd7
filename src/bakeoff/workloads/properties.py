"""Java properties files (YCSB's workload format): parsing, and typed reads whose every
problem is collected as a `WorkloadError` pointing at its line."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bakeoff.core.secrets import looks_secret
from bakeoff.workloads.errors import WorkloadError

__all__ = ["Property", "PropertyReader", "parse_properties", "shown"]


@dataclass(frozen=True)
class Property:
    key: str
    value: str
    line: int  # 1-based line where the entry starts


_WHITESPACE = " \t\f"
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def parse_properties(text: str) -> list[Property]:
    """Entries of a ``java.util.Properties`` text file, in file order (duplicates kept).

    Follows Java's format: ``#``/``!`` comment lines, ``key=value``, ``key: value`` or
    ``key value``, backslash escapes (including ``\\uXXXX``) and backslash line continuations.
    """
    return list(_entries(re.split(r"\r\n|\r|\n", text)))


def _entries(lines: Sequence[str]) -> Iterator[Property]:
    index = 0
    while index < len(lines):
        start = index
        logical = lines[index].lstrip(_WHITESPACE)
        index += 1
        if not logical or logical[0] in "#!":
            continue
        while _continues(logical):
            logical = logical[:-1]
            if index == len(lines):
                break
            # Java strips the indentation of continuation lines; they are never comments.
            logical += lines[index].lstrip(_WHITESPACE)
            index += 1
        key, value = _split_entry(logical)
        yield Property(_unescape(key), _unescape(value), start + 1)


def _continues(line: str) -> bool:
    trailing = len(line) - len(line.rstrip("\\"))
    return trailing % 2 == 1


def _split_entry(logical: str) -> tuple[str, str]:
    position = 0
    while position < len(logical):
        char = logical[position]
        if char == "\\":
            position += 2
            continue
        if char in "=:" or char in _WHITESPACE:
            break
        position += 1
    key, rest = logical[:position], logical[position:].lstrip(_WHITESPACE)
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(_WHITESPACE)
    return key, rest


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char != "\\" or position + 1 == len(text):
            out.append(char)
            position += 1
            continue
        escaped = text[position + 1]
        hex_digits = text[position + 2 : position + 6]
        if escaped == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", hex_digits):
            out.append(chr(int(hex_digits, 16)))
            position += 6
        else:
            out.append(_ESCAPES.get(escaped, escaped))
            position += 2
    return "".join(out)


class PropertyReader:
    """Typed reads of properties; every problem is collected as a WorkloadError on its line."""

    def __init__(self, path: Path, entries: Sequence[Property]) -> None:
        self.path = path
        self.notes: list[str] = []
        self.props: dict[str, Property] = {}
        for entry in entries:
            earlier = self.props.get(entry.key)
            if earlier is not None:
                self.notes.append(
                    f"{entry.key} is set on lines {earlier.line} and {entry.line}; "
                    f"the last value wins, as in YCSB"
                )
            self.props[entry.key] = entry
        self.used: set[str] = set()
        self.ignored: list[tuple[int, str]] = []
        self.errors: list[WorkloadError] = []

    def get(self, key: str) -> Property | None:
        self.used.add(key)
        return self.props.get(key)

    def fail(self, key: str, message: str) -> None:
        entry = self.props.get(key)
        line = None if entry is None else entry.line
        self.errors.append(WorkloadError(self.path, line, key, message))

    def integer(self, key: str, default: int, *, minimum: int | None = None) -> int:
        entry = self.get(key)
        if entry is None:
            return default
        if not re.fullmatch(r"[+-]?\d+", entry.value.strip()):
            self.fail(key, f"expected a whole number (got {entry.value!r})")
            return default
        number = int(entry.value)
        if minimum is not None and number < minimum:
            self.fail(key, f"expected a value >= {minimum} (got {number})")
            return default
        return number

    def number(self, key: str, default: float, *, minimum: float | None = None) -> float:
        entry = self.get(key)
        if entry is None:
            return default
        text = entry.value.strip()
        try:
            # Java's Double.parseDouble accepts a trailing type letter such as 0.5d.
            number = float(text[:-1] if text[-1:] in ("d", "D", "f", "F") else text)
        except ValueError:
            self.fail(key, f"expected a number (got {entry.value!r})")
            return default
        if not math.isfinite(number):
            self.fail(key, f"expected a finite number (got {entry.value!r})")
            return default
        if minimum is not None and number < minimum:
            self.fail(key, f"expected a value >= {minimum:g} (got {number:g})")
            return default
        return number

    def boolean(self, key: str, default: bool) -> bool:
        entry = self.get(key)
        if entry is None:
            return default
        text = entry.value.strip().lower()
        if text not in ("true", "false"):
            self.fail(key, f"expected true or false (got {entry.value!r})")
            return default
        return text == "true"

    def choice(
        self, key: str, default: str, choices: Sequence[str], *, unsupported: str = ""
    ) -> str:
        entry = self.get(key)
        if entry is None:
            return default
        value = entry.value.strip()
        if value not in choices:
            extra = f"; {unsupported}" if unsupported else ""
            self.fail(key, f"expected one of {', '.join(choices)} (got {value!r}{extra})")
            return default
        return value

    def text(self, key: str, default: str) -> str:
        entry = self.get(key)
        return default if entry is None else entry.value.strip()

    def ignore(self, key: str, why: str) -> None:
        entry = self.props.get(key)
        if entry is not None and key not in self.used:
            self.used.add(key)
            self.ignored.append((entry.line, f"{shown(entry)}: {why}"))


def shown(entry: Property) -> str:
    secret = looks_secret(entry.key)
    value = "<redacted>" if secret else entry.value
    return f"{entry.key}={value} (line {entry.line})"

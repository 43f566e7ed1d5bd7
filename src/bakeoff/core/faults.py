"""A fault schedule entry: what to break, where and when (docs/faults.md).

One syntax serves the command line (`--fault 'at=20s,kill,node=2'`) and a workload's
`faults:` list: comma-separated items, each `name=value` or a bare fault kind. A fault
that names no duration (`for=`) lasts until the trial ends, when it is undone anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCKER_KINDS = ("kill", "stop", "pause", "partition")
"""Faults the Docker API applies to a node's container."""
TOXIC_KINDS = ("latency", "bandwidth", "timeout", "reset")
"""Degraded links: Toxiproxy toxics between the client and the node."""
OPERATOR_KINDS = ("promote", "repoint")
"""An operator's actions: promote a replica; point the client at another node."""
KINDS = (*DOCKER_KINDS, *TOXIC_KINDS, *OPERATOR_KINDS)

FAULT_INTERVAL_S = 0.25
"""Default interval width with --fault: a quarter second resolves detection and recovery
times to 0.25 s, at four times the rows of the default 1 s."""

_VALUE_KINDS = {"latency": "duration", "bandwidth": "rate", "timeout": "duration"}
"""Kinds that take a value (`latency=50ms`); `reset` may take one (the delay before the
reset), the others take none."""
_FIELDS = ("at", "for", "node", "jitter")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m)?\Z")
_RATE = re.compile(r"(\d+)\s*(?:kb/s|kbps|kb)?\Z", re.IGNORECASE)
_UNIT_S = {"ms": 1e-3, "s": 1.0, "m": 60.0, None: 1.0}


class FaultSyntaxError(ValueError):
    """A fault entry that cannot be read; the message names the entry and the field."""


@dataclass(frozen=True)
class FaultSpec:
    """One scheduled fault. Times are seconds from the start of the measure phase."""

    kind: str
    at_s: float
    for_s: float | None = None
    """How long the fault lasts; None: until the trial ends."""
    node: str = "primary"
    """A `find_node` selector: a role, a node name, or a 1-based position."""
    value: float | None = None
    """latency / timeout / reset: milliseconds; bandwidth: KB/s."""
    jitter_ms: float = 0.0
    text: str = ""
    """The entry as written (the manifest records it)."""

    @property
    def needs_proxy(self) -> bool:
        """The client must reach the node through Toxiproxy for this fault."""
        return self.kind in TOXIC_KINDS or self.kind == "repoint"

    def describe(self) -> dict[str, object]:
        return {
            "fault": self.text or self.kind,
            "kind": self.kind,
            "at_s": self.at_s,
            "for_s": self.for_s,
            "node": self.node,
            "value": self.value,
        }


def duration_s(text: str, field: str, entry: str) -> float:
    """`20s`, `500ms`, `1.5s`, `2m` or a plain number of seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise FaultSyntaxError(
            f"fault {entry!r}: {field}: expected a duration like 20s or 500ms, got {text!r}"
        )
    return float(match.group(1)) * _UNIT_S[match.group(2)]


def parse_fault(entry: str) -> FaultSpec:
    """A fault from its text; FaultSyntaxError naming the entry and the field."""
    fields: dict[str, str] = {}
    kind: str | None = None
    kind_value: str | None = None
    for raw in entry.split(","):
        item = raw.strip()
        if not item:
            continue
        name, _, value = item.partition("=")
        name = name.strip().lower()
        if name in KINDS:
            if kind is not None:
                raise FaultSyntaxError(
                    f"fault {entry!r}: one kind per fault, got {kind} and {name}"
                )
            kind, kind_value = name, value.strip() if value else None
        elif name in _FIELDS:
            if not value.strip():
                raise FaultSyntaxError(f"fault {entry!r}: {name}: needs a value ({name}=...)")
            fields[name] = value.strip()
        else:
            raise FaultSyntaxError(
                f"fault {entry!r}: unknown item {name!r}; expected at=, for=, node=, jitter= "
                f"or a kind: {', '.join(KINDS)}"
            )
    if kind is None:
        raise FaultSyntaxError(f"fault {entry!r}: kind: missing; one of {', '.join(KINDS)}")
    if "at" not in fields:
        raise FaultSyntaxError(f"fault {entry!r}: at: missing (when, e.g. at=20s)")
    return FaultSpec(
        kind=kind,
        at_s=duration_s(fields["at"], "at", entry),
        for_s=_duration_field(fields, "for", entry),
        node=fields.get("node", "replica" if kind in OPERATOR_KINDS else "primary"),
        value=_kind_value(kind, kind_value, entry),
        jitter_ms=(_duration_field(fields, "jitter", entry) or 0.0) * 1000,
        text=entry.strip(),
    )


def _duration_field(fields: dict[str, str], name: str, entry: str) -> float | None:
    if name not in fields:
        return None
    seconds = duration_s(fields[name], name, entry)
    if name == "for" and seconds <= 0:
        raise FaultSyntaxError(f"fault {entry!r}: for: must be positive, got {fields[name]!r}")
    return seconds


def _kind_value(kind: str, value: str | None, entry: str) -> float | None:
    expected = _VALUE_KINDS.get(kind)
    if expected is None and kind != "reset":
        if value:
            raise FaultSyntaxError(f"fault {entry!r}: {kind}: takes no value, got {value!r}")
        return None
    if not value:
        if kind == "reset":
            return 0.0
        example = "latency=50ms" if expected == "duration" else "bandwidth=100KB/s"
        raise FaultSyntaxError(f"fault {entry!r}: {kind}: needs a value, e.g. {example}")
    if expected == "rate":
        match = _RATE.match(value)
        if not match or int(match.group(1)) <= 0:
            raise FaultSyntaxError(
                f"fault {entry!r}: bandwidth: expected KB/s like 100KB/s, got {value!r}"
            )
        return float(match.group(1))
    return duration_s(value, kind, entry) * 1000


def parse_faults(entries: list[str] | tuple[str, ...]) -> tuple[FaultSpec, ...]:
    """Every entry parsed, in the order of their start times."""
    return tuple(sorted((parse_fault(e) for e in entries), key=lambda f: f.at_s))


def checked_faults(entries: tuple[str, ...]) -> tuple[str, ...]:
    """`entries` unchanged once each parses (a workload's `faults:` validator)."""
    parse_faults(entries)
    return entries

"""Reading `bakeoff run`'s command-line values: per-engine pairs, knobs and the worker
split. Each mistake is one line and exit 2 (`fail`), before anything starts."""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.cli.common import fail
from bakeoff.engines.catalog import CATALOG
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import split_connections


def parse_pairs(values: Sequence[str], option: str, engines: Sequence[str]) -> dict[str, str]:
    """ENGINE=VALUE pairs; a bare VALUE applies when exactly one engine was given. A pair
    for an engine outside the run is refused: it would be ignored silently."""
    pairs: dict[str, str] = {}
    for raw in values:
        engine, sep, value = raw.partition("=")
        if sep and engine in CATALOG:
            if engine not in engines:
                raise fail(f"{option} {raw!r}: {_not_in_run(engine, engines)}")
            pairs[engine] = value
        elif len(engines) == 1:
            pairs[engines[0]] = raw
        else:
            raise fail(f"{option} {raw!r}: expected ENGINE=VALUE when several engines run")
    return pairs


def _not_in_run(engine: str, engines: Sequence[str]) -> str:
    return f"engine {engine!r} is not part of this run (--engine {' --engine '.join(engines)})"


def parse_models(values: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """ENGINE=MODEL pairs; an engine named twice runs under both models."""
    models: dict[str, tuple[str, ...]] = {}
    for raw in values:
        engine, sep, name = raw.partition("=")
        if not sep or not engine or not name:
            raise fail(f"--model {raw!r}: expected ENGINE=MODEL, e.g. postgres=jsonb")
        models[engine] = (*models.get(engine, ()), name)
    return models


def parse_knobs(values: Sequence[str], engines: Sequence[str]) -> dict[str, dict[str, str]]:
    """[ENGINE.]NAME=VALUE; NAME may hold dots itself (PostgreSQL's extension settings)."""
    knobs: dict[str, dict[str, str]] = {}
    for raw in values:
        target, sep, value = raw.partition("=")
        if not sep:
            raise fail(f"--knob {raw!r}: expected [ENGINE.]NAME=VALUE")
        engine, dot, name = target.partition(".")
        if not dot or engine not in CATALOG:
            if len(engines) != 1:
                raise fail(f"--knob {raw!r}: say which engine, as ENGINE.NAME=VALUE")
            engine, name = engines[0], target
        if engine not in engines:
            raise fail(f"--knob {raw!r}: {_not_in_run(engine, engines)}")
        knobs.setdefault(engine, {})[name] = value
    return knobs


def worker_split(
    threads: int | None, processes: int | None, clients: int | None, connections: int | None
) -> tuple[int, int]:
    if connections is not None:
        if threads is not None or processes is not None or clients is not None:
            raise fail("--connections picks the split itself: drop --threads/--processes/--clients")
        return split_connections(connections, usable_cores())
    if threads is not None:
        if processes not in (None, 1) or clients is not None:
            raise fail("--threads N is one process with N clients: use --processes and --clients")
        return 1, threads
    return processes or 1, clients or 1

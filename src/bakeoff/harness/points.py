"""Swept parameters: the points of `bakeoff sweep` and the steps of `bakeoff capacity`,
and the run options a trial has at its point (docs/capacity.md).

A point names what differs from the run's options: `connections` (a processes × clients
split is picked for it), `rate` (open loop, ops/s over all connections) and `cpus` (the
engine container's CPU limit). The trial carries both the point, which the manifest
records, and the options it implies, which the runner uses.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import replace

from bakeoff.harness.options import RunOptions, split_connections
from bakeoff.harness.plan import Trial

Point = Mapping[str, float]
AXES = ("cpus", "connections", "rate")
"""The parameters a point may set, outermost first in a sweep's order."""


def sweep_points(
    *,
    connections: Sequence[int] = (),
    rates: Sequence[float] = (),
    cpus: Sequence[float] = (),
) -> list[dict[str, float]]:
    """Every combination of the axes given (an empty axis is not swept), CPU limits
    outermost and rates innermost, so a rate sweep at one concurrency stays together."""
    axes = {"cpus": cpus, "connections": connections, "rate": rates}
    for name, values in axes.items():
        if any(v <= 0 for v in values):
            raise ValueError(f"{name}: every value must be positive, got {list(values)}")
        if len(set(values)) != len(values):
            raise ValueError(f"{name}: a value is given twice in {list(values)}")
    swept = [(name, values) for name, values in axes.items() if values]
    if not swept:
        raise ValueError("a sweep needs at least one of connections, rates or cpus")
    return [
        {name: float(v) for (name, _), v in zip(swept, combination, strict=True)}
        for combination in itertools.product(*(values for _, values in swept))
    ]


def options_at(options: RunOptions, point: Point, cores: int) -> RunOptions:
    """The run options of a trial at `point`: at most `cores` worker processes carry
    its connections (one process per core, as `--connections` picks)."""
    unknown = set(point) - set(AXES)
    if unknown:
        raise ValueError(f"a point sets only {', '.join(AXES)}; not {', '.join(sorted(unknown))}")
    processes, clients, auto_split = options.processes, options.clients, options.auto_split
    if "connections" in point:
        connections = int(point["connections"])
        if connections != point["connections"] or connections < 1:
            raise ValueError(f"connections must be a positive whole number: {dict(point)}")
        processes, clients = split_connections(connections, cores)
        auto_split = True
    engine_options = options.engine_options
    if "cpus" in point:
        engine_options = replace(engine_options, cpus=float(point["cpus"]))
    return replace(
        options,
        processes=processes,
        clients=clients,
        auto_split=auto_split,
        rate=float(point["rate"]) if "rate" in point else options.rate,
        engine_options=engine_options,
    )


def at_point(trial: Trial, index: int, repetition: int, point: Point, options: RunOptions) -> Trial:
    """`trial` renumbered, run at `point` with `options` (see `options_at`)."""
    return replace(trial, index=index, repetition=repetition, point=dict(point), options=options)


def expand(
    trials: Sequence[Trial],
    points: Sequence[Point],
    options: RunOptions,
    *,
    repeat: int,
    cores: int,
) -> list[Trial]:
    """Each planned trial at each point, `repeat` times: repetitions outermost, then
    points, then the engines alternated as `bakeoff run` alternates them, so drift hits
    every engine and every point alike."""
    at = [options_at(options, point, cores) for point in points]
    expanded: list[Trial] = []
    for repetition in range(repeat):
        for point, point_options in zip(points, at, strict=True):
            for trial in trials:
                expanded.append(at_point(trial, len(expanded), repetition, point, point_options))
    return expanded

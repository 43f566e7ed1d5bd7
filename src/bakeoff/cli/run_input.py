"""Reading `bakeoff run`'s command-line values: per-engine pairs, knobs and the worker
split. Each mistake is one line and exit 2 (`fail`), before anything starts."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Literal

from bakeoff.cli.common import fail, note
from bakeoff.cli.doctor import WARN, userland_proxy_check
from bakeoff.cli.runs import orphaned_runs
from bakeoff.engines.catalog import CATALOG, Provision
from bakeoff.harness import ray_api
from bakeoff.harness.clients import usable_cores
from bakeoff.harness.options import RunOptions, split_connections
from bakeoff.harness.plan import Trial
from bakeoff.harness.ray_executor import embedded_refusal
from bakeoff.workloads.phase_length import AUTO


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
    threads: int | None,
    processes: int | None,
    clients: int | None,
    connections: int | None,
    cluster: str | None = None,
) -> tuple[int, int]:
    """--processes × --clients, or the split of --connections over the usable cores:
    this machine's, or with --cluster the cluster's (one worker per core it offers)."""
    cores = usable_cores
    if cluster is not None:
        check_cluster_options(threads)
        cores = partial(cluster_cores, cluster)
        if processes is None and connections is None:
            processes = cores()
    if connections is not None:
        if threads is not None or processes is not None or clients is not None:
            raise fail("--connections picks the split itself: drop --threads/--processes/--clients")
        return split_connections(connections, cores())
    if threads is not None:
        if processes not in (None, 1) or clients is not None:
            raise fail("--threads N is one process with N clients: use --processes and --clients")
        return 1, threads
    return processes or 1, clients or 1


def warmup_seconds(value: str | None) -> float | Literal["auto"] | None:
    if value is None:
        return None
    if value == AUTO:
        return AUTO
    try:
        return float(value)
    except ValueError:
        raise fail(f"--warmup: expected seconds or auto, got {value!r}") from None


def on_or_off(option: str, value: str) -> bool:
    if value not in ("on", "off"):
        raise fail(f"{option} {value!r}: expected on or off")
    return value == "on"


def warn_before_start(options: RunOptions, trials: Sequence[Trial]) -> None:
    """Notes on what could spoil the run: orphaned runs, docker's userland proxy."""
    orphans = orphaned_runs(options.output)
    if orphans:
        note(
            f"unfinished run(s) left by killed processes: "
            f"{', '.join(str(o.path) for o in orphans)}; `bakeoff runs recover "
            f"{options.output}` finishes them"
        )
    if any(options.engine_options.starts_container(t.engine) for t in trials):
        check = userland_proxy_check()
        if check.status == WARN:
            note(f"dockerd's userland proxy is {check.detail}", "warning")


def check_cluster_options(threads: int | None) -> None:
    if not ray_api.installed():
        raise fail(ray_api.RAY_MISSING)
    if ray_api.auth_mode() != "token":
        note("Ray token authentication is off: set RAY_AUTH_MODE=token (docs/distributed.md)")
    if threads is not None:
        raise fail("--threads runs one process here: use --processes and --clients with --cluster")


def _cluster_nodes(address: str) -> list[ray_api.Node]:
    try:
        ray_api.connect(address)
    except Exception as exc:
        raise fail(f"--cluster {address}: {str(exc).splitlines()[0]}") from None
    return ray_api.alive_nodes()


def cluster_cores(address: str) -> int:
    """The CPUs the cluster's nodes offer: one worker process each, as a placement
    bundle of one CPU (bakeoff.harness.ray_executor)."""
    return max(1, int(sum(node.cpus for node in _cluster_nodes(address))))


def refuse_unreachable_engines(options: RunOptions, trials: Sequence[Trial]) -> None:
    """An embedded engine's database is a file on this machine: refuse a cluster with
    nodes on other hosts before anything starts."""
    if options.cluster is None:
        return
    embedded = sorted({t.engine.name for t in trials if t.engine.provision is Provision.EMBEDDED})
    if embedded:
        refusal = embedded_refusal(embedded[0], _cluster_nodes(options.cluster))
        if refusal is not None:
            raise fail(refusal)

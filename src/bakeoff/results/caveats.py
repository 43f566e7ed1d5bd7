"""What a reader must know before comparing a run's engines: "read this first" lines.

Engines that differ in durability (one syncs each commit to disk, one keeps nothing on
disk), in placement (in the client's process, in a container, elsewhere), in network path
(through Docker's userland proxy or the kernel's forwarding) or in resource limits are
not measured on equal terms; the numbers are still right, but a ranking of them says as
much about the setup as about the engines. Everything here is read from the manifest the
run wrote: the settings each endpoint read back and its provenance.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bakeoff.results.reader import OK

_SYNC_EACH_COMMIT = "syncs each commit to disk"
_SYNC_LATER = "does not sync each commit (recent writes can be lost in a crash)"
_NOTHING_ON_DISK = "keeps nothing on disk"
_SNAPSHOTS = "only snapshots to disk now and then"
_NOT_RECORDED = "durability settings not recorded"


def caveats(manifest: Mapping[str, Any]) -> list[str]:
    """Short lines, one per way the run's engines were not measured alike; empty when
    they were (or when the run has one engine)."""
    engines = _engine_entries(manifest)
    if len(engines) < 2:
        return []
    options = manifest.get("options") or {}
    found = [
        _durability(engines),
        _placement(engines),
        _network_path(engines),
        _limits(engines, options if isinstance(options, Mapping) else {}),
    ]
    return [line for line in found if line]


def _engine_entries(manifest: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """One trial entry per engine (a finished one where there is one), in run order."""
    entries: dict[str, Mapping[str, Any]] = {}
    trials = manifest.get("trials")
    for trial in trials if isinstance(trials, list) else []:
        if not isinstance(trial, Mapping) or "engine" not in trial:
            continue
        engine = str(trial["engine"])
        if engine not in entries or (
            entries[engine].get("status") != OK and trial.get("status") == OK
        ):
            entries[engine] = trial
    return entries


def _section(trial: Mapping[str, Any], key: str) -> dict[str, str]:
    value = trial.get(key)
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


# --- durability -------------------------------------------------------------------------


def _off(value: str) -> bool:
    return value.strip().lower() in {"off", "no", "false", "0"}


def _postgres(s: Mapping[str, str]) -> str | None:
    if "fsync" not in s and "synchronous_commit" not in s:
        return None
    if _off(s.get("fsync", "on")) or _off(s.get("synchronous_commit", "on")):
        return _SYNC_LATER
    return _SYNC_EACH_COMMIT


def _redis(s: Mapping[str, str]) -> str | None:
    if "appendonly" not in s:
        return None
    if _off(s["appendonly"]):
        return _SNAPSHOTS if s.get("save", "").strip() else _NOTHING_ON_DISK
    return _SYNC_EACH_COMMIT if s.get("appendfsync", "") == "always" else _SYNC_LATER


def _sqlite(s: Mapping[str, str]) -> str | None:
    if "synchronous" not in s:
        return None
    level = s["synchronous"].strip().lower()
    wal = s.get("journal_mode", "").strip().lower() == "wal"
    # In WAL mode, NORMAL syncs only at checkpoints; FULL and EXTRA sync every commit.
    if level in {"full", "2", "extra", "3"} or (level in {"normal", "1"} and not wal):
        return _SYNC_EACH_COMMIT
    return _SYNC_LATER


def _innodb(s: Mapping[str, str]) -> str | None:
    value = s.get("innodb_flush_log_at_trx_commit")
    if value is None:
        return None
    return _SYNC_EACH_COMMIT if value.strip() == "1" else _SYNC_LATER


def _mongo(s: Mapping[str, str]) -> str | None:
    if "journal" not in s:
        return None
    return _SYNC_LATER if _off(s["journal"]) else _SYNC_EACH_COMMIT


def _cassandra(s: Mapping[str, str]) -> str | None:
    value = s.get("commitlog_sync")
    if value is None:
        return None
    return _SYNC_EACH_COMMIT if value.strip().lower() in {"batch", "group"} else _SYNC_LATER


_DURABILITY_RULES: tuple[tuple[tuple[str, ...], Callable[[Mapping[str, str]], str | None]], ...] = (
    (("fsync", "synchronous_commit"), _postgres),
    (("appendonly", "appendfsync", "save"), _redis),
    (("synchronous", "journal_mode"), _sqlite),
    (("innodb_flush_log_at_trx_commit", "sync_binlog"), _innodb),
    (("journal", "w"), _mongo),
    (("commitlog_sync",), _cassandra),
)
"""Each rule reads the settings it names; the first that recognises an engine decides."""


_MEMORY_ONLY_ENGINES = frozenset({"memcached"})
"""Engines with no disk to configure, so no durability settings to read back."""


def _durability_of(engine: str, settings: Mapping[str, str]) -> tuple[str, str]:
    """(verdict, the settings it rests on as name=value)."""
    if engine in _MEMORY_ONLY_ENGINES:
        return _NOTHING_ON_DISK, ""
    for names, rule in _DURABILITY_RULES:
        verdict = rule(settings)
        if verdict is not None:
            shown = ", ".join(
                f"{n}={settings[n] if settings[n] != '' else '(empty)'}"
                for n in names
                if n in settings
            )
            return verdict, shown
    return _NOT_RECORDED, ""


def _durability(engines: Mapping[str, Mapping[str, Any]]) -> str | None:
    judged = {name: _durability_of(name, _section(t, "settings")) for name, t in engines.items()}
    # An engine whose settings say nothing is not evidence of a difference by itself.
    if len({verdict for verdict, _ in judged.values()} - {_NOT_RECORDED}) < 2:
        return None
    parts = [
        f"{name} {verdict}" + (f" ({shown})" if shown else "")
        for name, (verdict, shown) in judged.items()
    ]
    return "durability differs: " + "; ".join(parts)


# --- placement, network path, limits ----------------------------------------------------

_PLACES = {
    "embedded": "in the client's process",
    "container": "in a container on this host",
    "external": "on an existing server (--url)",
}


def _grouped(values: Mapping[str, str]) -> str:
    """'a, b value1; c value2' for {a: value1, b: value1, c: value2}."""
    by_value: dict[str, list[str]] = {}
    for name, value in values.items():
        by_value.setdefault(value, []).append(name)
    return "; ".join(f"{', '.join(names)} {value}" for value, names in by_value.items())


def _placement(engines: Mapping[str, Mapping[str, Any]]) -> str | None:
    places = {
        name: _section(t, "provenance").get("provisioner", "unknown") for name, t in engines.items()
    }
    if len(set(places.values())) < 2:
        return None
    described = {name: _PLACES.get(place, place) for name, place in places.items()}
    return f"placement differs: {_grouped(described)}"


def _network_path(engines: Mapping[str, Mapping[str, Any]]) -> str | None:
    paths = {
        name: forwarding
        for name, t in engines.items()
        if (forwarding := _section(t, "provenance").get("port_forwarding"))
    }
    proxied = [name for name, path in paths.items() if path.startswith("docker-proxy")]
    if not proxied:
        return None
    others = [name for name in engines if name not in proxied]
    rest = f", {', '.join(others)} not" if others else ""
    return (
        f"network path differs: {', '.join(proxied)} reached through docker-proxy, a "
        f"userland copy that costs throughput{rest} (dockerd --userland-proxy=false "
        "avoids it; see `bakeoff doctor`)"
    )


def _limits(engines: Mapping[str, Mapping[str, Any]], options: Mapping[str, Any]) -> str | None:
    limits: dict[str, str] = {}
    for name, trial in engines.items():
        provenance = _section(trial, "provenance")
        if provenance.get("provisioner") == "container":
            cpus, memory = (
                provenance.get("cpus", "unlimited"),
                provenance.get("memory", "unlimited"),
            )
            limits[name] = f"cpus {cpus}, memory {memory}"
        else:
            limits[name] = "not limited by bakeoff"
    unlimited = {"cpus unlimited, memory unlimited", "not limited by bakeoff"}
    if len(set(limits.values())) < 2 or set(limits.values()) <= unlimited:
        return None
    asked = ", ".join(f"--{k} {options[k]}" for k in ("cpus", "memory") if options.get(k))
    return f"limits differ{f' ({asked})' if asked else ''}: {_grouped(limits)}"

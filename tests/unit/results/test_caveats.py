"""The "read this first" lines: engines measured on unequal terms are named, equal ones not."""

from __future__ import annotations

from typing import Any

from bakeoff.results.caveats import caveats

KERNEL = "kernel (no docker-proxy for the port: iptables forwarding)"
PROXY = "docker-proxy (a userland copy between client and engine)"


def _embedded(engine: str, **settings: str) -> dict[str, Any]:
    return {
        "engine": engine,
        "status": "ok",
        "settings": settings,
        "provenance": {"provisioner": "embedded"},
    }


def _container(
    engine: str, forwarding: str = KERNEL, cpus: str = "unlimited", **settings: str
) -> dict[str, Any]:
    return {
        "engine": engine,
        "status": "ok",
        "settings": settings,
        "provenance": {
            "provisioner": "container",
            "port_forwarding": forwarding,
            "cpus": cpus,
            "memory": "unlimited",
        },
    }


def _manifest(*trials: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {"options": options, "trials": list(trials)}


SQLITE = _embedded("sqlite", synchronous="normal", journal_mode="wal")
REDIS = _container("redis", save="", appendonly="no", maxmemory="0")
POSTGRES = _container("postgres", fsync="on", synchronous_commit="on")


def test_one_engine_has_no_caveats() -> None:
    assert caveats(_manifest(SQLITE, SQLITE)) == []


def test_sqlite_next_to_redis_names_durability_and_placement() -> None:
    lines = caveats(_manifest(SQLITE, REDIS))
    durability = next(line for line in lines if line.startswith("durability differs"))
    assert "redis keeps nothing on disk (appendonly=no, save=(empty))" in durability
    assert "sqlite does not sync each commit" in durability
    placement = next(line for line in lines if line.startswith("placement differs"))
    assert "sqlite in the client's process" in placement
    assert "redis in a container" in placement


def test_alike_engines_give_no_durability_line() -> None:
    other = _container("postgres-2", fsync="on", synchronous_commit="on")
    assert caveats(_manifest(POSTGRES, other)) == []


def test_postgres_with_fsync_next_to_redis_without_persistence() -> None:
    (line,) = caveats(_manifest(POSTGRES, REDIS))
    assert "postgres syncs each commit to disk (fsync=on, synchronous_commit=on)" in line


def test_userland_proxy_in_the_path_is_named() -> None:
    proxied = _container("redis", forwarding=PROXY, save="", appendonly="no")
    lines = caveats(_manifest(SQLITE, proxied))
    (network,) = [line for line in lines if line.startswith("network path")]
    assert "redis reached through docker-proxy" in network
    assert "sqlite not" in network


def test_limits_on_containers_only_are_named() -> None:
    limited = _container("redis", cpus="0.5", save="", appendonly="no")
    lines = caveats(_manifest(SQLITE, limited, cpus=0.5))
    (limits,) = [line for line in lines if line.startswith("limits differ")]
    assert "--cpus 0.5" in limits
    assert "redis cpus 0.5, memory unlimited" in limits
    assert "sqlite not limited by bakeoff" in limits


def test_no_limits_anywhere_is_not_a_caveat() -> None:
    assert not [line for line in caveats(_manifest(SQLITE, REDIS)) if line.startswith("limits")]


def test_a_finished_trial_speaks_for_its_engine() -> None:
    failed = {"engine": "postgres", "status": "failed", "settings": {}, "provenance": {}}
    assert caveats(_manifest(failed, POSTGRES, _container("pg", fsync="on"))) == []


def test_a_damaged_manifest_gives_no_caveats() -> None:
    assert caveats({}) == []
    assert caveats({"trials": "nonsense"}) == []


def test_an_engine_without_durability_settings_alone_is_no_difference() -> None:
    duckdb = _embedded("duckdb")
    assert caveats(_manifest(SQLITE, duckdb)) == []
    (line, _placement) = caveats(_manifest(SQLITE, duckdb, REDIS))
    assert "duckdb durability settings not recorded" in line

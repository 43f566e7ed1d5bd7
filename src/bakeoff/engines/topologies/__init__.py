"""The replicated topologies bakeoff can start, by engine and name (`--topology
ENGINE=NAME`), and the refusals for engines that have none here."""

from __future__ import annotations

from collections.abc import Sequence

from bakeoff.engines.topologies.cassandra import CassandraRing3
from bakeoff.engines.topologies.mariadb import MariadbPrimaryReplica
from bakeoff.engines.topologies.postgres import PostgresPrimaryReplica
from bakeoff.engines.topologies.redis import RedisSentinel
from bakeoff.engines.topology import TopologyRecipe

TOPOLOGIES: dict[tuple[str, str], TopologyRecipe] = {
    (r.engine, r.name): r
    for r in (PostgresPrimaryReplica(), MariadbPrimaryReplica(), RedisSentinel(), CassandraRing3())
}

_NONE_HERE = {
    "ferretdb": (
        "FerretDB v1 has no replica sets (it stores into SQLite or PostgreSQL and speaks "
        "no MongoDB replication), so no MongoDB-protocol replica set can be started here"
    ),
    "mongodb": (
        "a MongoDB replica set needs mongod, which no registry reachable here serves; "
        "bakeoff does not start one"
    ),
}


class UnknownTopologyError(ValueError):
    """A --topology bakeoff cannot start; the message says which it can."""


def topology_recipe(engine: str, name: str) -> TopologyRecipe:
    if engine in _NONE_HERE:
        raise UnknownTopologyError(f"--topology {engine}={name}: {_NONE_HERE[engine]}")
    recipe = TOPOLOGIES.get((engine, name))
    if recipe is None:
        known = ", ".join(f"{e}={n}" for e, n in TOPOLOGIES) or "none"
        raise UnknownTopologyError(f"no topology {engine}={name}; known: {known}")
    return recipe


def check_topology_options(
    topologies: dict[str, str], engines: Sequence[str], read_from: str
) -> None:
    """Refuse a --topology for an engine the run does not benchmark, and a --read-from
    replica without a topology to read from."""
    for engine in topologies:
        if engine not in engines:
            raise UnknownTopologyError(f"--topology {engine}=...: {engine} is not an --engine")
    if read_from != "replica":
        return
    if not topologies:
        raise UnknownTopologyError("--read-from replica needs a --topology with a replica")


def parse_topologies(values: list[str]) -> dict[str, str]:
    """`ENGINE=NAME` options as {engine: name}, each checked (UnknownTopologyError)."""
    chosen: dict[str, str] = {}
    for value in values:
        engine, sep, name = value.partition("=")
        if not sep or not engine or not name:
            raise UnknownTopologyError(
                f"--topology {value!r}: use ENGINE=NAME, e.g. postgres=primary-replica"
            )
        topology_recipe(engine, name)
        chosen[engine] = name
    return chosen

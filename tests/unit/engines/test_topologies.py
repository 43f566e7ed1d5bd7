"""Choosing a topology (--topology ENGINE=NAME, --read-from) and what each recipe starts."""

from __future__ import annotations

import pytest

from bakeoff.engines.catalog import engine_spec
from bakeoff.engines.provisioning import EngineOptions, ProvisionerFactory
from bakeoff.engines.topologies import (
    TOPOLOGIES,
    UnknownTopologyError,
    check_topology_options,
    parse_topologies,
)
from bakeoff.engines.topology import TopologyProvisioner
from bakeoff.engines.topology_nodes import TopologyNode, find_node


def test_each_shipped_topology_is_parsed() -> None:
    values = ["postgres=primary-replica", "mariadb=primary-replica", "redis=sentinel"]
    assert parse_topologies([*values, "cassandra=ring3"]) == {
        "postgres": "primary-replica",
        "mariadb": "primary-replica",
        "redis": "sentinel",
        "cassandra": "ring3",
    }


@pytest.mark.parametrize("engine", ["ferretdb", "mongodb"])
def test_a_mongodb_protocol_replica_set_is_refused_with_the_reason(engine: str) -> None:
    with pytest.raises(UnknownTopologyError, match="replica set"):
        parse_topologies([f"{engine}=replica-set"])


@pytest.mark.parametrize(
    ("value", "message"),
    [("postgres", "ENGINE=NAME"), ("postgres=ring3", "known: postgres=primary-replica")],
)
def test_a_malformed_or_unknown_topology_is_refused(value: str, message: str) -> None:
    with pytest.raises(UnknownTopologyError, match=message):
        parse_topologies([value])


def test_a_topology_for_an_engine_not_in_the_run_is_refused() -> None:
    with pytest.raises(UnknownTopologyError, match="not an --engine"):
        check_topology_options({"redis": "sentinel"}, ["postgres"], "primary")


def test_reads_from_a_replica_need_a_topology() -> None:
    with pytest.raises(UnknownTopologyError, match="needs a --topology"):
        check_topology_options({}, ["postgres"], "replica")
    check_topology_options({"postgres": "primary-replica"}, ["postgres"], "replica")


def test_the_factory_makes_a_topology_provisioner_for_an_engine_with_a_topology() -> None:
    factory = ProvisionerFactory(EngineOptions(topologies={"cassandra": "ring3"}))
    provisioner = factory(engine_spec("cassandra"))
    assert isinstance(provisioner, TopologyProvisioner)
    # The ring's replication factor and QUORUM reach the adapter as its settings.
    assert provisioner.client_knobs["replication_factor"] == "3"
    assert provisioner.client_knobs["consistency_write"] == "QUORUM"


def test_cassandra_reads_from_a_replica_at_consistency_one() -> None:
    factory = ProvisionerFactory(
        EngineOptions(topologies={"cassandra": "ring3"}, read_from="replica")
    )
    provisioner = factory(engine_spec("cassandra"))
    assert isinstance(provisioner, TopologyProvisioner)
    assert provisioner.client_knobs["consistency_read"] == "ONE"


@pytest.mark.parametrize(("engine", "name"), list(TOPOLOGIES))
def test_each_recipe_starts_one_primary_or_peers_with_unique_names(engine: str, name: str) -> None:
    recipe = TOPOLOGIES[(engine, name)]
    spec = engine_spec(engine)
    plans = recipe.plan(spec, spec.knobs)
    names = [p.name for p in plans]
    assert len(set(names)) == len(names)
    roles = [p.role for p in plans]
    assert roles.count("primary") == 1 or set(roles) == {"peer"}
    assert recipe.read_node() in names


def test_nodes_are_found_by_position_name_and_role() -> None:
    class Running:
        nodes = (
            TopologyNode("primary", "primary", "a", "net"),
            TopologyNode("replica1", "replica", "b", "net"),
        )

    assert find_node(Running(), "2").container_id == "b"
    assert find_node(Running(), "replica").name == "replica1"
    assert find_node(Running(), "primary").container_id == "a"

"""Cassandra in a container."""

from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.engines.cql import CQL

SPEC = EngineSpec(
    name="cassandra",
    display_name="Cassandra",
    family=Family.WIDE_COLUMN,
    adapter="cassandra",
    provision=Provision.CONTAINER,
    driver_modules=("cassandra",),
    extra="cassandra",
    url_scheme="cassandra",
    image="cassandra:5.0.9",
    port=9042,
    # A fixed heap, so results do not depend on the host's RAM (the official
    # image sizes the heap from it); 1g suits a 2-core machine shared with the client.
    knobs={"heap": "1g"},
    server=CQL,
    password_env=("CASSANDRA_PASSWORD",),
    container_env={"CASSANDRA_USER": "bakeoff"},
    reported_settings=(
        "commitlog_sync",
        "commitlog_sync_period",
        "concurrent_reads",
        "concurrent_writes",
        "memtable_allocation_type",
        "storage_compatibility_mode",
        "authenticator",
    ),
    client_knobs={
        "keyspace": "bakeoff",
        "replication_strategy": "SimpleStrategy",
        "replication_factor": "1",
        "consistency_read": "ONE",
        "consistency_write": "ONE",
    },
    ready_timeout_s=120.0,
    notes=(
        "Tested here with the project's image of Cassandra 5.0.9 from Maven Central's "
        "jars on Debian's OpenJDK 17 (docker/cassandra). The official image has no "
        "authentication (the password is then unused) and does not report its heap."
    ),
)

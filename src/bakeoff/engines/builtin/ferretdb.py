"""FerretDB (MongoDB wire protocol, SQLite backend) in a container."""

from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.engines.mongo_wire import CLIENT_KNOBS, MONGO

SPEC = EngineSpec(
    name="ferretdb",
    display_name="FerretDB",
    family=Family.DOCUMENT,
    adapter="mongo",
    provision=Provision.CONTAINER,
    driver_modules=("pymongo",),
    extra="mongo",
    url_scheme="mongodb",
    image="ghcr.io/ferretdb/ferretdb:1.24.2",
    port=27017,
    server=MONGO,
    # What the official image needs to run on SQLite; the project's image reads
    # the same variables (and defaults to them).
    container_env={
        "FERRETDB_HANDLER": "sqlite",
        "FERRETDB_SQLITE_URL": "file:/state/",
        "FERRETDB_LISTEN_ADDR": ":27017",
        "FERRETDB_TELEMETRY": "disable",
    },
    client_knobs=CLIENT_KNOBS,
    notes=(
        "Tested here with the project's image (docker/ferretdb): FerretDB v1.24.2 "
        "through its embeddable Go package, SQLite backend, built locally; the "
        "official image is the default elsewhere but untested here. No "
        "authentication (the SQLite backend has none), so the port is published "
        "on 127.0.0.1 only. FerretDB ignores write concern and read preference: "
        "they are recorded as the client asked, and durability is SQLite's (WAL, "
        "synchronous=FULL). Only equality on _id reaches SQLite, where it misses "
        "the _id index: operations by key cost time in proportion to the "
        "collection's size, and a scan reads all of it (docs/engines.md)."
    ),
)

"""MongoDB in a container (not tested here: see the notes)."""

from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.engines.mongo_wire import CLIENT_KNOBS, MONGO

SPEC = EngineSpec(
    name="mongodb",
    display_name="MongoDB",
    family=Family.DOCUMENT,
    adapter="mongo",
    provision=Provision.CONTAINER,
    driver_modules=("pymongo",),
    extra="mongo",
    url_scheme="mongodb",
    image="mongo:7.0.26",
    port=27017,
    server=MONGO,
    password_env=("MONGO_INITDB_ROOT_PASSWORD",),
    container_env={"MONGO_INITDB_ROOT_USERNAME": "bakeoff"},
    client_knobs=CLIENT_KNOBS,
    ready_timeout_s=120.0,
    tested_here=False,
    notes=(
        "No MongoDB server is reachable on these machines (no registry, and no "
        "Debian package); FerretDB speaks the wire protocol but is an engine of "
        "its own, never a stand-in. The official image creates "
        "the root user 'bakeoff' (authSource=admin) and restarts mongod once "
        "before it accepts connections."
    ),
)

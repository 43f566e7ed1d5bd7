"""PostgreSQL in a container."""

from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.engines.settings_lists import postgres_15
from bakeoff.engines.sql_protocol import POSTGRES

SPEC = EngineSpec(
    name="postgres",
    display_name="PostgreSQL",
    family=Family.RELATIONAL,
    adapter="postgres",
    provision=Provision.CONTAINER,
    driver_modules=("psycopg",),
    extra="postgres",
    url_scheme="postgresql+psycopg",
    image="postgres:15.13-bookworm",
    port=5432,
    server=POSTGRES,
    password_env=("POSTGRES_PASSWORD",),
    container_env={"POSTGRES_USER": "bakeoff", "POSTGRES_DB": "bakeoff"},
    reported_settings=(
        "synchronous_commit",
        "fsync",
        "shared_buffers",
        "max_connections",
    ),
    notes="Tested here with the project's image of Debian's postgresql-15.",
    known_settings=postgres_15,
)

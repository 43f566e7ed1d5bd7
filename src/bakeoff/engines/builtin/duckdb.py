"""DuckDB, in process."""

from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.engines.embedded_sql import DUCKDB
from bakeoff.engines.settings_lists import duckdb_settings

SPEC = EngineSpec(
    name="duckdb",
    display_name="DuckDB",
    family=Family.RELATIONAL,
    adapter="sql",
    provision=Provision.EMBEDDED,
    driver_modules=("duckdb", "duckdb_engine"),
    extra="duckdb",
    url_scheme="duckdb",
    embedded=DUCKDB,
    known_settings=duckdb_settings,
)

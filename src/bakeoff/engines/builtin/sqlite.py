"""SQLite, in process."""

from bakeoff.engines.catalog import EngineSpec, Family, Provision
from bakeoff.engines.embedded_sql import SQLITE
from bakeoff.engines.settings_lists import sqlite_pragmas

SPEC = EngineSpec(
    name="sqlite",
    display_name="SQLite",
    family=Family.RELATIONAL,
    adapter="sql",
    provision=Provision.EMBEDDED,
    driver_modules=("sqlite3",),
    extra="(core)",
    url_scheme="sqlite+pysqlite",
    knobs={"journal_mode": "wal", "synchronous": "normal"},
    embedded=SQLITE,
    known_settings=sqlite_pragmas,
)

"""The SQL databases that run inside the client process: SQLite and DuckDB."""

from __future__ import annotations

from bakeoff.engines.base import ProvisioningError


class SqliteDatabase:
    file_suffix = ".sqlite3"

    def version(self) -> str:
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"


class DuckdbDatabase:
    file_suffix = ".duckdb"

    def version(self) -> str:
        try:
            import duckdb
        except ModuleNotFoundError as exc:
            raise ProvisioningError(
                "DuckDB is not installed: pip install 'bakeoff[duckdb]'"
            ) from exc
        return f"DuckDB {duckdb.__version__}"


SQLITE = SqliteDatabase()
DUCKDB = DuckdbDatabase()

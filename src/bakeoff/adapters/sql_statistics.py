"""The connection a SQL engine's statistics source reads through: the SQL adapter's own
(`SqlConnection`: the same URL, driver, settings and error translation), used only for
small queries of the engine's statistics views. It runs in autocommit, as the adapter
does, so a statement the engine refuses leaves no transaction behind."""

from __future__ import annotations

from bakeoff.adapters.errors import AdapterError
from bakeoff.adapters.sql_session_base import SqlConnection
from bakeoff.core.endpoint import Endpoint

Row = dict[str, object]
"""One result row by its columns' names (lower case)."""


class StatisticsConnection:
    """One SQL connection of a statistics source."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._connection = SqlConnection()
        self._connection.connect(endpoint, {})

    def rows(self, sql: str) -> list[Row]:
        """The rows of `sql` (the source's own text, never user input); a driver error is
        raised translated (`bakeoff.adapters.errors`)."""
        session = self._connection.session
        cursor = session.cursor
        try:
            cursor.execute(sql)
            # A statement without a result (a SET) has no description, and no rows to fetch.
            result = cursor.fetchall() if cursor.description is not None else []
        except session.driver_errors as exc:
            raise session.translate(exc) from exc
        names = [str(column[0]).lower() for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in result]

    def optional_rows(self, sql: str) -> list[Row]:
        """The rows of `sql`, none when the engine refuses it (a view or function this
        version or configuration lacks): what it would read is then absent, not an error."""
        try:
            return self.rows(sql)
        except AdapterError:
            return []

    def close(self) -> None:
        self._connection.close()

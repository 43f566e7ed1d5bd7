"""Query plans of the SQL engines, each in its own EXPLAIN dialect, summarised.

PostgreSQL: ``EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`` for reads, ``EXPLAIN (FORMAT
JSON)`` for writes. MariaDB: ``ANALYZE FORMAT=JSON`` for reads, ``EXPLAIN FORMAT=JSON``
for writes (MySQL: ``EXPLAIN FORMAT=JSON`` only). SQLite: ``EXPLAIN QUERY PLAN`` (it
neither estimates nor counts rows). DuckDB: ``EXPLAIN ANALYZE``, as text, a write inside a
transaction rolled back (DuckDB chooses between its index and a sequential scan only when
the statement runs). Otherwise a write is never executed: explaining changes no data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from bakeoff.core.query_plans import AccessPath, QueryPlan

_RANGE = re.compile(r"[<>]")


def explain_prefix(dialect: str, mariadb: bool, analyze: bool) -> str:
    """The words put before the statement to explain it on `dialect`."""
    if dialect == "postgresql":
        return "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " if analyze else "EXPLAIN (FORMAT JSON) "
    if dialect in ("mysql", "mariadb"):
        return "ANALYZE FORMAT=JSON " if analyze and mariadb else "EXPLAIN FORMAT=JSON "
    if dialect == "sqlite":
        return "EXPLAIN QUERY PLAN "
    if dialect == "duckdb":
        return "EXPLAIN ANALYZE " if analyze else "EXPLAIN "
    return "EXPLAIN "


ROLLED_BACK = (
    "executed in a transaction rolled back: DuckDB picks its index when a statement runs, "
    "so a plain EXPLAIN would show a sequential scan"
)


def explain_statement(
    cursor: Any, dialect: Any, shape: str, sql: str, params: Any, writes: bool
) -> QueryPlan:
    """Explain `sql` on a DBAPI cursor; a write is never left executed."""
    name = str(dialect.name)
    if name == "duckdb" and writes:
        cursor.execute("BEGIN TRANSACTION")
        try:
            cursor.execute("EXPLAIN ANALYZE " + sql, params)
            rows = cursor.fetchall()
        finally:
            cursor.execute("ROLLBACK")
        plan = summarise(name, shape, sql, list(rows), analyzed=True)
        return replace(plan, note=ROLLED_BACK)
    mariadb = bool(getattr(dialect, "is_mariadb", False))
    cursor.execute(explain_prefix(name, mariadb, not writes) + sql, params)
    return summarise(name, shape, sql, list(cursor.fetchall()), analyzed=not writes)


def summarise(dialect: str, shape: str, sql: str, rows: list[Any], analyzed: bool) -> QueryPlan:
    """The plan the engine answered (`rows`, as its cursor returned them), summarised."""
    if dialect == "postgresql":
        document = rows[0][0]
        document = json.loads(document) if isinstance(document, str | bytes) else document
        return postgres_plan(shape, sql, document, analyzed)
    if dialect in ("mysql", "mariadb"):
        return mariadb_plan(shape, sql, json.loads(rows[0][0]), analyzed)
    if dialect == "sqlite":
        return sqlite_plan(shape, sql, [str(row[-1]) for row in rows])
    if dialect == "duckdb":
        return duckdb_plan(shape, sql, "\n".join(str(row[-1]) for row in rows), analyzed)
    text = "\n".join(" ".join(str(v) for v in row) for row in rows)
    return QueryPlan(shape, sql, AccessPath.UNKNOWN, "", raw=text)


# -- PostgreSQL ----------------------------------------------------------------------------


def _pg_nodes(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _pg_nodes(child)


def postgres_plan(shape: str, sql: str, document: Any, analyzed: bool) -> QueryPlan:
    top = document[0]["Plan"]
    raw = json.dumps(document, indent=1)
    for node in _pg_nodes(top):
        kind = str(node.get("Node Type", ""))
        if "Scan" not in kind or kind == "Bitmap Heap Scan":
            continue
        if kind == "Seq Scan":
            path = AccessPath.FULL_SCAN
        else:
            cond = str(node.get("Index Cond", ""))
            path = AccessPath.INDEX_RANGE if _RANGE.search(cond) else AccessPath.INDEX_LOOKUP
        actual = node.get("Actual Rows")
        loops = node.get("Actual Loops", 1)
        return QueryPlan(
            shape,
            sql,
            path,
            kind,
            index=node.get("Index Name"),
            estimated_rows=_number(node.get("Plan Rows")),
            actual_rows=None if actual is None else float(actual) * float(loops or 1),
            analyzed=analyzed,
            raw=raw,
        )
    return QueryPlan(shape, sql, AccessPath.UNKNOWN, str(top.get("Node Type", "")), raw=raw)


# -- MariaDB / MySQL -----------------------------------------------------------------------

_MARIADB_PATHS = {
    "system": AccessPath.INDEX_LOOKUP,
    "const": AccessPath.INDEX_LOOKUP,
    "eq_ref": AccessPath.INDEX_LOOKUP,
    "ref": AccessPath.INDEX_LOOKUP,
    "range": AccessPath.INDEX_RANGE,
    "index": AccessPath.FULL_SCAN,
    "ALL": AccessPath.FULL_SCAN,
}


def _tables(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        if "access_type" in node:
            yield node
        for value in node.values():
            yield from _tables(value)
    elif isinstance(node, list):
        for value in node:
            yield from _tables(value)


def mariadb_plan(shape: str, sql: str, document: Any, analyzed: bool) -> QueryPlan:
    raw = json.dumps(document, indent=1)
    for table in _tables(document):
        access = str(table["access_type"])
        return QueryPlan(
            shape,
            sql,
            _MARIADB_PATHS.get(access, AccessPath.UNKNOWN),
            access,
            index=table.get("key"),
            estimated_rows=_number(table.get("rows")),
            actual_rows=_number(table.get("r_rows")) if analyzed else None,
            analyzed=analyzed,
            raw=raw,
        )
    message = _first(document, "message")
    return QueryPlan(shape, sql, AccessPath.UNKNOWN, message or "", raw=raw)


def _first(node: Any, name: str) -> str | None:
    if isinstance(node, Mapping):
        if name in node:
            return str(node[name])
        node = list(node.values())
    if isinstance(node, list):
        for value in node:
            found = _first(value, name)
            if found is not None:
                return found
    return None


# -- SQLite --------------------------------------------------------------------------------

_SQLITE_INDEX = re.compile(r"USING (?:COVERING )?INDEX (\S+)(?: \((.*)\))?")


def sqlite_plan(shape: str, sql: str, details: list[str]) -> QueryPlan:
    raw = "\n".join(details)
    for detail in details:
        if detail.startswith("SCAN"):
            index = _SQLITE_INDEX.search(detail)
            return QueryPlan(
                shape, sql, AccessPath.FULL_SCAN, detail, index=index and index[1], raw=raw
            )
        if detail.startswith("SEARCH"):
            index = _SQLITE_INDEX.search(detail)
            if index is None:  # "USING INTEGER PRIMARY KEY (rowid=?)": the table's own key
                path = AccessPath.INDEX_RANGE if _RANGE.search(detail) else AccessPath.KEY_LOOKUP
                return QueryPlan(shape, sql, path, detail, raw=raw)
            ranged = _RANGE.search(index[2] or "")
            path = AccessPath.INDEX_RANGE if ranged else AccessPath.INDEX_LOOKUP
            return QueryPlan(shape, sql, path, detail, index=index[1], raw=raw)
    return QueryPlan(shape, sql, AccessPath.UNKNOWN, details[0] if details else "", raw=raw)


# -- DuckDB --------------------------------------------------------------------------------

_DUCKDB_ROWS = re.compile(r"(~?)([\d,]+) rows?\b", re.IGNORECASE)
_DUCKDB_SCANS = ("Table Scan", "Seq Scan", "Index Scan", "TABLE_SCAN", "SEQ_SCAN", "INDEX_SCAN")


def duckdb_plan(shape: str, sql: str, text: str, analyzed: bool) -> QueryPlan:
    """DuckDB's tree, as text: a table scan says "Type: Index Scan" when it probes the
    primary key's ART index, "Type: Sequential Scan" when it reads the table with the
    filter pushed into the scan. DuckDB picks the index when the statement runs, so only
    EXPLAIN ANALYZE shows it; a plain EXPLAIN shows the sequential scan it starts from."""
    path, detail = AccessPath.UNKNOWN, ""
    if "Index Scan" in text or "INDEX_SCAN" in text:
        ranged = shape == "scan"
        path = AccessPath.INDEX_RANGE if ranged else AccessPath.INDEX_LOOKUP
        detail = "Index Scan"
    elif "Sequential Scan" in text or "Seq Scan" in text or "SEQ_SCAN" in text:
        path, detail = AccessPath.FULL_SCAN, "Sequential Scan"
    estimated = actual = None
    for tilde, number in _DUCKDB_ROWS.findall(_scan_box(text)):
        value = float(number.replace(",", ""))
        if tilde and estimated is None:
            estimated = value
        elif not tilde and actual is None and analyzed:
            actual = value
    return QueryPlan(
        shape,
        sql,
        path,
        detail,
        estimated_rows=estimated,
        actual_rows=actual,
        analyzed=analyzed,
        raw=text,
    )


def _scan_box(text: str) -> str:
    """The lines from the first scan operator on (its estimates and counts follow it)."""
    found = [at for at in (text.find(marker) for marker in _DUCKDB_SCANS) if at >= 0]
    return text[min(found) :] if found else text


def _number(value: Any) -> float | None:
    return None if value is None else float(value)

"""Each engine's plan, as the engine answers it, summarised: access path, index, rows.

The documents are the engines' own formats (cut to the fields the summary reads); the
conformance test tests/conformance/test_query_plans.py takes them from real engines."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

from bakeoff.adapters.cassandra_explain import trace_lines, trace_plan, untraced_write
from bakeoff.adapters.mongo_explain import explained_command, mongo_plan
from bakeoff.adapters.sql_explain import (
    duckdb_plan,
    explain_prefix,
    mariadb_plan,
    postgres_plan,
    sqlite_plan,
)
from bakeoff.core.query_plans import AccessPath, QueryPlan, QueryShape

# -- PostgreSQL ----------------------------------------------------------------------


def _pg(node: dict[str, object]) -> list[dict[str, object]]:
    return [{"Plan": node, "Planning Time": 0.1}]


def test_postgres_primary_key_read_is_an_index_lookup() -> None:
    plan = postgres_plan(
        "read",
        "SELECT ...",
        _pg(
            {
                "Node Type": "Index Scan",
                "Index Name": "usertable_pkey",
                "Index Cond": "(ycsb_key = 'user1'::text)",
                "Plan Rows": 1,
                "Actual Rows": 1,
                "Actual Loops": 1,
            }
        ),
        analyzed=True,
    )
    assert (plan.access_path, plan.index) == (AccessPath.INDEX_LOOKUP, "usertable_pkey")
    assert (plan.estimated_rows, plan.actual_rows, plan.analyzed) == (1.0, 1.0, True)
    assert json.loads(plan.raw)[0]["Plan"]["Node Type"] == "Index Scan"


def test_postgres_range_under_a_limit_and_a_seq_scan_under_an_update() -> None:
    scan = postgres_plan(
        "scan",
        "",
        _pg(
            {
                "Node Type": "Limit",
                "Plans": [
                    {
                        "Node Type": "Index Scan",
                        "Index Name": "usertable_pkey",
                        "Index Cond": "(ycsb_key >= 'user1'::text)",
                        "Plan Rows": 100,
                    }
                ],
            }
        ),
        analyzed=False,
    )
    assert scan.access_path is AccessPath.INDEX_RANGE
    update = postgres_plan(
        "update",
        "",
        _pg({"Node Type": "ModifyTable", "Plans": [{"Node Type": "Seq Scan", "Plan Rows": 5}]}),
        analyzed=False,
    )
    assert update.full_scan
    insert = postgres_plan(
        "insert", "", _pg({"Node Type": "ModifyTable", "Plans": [{"Node Type": "Result"}]}), False
    )
    assert (insert.access_path, insert.detail) == (AccessPath.UNKNOWN, "ModifyTable")


# -- MariaDB -------------------------------------------------------------------------


def test_mariadb_const_read_and_a_full_table_scan() -> None:
    const = {
        "query_block": {
            "select_id": 1,
            "table": {
                "table_name": "usertable",
                "access_type": "const",
                "key": "PRIMARY",
                "rows": 1,
                "r_rows": 1,
            },
        }
    }
    plan = mariadb_plan("read", "", const, analyzed=True)
    assert (plan.access_path, plan.index, plan.detail) == (
        AccessPath.INDEX_LOOKUP,
        "PRIMARY",
        "const",
    )
    assert (plan.estimated_rows, plan.actual_rows) == (1.0, 1.0)
    scan = {"query_block": {"table": {"access_type": "ALL", "rows": 1000}}}
    assert mariadb_plan("read", "", scan, analyzed=False).full_scan
    ranged = {"query_block": {"table": {"access_type": "range", "key": "PRIMARY"}}}
    assert mariadb_plan("update", "", ranged, False).access_path is AccessPath.INDEX_RANGE
    nothing = {"query_block": {"table": {"message": "No tables used"}}}
    assert mariadb_plan("insert", "", nothing, False).detail == "No tables used"


def test_explain_words_per_dialect() -> None:
    assert explain_prefix("postgresql", False, True).startswith("EXPLAIN (ANALYZE, BUFFERS")
    assert explain_prefix("postgresql", False, False) == "EXPLAIN (FORMAT JSON) "
    assert explain_prefix("mysql", True, True) == "ANALYZE FORMAT=JSON "
    assert explain_prefix("mysql", False, True) == "EXPLAIN FORMAT=JSON "  # MySQL
    assert explain_prefix("mysql", True, False) == "EXPLAIN FORMAT=JSON "  # a write
    assert explain_prefix("sqlite", False, True) == "EXPLAIN QUERY PLAN "


# -- SQLite and DuckDB ---------------------------------------------------------------


def test_sqlite_search_scan_and_rowid() -> None:
    lookup = sqlite_plan(
        "read", "", ["SEARCH usertable USING INDEX sqlite_autoindex_usertable_1 (ycsb_key=?)"]
    )
    assert (lookup.access_path, lookup.index) == (
        AccessPath.INDEX_LOOKUP,
        "sqlite_autoindex_usertable_1",
    )
    ranged = sqlite_plan("scan", "", ["SEARCH t USING COVERING INDEX i (k>?)"])
    assert (ranged.access_path, ranged.index) == (AccessPath.INDEX_RANGE, "i")
    assert sqlite_plan("read", "", ["SCAN usertable"]).full_scan
    rowid = sqlite_plan("read", "", ["SEARCH t USING INTEGER PRIMARY KEY (rowid=?)"])
    assert rowid.access_path is AccessPath.KEY_LOOKUP
    assert sqlite_plan("insert", "", []).access_path is AccessPath.UNKNOWN


DUCKDB_INDEX = """\
╭─ Table Scan ─────────────────────────╮
│ Table: x.main.usertable              │
│ Type: Index Scan                     │
│ Filters:                             │
│ ycsb_key = 'user1'                   │
│ 1 row                            0µs │
╰──────────────────────────────────────╯"""

DUCKDB_SEQ = """\
╭─ Seq Scan ────────────╮
│ Table: memory.main.t  │
│ Type: Sequential Scan │
│ Filters: k = 'user5'  │
│ ~1,000 rows           │
╰───────────────────────╯"""


def test_duckdb_index_scan_and_sequential_scan() -> None:
    index = duckdb_plan("read", "", DUCKDB_INDEX, analyzed=True)
    assert (index.access_path, index.actual_rows) == (AccessPath.INDEX_LOOKUP, 1.0)
    seq = duckdb_plan("read", "", DUCKDB_SEQ, analyzed=False)
    assert (seq.access_path, seq.estimated_rows, seq.actual_rows) == (
        AccessPath.FULL_SCAN,
        1000.0,
        None,
    )
    assert duckdb_plan("scan", "", DUCKDB_INDEX, True).access_path is AccessPath.INDEX_RANGE


# -- MongoDB and FerretDB ------------------------------------------------------------


def test_mongo_commands_per_shape() -> None:
    read = QueryShape("read", ("read",), "k1", writes=False)
    assert explained_command("t", read) == {"find": "t", "filter": {"_id": "k1"}, "limit": 1}
    update = QueryShape("update", ("update",), "k1", writes=True, values={"f": "v"})
    assert explained_command("t", update) == {
        "update": "t",
        "updates": [{"q": {"_id": "k1"}, "u": {"$set": {"f": "v"}}}],
    }
    assert explained_command("t", QueryShape("insert", ("insert",), "k", writes=True)) is None


def test_mongodb_idhack_collscan_and_ixscan() -> None:
    command = {"find": "t"}
    idhack = mongo_plan(
        "read",
        command,
        {
            "queryPlanner": {"winningPlan": {"stage": "IDHACK"}},
            "executionStats": {"nReturned": 1, "totalDocsExamined": 1},
        },
    )
    assert (idhack.access_path, idhack.index, idhack.actual_rows) == (
        AccessPath.INDEX_LOOKUP,
        "_id_",
        1.0,
    )
    assert idhack.analyzed and idhack.note == "1 documents examined"
    collscan = mongo_plan(
        "read",
        command,
        {"queryPlanner": {"winningPlan": {"stage": "LIMIT", "inputStage": {"stage": "COLLSCAN"}}}},
    )
    assert collscan.full_scan and collscan.detail == "COLLSCAN"
    ranged = mongo_plan(
        "scan",
        command,
        {
            "queryPlanner": {
                "winningPlan": {
                    "queryPlan": {
                        "stage": "FETCH",
                        "inputStage": {
                            "stage": "IXSCAN",
                            "indexName": "_id_",
                            "indexBounds": {"_id": ['["k", {})']},
                        },
                    }
                }
            }
        },
    )
    assert (ranged.access_path, ranged.index) == (AccessPath.INDEX_RANGE, "_id_")
    point = {"stage": "IXSCAN", "indexName": "a_1", "indexBounds": {"a": ['["x, y", "x, y"]']}}
    pointed = mongo_plan("read", command, {"queryPlanner": {"winningPlan": point}})
    assert pointed.access_path is AccessPath.INDEX_LOOKUP


def test_ferretdb_on_sqlite_scans_the_collection_table() -> None:
    answer = {
        "queryPlanner": {"Plan": ["id=2 parent=0 notused=0 detail=SCAN usertable_b4feec46"]},
        "explainVersion": "1",
        "filterPushdown": True,
        "sortPushdown": False,
        "limitPushdown": False,
        "ok": 1.0,
    }
    plan = mongo_plan("read", {"find": "usertable"}, answer)
    assert plan.full_scan
    assert plan.detail == "SCAN usertable_b4feec46"
    assert plan.note == "filterPushdown true, sortPushdown false, limitPushdown false"


# -- Cassandra -----------------------------------------------------------------------


def test_cassandra_trace_of_a_partition_key_read_and_a_token_range() -> None:
    events = [
        SimpleNamespace(
            source="10.0.0.2",
            source_elapsed=timedelta(microseconds=120),
            description="Executing single-partition query on usertable",
        ),
        SimpleNamespace(
            source="10.0.0.2",
            source_elapsed=timedelta(microseconds=300),
            description="Merged data from memtables and 1 sstables",
        ),
        SimpleNamespace(
            source="10.0.0.2",
            source_elapsed=timedelta(microseconds=400),
            description="Read 1 live rows and 0 tombstone cells",
        ),
    ]
    lines = trace_lines(events)
    plan = trace_plan("read", "SELECT", [e.description for e in events], "\n".join(lines))
    assert (plan.access_path, plan.actual_rows) == (AccessPath.KEY_LOOKUP, 1.0)
    assert plan.note == "merged from memtables and 1 sstables"
    assert "120 µs" in plan.raw
    scan = trace_plan("scan", "", ["Executing seq scan across 2 sstables for (min, max]"], "")
    assert scan.access_path is AccessPath.INDEX_RANGE
    ring = (
        "Executing seq scan across 0 sstables for "
        "(min(-9223372036854775808), min(-9223372036854775808)]"
    )
    assert trace_plan("aggregate", "", [ring], "").full_scan
    tail = (
        "Executing seq scan across 1 sstables for (-3485513579396041028, min(-9223372036854775808)]"
    )
    assert trace_plan("scan", "", [tail], "").access_path is AccessPath.INDEX_RANGE
    assert untraced_write("update", "update").access_path is AccessPath.UNKNOWN


def test_a_plan_survives_json() -> None:
    plan = QueryPlan(
        "read", "s", AccessPath.FULL_SCAN, "SCAN t", estimated_rows=3.0, moment="after-load"
    )
    assert QueryPlan.from_json(json.loads(json.dumps(plan.to_json()))) == plan

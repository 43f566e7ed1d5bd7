"""What the PostgreSQL adapter's libpq path promises beyond the conformance suite, checked
on a real server: errors classified as psycopg would, statements prepared once on the
server, and tables recreated with other columns."""

from __future__ import annotations

import os
import select
import socket
from collections.abc import Iterator

import pytest

from bakeoff.adapters.errors import FatalError, TransientError
from bakeoff.adapters.postgres import PostgresAdapter
from bakeoff.adapters.protocol import PENDING, Endpoint, TableSpec
from tests.conftest import ServerPool

pytestmark = pytest.mark.docker

TABLE = TableSpec("pg_adapter_t", ("field0", "field1"), 20)


@pytest.fixture
def endpoint(servers: ServerPool) -> Endpoint:
    return servers.endpoint("postgres")


@pytest.fixture
def adapter(endpoint: Endpoint) -> Iterator[PostgresAdapter]:
    adapter = PostgresAdapter()
    adapter.connect(endpoint, {})
    adapter.teardown(TABLE)
    adapter.setup(TABLE)
    yield adapter
    adapter.teardown(TABLE)
    adapter.close()


def _server_statements(adapter: PostgresAdapter) -> list[str]:
    rows = adapter._dbapi.execute(
        "SELECT name FROM pg_prepared_statements WHERE name LIKE 'bakeoff_%' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def test_operations_run_as_prepared_statements_prepared_once(adapter: PostgresAdapter) -> None:
    for i in range(5):
        adapter.insert(TABLE.name, f"k{i}", {"field0": "a", "field1": "b"})
        adapter.read(TABLE.name, f"k{i}", None)
    rows = adapter._dbapi.execute(
        "SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements"
        " WHERE name LIKE 'bakeoff_%'"
    ).fetchall()
    calls = {statement.split()[0]: n for statement, n in rows}
    assert calls == {"INSERT": 5, "SELECT": 5}


def test_duplicate_key_is_transient_like_an_integrity_error(adapter: PostgresAdapter) -> None:
    adapter.insert(TABLE.name, "dup", {"field0": "a", "field1": "b"})
    with pytest.raises(TransientError, match="UniqueViolation"):
        adapter.insert(TABLE.name, "dup", {"field0": "c", "field1": "d"})
    # The connection stays usable after a failed statement.
    assert adapter.read(TABLE.name, "dup", None) == {"field0": "a", "field1": "b"}


def test_value_too_long_is_fatal_and_names_the_error(adapter: PostgresAdapter) -> None:
    with pytest.raises(FatalError, match="StringDataRightTruncation"):
        adapter.insert(TABLE.name, "long", {"field0": "x" * 100, "field1": "b"})


def test_recreated_table_with_other_columns_gets_new_statements(
    adapter: PostgresAdapter,
) -> None:
    adapter.insert(TABLE.name, "k", {"field0": "a", "field1": "b"})
    assert adapter.read(TABLE.name, "k", None) == {"field0": "a", "field1": "b"}
    adapter.teardown(TABLE)
    assert _server_statements(adapter) == []  # deallocated with their table
    wider = TableSpec(TABLE.name, ("field0", "field1", "field2"), 20)
    adapter.setup(wider)
    adapter.insert(wider.name, "k", {"field0": "a", "field1": "b", "field2": "c"})
    assert adapter.read(wider.name, "k", None) == {"field0": "a", "field1": "b", "field2": "c"}


def test_settle_vacuums_and_analyzes_the_loaded_table(adapter: PostgresAdapter) -> None:
    """What pgbench -i does after its load: the table vacuumed (hint bits, visibility map)
    and analyzed, by the adapter's own connection, after a batch load and a split read."""
    rows = [(f"k{i:04d}", {"field0": "a", "field1": "b"}) for i in range(500)]
    adapter.insert_batch(TABLE.name, rows)
    adapter.send_read(TABLE.name, "k0001", None)
    while adapter.receive() is PENDING:
        select.select([adapter.fileno()], [], [], 5.0)
    assert adapter.settle(TABLE) == f"VACUUM (ANALYZE) {TABLE.name}"
    vacuumed, analyzed, pages, all_visible = adapter._dbapi.execute(
        "SELECT s.last_vacuum IS NOT NULL, s.last_analyze IS NOT NULL, c.relpages,"
        " c.relallvisible FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid"
        " WHERE s.relname = %s",
        (TABLE.name,),
    ).fetchone()
    assert (vacuumed, analyzed) == (True, True)
    assert 0 < all_visible == pages, "the visibility map marks every loaded page all-visible"
    assert adapter.read(TABLE.name, "k0499", None) == {"field0": "a", "field1": "b"}


def test_null_field_reads_as_none(adapter: PostgresAdapter) -> None:
    adapter.insert(TABLE.name, "partial", {"field0": "a"})
    assert adapter.read(TABLE.name, "partial", None) == {"field0": "a", "field1": None}


def test_non_ascii_values_round_trip(adapter: PostgresAdapter) -> None:
    values = {"field0": "Grüße, 東京", "field1": "emoji 🐘"}
    adapter.insert(TABLE.name, "ключ", values)
    assert adapter.read(TABLE.name, "ключ", None) == values
    assert adapter.scan(TABLE.name, "ключ", 1, ["field1"]) == [("ключ", {"field1": "emoji 🐘"})]


def test_broken_connection_is_an_adapter_error(endpoint: Endpoint) -> None:
    adapter = PostgresAdapter()
    adapter.connect(endpoint, {})
    adapter.setup(TABLE)
    try:
        adapter._pgconn.finish()  # the server is gone, as far as this connection knows
        with pytest.raises((TransientError, FatalError)):
            adapter.read(TABLE.name, "k", None)
    finally:
        adapter.close()


def test_split_phase_sends_a_record_larger_than_the_socket_buffer(endpoint: Endpoint) -> None:
    """psycopg's connections are non-blocking: a request the socket cannot take at once
    must still go out whole before its reply is awaited."""
    big = TableSpec("pg_adapter_big", ("field0",), 8_000_000)
    adapter = PostgresAdapter()
    adapter.connect(endpoint, {})
    adapter.teardown(big)
    adapter.setup(big)
    # A small send buffer, so the kernel cannot take the request in one go.
    with socket.socket(fileno=os.dup(adapter.fileno())) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    try:
        value = "v" * 6_000_000
        adapter.send_insert(big.name, "big", {"field0": value})
        result = PENDING
        while result is PENDING:
            readable, _, _ = select.select([adapter.fileno()], [], [], 10.0)
            assert readable, "no reply: the request did not go out whole"
            result = adapter.receive()
        assert result is None
        assert adapter.read(big.name, "big", None) == {"field0": value}
    finally:
        adapter.teardown(big)
        adapter.close()


def _split_read(
    adapter: PostgresAdapter, table: str, key: str, fields: tuple[str, ...] | None
) -> object:
    adapter.send_read(table, key, fields)
    result = PENDING
    while result is PENDING:
        readable, _, _ = select.select([adapter.fileno()], [], [], 10.0)
        assert readable, "no reply"
        result = adapter.receive()
    return result


def test_split_phase_reads_return_what_blocking_reads_return(adapter: PostgresAdapter) -> None:
    adapter.insert(TABLE.name, "k", {"field0": "a", "field1": "b"})
    for fields in (None, ("field1",), ("field1", "field0")):
        expected = adapter.read(TABLE.name, "k", fields)
        assert _split_read(adapter, TABLE.name, "k", fields) == expected
    assert _split_read(adapter, TABLE.name, "missing", None) is None


def test_one_field_read_of_a_null_field_is_none(endpoint: Endpoint) -> None:
    """A one-field table's read has its own, shorter conversion."""
    one = TableSpec("pg_adapter_one", ("field0",), 20)
    adapter = PostgresAdapter()
    adapter.connect(endpoint, {})
    adapter.teardown(one)
    adapter.setup(one)
    try:
        adapter.insert(one.name, "null", {})
        adapter.insert(one.name, "set", {"field0": "v"})
        null_field: dict[str, str | None] = {"field0": None}
        assert adapter.read(one.name, "null", None) == null_field
        assert _split_read(adapter, one.name, "null", None) == null_field
        assert _split_read(adapter, one.name, "set", None) == {"field0": "v"}
        adapter.teardown(one)
        # Recreated with more columns: the cached read of all fields is not reused.
        wider = TableSpec(one.name, ("field0", "field1"), 20)
        adapter.setup(wider)
        adapter.insert(wider.name, "set", {"field0": "v", "field1": "w"})
        assert _split_read(adapter, wider.name, "set", None) == {"field0": "v", "field1": "w"}
    finally:
        adapter.teardown(one)
        adapter.close()


def test_keys_compare_as_bytes(adapter: PostgresAdapter) -> None:
    # Byte order, as every engine's ordered scan has it: upper case before lower case and
    # "_" between them, where a linguistic collation (en_US) would mix the cases.
    [(collation,)] = adapter._dbapi.execute(
        "SELECT collation_name FROM information_schema.columns"
        " WHERE table_name = %s AND column_name = 'ycsb_key'",
        (TABLE.name,),
    ).fetchall()
    assert collation == "C"
    for key in ("b", "B", "_", "a", "A"):
        adapter.insert(TABLE.name, key, {"field0": "x", "field1": "y"})
    assert [k for k, _ in adapter.scan(TABLE.name, "A", 5, None)] == ["A", "B", "_", "a", "b"]

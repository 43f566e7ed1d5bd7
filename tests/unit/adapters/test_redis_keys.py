"""The Redis adapter's key layout and reply helpers; no server needed."""

from __future__ import annotations

import socket

import pytest

from bakeoff.adapters.errors import FatalError, UnsupportedError
from bakeoff.adapters.protocol import Endpoint
from bakeoff.adapters.redis import RedisAdapter
from bakeoff.adapters.redis_keys import (
    fields_to_record,
    glob_escape,
    index_key,
    lex_lower_bound,
    pairs_to_record,
    record_key,
    table_prefix,
)


def test_keys_are_table_prefixed() -> None:
    assert table_prefix("usertable") == "usertable:"
    assert record_key("usertable:", "user1") == "usertable:user1"
    assert index_key("usertable") == "usertable:__index"
    # Keys may hold anything, the separator included: only the table name is restricted.
    assert record_key("t:", "a:b [c]") == "t:a:b [c]"


@pytest.mark.parametrize("name", ["", "a:b", ":"])
def test_table_names_that_could_collide_are_refused(name: str) -> None:
    with pytest.raises(UnsupportedError):
        table_prefix(name)


def test_index_name_is_reserved_as_a_record_key() -> None:
    with pytest.raises(UnsupportedError, match="reserved"):
        record_key("t:", "__index")
    assert record_key("t:", "__index2") == "t:__index2"


@pytest.mark.parametrize("key", ["user1", "[x", "(x", "-", "+", "", "é"])
def test_lex_bound_is_inclusive_and_verbatim(key: str) -> None:
    assert lex_lower_bound(key) == "[" + key


def test_glob_escape() -> None:
    assert glob_escape("plain_table:") == "plain_table:"
    assert glob_escape("a*b?c[d]e\\f") == "a\\*b\\?c\\[d\\]e\\\\f"


def test_pairs_to_record() -> None:
    assert pairs_to_record(["f0", "v0", "f1", ""]) == {"f0": "v0", "f1": ""}
    assert pairs_to_record([]) == {}


def test_fields_to_record() -> None:
    assert fields_to_record(["a", "b"], ["1", "2"]) == {"a": "1", "b": "2"}
    assert fields_to_record(["a", "b"], [None, None]) is None
    # Partly present: a record an update created; it is returned with what it has.
    assert fields_to_record(["a", "b"], [None, "2"]) == {"b": "2"}


def test_operations_before_connect_are_fatal() -> None:
    adapter = RedisAdapter()
    with pytest.raises(FatalError, match="not connected"):
        adapter.read("t", "k", None)
    with pytest.raises(FatalError, match="not connected"):
        adapter.insert("t", "k", {"f": "v"})
    adapter.close()
    adapter.close()


def test_bad_url_is_fatal_without_leaking_it() -> None:
    endpoint = Endpoint(
        engine="redis", url="http://:secret@host:1/0", display_url="http://:***@host:1/0"
    )
    with pytest.raises(FatalError) as raised:
        RedisAdapter().connect(endpoint, {})
    assert "secret" not in str(raised.value)
    assert raised.value.__cause__ is None


def test_unreachable_server_is_fatal_and_names_the_display_url() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = Endpoint(
        engine="redis",
        url=f"redis://:secret@127.0.0.1:{port}/0",
        display_url=f"redis://:***@127.0.0.1:{port}/0",
    )
    with pytest.raises(FatalError, match=r"\*\*\*@127\.0\.0\.1") as raised:
        RedisAdapter().connect(endpoint, {})
    assert "secret" not in str(raised.value)

"""The Memcached adapter's key layout, record encoding and URL options; no server needed."""

from __future__ import annotations

import string
from urllib.parse import unquote

import pytest

from bakeoff.adapters.errors import FatalError, UnsupportedError
from bakeoff.adapters.memcached import (
    MAX_KEY_BYTES,
    MemcachedAdapter,
    client_options,
    decode_record,
    encode_key,
    encode_record,
    generation_key,
    generation_prefix,
    key_budget,
    record_key,
)
from bakeoff.adapters.protocol import Endpoint, TableSpec


def test_keys_are_table_and_generation_prefixed() -> None:
    assert generation_key("usertable") == "usertable:gen"
    prefix = generation_prefix("usertable", 42)
    assert prefix == "usertable:42:"
    assert record_key(prefix, "user1") == "usertable:42:user1"


@pytest.mark.parametrize(
    "key", ["user1", "a b", "tab\there", "new\nline", "100%", "%41", "é", "user'1", "\x7f", ""]
)
def test_encoded_keys_are_memcached_safe_and_decode_back(key: str) -> None:
    encoded = encode_key(key)
    assert all(0x21 <= ord(c) < 0x7F for c in encoded)
    assert unquote(encoded) == key


def test_plain_keys_are_unchanged_and_no_two_keys_encode_alike() -> None:
    plain = string.ascii_letters + string.digits + "!\"#$&'()*+,-./:;<=>?@[\\]^_`{|}~"
    assert encode_key(plain) == plain
    # '%' is encoded, so a key that looks like an escape cannot meet the key it escapes.
    assert encode_key("%41") != encode_key("A")
    assert encode_key("a b") != encode_key("a%20b")


def test_a_key_past_the_limit_is_unsupported() -> None:
    prefix = generation_prefix("t", 1)
    longest = "k" * (MAX_KEY_BYTES - len(prefix))
    assert len(record_key(prefix, longest)) == MAX_KEY_BYTES
    with pytest.raises(UnsupportedError, match="too long"):
        record_key(prefix, longest + "k")
    with pytest.raises(UnsupportedError, match="too long"):
        record_key(prefix, "é" * (len(longest) // 6 + 1))  # 6 bytes each once encoded


def test_key_budget_leaves_room_for_the_largest_generation() -> None:
    table = "usertable"
    widest = generation_prefix(table, 2**63 - 1)
    assert key_budget(table) == MAX_KEY_BYTES - len(widest)


@pytest.mark.parametrize("name", ["", "a:b", "a b", "x" * 65, "tab\t", "é"])
def test_table_names_that_could_collide_or_break_keys_are_refused(name: str) -> None:
    with pytest.raises(UnsupportedError):
        generation_key(name)


def test_setup_refuses_a_table_whose_keys_cannot_fit() -> None:
    adapter = MemcachedAdapter()  # setup checks the budget before it needs a server
    table = TableSpec(name="t", field_names=("f",), max_field_length=8, key_length=300)
    with pytest.raises(UnsupportedError, match="keys of up to 300"):
        adapter.setup(table)


def test_records_round_trip_compactly_and_project() -> None:
    values = {"field0": 'quote " and \\', "field1": "é", "field2": ""}
    data = encode_record(values)
    assert data == '{"field0":"quote \\" and \\\\","field1":"é","field2":""}'.encode()
    assert decode_record(data, None) == values
    assert decode_record(data, ["field1", "absent"]) == {"field1": "é"}


@pytest.mark.parametrize("data", [b"not json", b"[1, 2]", b"42"])
def test_an_item_that_is_no_record_is_fatal(data: bytes) -> None:
    with pytest.raises(FatalError, match="not a record"):
        decode_record(data, None)


def test_unencodable_values_are_unsupported() -> None:
    with pytest.raises(UnsupportedError):
        encode_record({"field0": "\ud800"})


def test_url_gives_address_and_timeouts() -> None:
    assert client_options("memcached://127.0.0.1:32768") == (("127.0.0.1", 32768), {})
    assert client_options("memcached://db?timeout=2&connect_timeout=0.5") == (
        ("db", 11211),
        {"timeout": 2.0, "connect_timeout": 0.5},
    )
    for bad in ("redis://h:1", "memcached://h:1?nodelay=1", "memcached://"):
        with pytest.raises(ValueError):
            client_options(bad)


def test_unusable_url_or_closed_adapter_is_fatal() -> None:
    adapter = MemcachedAdapter()
    with pytest.raises(FatalError, match="not a Memcached URL"):
        adapter.connect(Endpoint(engine="memcached", url="redis://h:1", display_url="x"), {})
    with pytest.raises(FatalError, match="not connected"):
        adapter.read("t", "k", None)
    adapter.close()
    adapter.close()

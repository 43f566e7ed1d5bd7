"""The Redis adapter's request templates frame commands exactly as the driver does."""

from __future__ import annotations

from typing import Any

import hiredis
from redis.connection import Connection

from bakeoff.adapters.redis_split import _HGETALL, _HSET_ONE


def test_templates_frame_commands_as_the_drivers_packers_do() -> None:
    key, field, value = "usertable:user000000000042", "field0", "é" * 3 + "x" * 97
    k, f, v = key.encode(), field.encode(), value.encode()
    packed_read = _HGETALL % (len(k), k)
    packed_update = _HSET_ONE % (len(k), k, len(f), f, len(v), v)
    pack: Any = hiredis.pack_command  # its stubs take one-element tuples only
    assert packed_read == pack(("HGETALL", key))
    assert packed_update == pack(("HSET", key, field, value))
    connection: Any = Connection()  # type: ignore[no-untyped-call]
    assert [packed_read] == connection.pack_command("HGETALL", key)
    assert [packed_update] == connection.pack_command("HSET", key, field, value)

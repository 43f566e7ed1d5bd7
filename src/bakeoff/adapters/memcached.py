"""The Memcached adapter: one value per record, under a table- and generation-prefixed key.

Data model
    A record is one item at ``<table>:<generation>:<key>`` whose value is the record's
    field map as compact JSON (``{"field0":"...","field1":"..."}``, UTF-8). Memcached has
    no tables, no key order and no command that lists a prefix's keys, so the table lives
    in the key, and the generation lets teardown drop a table at once: it increments the
    counter item ``<table>:gen`` (INCR, atomic on the server), and every record of the old
    generation becomes unreachable. The counter starts at a random 62-bit number, so one
    that is evicted and created again cannot bring an old generation back.

    Teardown makes the records unreachable; it does not free their memory. Memcached
    reclaims it when it evicts them, which the engine's default knob `disable-evictions`
    forbids (a benchmark must not lose records silently: a full server refuses writes
    with an error instead). Each trial gets a fresh container, so this matters only on a
    long-lived server reached with `--url`; there, restart it or leave evictions on.

Keys
    Memcached keys are at most 250 bytes of printable ASCII without spaces. A record key
    is percent-encoded (UTF-8) except for the printable ASCII characters other than space
    and ``%``, so YCSB's keys (``user123``) pass unchanged and no two keys encode alike.
    Table names are letters, digits, ``_``, ``.`` and ``-`` (at most 64); `setup` refuses
    a table whose longest key (``TableSpec.key_length``) could not fit, and an operation
    on a longer key fails with UnsupportedError. Nothing but a validated key ever reaches
    a command line: values and CAS tokens are pymemcache's parameters.

Semantics
    insert is ADD: a second insert of a key fails (TransientError, as a duplicate key does
    in the SQL and MongoDB adapters). read fetches the whole item and keeps the fields
    asked for: memcached cannot project. update is a read-modify-write that is safe under
    concurrency: GETS, merge, CAS, repeated while another client changed the item in
    between (up to `CAS_ATTEMPTS` times, then TransientError); the harness times the
    whole loop as one operation. An update of an absent record does nothing, like an
    UPDATE that matches no row. insert_batch is SET_MANY, every row in one write and the
    replies read after it (one round trip); unlike insert it overwrites existing keys, as
    a batch of SETs must (pymemcache has no ADD for many keys).

Capabilities
    No SCAN: memcached keeps no key order and cannot list keys. No COUNT: the only counts
    it has (``curr_items``) cover the whole server, every table and the unreachable old
    generations included; a counter kept by the adapter would be a second, separate write
    per insert and delete, wrong after any failure between the two or any eviction.
    `lru_crawler metadump` lists keys, but not as a snapshot of a table under writes.

Errors
    A socket timeout is transient (pymemcache drops the connection and the next call
    reconnects, inside its own timed call), as are SERVER_ERROR replies (``out of
    memory``) except ``object too large``, which no retry fixes (UnsupportedError).
    A closed or refused connection, a reply the client cannot parse and a CLIENT_ERROR
    (the server could not parse the request) are fatal.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NoReturn
from urllib.parse import parse_qsl, quote, urlsplit

from bakeoff.adapters.errors import (
    AdapterError,
    FatalError,
    TransientError,
    UnsupportedError,
    missing_driver,
)
from bakeoff.adapters.protocol import Capability, Endpoint, Record, TableSpec

MAX_KEY_BYTES = 250
"""Memcached's limit on a key's length."""
CAS_ATTEMPTS = 100
"""How often an update retries a CAS that another client's write beat."""
GENERATION_ITEM = "gen"
_MAX_GENERATION_DIGITS = 19
"""The counter starts below 2**62 and memcached's INCR wraps at 2**64: 20 digits at most,
but it would take 2**62 teardowns to pass 19."""
_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}\Z")
_KEY_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) != "%")
"""Printable ASCII but space and '%': what a record key keeps unencoded."""
_QUERY_OPTIONS = ("timeout", "connect_timeout")
"""URL query parameters passed to pymemcache's Client: seconds, as floats."""


# -- keys and values (pure, unit-tested) ------------------------------------------------


def check_table_name(table: str) -> str:
    if not _TABLE_NAME.match(table):
        raise UnsupportedError(
            f"Memcached table name {table!r} must be 1-64 letters, digits, '_', '.' or '-': "
            "it becomes part of every key"
        )
    return table


def generation_key(table: str) -> str:
    """The counter item whose value is the table's current generation."""
    return f"{check_table_name(table)}:{GENERATION_ITEM}"


def generation_prefix(table: str, generation: int) -> str:
    return f"{table}:{generation}:"


def encode_key(key: str) -> str:
    """`key` as memcached key characters; injective (``%`` itself is encoded)."""
    return quote(key, safe=_KEY_SAFE)


def record_key(prefix: str, key: str) -> str:
    name = prefix + encode_key(key)
    if len(name) > MAX_KEY_BYTES:
        raise UnsupportedError(
            f"key {key[:40]!r}... is too long for memcached: {len(name)} bytes with its "
            f"table prefix, the limit is {MAX_KEY_BYTES}"
        )
    return name


def key_budget(table: str) -> int:
    """The longest record key (in encoded bytes) any generation of `table` can hold."""
    return MAX_KEY_BYTES - len(check_table_name(table)) - _MAX_GENERATION_DIGITS - 2


def encode_record(values: Mapping[str, str]) -> bytes:
    try:
        return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:  # a non-str value, a lone surrogate
        raise UnsupportedError(f"record cannot be stored: {exc}") from exc


def decode_record(data: bytes, fields: Sequence[str] | None) -> Record:
    try:
        record = json.loads(data)
    except ValueError:
        record = None
    if not isinstance(record, dict):
        raise FatalError(f"an item under the table's key is not a record: {data[:40]!r}")
    if not fields:
        return record
    return {f: record[f] for f in fields if f in record}


def client_options(url: str) -> tuple[tuple[str, int], dict[str, float]]:
    """The server address and the pymemcache timeouts a ``memcached://`` URL names."""
    parts = urlsplit(url)
    if parts.scheme != "memcached" or not parts.hostname:
        raise ValueError("expected memcached://host:port")
    options: dict[str, float] = {}
    for name, value in parse_qsl(parts.query, strict_parsing=bool(parts.query)):
        if name not in _QUERY_OPTIONS:
            raise ValueError(f"unknown option {name!r} (known: {', '.join(_QUERY_OPTIONS)})")
        options[name] = float(value)
    return (parts.hostname, parts.port or 11211), options


def open_client(endpoint: Endpoint) -> tuple[Any, tuple[type[Exception], ...]]:
    """A pymemcache client connected to `endpoint`, and what its calls raise (its
    MemcacheError family and the socket's OSError, timeouts included); FatalError when
    the driver is missing or the server cannot be reached."""
    try:
        # Lazily: a missing driver fails here. pymemcache 4 ships no type information.
        from pymemcache.client.base import Client  # type: ignore[import-untyped]
        from pymemcache.exceptions import MemcacheError  # type: ignore[import-untyped]
    except ModuleNotFoundError as exc:
        raise missing_driver(endpoint.engine, exc, "memcached") from exc
    try:
        server, timeouts = client_options(endpoint.url)
    except ValueError as exc:
        raise FatalError(f"not a Memcached URL: {endpoint.display_url} ({exc})") from None
    # default_noreply=False: pymemcache's default sends stores without waiting for
    # the reply, which would time nothing and hide every failed ADD.
    client = Client(server, no_delay=True, default_noreply=False, **timeouts)
    try:
        client.version()  # connects: an unreachable server fails here, not mid-run
    except Exception as exc:
        client.close()
        raise FatalError(
            f"cannot connect to {endpoint.engine} at {endpoint.display_url}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return client, (MemcacheError, OSError)


# -- the adapter ------------------------------------------------------------------------


class _NotConnected:
    """The client before `connect` and after `close`: every call fails as fatal."""

    def __getattr__(self, name: str) -> Any:
        raise FatalError("the Memcached adapter is not connected")


class MemcachedAdapter:
    """YCSB table on Memcached: one JSON item per record, ADD, GETS/CAS, no scans."""

    name: ClassVar[str] = "memcached"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.BATCH_INSERT, Capability.DELETE}
    )
    capability_notes: ClassVar[Mapping[Capability, str]] = {
        Capability.SCAN: "memcached keeps no key order and cannot list keys",
        Capability.COUNT: "memcached cannot count one table's keys exactly",
    }

    def __init__(self) -> None:
        self._client: Any = _NotConnected()
        # What a pymemcache call raises: its MemcacheError family and the socket's
        # OSError (timeouts included). Set in connect, which imports the driver.
        self._driver_errors: tuple[type[Exception], ...] = ()
        self._prefixes: dict[str, str] = {}

    # -- lifecycle -----------------------------------------------------------------------

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        client, driver_errors = open_client(endpoint)
        self.close()
        self._client = client
        self._driver_errors = driver_errors

    def setup(self, table: TableSpec) -> None:
        budget = key_budget(table.name)
        if table.key_length > budget:
            raise UnsupportedError(
                f"table {table.name!r} has keys of up to {table.key_length} characters; "
                f"with its prefix memcached's {MAX_KEY_BYTES}-byte keys leave {budget}"
            )
        # Nothing to create; re-read the generation in case another connection tore
        # the table down since this one last looked.
        self._prefixes.pop(table.name, None)
        self._prefix(table.name)

    def teardown(self, table: TableSpec) -> None:
        counter = generation_key(table.name)
        self._prefixes.pop(table.name, None)
        try:
            self._client.incr(counter, 1)  # None when absent: nothing was ever stored
        except self._driver_errors as exc:
            raise_translated(exc)

    def close(self) -> None:
        client, self._client = self._client, _NotConnected()
        if not isinstance(client, _NotConnected):
            client.close()

    # -- operations ----------------------------------------------------------------------

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        name = record_key(self._prefix(table), key)
        try:
            data = self._client.get(name)
        except self._driver_errors as exc:
            raise_translated(exc)
        return None if data is None else decode_record(data, fields)

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        name = record_key(self._prefix(table), key)
        data = encode_record(values)
        try:
            stored = self._client.add(name, data)
        except self._driver_errors as exc:
            raise_translated(exc)
        if not stored:
            raise TransientError(f"record {key!r} exists (ADD answered NOT_STORED)")

    def insert_batch(self, table: str, rows: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        if not rows:
            return
        prefix = self._prefix(table)
        items = {record_key(prefix, key): encode_record(values) for key, values in rows}
        try:
            failed = self._client.set_many(items)
        except self._driver_errors as exc:
            raise_translated(exc)
        if failed:
            raise TransientError(f"{len(failed)} of {len(items)} records were not stored")

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        name = record_key(self._prefix(table), key)
        try:
            for _ in range(CAS_ATTEMPTS):
                data, token = self._client.gets(name)
                if data is None:
                    return  # absent: nothing to update
                merged = {**decode_record(data, None), **values}
                outcome = self._client.cas(name, encode_record(merged), token)
                if outcome is not False:  # True: stored; None: deleted meanwhile
                    return
        except self._driver_errors as exc:
            raise_translated(exc)
        raise TransientError(
            f"update of {key!r} lost the compare-and-swap {CAS_ATTEMPTS} times in a row"
        )

    def delete(self, table: str, key: str) -> None:
        name = record_key(self._prefix(table), key)
        try:
            self._client.delete(name)  # False when absent, which is no error
        except self._driver_errors as exc:
            raise_translated(exc)

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        raise UnsupportedError(f"scan: {self.capability_notes[Capability.SCAN]}")

    # -- generations ---------------------------------------------------------------------

    def _prefix(self, table: str) -> str:
        prefix = self._prefixes.get(table)
        if prefix is None:
            prefix = self._prefixes[table] = generation_prefix(table, self._generation(table))
        return prefix

    def _generation(self, table: str) -> int:
        counter = generation_key(table)
        try:
            value = self._client.get(counter)
            if value is None:
                # ADD, so that of two connections starting the table at once, one wins
                # and both read its number.
                self._client.add(counter, str(secrets.randbits(62)).encode())
                value = self._client.get(counter)
        except self._driver_errors as exc:
            raise_translated(exc)
        if value is None or not value.isdigit():
            raise FatalError(f"the generation counter {counter!r} holds {value!r}")
        return int(value)


def raise_translated(exc: Exception) -> NoReturn:
    """Raise `exc` (from pymemcache or its socket) as the adapter error of its kind."""
    from pymemcache import exceptions as mx  # type: ignore[import-untyped]

    kind: type[AdapterError]
    if isinstance(exc, TimeoutError):
        kind = TransientError
    elif isinstance(exc, mx.MemcacheIllegalInputError):
        kind = UnsupportedError
    elif isinstance(exc, mx.MemcacheServerError) and not isinstance(
        exc, mx.MemcacheUnexpectedCloseError
    ):
        kind = UnsupportedError if b"too large" in _message(exc) else TransientError
    else:  # a lost connection, a CLIENT_ERROR, a reply out of step
        kind = FatalError
    raise kind(f"{type(exc).__name__}: {exc}") from exc


def _message(exc: Exception) -> bytes:
    arg = exc.args[0] if exc.args else b""
    return arg if isinstance(arg, bytes) else str(arg).encode()

"""The MongoDB adapter: YCSB records as documents, over pymongo.

Serves every server of the MongoDB wire protocol; the catalog uses it for FerretDB (tested
here) and MongoDB (untested here: no server is reachable on these machines).

Data model
    A table is a collection of the endpoint's database (the URL's path, ``bakeoff`` by
    default); a record is one document whose ``_id`` is the record key and whose other
    fields are the record's fields, as in YCSB's own MongoDB binding. ``_id`` always has
    a unique index, so a duplicate insert fails (DuplicateKeyError, a transient error),
    and ``_id`` order is key order for strings (binary comparison of UTF-8, the same order
    as Python's ``str`` comparison): a scan is
    ``find({_id: {$gte: start}}).sort({_id: 1}).limit(count)``, which MongoDB serves from
    the ``_id`` index. FerretDB v1 pushes only equality on ``_id`` down to its backend, so
    there every scan reads and sorts the whole collection, and on SQLite even the pushed
    down equality misses the ``_id`` index: every operation by key costs time in
    proportion to the collection's size (see docs/engines.md).

Settings
    Write concern (``w``, ``journal``, ``wTimeoutMS``) and ``readPreference`` are client
    knobs of the engine (defaults ``w=1``, ``journal=false``, ``readPreference=primary``):
    the provisioner records them in the endpoint's settings, from which this adapter
    applies them; `connect` options of the same names override them. FerretDB accepts and
    ignores all three, and its durability is SQLite's.

Semantics
    An update is ``$set`` of the given fields on an existing document; an absent key is
    not created (no upsert), and neither is it an error, as in the SQL adapter. Batch
    inserts are one unordered ``insert_many``: every row is attempted, and the first
    failure is reported after the batch.

Call path
    One ``MongoClient`` per adapter with ``maxPoolSize=1`` (each worker is one
    connection; pymongo's monitor has a connection of its own) and pymongo's own retries
    switched off, since the harness counts every failure. Each operation is one documented
    collection call and one round trip; results are lists and dicts before the call
    returns. Measured with ``benchmarks/bench_mongo_calls.py`` (pymongo 4.20 with its C
    extensions, FerretDB v1.24.2 on SQLite, one 2-core machine shared by client and
    server, one connection, 10 fields of 100 bytes, a 10-document collection so that
    FerretDB's per-document costs stay out of it; wall µs per operation, best of 5 runs,
    and the client's own CPU µs, median, in brackets; ``ping`` takes 221 (94)):

    ============== ============ ============ ============ ============ ============
    style          read all     read 1       update 1     insert       scan 10
    ============== ============ ============ ============ ============ ============
    collection     538 (142)    549 (142)    497 (123)    622 (144)    1038 (173)
    cursor         561 (141)    547 (136)    510 (124)    629 (148)    1060 (172)
    command        554 (126)    541 (123)    480 (115)    613 (136)     987 (144)
    this adapter   538 (139)    541 (141)    506 (123)    627 (144)    1117 (174)
    ============== ============ ============ ============ ============ ============

    ``collection`` is ``find_one``/``update_one``/``insert_one``/``find().sort().limit()``,
    ``cursor`` a plain ``find(limit=1)`` cursor instead of ``find_one``, ``command`` the
    raw ``find``/``update``/``insert`` commands through ``Database.command``. The styles
    are within 10-30 µs of client CPU of each other (an earlier run ranked them the same
    way), and FerretDB spends 300 µs or more per call: no reason to leave the documented
    calls. Raw commands, the cheapest, would also skip the client's write concern and read
    preference. Giving a scan's cursor ``batch_size=count`` returns every row in the first
    reply and closes the cursor on the server, also for scans longer than the default
    first batch of 101. ``insert_many`` of 500 documents took 56-59 µs a document ordered
    or unordered: unordered costs nothing and attempts every row.

Errors
    A lost connection or a network timeout (AutoReconnect, NetworkTimeout, NotPrimary) is
    transient: pymongo reconnects on the next call, inside its own timed call. So is a
    server's refusal of one operation (OperationFailure: a duplicate key, a write
    conflict, a time limit). No server to select within the timeout
    (ServerSelectionTimeoutError), failed authentication and every other driver error
    are fatal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, NoReturn

from bakeoff.adapters.errors import (
    AdapterError,
    FatalError,
    TransientError,
    UnsupportedError,
    missing_driver,
)
from bakeoff.adapters.mongo_explain import explained_command, mongo_plan
from bakeoff.adapters.protocol import Capability, Endpoint, Record, TableSpec
from bakeoff.core.query_plans import AccessPath, QueryPlan, QueryShape

DEFAULT_DATABASE = "bakeoff"
CLIENT_SETTINGS = ("w", "journal", "wTimeoutMS", "readPreference")
"""Settings the adapter applies on the client side, by their pymongo option names."""
DEFAULT_SETTINGS: Mapping[str, str] = {"w": "1", "readPreference": "primary"}
SERVER_SELECTION_TIMEOUT_MS = 10_000
"""How long an operation waits for a server that is gone before failing (fatally)."""
_AUTH_FAILURES = frozenset({13, 18})
"""Unauthorized, AuthenticationFailed: retrying cannot help."""
_KEY = "_id"


def client_settings(
    endpoint_settings: Mapping[str, str], options: Mapping[str, str]
) -> dict[str, str]:
    """The write concern and read preference to apply: defaults < endpoint < options."""
    merged = dict(DEFAULT_SETTINGS)
    for source in (endpoint_settings, options):
        merged.update({k: v for k, v in source.items() if k in CLIENT_SETTINGS})
    return merged


def client_kwargs(settings: Mapping[str, str]) -> dict[str, Any]:
    """`settings` as MongoClient keyword arguments.

    MongoClient reads a string ``w`` as the name of a tag set, so a number must be an int.
    """
    kwargs: dict[str, Any] = {}
    for name, value in settings.items():
        if name == "w":
            kwargs[name] = int(value) if value.isdigit() else value
        elif name == "wTimeoutMS":
            kwargs[name] = int(value)
        elif name == "journal":
            lowered = value.lower()
            if lowered not in ("true", "false"):
                raise UnsupportedError(f"journal={value!r}: expected true or false")
            kwargs[name] = lowered == "true"
        else:
            kwargs[name] = value
    return kwargs


def projection(fields: Sequence[str] | None) -> dict[str, int] | None:
    """A find() projection returning `fields` (and ``_id``); None for whole documents."""
    if not fields:
        return None
    return dict.fromkeys(fields, 1)


def to_document(key: str, values: Mapping[str, str]) -> dict[str, str]:
    if _KEY in values:
        raise UnsupportedError(f"field name {_KEY!r} is the record key in MongoDB")
    return {_KEY: key, **values}


def open_database(
    endpoint: Endpoint, options: Mapping[str, str]
) -> tuple[Any, Any, dict[str, str]]:
    """A connected client (one connection, no driver retries), its database and the client
    settings it applies; a failure to reach or configure the server is fatal."""
    try:
        import pymongo  # lazily: importing the adapter must not need the driver
    except ModuleNotFoundError as exc:
        raise missing_driver(endpoint.engine, exc, "mongo") from exc
    settings = client_settings(endpoint.settings, options)
    kwargs = client_kwargs(settings)
    # Keyword arguments beat URL options in pymongo; a URL's own timeout must win.
    if "serverselectiontimeoutms" not in endpoint.url.lower():
        kwargs["serverSelectionTimeoutMS"] = SERVER_SELECTION_TIMEOUT_MS
    try:
        client: Any = pymongo.MongoClient(
            endpoint.url,
            maxPoolSize=1,
            retryReads=False,
            retryWrites=False,
            appname="bakeoff",
            **kwargs,
        )
    except (pymongo.errors.ConfigurationError, ValueError, TypeError) as exc:
        # `from None`: the parser's message may quote the URL, password and all.
        raise FatalError(
            f"invalid MongoDB URL or settings for {endpoint.display_url} "
            f"({type(exc).__name__}; settings {settings})"
        ) from None
    try:
        # The client connects in the background; a wrong password or an absent server
        # must fail here, not as errors counted during the run.
        client.admin.command("ping")
        database = client.get_default_database(default=DEFAULT_DATABASE)
    except pymongo.errors.PyMongoError as exc:
        client.close()
        raise FatalError(
            f"cannot connect to {endpoint.engine} at {endpoint.display_url}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return client, database, settings


class _NotConnected:
    """The database before `connect` and after `close`: every call fails as fatal."""

    def __getitem__(self, name: str) -> NoReturn:
        raise FatalError("the MongoDB adapter is not connected")

    get_collection = __getitem__


class MongoAdapter:
    """YCSB table as a collection: ``_id`` is the key, the fields are document fields."""

    name: ClassVar[str] = "mongo"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.SCAN,
            Capability.ORDERED_SCAN,
            Capability.BATCH_INSERT,
            Capability.DELETE,
            Capability.COUNT,
            Capability.EXISTS,
            Capability.EXPLAIN,
        }
    )

    def __init__(self) -> None:
        self._client: Any = None
        self._db: Any = _NotConnected()
        self._collections: dict[str, Any] = {}
        self._driver_error: type[Exception] = _NeverRaisedError
        self.settings: dict[str, str] = {}
        """The client settings this adapter applies (write concern, read preference)."""

    # -- lifecycle -------------------------------------------------------------------

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        client, database, settings = open_database(endpoint, options)
        from pymongo.errors import PyMongoError

        self.close()
        self._client = client
        self._db = database
        self._driver_error = PyMongoError
        self.settings = settings

    def setup(self, table: TableSpec) -> None:
        from pymongo.errors import CollectionInvalid

        try:
            self._db.create_collection(table.name)
        except CollectionInvalid:
            pass  # it exists: setup is idempotent
        except self._driver_error as exc:
            raise_translated(exc)
        self._collection(table.name)

    def teardown(self, table: TableSpec) -> None:
        try:
            self._db.drop_collection(table.name)
        except self._driver_error as exc:
            raise_translated(exc)
        self._collections.pop(table.name, None)

    def close(self) -> None:
        client, self._client = self._client, None
        self._db = _NotConnected()
        self._collections.clear()
        if client is not None:
            client.close()

    # -- operations ------------------------------------------------------------------

    def read(self, table: str, key: str, fields: Sequence[str] | None) -> Record | None:
        collection = self._collection(table)
        try:
            document: dict[str, Any] | None = collection.find_one({_KEY: key}, projection(fields))
        except self._driver_error as exc:
            raise_translated(exc)
        if document is None:
            return None
        del document[_KEY]
        return document

    def insert(self, table: str, key: str, values: Mapping[str, str]) -> None:
        collection = self._collection(table)
        document = to_document(key, values)
        try:
            collection.insert_one(document)
        except self._driver_error as exc:
            raise_translated(exc)

    def insert_batch(self, table: str, rows: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        if not rows:
            return
        collection = self._collection(table)
        documents = [to_document(key, values) for key, values in rows]
        try:
            collection.insert_many(documents, ordered=False)
        except self._driver_error as exc:
            raise_translated(exc)

    def update(self, table: str, key: str, values: Mapping[str, str]) -> None:
        if not values:
            return
        collection = self._collection(table)
        if _KEY in values:
            raise UnsupportedError(f"field name {_KEY!r} is the record key in MongoDB")
        try:
            collection.update_one({_KEY: key}, {"$set": dict(values)})
        except self._driver_error as exc:
            raise_translated(exc)

    def delete(self, table: str, key: str) -> None:
        collection = self._collection(table)
        try:
            collection.delete_one({_KEY: key})
        except self._driver_error as exc:
            raise_translated(exc)

    def exists(self, table: str, key: str) -> bool:
        collection = self._collection(table)
        try:
            # The key alone: the server returns no fields, only whether one matched.
            found = collection.find_one({_KEY: key}, projection={_KEY: 1})
        except self._driver_error as exc:
            raise_translated(exc)
        return found is not None

    def scan(
        self, table: str, start_key: str, count: int, fields: Sequence[str] | None
    ) -> list[tuple[str, Record]]:
        if count <= 0:
            return []
        collection = self._collection(table)
        try:
            # batch_size = limit: every row in the first reply, so one round trip and no
            # cursor left open on the server.
            documents = list(
                collection.find(
                    {_KEY: {"$gte": start_key}},
                    projection(fields),
                    sort=[(_KEY, 1)],
                    limit=count,
                    batch_size=count,
                )
            )
        except self._driver_error as exc:
            raise_translated(exc)
        return [(document.pop(_KEY), document) for document in documents]

    def count_records(self, table: str) -> int:
        collection = self._collection(table)
        try:
            return int(collection.count_documents({}))
        except self._driver_error as exc:
            raise_translated(exc)

    def explain(self, table: str, shape: QueryShape) -> QueryPlan:
        """The ``explain`` command's answer (mongo_explain.py), summarised."""
        command = explained_command(table, shape)
        if command is None:
            note = "explain does not take an insert"
            return QueryPlan(shape.name, "insert", AccessPath.UNKNOWN, "", note=note)
        verbosity = "queryPlanner" if shape.writes else "executionStats"
        try:
            answer = self._db.command({"explain": command, "verbosity": verbosity})
        except self._driver_error as exc:
            raise_translated(exc)
        return mongo_plan(shape.name, command, answer)

    # -- helpers ---------------------------------------------------------------------

    def _collection(self, table: str) -> Any:
        collection = self._collections.get(table)
        if collection is None:
            from pymongo.errors import InvalidName

            try:
                collection = self._db.get_collection(table)
            except InvalidName as exc:
                raise UnsupportedError(f"invalid collection name {table!r}: {exc}") from None
            self._collections[table] = collection
        return collection


class _NeverRaisedError(Exception):
    """Stands in for pymongo's PyMongoError until the driver is imported."""


def raise_translated(exc: Exception) -> NoReturn:
    """Raise `exc` (a pymongo error) as the adapter error of its kind."""
    from pymongo import errors as mx

    kind: type[AdapterError]
    if isinstance(exc, mx.ServerSelectionTimeoutError):
        kind = FatalError
    elif isinstance(exc, mx.AutoReconnect):
        kind = TransientError  # NetworkTimeout, NotPrimaryError, a dropped connection
    elif isinstance(exc, mx.OperationFailure):
        kind = FatalError if exc.code in _AUTH_FAILURES else TransientError
    else:
        kind = FatalError
    raise kind(f"{type(exc).__name__}: {exc}") from exc

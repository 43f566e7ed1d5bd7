"""The Redis data model `hashes`: each row a hash, sorted sets for every other access.

Layout (`layout()` lists it per schema; `redis_model_codec` has the value encoding)
    A root row is the hash ``<entity>:<key>``, a child the hash
    ``<child>:<parent key>:<sequence>``, and each parent has the sorted set
    ``<child>:<parent key>:__seq`` of its children's sequences. Beside the hashes:
    ``<entity>:__all`` (every row, scored by the entity's ordering field, or by key when
    it has none), ``<entity>:__part:<value>`` per partition value (scored the same way)
    and ``<entity>:__idx:<field>:<value>`` per indexed field and value (scored by key).
    A find reads the value's index set, already in key order; a range reads the
    partition's set between two scores; a count is a ZCOUNT on the same sets.

Reads and writes (`redis_model_reads`, `redis_model_writes`, `redis_model_scripts`)
    A get without children is one HGETALL. Everything that looks rows up through a sorted
    set, and every write, is one Lua script by SHA: one round trip, and atomic, so the
    hashes and the sorted sets never disagree (a write reads the old row to move its
    index entries) and a transaction checks every stock before it decrements any.
    A count or a sum per reference field (a product's quantity sold, a customer's orders)
    is kept up by every write: ZINCRBY on ``<entity>:__rows:by:<field>`` and
    ``<entity>:__sum:<total>:by:<field>`` for each reference field and integer field
    (`EntityLayout.groups`, `totals`), so reading it is a ZRANGE. Other aggregates are
    computed by the client over the fields a script fetches (`client_aggregate`, which
    the workload must allow).

TTL
    A row inserted with `ttl_s` (and each of its children) gets PEXPIREAT on its hash
    and its sequence set, an entry in ``<entity>:__expires`` scored by when it expires,
    and a ghost ``<entity>:__ghost:<id>`` (no TTL) of the fields that place it in sorted
    sets. Redis expires the hash itself; every script that reads a sorted set or writes
    first purges the entity's expired rows from their sorted sets (through the ghost),
    so counts, maintained aggregates and ranges agree with the rows that are left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from bakeoff.adapters.data_model import (
    OperationPlan,
    Prepared,
    UnsupportedOperationError,
)
from bakeoff.adapters.errors import FatalError
from bakeoff.adapters.model_plans import refuse_child_by_key, transaction_child
from bakeoff.adapters.redis import open_connection
from bakeoff.adapters.redis_keys import glob_escape
from bakeoff.adapters.redis_model_codec import NUMERIC, layouts
from bakeoff.adapters.redis_model_link import RedisLink, Session
from bakeoff.adapters.redis_model_reads import Selection, compile_read, maintained
from bakeoff.adapters.redis_model_scripts import (
    COUNT,
    DELETE,
    FETCH,
    GET_WITH_CHILDREN,
    PUT,
    SET_FIELDS,
    TOP,
    TRANSACTION,
)
from bakeoff.adapters.redis_model_writes import compile_write, put
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.schema import FieldType, OperationKind, OperationSpec, Row, Schema

_SCRIPTS = (PUT, DELETE, SET_FIELDS, TRANSACTION, GET_WITH_CHILDREN, FETCH, COUNT, TOP)
_DUMP_CHUNK = 1000


class RedisHashesModel:
    """Rows as hashes; sorted sets per index value, per partition and of every row."""

    name: ClassVar[str] = "hashes"
    adapters: ClassVar[frozenset[str]] = frozenset({"redis"})
    default: ClassVar[bool] = True
    description: ClassVar[str] = (
        "each row a Redis hash (children as hashes under their parent's key), with sorted"
        " sets per indexed value, per partition (scored by the ordering field) and of every"
        " row, and counts and integer sums per reference field kept up by every write;"
        " writes and lookups through a sorted set as Lua scripts, other aggregates computed"
        " by the client"
    )

    def __init__(self) -> None:
        self._link = RedisLink()
        self._session: Session | None = None

    @classmethod
    def plan(cls, schema: Schema, name: str, operation: OperationSpec) -> OperationPlan:
        op, entity = operation, schema.entities[operation.entity]
        layout = layouts(schema)[op.entity]
        refuse_child_by_key(schema, op)
        if op.kind is OperationKind.UPDATE and set(op.set) & set(entity.key):
            raise UnsupportedOperationError(f"{name}: a key field cannot be updated")
        if op.kind is OperationKind.TRANSACTION:
            _check_transaction(schema, op)
        if op.kind is OperationKind.FIND and not Selection.of(layout, op).native:
            return OperationPlan(
                "filtering", f"{op.field} has no index: every {op.entity} row is read"
            )
        if op.kind is OperationKind.RANGE and not Selection.of(layout, op).native:
            return OperationPlan(
                "filtering",
                f"no sorted set of {op.entity} by {op.partition or 'row'} scored by"
                f" {op.window.field if op.window else '?'}: rows are read and filtered",
            )
        if op.kind is OperationKind.AGGREGATE:
            return _plan_aggregate(schema, name, op)
        return OperationPlan()

    @classmethod
    def layout(cls, schema: Schema) -> list[str]:
        return [line for lay in layouts(schema).values() for line in lay.describe(schema)]

    def connect(self, endpoint: Endpoint, options: Mapping[str, str]) -> None:
        link = RedisLink(open_connection(endpoint))
        self.close()
        self._link = link

    def setup(self, schema: Schema) -> None:
        # Nothing to create: keys appear with the first row. Loading the scripts spares
        # each of them the first EVALSHA's miss.
        self._link.load_scripts(_SCRIPTS)
        self._session = Session(self._link, schema, layouts(schema))

    def teardown(self, schema: Schema) -> None:
        for name in schema.entities:
            pattern = glob_escape(f"{name}:") + "*"
            cursor = "0"
            while True:
                cursor, keys = self._link.call("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
                if keys:
                    self._link.call("UNLINK", *keys)
                if cursor == "0":
                    break

    def load(self, entity: str, rows: Sequence[Row]) -> None:
        put(self._ready(), entity, rows)

    def prepare(self, name: str, operation: OperationSpec) -> Prepared:
        session = self._ready()
        if operation.reads():
            return compile_read(session, operation)
        return compile_write(session, operation)

    def dump(self, entity: str) -> list[Row]:
        layout = self._ready().layouts[entity]
        ids: list[str] = self._link.call("ZRANGE", layout.all_rows, 0, -1)
        rows: list[Row] = []
        for at in range(0, len(ids), _DUMP_CHUNK):
            chunk = ids[at : at + _DUMP_CHUNK]
            replies = self._link.pipeline([("HGETALL", layout.prefix + i) for i in chunk])
            rows += [layout.decode_pairs(flat) for flat in replies if flat]
        rows.sort(key=layout.sort_key)
        return rows

    def close(self) -> None:
        self._link.close()

    def _ready(self) -> Session:
        if self._session is None or self._session.link is not self._link:
            raise FatalError("the Redis hashes model is used before connect() and setup()")
        return self._session


def _plan_aggregate(schema: Schema, name: str, op: OperationSpec) -> OperationPlan:
    entity = schema.entities[op.entity]
    numbers = NUMERIC - {FieldType.TIMESTAMP}
    if op.field and op.function in {"sum", "avg"} and entity.fields[op.field].type not in numbers:
        raise UnsupportedOperationError(f"{name}: {op.function} of a non-number field")
    layout = layouts(schema)[op.entity]
    selection = Selection.of(layout, op)
    if op.function == "count" and op.group_by is None and selection.native:
        return OperationPlan()
    if maintained(layout, op) is not None:
        return OperationPlan()
    grouped = f" per {op.group_by.field}" if op.group_by else ""
    return OperationPlan(
        "client_aggregate",
        f"Redis has no {op.function}{grouped} over hashes: the client fetches"
        f" {op.field or 'the rows'} through {'a sorted set' if selection.native else 'every row'}"
        " in one Lua script and aggregates",
    )


def _check_transaction(schema: Schema, op: OperationSpec) -> None:
    transaction_child(schema, op)
    assert op.decrement is not None
    stock = schema.entities[op.decrement.entity].fields[op.decrement.field]
    if stock.type is not FieldType.INTEGER:
        raise UnsupportedOperationError("HINCRBY decrements integer stocks only")

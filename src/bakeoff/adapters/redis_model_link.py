"""The Redis `hashes` model's connection: plain calls, pipelines and scripts by SHA."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bakeoff.adapters.redis_model_codec import EntityLayout
from bakeoff.adapters.redis_wire import NotConnected, raise_translated
from bakeoff.core.schema import Schema


class RedisLink:
    """One bare redis-py connection (`redis.open_connection`); every driver error leaves
    as the adapter error of its kind (`redis_split.raise_translated`)."""

    def __init__(self, conn: Any = None) -> None:
        self._conn: Any = NotConnected() if conn is None else conn
        self._shas: dict[str, str] = {}
        if conn is None:
            self._driver_error: type[Exception] = _NeverRaisedError
            self._response_error: type[Exception] = _NeverRaisedError
            self._no_script: type[Exception] = _NeverRaisedError
        else:
            from redis import exceptions  # the connection exists, so the driver does

            self._driver_error = exceptions.RedisError
            self._response_error = exceptions.ResponseError
            self._no_script = exceptions.NoScriptError

    def call(self, *args: object) -> Any:
        try:
            self._conn.send_command(*args)
            return self._conn.read_response()
        except self._driver_error as exc:
            raise_translated(exc)

    def pipeline(self, commands: Sequence[tuple[object, ...]]) -> list[Any]:
        """Every command in one write, then every reply; the first error reply is raised
        after all are read, so the connection stays in step."""
        try:
            conn = self._conn
            conn.send_packed_command(conn.pack_commands(commands))
            replies: list[Any] = []
            first_error: Exception | None = None
            for _ in commands:
                try:
                    replies.append(conn.read_response())
                except self._response_error as exc:
                    first_error = first_error or exc
                    replies.append(None)
            if first_error is not None:
                raise first_error
        except self._driver_error as exc:
            raise_translated(exc)
        return replies

    def script(self, source: str, keys: Sequence[str], args: Sequence[object]) -> Any:
        """Run `source` by its SHA; the first call after a server restart sends it whole."""
        sha = self._shas.get(source)
        if sha is None:
            sha = self._shas[source] = hashlib.sha1(
                source.encode(), usedforsecurity=False
            ).hexdigest()
        try:
            self._conn.send_command("EVALSHA", sha, len(keys), *keys, *args)
            return self._conn.read_response()
        except self._no_script:
            return self.call("EVAL", source, len(keys), *keys, *args)
        except self._driver_error as exc:
            raise_translated(exc)

    def load_scripts(self, sources: Sequence[str]) -> None:
        self.pipeline([("SCRIPT", "LOAD", s) for s in sources])

    def close(self) -> None:
        conn, self._conn = self._conn, NotConnected()
        if not isinstance(conn, NotConnected):
            conn.disconnect()


class _NeverRaisedError(Exception):
    """Stands in for redis-py's errors before there is a connection."""


@dataclass(frozen=True)
class Session:
    """What a compiled operation needs: the connection and the schema's layouts."""

    link: RedisLink
    schema: Schema
    layouts: Mapping[str, EntityLayout]

    def children(self, entity: str) -> list[EntityLayout]:
        return [self.layouts[c] for c in self.schema.children_of(entity)]

"""Engine statistics sources: each engine's own views read through its driver.

`statistics_source(adapter, endpoint)` opens the source for an adapter's engine, or
returns None for an engine without one. Sources are added to `_SOURCES` by adapter name;
each is a module of its own (adapters/<engine>_statistics.py) implementing
`bakeoff.core.telemetry.TelemetrySource`. The SQL adapter serves several engines, so its
source is chosen by the URL's dialect. docs/engine-statistics.md lists every metric.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bakeoff.adapters.cassandra_statistics import CassandraStatistics
from bakeoff.adapters.duckdb_statistics import DuckdbStatistics
from bakeoff.adapters.mariadb_statistics import MariadbStatistics
from bakeoff.adapters.memcached_statistics import MemcachedStatistics
from bakeoff.adapters.mongo_statistics import MongoStatistics
from bakeoff.adapters.postgres_statistics import PostgresStatistics
from bakeoff.adapters.redis_statistics import RedisStatistics
from bakeoff.adapters.sqlite_statistics import SqliteStatistics
from bakeoff.core.endpoint import Endpoint
from bakeoff.core.telemetry import TelemetrySource

StatisticsFactory = Callable[[Endpoint], TelemetrySource | None]


def sql_statistics(endpoint: Endpoint) -> TelemetrySource | None:
    """The source of the engine the SQL adapter's URL names, by its SQLAlchemy dialect;
    None for a dialect without one, and for a database held in memory (a connection of
    the source's own would see a database of its own)."""
    from sqlalchemy.engine import make_url

    url = make_url(endpoint.url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        return PostgresStatistics(endpoint)
    if backend in ("mysql", "mariadb"):
        return MariadbStatistics(endpoint)
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    if backend == "sqlite":
        return SqliteStatistics(endpoint, database)
    if backend == "duckdb":
        return DuckdbStatistics(endpoint, database)
    return None


_SOURCES: Mapping[str, StatisticsFactory] = {
    "sql": sql_statistics,
    "postgres": PostgresStatistics,
    "redis": RedisStatistics,
    "mongo": MongoStatistics,
    "cassandra": CassandraStatistics,
    "memcached": MemcachedStatistics,
}


def statistics_source(adapter: str, endpoint: Endpoint) -> TelemetrySource | None:
    """The statistics source of the adapter's engine, connected; None when it has none."""
    factory = _SOURCES.get(adapter)
    return factory(endpoint) if factory is not None else None

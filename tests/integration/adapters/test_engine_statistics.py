"""Every engine statistics source on its real engine: readings that keep the telemetry
contract, the metrics a user relies on present, counters that rise with the work the
adapter does, and what the engine lacks absent rather than zero."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bakeoff.adapters.errors import AdapterError
from bakeoff.adapters.protocol import Endpoint, TableSpec
from bakeoff.adapters.registry import adapter_class
from bakeoff.adapters.statistics import _SOURCES, statistics_source
from bakeoff.core.telemetry import MetricKind, MetricReading, TelemetrySource
from bakeoff.engines.catalog import CATALOG, engine_spec
from bakeoff.engines.embedded import EmbeddedProvisioner
from bakeoff.testing import connected_adapter
from tests.conftest import ServerPool

UNITS = {"s", "bytes", "blocks", "operations", "operations/s", "1"}
RECORDS = 20
"""Records the work inserts; it then reads each twice."""


@dataclass(frozen=True)
class Expected:
    """What an engine's source must show, by metric name without the engine's prefix."""

    present: frozenset[str]
    """Read whether or not there was work."""
    rises: Mapping[str, float] = field(default_factory=dict)
    """Counters that rise by at least this much with the work."""
    levels: Mapping[str, float] = field(default_factory=dict)
    """Gauges at least this high after the work."""
    absent: frozenset[str] = frozenset()
    """What this engine (as the project's image runs it) does not provide."""


EXPECTED: dict[str, Expected] = {
    "postgres": Expected(
        frozenset({"xact_commit", "xact_rollback", "blks_read", "blks_hit", "tup_fetched",
                   "tup_inserted", "temp_files", "temp_bytes", "deadlocks", "connections",
                   "checkpoints_timed", "checkpoints_requested", "checkpoint_buffers_written"}),
        rises={"tup_inserted": RECORDS, "xact_commit": RECORDS, "blks_hit": 1,
               "idx_scans": 2 * RECORDS},
        # pg_stat_statements is not preloaded by default (test_postgres_statistics.py).
        absent=frozenset({"statements.calls", "statements.exec_time_s"}),
    ),
    "mariadb": Expected(
        frozenset({"innodb_buffer_pool_reads", "innodb_buffer_pool_read_requests",
                   "handler_read_key", "handler_read_rnd_next", "handler_write",
                   "handler_update", "handler_delete", "innodb_row_lock_waits",
                   "innodb_row_lock_time_s", "questions", "threads_running",
                   "bytes_received", "bytes_sent"}),
        rises={"handler_write": RECORDS, "handler_read_key": 2 * RECORDS,
               "questions": 3 * RECORDS, "innodb_buffer_pool_read_requests": 1},
        levels={"threads_running": 1},
        # MariaDB 10.6 removed InnoDB's row counters (MySQL has them).
        absent=frozenset({"innodb_rows_read", "innodb_rows_inserted"}),
    ),
    "redis": Expected(
        frozenset({"commands", "keyspace_hits", "keyspace_misses", "used_memory_bytes",
                   "evicted_keys", "expired_keys", "instantaneous_ops_per_sec",
                   "connected_clients", "cpu_user_s"}),
        rises={"keyspace_hits": 2 * RECORDS, "commands": 3 * RECORDS},
        levels={"keys": RECORDS, "used_memory_bytes": 1, "connected_clients": 1},
        absent=frozenset({"maxmemory_bytes"}),  # the image's maxmemory 0: no limit
    ),
    "memcached": Expected(
        frozenset({"get_hits", "get_misses", "curr_items", "bytes", "evictions"}),
        rises={"get_hits": 2 * RECORDS, "cmd_get": 2 * RECORDS},
        levels={"curr_items": RECORDS, "bytes": 1, "curr_connections": 1},
    ),
    "ferretdb": Expected(
        frozenset({"commands.insert", "objects", "data_bytes", "storage_bytes"}),
        rises={"commands.find": 2 * RECORDS, "commands.insert": RECORDS},
        levels={"objects": RECORDS, "collections": 1},
        # FerretDB 1.24's serverStatus has no operation counters, memory or cache.
        absent=frozenset({"opcounters.query", "opcounters.insert", "connections",
                          "resident_bytes", "cache_bytes", "network_bytes_in"}),
    ),
    "cassandra": Expected(
        frozenset({"pending_compactions", "native_requests", "read_stage_completed",
                   "key_cache_hits", "key_cache_requests", "local_reads", "local_writes",
                   "local_read_p99_s", "local_write_p99_s", "live_disk_bytes"}),
        rises={"local_writes": RECORDS, "local_reads": 2 * RECORDS,
               "native_requests": 3 * RECORDS},
        absent=frozenset({"row_cache_hits", "row_cache_requests"}),  # row cache is off
    ),
    "sqlite": Expected(
        frozenset({"pages", "free_pages", "page_bytes", "database_bytes", "wal_bytes"}),
        levels={"pages": 2, "database_bytes": 8192, "wal_bytes": 1},
    ),
    "duckdb": Expected(
        frozenset({"blocks", "used_blocks", "free_blocks", "database_bytes", "memory_bytes",
                   "temporary_storage_bytes", "wal_bytes"}),
        levels={"wal_bytes": 1},
    ),
}  # fmt: skip
NOT_RUN_HERE = {
    "mysql": "no MySQL image can be built here; it shares MariaDB's source",
    "mongodb": "no mongod image can be built here; it shares FerretDB's source",
}
EMBEDDED = ("sqlite", "duckdb")


def _param(engine: str) -> object:
    marks = () if engine in EMBEDDED else (pytest.mark.docker,)
    return pytest.param(engine, marks=marks, id=engine)


ENGINES = [_param(e) for e in EXPECTED]


@pytest.fixture
def endpoint(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Endpoint]:
    engine = request.param
    if engine in EMBEDDED:
        provisioner = EmbeddedProvisioner(engine_spec(engine), parent_dir=tmp_path)
        yield provisioner.start()
        provisioner.stop()
        return
    servers: ServerPool = request.getfixturevalue("servers")
    yield servers.endpoint(engine)


@pytest.fixture
def source(endpoint: Endpoint) -> Iterator[TelemetrySource]:
    opened = statistics_source(engine_spec(endpoint.engine).adapter, endpoint)
    assert opened is not None, f"{endpoint.engine} has no statistics source"
    yield opened
    opened.close()


def _by_name(source: TelemetrySource) -> dict[str, MetricReading]:
    prefix = f"{source.name}."
    return {r.metric.removeprefix(prefix): r for r in source.read()}


@contextlib.contextmanager
def _work_done(endpoint: Endpoint) -> Iterator[None]:
    """What a short trial does: inserts, then reads of present keys, on a connection
    closed before the block runs (as clients end at a trial's end: PostgreSQL publishes
    an idle connection's counters only after 10 s); the table stays until the block ends."""
    table = TableSpec(f"stats_{uuid.uuid4().hex[:8]}", ("field0",), 8)
    kind = adapter_class(engine_spec(endpoint.engine).adapter)
    with connected_adapter(kind, endpoint, table):
        worker = kind()
        worker.connect(endpoint, {})
        try:
            worker.setup(table)  # finds the table: no-op
            keys = [f"user{i}" for i in range(RECORDS)]
            for key in keys:
                worker.insert(table.name, key, {"field0": "value"})
            for key in keys * 2:
                assert worker.read(table.name, key, None) is not None
        finally:
            worker.close()
        yield


def _wait_for(check: Callable[[], list[str]], seconds: float = 15.0) -> list[str]:
    """Poll `check` (the problems it finds) until it finds none or time is up: some
    engines publish their counters a moment after the work (PostgreSQL: once a second)."""
    deadline = time.monotonic() + seconds
    while (problems := check()) and time.monotonic() < deadline:
        time.sleep(0.25)
    return problems


# -- the contract ---------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENGINES, indirect=True)
def test_readings_keep_the_telemetry_contract(source: TelemetrySource, endpoint: Endpoint) -> None:
    assert source.name == endpoint.engine
    first, second = source.read(), source.read()
    for reading in (*first, *second):
        assert reading.metric.startswith(f"{endpoint.engine}."), reading
        assert reading.unit in UNITS, reading
        assert isinstance(reading.kind, MetricKind), reading
        assert math.isfinite(reading.value) and reading.value >= 0, reading
    names = [r.metric for r in first]
    assert len(names) == len(set(names)), "a metric read twice in one reading"
    before = {r.metric: r.value for r in first if r.kind is MetricKind.COUNTER}
    for reading in second:
        if reading.kind is MetricKind.COUNTER and reading.metric in before:
            assert reading.value >= before[reading.metric], reading
    source.close()
    source.close()  # safe twice
    with pytest.raises(AdapterError):
        source.read()


@pytest.mark.parametrize("endpoint", ENGINES, indirect=True)
def test_work_shows_in_the_statistics(source: TelemetrySource, endpoint: Endpoint) -> None:
    expected = EXPECTED[endpoint.engine]
    before = {name: r.value for name, r in _by_name(source).items()}
    with _work_done(endpoint):

        def problems() -> list[str]:
            now = _by_name(source)
            found = [f"{n} missing" for n in sorted(expected.present - now.keys())]
            found += [f"{n} present" for n in sorted(expected.absent & now.keys())]
            for name, rise in expected.rises.items():
                reading = now.get(name)
                if reading is None or reading.kind is not MetricKind.COUNTER:
                    found.append(f"{name} is no counter: {reading}")
                elif reading.value - before.get(name, 0.0) < rise:
                    found.append(f"{name} rose {reading.value - before.get(name, 0.0)} < {rise}")
            for name, level in expected.levels.items():
                reading = now.get(name)
                if reading is None or reading.kind is not MetricKind.GAUGE:
                    found.append(f"{name} is no gauge: {reading}")
                elif reading.value < level:
                    found.append(f"{name} is {reading.value} < {level}")
            return found

        assert _wait_for(problems) == []


def test_every_engine_with_a_source_is_checked_here() -> None:
    with_source = {name for name in CATALOG if engine_spec(name).adapter in _SOURCES}
    assert with_source == EXPECTED.keys() | NOT_RUN_HERE.keys()


# -- credentials ----------------------------------------------------------------------

WRONG = "Wr0ng-s3cret-pw"


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:{password}@{host}").geturl()


@pytest.mark.docker
@pytest.mark.parametrize("engine", ["postgres", "mariadb", "redis", "cassandra"])
def test_a_refused_password_stays_out_of_errors_and_logs(
    servers: ServerPool, engine: str, caplog: pytest.LogCaptureFixture
) -> None:
    real = servers.endpoint(engine)
    wrong = dataclasses.replace(real, url=_with_password(real.url, WRONG))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AdapterError) as raised:
        statistics_source(engine_spec(engine).adapter, wrong)
    assert WRONG not in str(raised.value)
    assert WRONG not in caplog.text

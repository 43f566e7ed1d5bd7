"""Replica lag, sampled while a topology runs: write a marker on the primary, time until
the replica returns it.

A background thread of the bakeoff process (not of a worker: off the measured path), on
connections of its own, takes one sample every `interval_s` (0.5 s: two small writes a
second next to the workload's thousands). A marker not visible within `give_up_s` counts
as a sample of that many seconds and is flagged (`unseen`), so a stalled replica shows
as a long lag rather than as no data.
"""

from __future__ import annotations

import contextlib
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from bakeoff.engines.redis_protocol import redis_client

INTERVAL_S = 0.5
GIVE_UP_S = 5.0
_POLL_S = 0.001


class LagProbe(Protocol):
    def write(self, marker: int) -> None:
        """Store `marker` on the primary (one small write, acknowledged)."""

    def seen(self, marker: int) -> bool:
        """Whether the replica returns `marker` yet."""

    def close(self) -> None: ...


class LagSampler:
    """Samples replica lag on a daemon thread from `start()` until `stop()`."""

    def __init__(
        self,
        probe: LagProbe,
        *,
        interval_s: float = INTERVAL_S,
        give_up_s: float = GIVE_UP_S,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.probe = probe
        self.interval_s = interval_s
        self.give_up_s = give_up_s
        self.clock = clock
        self.samples_s: list[float] = []
        self.unseen = 0
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="replica-lag", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, str]:
        """Stop sampling; the distribution as the manifest records it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.give_up_s + 1.0)
        with contextlib.suppress(Exception):
            self.probe.close()
        return self.summary()

    def summary(self) -> dict[str, str]:
        samples = sorted(self.samples_s)
        result = {
            "replica_lag.samples": str(len(samples)),
            "replica_lag.unseen": str(self.unseen),
            "replica_lag.errors": str(self.errors),
            "replica_lag.interval_s": f"{self.interval_s:g}",
        }
        if samples:
            p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
            result["replica_lag.median_ms"] = f"{statistics.median(samples) * 1e3:.3f}"
            result["replica_lag.p99_ms"] = f"{p99 * 1e3:.3f}"
            result["replica_lag.max_ms"] = f"{samples[-1] * 1e3:.3f}"
        return result

    def _loop(self) -> None:
        marker = 0
        while not self._stop.wait(self.interval_s):
            marker += 1
            try:
                self._sample(marker)
            except Exception:
                # A node down (a fault) is what the availability figures measure; the
                # lag of that moment is unknown, not zero.
                self.errors += 1

    def _sample(self, marker: int) -> None:
        self.probe.write(marker)
        written = self.clock()
        while not self.probe.seen(marker):
            if self.clock() - written >= self.give_up_s:
                self.unseen += 1
                self.samples_s.append(self.give_up_s)
                return
            if self._stop.wait(_POLL_S):
                return
        self.samples_s.append(self.clock() - written)


class SqlLagProbe:
    """A one-row table on the primary (`bakeoff_replica_lag`), read on the replica."""

    TABLE = "bakeoff_replica_lag"

    def __init__(self, primary_url: str, replica_url: str, upsert: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self._primary: Any = create_engine(primary_url, poolclass=NullPool).connect()
        self._primary = self._primary.execution_options(isolation_level="AUTOCOMMIT")
        self._replica: Any = create_engine(replica_url, poolclass=NullPool).connect()
        self._replica = self._replica.execution_options(isolation_level="AUTOCOMMIT")
        self._upsert = upsert
        self._primary.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {self.TABLE} (id INT PRIMARY KEY, marker BIGINT)"
        )

    def write(self, marker: int) -> None:
        self._primary.exec_driver_sql(self._upsert, (marker,))

    def seen(self, marker: int) -> bool:
        found = self._replica.exec_driver_sql(
            f"SELECT marker FROM {self.TABLE} WHERE id = 1"
        ).scalar()
        return found is not None and int(found) >= marker

    def close(self) -> None:
        for connection in (self._primary, self._replica):
            with contextlib.suppress(Exception):
                connection.invalidate()
                connection.close()


POSTGRES_UPSERT = (
    f"INSERT INTO {SqlLagProbe.TABLE} VALUES (1, %s) "
    "ON CONFLICT (id) DO UPDATE SET marker = EXCLUDED.marker"
)
MARIADB_UPSERT = (
    f"INSERT INTO {SqlLagProbe.TABLE} VALUES (1, %s) "
    "ON DUPLICATE KEY UPDATE marker = VALUES(marker)"
)


class RedisLagProbe:
    """A key on the primary (`bakeoff:replica_lag`), read on the replica."""

    KEY = "bakeoff:replica_lag"

    def __init__(self, primary_url: str, replica_url: str) -> None:
        self._primary = redis_client(primary_url, 2.0)
        self._replica = redis_client(replica_url, 2.0)

    def write(self, marker: int) -> None:
        self._primary.set(self.KEY, marker)

    def seen(self, marker: int) -> bool:
        found = self._replica.get(self.KEY)
        return found is not None and int(found) >= marker

    def close(self) -> None:
        self._primary.close()
        self._replica.close()

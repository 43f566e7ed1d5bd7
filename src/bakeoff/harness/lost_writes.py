"""Lost acknowledged writes, counted Jepsen-style after the faults are over.

Per key, the write that matters is the acknowledged one that completed last. Reading the
key back (from the primary, at the strongest consistency the adapter offers) it is:

- **stable** when the value read is that write's, or of any write that may have come
  after it (one that overlapped it, or an indeterminate one: failed or timed out, so it
  may have been applied at any time);
- **stale** when the value read is of an older acknowledged write (the newest was lost,
  an older one survived);
- **lost** when the key is gone or holds no version written during the phase.

Indeterminate writes are counted, never as lost. Keys the phase deleted are not checked.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from bakeoff.adapters.errors import AdapterError
from bakeoff.adapters.protocol import Adapter, Endpoint, TableSpec
from bakeoff.harness.write_tracking import DELETED, Write, version_of

STRONGEST_READS: dict[str, tuple[Mapping[str, str], ...]] = {
    "cassandra": ({"consistency_read": "ALL"}, {"consistency_read": "QUORUM"}),
}
"""Per adapter with a choice, the options to read back with, strongest first. The other
adapters read from the endpoint they are given: the primary."""
_EXAMPLES = 5


def classify(
    writes: Sequence[Write], read: Callable[[str, tuple[str, ...]], object]
) -> dict[str, Any]:
    """The verdict over `writes`; `read(key, fields)` returns the record read back
    (a mapping of field to value, or None when the key is absent)."""
    by_key: dict[str, list[Write]] = {}
    for write in writes:
        by_key.setdefault(write.key, []).append(write)
    counts = {"stable": 0, "lost": 0, "stale": 0}
    examples: dict[str, list[str]] = {"lost": [], "stale": []}
    for key, key_writes in by_key.items():
        acked = [w for w in key_writes if w.acknowledged]
        if not acked or any(w.version == DELETED for w in key_writes):
            continue  # nothing acknowledged; or deleted, so absence proves nothing
        last = max(acked, key=lambda w: w.end_ns)
        fresh = {w.version for w in key_writes if not w.acknowledged or w.end_ns >= last.start_ns}
        older = {w.version for w in acked} - fresh
        record = read(key, last.fields)
        found = None
        if isinstance(record, Mapping):
            found = next((version_of(record.get(f)) for f in last.fields if f in record), None)
        verdict = "stable" if found in fresh else "stale" if found in older else "lost"
        counts[verdict] += 1
        if verdict in examples and len(examples[verdict]) < _EXAMPLES:
            examples[verdict].append(key)
    return {
        "acknowledged_writes": sum(w.acknowledged for w in writes),
        "indeterminate_writes": sum(not w.acknowledged for w in writes),
        "keys_checked": sum(counts.values()),
        **counts,
        "examples": examples,
    }


def _read(adapter: Adapter, table: str, key: str, fields: tuple[str, ...]) -> object:
    return adapter.read(table, key, None)


def read_back(
    adapter_cls: type[Any],
    endpoint: Endpoint,
    options: Mapping[str, str],
    table: TableSpec,
    writes: Sequence[Write],
    *,
    wait_s: float = 60.0,
) -> dict[str, Any]:
    """Connect once the engine answers again (within `wait_s`), at the strongest
    consistency the adapter accepts, and classify every acknowledged write."""
    if not writes:
        return classify(writes, lambda key, fields: None)
    deadline = time.monotonic() + wait_s
    problem = ""
    while True:
        for extra in STRONGEST_READS.get(getattr(adapter_cls, "name", ""), ({},)):
            adapter = adapter_cls()
            try:
                adapter.connect(endpoint, {**options, **extra})
                adapter.setup(table)  # prepares the reads; the table is there already
                verdict = classify(writes, partial(_read, adapter, table.name))
                return {**verdict, "read_at": extra.get("consistency_read", "primary")}
            except AdapterError as error:
                problem = str(error)
            finally:
                # Closing a broken connection must not hide the verdict.
                with contextlib.suppress(Exception):
                    adapter.close()
        if time.monotonic() > deadline:
            return {
                "acknowledged_writes": sum(w.acknowledged for w in writes),
                "error": f"the engine did not answer the read-back within {wait_s:g} s: {problem}",
            }
        time.sleep(1.0)

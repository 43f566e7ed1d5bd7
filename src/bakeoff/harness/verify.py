"""The verify phase: count the records and read a sample of the loaded ones back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bakeoff.adapters.protocol import Adapter, Capability, RecordCount
from bakeoff.core.measures import Phase
from bakeoff.workloads.generators import connection_rng
from bakeoff.workloads.keys import key_names
from bakeoff.workloads.model import Workload


def verify_records(
    adapter: Adapter, workload: Workload, counts: Mapping[str, int], sample_size: int
) -> dict[str, object]:
    """Count the records and read a sample of the loaded ones back."""
    inserted = sum(counts.get(f"{p.value}:insert", 0) for p in (Phase.WARMUP, Phase.MEASURE))
    deleted = sum(counts.get(f"{p.value}:delete", 0) for p in (Phase.WARMUP, Phase.MEASURE))
    expected_max = workload.records + inserted
    expected_min = expected_max - deleted
    result: dict[str, object] = {
        "expected_records_min": expected_min,
        "expected_records_max": expected_max,
    }
    problems: list[str] = []
    if isinstance(adapter, RecordCount) and Capability.COUNT in type(adapter).capabilities:
        counted = adapter.count_records(workload.table)
        result["counted_records"] = counted
        if not expected_min <= counted <= expected_max:
            problems.append(
                f"table holds {counted} records, expected "
                + (
                    f"{expected_max}"
                    if expected_min == expected_max
                    else f"{expected_min}..{expected_max}"
                )
            )
    else:
        result["counted_records"] = None
    sample = min(sample_size, workload.records)
    rng = connection_rng(workload.seed, 0, "verify")
    numbers = rng.choice(workload.records, size=sample, replace=False).astype(np.int64)
    keys = key_names(numbers, prefix=workload.key_prefix, insert_order=workload.insert_order)
    names = set(workload.fields.names())
    lowest = _minimum_length(workload)
    longest = workload.fields.length.maximum
    missing = malformed = 0
    for key in keys:
        record = adapter.read(workload.table, key, None)
        if record is None:
            missing += 1
        elif set(record) != names or any(
            not isinstance(v, str) or not lowest <= len(v) <= longest for v in record.values()
        ):
            malformed += 1
    result.update(sample_size=sample, sample_missing=missing, sample_malformed=malformed)
    if missing > deleted:
        problems.append(f"{missing} of {sample} sampled records are missing")
    if malformed:
        problems.append(f"{malformed} of {sample} sampled records have wrong fields")
    result["ok"] = not problems
    if problems:
        result["problem"] = "; ".join(problems)
    return result


def _minimum_length(workload: Workload) -> int:
    length: Any = workload.fields.length
    return int(getattr(length, "min", getattr(length, "value", 1)))

"""Tests of the value pool.

Seeds and sample sizes are fixed, so every test is deterministic; thresholds (p > 1e-3, or
about five standard errors) leave room for other seeds without hiding a wrong distribution.
"""

from __future__ import annotations

import string

import numpy as np
import pytest

from bakeoff.workloads import values
from bakeoff.workloads.generators import connection_rng
from bakeoff.workloads.model import (
    ConstantLength,
    UniformLength,
)
from bakeoff.workloads.values import ValuePool


def test_value_pool_lengths_and_alphabet() -> None:
    pool = ValuePool(ConstantLength(value=100), connection_rng(1, 0, "values"))
    values = pool.values(50_000)  # larger than one pre-drawn stream
    assert len(values) == 50_000 and {len(v) for v in values} == {100}
    assert set("".join(values[:200])) <= set(string.ascii_letters + string.digits)
    assert len(set(values[:2000])) > 1500  # payloads are varied, not one string repeated

    lengths = UniformLength(distribution="uniform", min=20, max=60)
    varied = ValuePool(lengths, connection_rng(1, 0, "values"))
    sizes = np.array([len(v) for _ in range(300) for v in varied.values(33)])
    assert int(sizes.min()) >= 20 and int(sizes.max()) <= 60
    assert abs(float(sizes.mean()) - 40) < 1.0


def test_value_pool_records() -> None:
    names = [f"field{i}" for i in range(10)]
    pool = ValuePool(ConstantLength(value=8), connection_rng(1, 0, "values"), size=16)
    for _ in range(10_000):  # crosses many stream refills
        record = pool.record(names)
        assert list(record) == names and all(len(v) == 8 for v in record.values())
    again = ValuePool(ConstantLength(value=8), connection_rng(1, 0, "values"), size=16)
    first = ValuePool(ConstantLength(value=8), connection_rng(1, 0, "values"), size=16)
    assert [first.record(names) for _ in range(50)] == [again.record(names) for _ in range(50)]


def test_value_pool_caps_its_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(values, "_POOL_BYTE_LIMIT", 1000)
    pool = ValuePool(ConstantLength(value=300), connection_rng(1, 0, "values"))
    assert len(set(pool.values(1000))) == 3
    huge = ValuePool(ConstantLength(value=5000), connection_rng(1, 0, "values"))
    assert {len(v) for v in huge.values(10)} == {5000}


def test_value_maps_hand_out_the_payloads_values_would_and_reuse_their_dicts() -> None:
    def pool() -> ValuePool:
        return ValuePool(ConstantLength(value=8), connection_rng(1, 0, "values"), size=16)

    values = pool()
    payloads = [v for _ in range(40) for v in values.values(1000)]  # crosses stream refills
    maps = pool()
    drawn = [m for _ in range(40) for m in maps.value_maps("field3", 1000)]
    assert [m["field3"] for m in drawn] == payloads and {len(m) for m in drawn} == {1}
    # One dict per pool entry, built once: 40,000 writes share at most 16 of them.
    assert len({id(m) for m in drawn}) <= 16

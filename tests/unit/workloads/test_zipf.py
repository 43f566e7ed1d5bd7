"""Tests of FNV-1a hashing and the zeta sums behind the zipfian draws.

Seeds and sample sizes are fixed, so every test is deterministic; thresholds (p > 1e-3, or
about five standard errors) leave room for other seeds without hiding a wrong distribution.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pytest

from bakeoff.workloads.keys import key_names
from bakeoff.workloads.zipf import fnv1a_64, zeta
from tests.unit.workloads.reference import fnv_reference


def test_fnv_matches_the_reference() -> None:
    rng = np.random.default_rng(5)
    values = np.concatenate(
        [
            np.array([0, 1, 2, 255, 256, 2**31 - 1, 2**32, 2**40 + 123, 2**62, 2**63 - 1]),
            rng.integers(0, 2**63 - 1, 200, dtype=np.int64),
        ]
    ).astype(np.int64)
    assert fnv1a_64(values).tolist() == [
        fnv_reference(v) for v in cast("list[int]", values.tolist())
    ]


def test_fnv_reproduces_ycsb_first_key() -> None:
    # "user6284781860667377211" is the first key YCSB loads with default settings.
    assert key_names(np.array([0], dtype=np.int64), prefix="user", insert_order="hashed") == [
        "user6284781860667377211"
    ]


def test_zeta_tail_approximation_matches_exact_sums() -> None:
    for theta in (0.5, 0.99, 0.999):
        n = 1_500_000
        exact = float(np.sum(np.arange(1, n + 1, dtype=np.float64) ** -theta))
        assert zeta(n, theta) == pytest.approx(exact, rel=1e-12)
    # YCSB's precomputed zeta for its 10**10-item scrambled space.
    assert zeta(10**10, 0.99) == pytest.approx(26.46902820178302, rel=1e-10)

"""Tests of the length choosers.

Seeds and sample sizes are fixed, so every test is deterministic; thresholds (p > 1e-3, or
about five standard errors) leave room for other seeds without hiding a wrong distribution.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from bakeoff.workloads.generators import connection_rng
from bakeoff.workloads.lengths import make_length_chooser
from bakeoff.workloads.model import (
    ConstantLength,
    UniformLength,
    ZipfianLength,
)
from tests.unit.workloads.reference import (
    chi_square_p,
    gray_pmf,
)


def test_length_choosers() -> None:
    rng = connection_rng(3, 0, "lengths")
    constant = make_length_chooser(ConstantLength(value=100), rng).choose(1000)
    assert set(cast("list[int]", constant.tolist())) == {100}

    uniform = make_length_chooser(UniformLength(distribution="uniform", min=5, max=14), rng)
    drawn = uniform.choose(50_000)
    assert int(drawn.min()) == 5 and int(drawn.max()) == 14
    assert chi_square_p(drawn - 5, np.full(10, 0.1)) > 1e-3

    zipfian = make_length_chooser(ZipfianLength(distribution="zipfian", min=10, max=40), rng)
    drawn = zipfian.choose(100_000)
    assert int(drawn.min()) >= 10 and int(drawn.max()) <= 40
    assert int(np.argmax(np.bincount(drawn))) == 10
    assert chi_square_p(drawn - 10, gray_pmf(31, 0.99)) > 1e-3

    single = make_length_chooser(ZipfianLength(distribution="zipfian", min=7, max=7), rng)
    assert set(cast("list[int]", single.choose(100).tolist())) == {7}

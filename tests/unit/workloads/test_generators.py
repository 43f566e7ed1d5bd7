"""Tests of the seeding and the operation chooser.

Seeds and sample sizes are fixed, so every test is deterministic; thresholds (p > 1e-3, or
about five standard errors) leave room for other seeds without hiding a wrong distribution.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pytest

from bakeoff.workloads.generators import OperationChooser, connection_rng
from bakeoff.workloads.model import OperationMix
from tests.unit.workloads.reference import chi_square_p

# -- seeding ---------------------------------------------------------------------------


def test_connection_rng_reproduces_per_seed_connection_and_stream() -> None:
    first = connection_rng(42, 3, "keys").random(1000)
    again = connection_rng(42, 3, "keys").random(1000)
    assert np.array_equal(first, again)


@pytest.mark.parametrize(
    ("seed", "connection", "stream"),
    [(42, 4, "keys"), (42, 3, "values"), (43, 3, "keys"), (43, 2, "keys"), (41, 4, "keys")],
)
def test_connection_rng_streams_are_distinct_and_uncorrelated(
    seed: int, connection: int, stream: str
) -> None:
    base = connection_rng(42, 3, "keys").random(20_000)
    other = connection_rng(seed, connection, stream).random(20_000)
    assert not np.array_equal(base, other)
    # Pearson r of independent uniforms has sd 1/sqrt(n) = 0.007.
    assert abs(float(np.corrcoef(base, other)[0, 1])) < 0.035


def test_connection_rng_rejects_negative_ids() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        connection_rng(1, -1, "keys")


# -- operations ------------------------------------------------------------------------


def test_operation_mix_proportions() -> None:
    mix = OperationMix(read=0.5, update=0.05, scan=0.25, read_modify_write=0.2)
    ops = OperationChooser(mix, connection_rng(9, 0, "ops"))
    assert ops.operations == (
        "read",
        "update",
        "scan",
        "read_modify_write",
    )
    picks = ops.choose(100_000)
    assert picks.dtype == np.uint8
    assert chi_square_p(picks.astype(np.int64), np.array([0.5, 0.05, 0.25, 0.2])) > 1e-3

    only_reads = OperationChooser(OperationMix(read=1.0), connection_rng(9, 0, "ops"))
    assert only_reads.operations == ("read",)
    assert set(cast("list[int]", only_reads.choose(1000).tolist())) == {0}

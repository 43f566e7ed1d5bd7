"""Statistical and behavioural tests of the key choosers and key names.

Seeds and sample sizes are fixed, so every test is deterministic; thresholds (p > 1e-3, or
about five standard errors) leave room for other seeds without hiding a wrong distribution.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pytest
from scipy import stats

from bakeoff.workloads.generators import connection_rng
from bakeoff.workloads.keys import KeyChooser, key_names, make_key_chooser
from bakeoff.workloads.model import (
    ExponentialKeys,
    HotspotKeys,
    LatestKeys,
    RequestDistribution,
    ScrambledZipfianKeys,
    SequentialKeys,
    UniformKeys,
    ZipfianKeys,
)
from bakeoff.workloads.zipf import fnv1a_64
from tests.unit.workloads.reference import (
    ALL_DISTRIBUTIONS,
    FloatArray,
    chi_square_p,
    exact_zipf_pmf,
    fnv_reference,
    gray_pmf,
)


def chooser(
    dist: RequestDistribution, *, records: int, expected_inserts: int = 0, seed: int = 7
) -> KeyChooser:
    return make_key_chooser(
        dist,
        records=records,
        expected_inserts=expected_inserts,
        rng=connection_rng(seed, 0, "keys"),
    )


def test_hashed_key_names() -> None:
    indexes = np.array([5, 1_000_000, 7], dtype=np.int64)
    names = key_names(indexes, prefix="k", insert_order="hashed")
    assert names == [f"k{fnv_reference(v)}" for v in cast("list[int]", indexes.tolist())]


def test_ordered_key_names_sort_like_their_indexes() -> None:
    indexes = np.array([10, 2, 999_999_999_999, 0, 100], dtype=np.int64)
    names = key_names(indexes, prefix="user", insert_order="ordered")
    assert names[1] == "user000000000002"
    assert sorted(names) == [names[i] for i in np.argsort(indexes)]
    assert key_names(indexes[:1], prefix="p%", insert_order="ordered", ordered_width=4) == [
        "p%0010"
    ]


def test_ordered_key_names_reject_indexes_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="10\\*\\*3"):
        key_names(
            np.array([1000], dtype=np.int64), prefix="u", insert_order="ordered", ordered_width=3
        )
    assert key_names(np.array([], dtype=np.int64), prefix="u", insert_order="ordered") == []


# -- zipfian -----------------------------------------------------------------------------


@pytest.mark.parametrize("items", [3, 20, 200])
def test_zipfian_fits_grays_pmf(items: int) -> None:
    keys = chooser(ZipfianKeys(type="zipfian"), records=items).choose(200_000, items)
    assert chi_square_p(keys, gray_pmf(items, 0.99)) > 1e-3


def test_zipfian_is_close_to_the_exact_zipf_pmf() -> None:
    """Gray's method is exact for ranks 0 and 1 and approximate after (YCSB inherits this)."""
    items, n = 50, 200_000
    keys = chooser(ZipfianKeys(type="zipfian", constant=0.8), records=items).choose(n, items)
    exact = exact_zipf_pmf(items, 0.8)
    observed = np.bincount(keys, minlength=items) / n
    for rank in (0, 1):
        se = math.sqrt(exact[rank] * (1 - exact[rank]) / n)
        assert abs(observed[rank] - exact[rank]) < 5 * se
    total_variation = 0.5 * float(np.abs(observed - exact).sum())
    assert total_variation < 0.03
    # A modest sample cannot tell Gray's approximation from the exact pmf.
    assert chi_square_p(keys[:3000], exact) > 1e-3


def test_zipfian_hot_key_shares_follow_theory() -> None:
    items, n = 10_000, 200_000
    keys = chooser(ZipfianKeys(type="zipfian"), records=items).choose(n, items)
    exact, gray = exact_zipf_pmf(items, 0.99), gray_pmf(items, 0.99)
    for hottest in (items // 100, items // 10):
        share = float(np.mean(keys < hottest))
        predicted = float(gray[:hottest].sum())
        assert abs(share - predicted) < 5 * math.sqrt(predicted * (1 - predicted) / n)
        assert abs(share - float(exact[:hottest].sum())) < 0.03
    assert np.argmax(np.bincount(keys)) == 0


def test_zipfian_redraws_keys_not_inserted_yet() -> None:
    records, inserts = 300, 700
    keys = chooser(ZipfianKeys(type="zipfian"), records=records, expected_inserts=inserts).choose(
        100_000, records
    )
    assert int(keys.max()) < records
    truncated = gray_pmf(records + inserts, 0.99)[:records]
    assert chi_square_p(keys, truncated) > 1e-3


def test_zipfian_constant_shapes_the_skew() -> None:
    flat = chooser(ZipfianKeys(type="zipfian", constant=0.5), records=1000).choose(50_000, 1000)
    steep = chooser(ZipfianKeys(type="zipfian", constant=0.99), records=1000).choose(50_000, 1000)
    assert np.mean(flat < 10) < np.mean(steep < 10) - 0.1


# -- scrambled zipfian ---------------------------------------------------------------------

_YCSB_SCRAMBLED_ITEMS = 10**10 + 1
_YCSB_ZETAN = 26.46902820178302


def scrambled_pmf(items: int) -> FloatArray:
    """Zipf ranks over YCSB's 10**10 space folded onto `items` by FNV.

    The top 2**20 ranks are folded exactly; the remaining mass (each bucket receives about
    10**10 / items tiny ranks) is spread evenly, which is accurate far beyond test power.
    """
    ranks = 1 << 20
    head = gray_pmf(_YCSB_SCRAMBLED_ITEMS, 0.99, zetan=_YCSB_ZETAN, ranks=ranks)
    buckets = fnv1a_64(np.arange(ranks, dtype=np.int64)) % items
    pmf = np.bincount(buckets, weights=head, minlength=items).astype(np.float64)
    pmf += (1.0 - head.sum()) / items
    return pmf


def test_scrambled_zipfian_fits_the_folded_profile() -> None:
    items = 1000
    keys = chooser(ScrambledZipfianKeys(type="scrambled_zipfian"), records=items).choose(
        200_000, items
    )
    predicted = scrambled_pmf(items)
    assert chi_square_p(keys, predicted) > 1e-3
    # Same popularity profile: the sorted shares of the hottest keys match the prediction.
    observed_top = np.sort(np.bincount(keys, minlength=items))[::-1][:10] / keys.size
    assert np.allclose(observed_top, np.sort(predicted)[::-1][:10], rtol=0.1)


def test_scrambled_zipfian_spreads_hot_keys() -> None:
    items = 10_000
    keys = chooser(ScrambledZipfianKeys(type="scrambled_zipfian"), records=items).choose(
        200_000, items
    )
    counts = np.bincount(keys, minlength=items)
    assert int(np.argmax(counts)) == fnv_reference(0) % items
    hottest = np.argsort(counts)[::-1][: items // 100]
    # Hot keys are spread over the whole index range, not packed at its start.
    assert stats.kstest(hottest / items, "uniform").pvalue > 1e-3
    assert np.mean(hottest < items // 10) < 0.25


def test_scrambled_zipfian_redraws_keys_not_inserted_yet() -> None:
    records, inserts = 500, 1500
    dist = ScrambledZipfianKeys(type="scrambled_zipfian")
    keys = chooser(dist, records=records, expected_inserts=inserts).choose(100_000, records)
    assert int(keys.max()) < records
    assert chi_square_p(keys, scrambled_pmf(records + inserts)[:records]) > 1e-3


def test_scrambled_zipfian_other_constants_compute_their_zeta() -> None:
    dist = ScrambledZipfianKeys(type="scrambled_zipfian", constant=0.6)
    keys = chooser(dist, records=100).choose(50_000, 100)
    # With theta 0.6 over 10**10 ranks, no rank stands out after folding onto 100 keys.
    shares = np.bincount(keys, minlength=100) / keys.size
    assert float(shares.max()) < 0.03


# -- latest, hotspot, sequential, exponential, uniform -------------------------------------


def test_latest_prefers_the_newest_records() -> None:
    upper = 1000
    keys = chooser(LatestKeys(type="latest"), records=upper).choose(200_000, upper)
    assert int(np.argmax(np.bincount(keys))) == upper - 1
    assert chi_square_p((upper - 1) - keys, gray_pmf(upper, 0.99)) > 1e-3


def test_latest_follows_a_growing_key_space() -> None:
    keys = chooser(LatestKeys(type="latest"), records=100)
    for upper in (100, 101, 150, 5000, 70_000, 200_000):
        batch = keys.choose(20_000, upper)
        assert int(batch.min()) >= 0 and int(batch.max()) < upper
        assert int(np.argmax(np.bincount(batch))) == upper - 1


def test_hotspot_sends_the_hot_fraction_to_the_hot_set() -> None:
    upper, n = 10_000, 200_000
    keys = chooser(HotspotKeys(type="hotspot"), records=upper).choose(n, upper)
    hot = keys < 2000
    assert abs(float(hot.mean()) - 0.8) < 5 * math.sqrt(0.8 * 0.2 / n)
    assert chi_square_p(keys[hot] // 20, np.full(100, 1 / 100)) > 1e-3
    assert chi_square_p((keys[~hot] - 2000) // 80, np.full(100, 1 / 100)) > 1e-3


@pytest.mark.parametrize(
    ("data", "ops", "hot_share"),
    [(0.0, 0.8, None), (1.0, 0.8, None), (0.3, 1.0, 1.0), (0.3, 0.0, 0.0)],
)
def test_hotspot_edge_fractions(data: float, ops: float, hot_share: float | None) -> None:
    dist = HotspotKeys(type="hotspot", hot_data_fraction=data, hot_operation_fraction=ops)
    keys = chooser(dist, records=1000).choose(50_000, 1000)
    assert int(keys.min()) >= 0 and int(keys.max()) < 1000
    if hot_share is None:
        assert chi_square_p(keys // 10, np.full(100, 1 / 100)) > 1e-3
    else:
        assert float(np.mean(keys < 300)) == hot_share


def test_sequential_cycles_and_keeps_its_place() -> None:
    keys = chooser(SequentialKeys(type="sequential"), records=5)
    assert keys.choose(7, 5).tolist() == [0, 1, 2, 3, 4, 0, 1]
    assert keys.choose(3, 5).tolist() == [2, 3, 4]
    assert keys.choose(4, 6).tolist() == [0, 1, 2, 3]
    assert keys.choose(4, 8).tolist() == [4, 5, 6, 7]
    assert keys.choose(2, 3).tolist() == [0, 1]


def test_exponential_puts_the_percentile_in_the_newest_fraction() -> None:
    upper, n = 10_000, 200_000
    dist = ExponentialKeys(type="exponential")
    keys = chooser(dist, records=upper).choose(n, upper)
    counts = np.bincount(keys, minlength=upper)
    assert counts[-1000:].sum() > 5 * counts[:1000].sum()  # newest hottest
    ages = (upper - 1) - keys
    gamma = dist.gamma / upper
    # Redrawing ages >= upper conditions the exponential on the key space.
    kept = 1 - math.exp(-gamma * upper)
    expected = (dist.percentile / 100) / kept
    share = float(np.mean(ages < dist.fraction * upper))
    assert abs(share - expected) < 5 * math.sqrt(expected * (1 - expected) / n)
    edges = np.linspace(0, upper, 41)
    bins = np.minimum(np.searchsorted(edges, ages, side="right") - 1, 39)
    pmf = -np.diff(np.exp(-gamma * edges)) / kept
    assert chi_square_p(bins.astype(np.int64), pmf.astype(np.float64)) > 1e-3


def test_uniform_fits() -> None:
    keys = chooser(UniformKeys(type="uniform"), records=1).choose(100_000, 250)
    assert chi_square_p(keys, np.full(250, 1 / 250)) > 1e-3


# -- behaviour common to all key choosers ---------------------------------------------------


@pytest.mark.parametrize("dist", ALL_DISTRIBUTIONS, ids=lambda d: d.type)
def test_keys_stay_below_a_growing_upper(dist: RequestDistribution) -> None:
    keys = chooser(dist, records=100, expected_inserts=200)
    upper = 1
    for _ in range(60):
        batch = keys.choose(256, upper)
        assert batch.dtype == np.int64 and batch.shape == (256,)
        assert int(batch.min()) >= 0 and int(batch.max()) < upper
        upper += 7  # grows past records + expected_inserts on purpose
    assert keys.choose(0, upper).shape == (0,)


@pytest.mark.parametrize("dist", ALL_DISTRIBUTIONS, ids=lambda d: d.type)
def test_keys_are_deterministic_per_seed(dist: RequestDistribution) -> None:
    def draws(seed: int) -> list[int]:
        keys = chooser(dist, records=1000, expected_inserts=500, seed=seed)
        first = cast("list[int]", keys.choose(500, 1000).tolist())
        second = cast("list[int]", keys.choose(500, 1200).tolist())
        return [*first, *second]

    assert draws(1) == draws(1)
    if dist.type != "sequential":
        assert draws(1) != draws(2)


def test_key_chooser_rejects_an_empty_key_space() -> None:
    with pytest.raises(ValueError, match="upper=0"):
        chooser(UniformKeys(type="uniform"), records=1).choose(1, 0)
    with pytest.raises(ValueError, match="records"):
        chooser(UniformKeys(type="uniform"), records=0)

"""Honest segment names on constructed data: zero-inflated counts, medians below typical, distinct names, renames."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from intentseg.config.segmenter import NamingConfig
from intentseg.segments.naming import generate_names, name_segments, segment_traits, stale_phrases, vocabulary
from intentseg.segments.preprocessing import signed_log1p
from intentseg.segments.profiles import midrank_percentile, segment_profiles

NAMING = NamingConfig(
    high_percentile=0.7,
    low_percentile=0.3,
    min_lift=1.3,
    min_share=0.3,
    numeric={
        "orders": ("frequent", "infrequent"),
        "discount_rate": ("deal-driven", "full-price"),
        "tenure_days": ("long-standing", "new"),
    },
    categorical={"tier": {"gold": "gold members"}},
)


@dataclasses.dataclass(frozen=True)
class Named:
    """The two fields naming reads from a segment model."""

    segment_ids: tuple[int, ...]
    names: tuple[str, ...] = ()


def _frame() -> tuple[pd.DataFrame, np.ndarray]:
    """Three segments of 1,000 customers: zero-inflated orders and a rate whose median is 0."""
    rng = np.random.default_rng(0)
    orders = np.r_[
        np.zeros(600),
        rng.integers(1, 3, 400),  # segment 1: mostly no order (the population's 0s)
        rng.integers(0, 2, 1000),  # segment 2: 0 or 1 order: below the typical customer
        rng.integers(5, 20, 1000),
    ]  # segment 3: many orders
    discount = np.r_[np.zeros(1000), np.zeros(1000), rng.uniform(0.3, 1, 1000)]
    tenure = np.r_[rng.integers(5, 40, 1000), rng.integers(200, 2000, 2000)]
    tier = np.r_[np.repeat("basic", 2000), np.where(rng.random(1000) < 0.6, "gold", "basic")]
    frame = pd.DataFrame({"orders": orders, "discount_rate": discount, "tenure_days": tenure, "tier": tier})
    return frame, np.repeat([1, 2, 3], 1000)


@pytest.fixture(scope="module")
def profiles():
    frame, segments = _frame()
    return segment_profiles(frame, segments, ["orders", "discount_rate", "tenure_days"], ["tier"], {})


def test_percentile_of_zero_inflated_values_is_sane():
    population = np.r_[np.zeros(60), np.arange(1, 41)]
    assert midrank_percentile(population, 0.0) == pytest.approx(0.3)  # 60% are 0: the middle of that block
    assert midrank_percentile(population, 40.0) == pytest.approx(0.995)
    assert np.isnan(midrank_percentile(population, np.nan))


def test_a_segment_below_the_median_is_never_called_frequent(profiles):
    for segment, profile in profiles.items():
        numeric, _ = segment_traits(profile, NAMING)
        words = {trait.phrase for trait in numeric}
        stats = profile["numeric"]["orders"]
        if "frequent" in words:
            assert stats["median"] > stats["population_median"], segment
        if "infrequent" in words:
            assert stats["median"] < stats["population_median"], segment
    assert "frequent" in {t.phrase for t in segment_traits(profiles[3], NAMING)[0]}
    assert "frequent" not in {t.phrase for t in segment_traits(profiles[2], NAMING)[0]}


def test_a_rate_with_median_zero_names_only_the_clear_cases(profiles):
    third = {t.phrase for t in segment_traits(profiles[3], NAMING)[0]}
    first = {t.phrase for t in segment_traits(profiles[1], NAMING)[0]}
    assert "deal-driven" in third
    assert "full-price" not in first  # median 0 = population median 0: not "lower" than the typical customer


def test_names_say_new_and_category_and_cite_the_numbers(profiles):
    names = generate_names(Named((1, 2, 3)), profiles, NAMING)
    assert names[1].name.lower().startswith("new")
    assert "gold members" in names[3].name
    evidence = " ".join(trait.evidence for trait in names[3].traits)
    assert "median orders:" in evidence and "higher than" in evidence and "times the population share" in evidence


def test_names_are_distinct_with_distinct_leading_words(profiles):
    twins = generate_names(Named((1, 2)), {1: profiles[3], 2: profiles[3]}, NAMING)  # two traits: deal-driven, frequent
    leads = [named.name.split(",")[0].lower() for named in twins.values()]
    assert sorted(leads) == ["deal-driven", "frequent"]  # the second twin is led by its next trait
    triplets = generate_names(Named((1, 2, 3)), {1: profiles[3], 2: profiles[3], 3: profiles[3]}, NAMING)
    assert len({named.name for named in triplets.values()}) == 3  # names stay distinct even without more traits


def test_a_kept_name_is_renamed_when_its_words_stop_holding(profiles):
    # segment 2's median order count equals the typical customer's: "frequent" no longer holds;
    # segment 3 is not new (but still gold members)
    model = Named((1, 2, 3), ("New, infrequent customers", "Frequent customers", "New gold members"))
    renamed_model, _, renamed = name_segments(model, profiles, NAMING, drifted=set())
    by_segment = {item["segment"]: item for item in renamed}
    assert set(by_segment) == {2, 3}
    assert "no longer 'frequent'" in by_segment[2]["reason"] and "no longer 'new'" in by_segment[3]["reason"]
    assert renamed_model.names[0] == "New, infrequent customers" and renamed_model.names[1] == "Typical customers"
    _, _, moved_renames = name_segments(model, profiles, NAMING, drifted={1})
    assert [item["segment"] for item in moved_renames if "moved" in item["reason"]] == [1]


def test_stale_phrases_match_longest_words_first(profiles):
    words = vocabulary(profiles[1], NAMING)
    assert stale_phrases("Infrequent customers", profiles[1], NAMING, words) == []  # "frequent" is inside it
    assert stale_phrases("Frequent customers", profiles[1], NAMING, words) == ["frequent"]


def test_signed_log1p_keeps_negative_values_apart_from_zero():
    values = np.array([-100.0, -1.0, 0.0, 1.0, 100.0, np.nan])
    logged = signed_log1p(values)
    assert logged[0] < logged[1] < logged[2] == 0 < logged[3] < logged[4] and np.isnan(logged[5])
    np.testing.assert_array_equal(signed_log1p(np.array([0.0, 3.0])), np.log1p([0.0, 3.0]))


def test_only_features_and_columns_with_configured_words_name_a_segment():
    frame, segments = _frame()
    frame["balance"] = np.r_[np.zeros(2000), np.full(1000, 500.0)]  # a profile column without configured words
    profiles = segment_profiles(frame, segments, ["orders", "tenure_days", "balance"], [], {})
    with_features = {t.phrase for t in segment_traits(profiles[3], NAMING, features=("orders",))[0]}
    everything = {t.phrase for t in segment_traits(profiles[3], NAMING)[0]}
    assert "high balance" in everything and "high balance" not in with_features  # generated words only for features
    assert {t.phrase for t in segment_traits(profiles[1], NAMING, features=("orders",))[0]} >= {"new", "infrequent"}

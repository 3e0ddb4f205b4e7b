"""The causal paradigm's pieces (issue 23): the randomised design, uplift metrics by hand, learners on a known effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from intentseg.foundation.determinism import id_draw
from intentseg.uplift.design import assign_contacts, contact_shares, exploration_draws, explored_rows, learnable
from intentseg.uplift.learners import LEARNERS, TwoModelLearner, UpliftLearner, XLearner
from intentseg.uplift.metrics import (
    RandomisedOutcomes,
    effect_calibration,
    qini_coefficient,
    uplift_at,
    uplift_curve,
    uplift_evaluation,
)


def _customers(n: int = 5000, seed: int = 0) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    score = rng.random(n)
    deciles = 1 + np.argsort(np.argsort(-score)) * 10 // n
    ids = pd.Series([f"C{i:07d}" for i in range(n)])
    return ids, deciles, score > 0.6


def _plan(ids: pd.Series, deciles: np.ndarray, audience: np.ndarray, month: str) -> pd.DataFrame:
    explored = explored_rows(exploration_draws(ids, month), deciles, 0.05)
    return assign_contacts(ids, deciles, audience, explored, month=month, control_share=0.1)


def test_each_stratum_holds_its_share_exactly_and_everyone_else_is_untouched():
    ids, deciles, audience = _customers()
    plan = _plan(ids, deciles, audience, "2026-11")
    for decile in range(1, 11):
        members = deciles == decile
        explored = plan["stratum"] == f"exploration {decile}"
        assert explored.sum() == round(0.05 * members.sum())
        assert plan.loc[explored, "contacted"].sum() == round(explored.sum() / 2)
        in_audience = plan["stratum"] == f"audience {decile}"
        held_out = in_audience & (plan["contacted"] == 0)
        assert held_out.sum() == round(0.1 * in_audience.sum())
    outside = ~plan["randomised"]
    assert (plan.loc[outside, "contacted"] == 0).all()
    assert not (outside & audience).any(), "every audience member is randomised"
    assert plan.loc[outside, "contact_probability"].isna().all()
    shares = plan[plan["randomised"]].groupby("stratum")["contacted"].mean()
    assert np.allclose(plan.loc[plan["randomised"], "contact_probability"], plan["stratum"].map(shares).dropna())


def test_the_assignment_is_fixed_by_id_and_month():
    ids, deciles, audience = _customers()
    plan = _plan(ids, deciles, audience, "2026-11")
    order = np.random.default_rng(1).permutation(len(ids))
    shuffled = _plan(ids.iloc[order], deciles[order], audience[order], "2026-11")
    pd.testing.assert_frame_equal(shuffled, plan.iloc[order].reset_index(drop=True))
    next_month = _plan(ids, deciles, audience, "2026-12")
    assert (next_month["stratum"] != plan["stratum"]).any()


def test_the_exploration_sample_is_exact_per_decile_for_any_sizes():
    rng = np.random.default_rng(2)
    deciles = rng.integers(1, 11, 997)
    explored = explored_rows(rng.random(997), deciles, 0.07)
    for decile in range(1, 11):
        assert explored[deciles == decile].sum() == round(0.07 * (deciles == decile).sum())
    assert not explored_rows(rng.random(997), deciles, 0.0).any()


def test_a_plain_campaign_export_is_one_stratum_per_month():
    history = pd.DataFrame(
        {
            "month": ["2026-10"] * 4 + ["2026-11"] * 3,
            "contacted": [1, 1, 0, 0, 1, 0, 1],
            "randomised": [True, True, True, False, True, True, False],
        }
    )
    history["contact_probability"] = contact_shares(history)
    assert history["contact_probability"].tolist()[:3] == [2 / 3] * 3
    assert np.isnan(history["contact_probability"].iloc[3]) and np.isnan(history["contact_probability"].iloc[6])
    assert history["contact_probability"].iloc[4] == 0.5
    assert learnable(history).tolist() == [True, True, True, False, True, True, False]


@pytest.mark.parametrize("share", [-0.1, 1.0])
def test_an_impossible_share_is_refused(share):
    with pytest.raises(ValueError, match="exploration_share"):
        explored_rows(np.zeros(3), np.ones(3), share)


HAND = RandomisedOutcomes(
    effect=np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4]),
    converted=np.array([1, 0, 1, 1, 0, 0]),
    contacted=np.array([1, 0, 1, 0, 1, 0]),
    probability=np.full(6, 0.5),
)


def test_the_uplift_curve_and_qini_by_hand():
    curve = uplift_curve(HAND)
    assert curve["customers"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert np.allclose(curve["incremental_buyers"], [0, 0, 2, 3, 2, 5 / 6, 2])
    per = np.array([0, 0, 2, 3, 2, 5 / 6, 2]) / 6
    area = np.sum((per[1:] + per[:-1]) / 2) / 6
    assert qini_coefficient(HAND) == pytest.approx(area - per[-1] / 2)
    assert qini_coefficient(HAND) == pytest.approx(0.0787037, abs=1e-7)
    assert uplift_at(HAND, 0.5) == pytest.approx(1.0)
    assert uplift_at(HAND, 1.0) == pytest.approx(2 / 3 - 1 / 3)


def test_ties_enter_together_and_the_order_of_rows_does_not_matter():
    tied = RandomisedOutcomes(
        np.array([0.9, 0.9, 0.7, 0.7]), np.array([1, 0, 0, 1]), np.array([1, 0, 1, 0]), np.full(4, 0.5)
    )
    swapped = RandomisedOutcomes(
        np.array([0.9, 0.9, 0.7, 0.7]), np.array([0, 1, 1, 0]), np.array([0, 1, 0, 1]), np.full(4, 0.5)
    )
    assert uplift_curve(tied)["customers"].tolist() == [0, 2, 4]
    assert qini_coefficient(tied) == pytest.approx(qini_coefficient(swapped))


def test_unequal_contact_probabilities_are_weighted():
    outcomes = RandomisedOutcomes(
        np.array([4.0, 3.0, 2.0, 1.0]), np.array([1, 0, 0, 1]), np.array([1, 0, 1, 0]), np.array([0.8, 0.8, 0.5, 0.5])
    )
    curve = uplift_curve(outcomes)
    assert curve["incremental_buyers"].iloc[2] == pytest.approx(2.0)
    assert curve["incremental_buyers"].iloc[4] == pytest.approx(4 * (1.25 / 3.25 - 2 / 7))


def test_a_ranking_by_the_true_effect_beats_chance_and_its_reverse_loses():
    rng = np.random.default_rng(3)
    n = 40_000
    effect = rng.uniform(-0.1, 0.3, n)
    contacted = rng.random(n) < 0.5
    converted = rng.random(n) < 0.2 + effect * contacted
    outcomes = RandomisedOutcomes(effect, converted, contacted, np.full(n, 0.5))
    reverse = RandomisedOutcomes(-effect, converted, contacted, np.full(n, 0.5))
    noise = RandomisedOutcomes(rng.random(n), converted, contacted, np.full(n, 0.5))
    assert qini_coefficient(outcomes) > 0.02 > abs(qini_coefficient(noise))
    assert qini_coefficient(reverse) < -0.02
    calibration = effect_calibration(outcomes)
    assert np.corrcoef(calibration["predicted_effect"], calibration["measured_effect"])[0, 1] > 0.9
    assert uplift_at(outcomes, 0.1) > 0.2 > uplift_at(reverse, 0.1)


def test_the_bootstrap_brackets_the_figures_and_repeats():
    rng = np.random.default_rng(4)
    n = 4000
    effect = rng.uniform(0, 0.3, n)
    contacted = rng.random(n) < 0.5
    outcomes = RandomisedOutcomes(effect, rng.random(n) < 0.2 + effect * contacted, contacted, np.full(n, 0.5))
    first = uplift_evaluation(outcomes, (0.1, 0.3), resamples=50, confidence=0.9, seed=7)
    assert first == uplift_evaluation(outcomes, (0.1, 0.3), resamples=50, confidence=0.9, seed=7)
    for name in ("qini", "uplift_top_10pct", "uplift_top_30pct"):
        low, high = first[name]["interval"]
        assert low <= first[name]["value"] <= high
    assert first["qini"]["interval"][0] > 0
    assert len(first["calibration"]) == 10
    decile = first["calibration"][0]
    assert decile["interval_low"] <= decile["measured_effect"] <= decile["interval_high"]


def test_measurement_refuses_rows_that_were_not_randomised():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        RandomisedOutcomes(np.zeros(2), np.zeros(2), np.array([1, 0]), np.array([1.0, 0.5]))


def _known_effect(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Customers whose contact adds 0.2 to the purchase chance when ``x1 > 0`` and nothing otherwise."""
    rng = np.random.default_rng(seed)
    features = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "tier": pd.Categorical(rng.choice(["basic", "gold"], n)),
        }
    )
    effect = np.where(features["x1"] > 0, 0.2, 0.0)
    base = 0.15 + 0.1 * (features["x2"] > 0) + 0.05 * (features["tier"] == "gold")
    probability = np.where(rng.random(n) < 0.5, 0.5, 0.8)  # two strata randomised at different shares
    contacted = (rng.random(n) < probability).astype(int)
    converted = (rng.random(n) < base + effect * contacted).astype(int)
    return features, converted, contacted, probability, effect


@pytest.mark.parametrize("kind", sorted(LEARNERS))
def test_each_learner_finds_a_known_effect(kind):
    features, converted, contacted, probability, effect = _known_effect(20_000, seed=5)
    learner = LEARNERS[kind](num_boost_round=60, num_threads=1)
    assert learner.fit(features, converted, contacted, probability) is learner
    test_features, *_, test_effect = _known_effect(5000, seed=6)
    predicted = learner.predict(test_features)
    assert predicted[test_effect > 0].mean() == pytest.approx(0.2, abs=0.06)
    assert predicted[test_effect == 0].mean() == pytest.approx(0.0, abs=0.06)
    assert spearmanr(predicted, test_effect).statistic > 0.5
    again = UpliftLearner.from_dict(learner.to_dict())
    np.testing.assert_array_equal(again.predict(test_features), predicted)


def test_the_x_learners_arm_models_are_the_two_model_learner():
    """Fitted once for both learners: equal, booster for booster, to fitting the two-model learner itself."""
    features, converted, contacted, probability, _ = _known_effect(4000, seed=8)
    settings = {"num_boost_round": 20, "num_threads": 2, "random_state": 3}
    alone = TwoModelLearner(**settings).fit(features, converted, contacted, probability)
    inside = XLearner(**settings).fit(features, converted, contacted, probability).two_model()
    assert inside.to_dict() == alone.to_dict()
    np.testing.assert_array_equal(inside.predict(features), alone.predict(features))
    rows = slice(0, 3000)  # the comparison can fail: other rows give other boosters
    other = TwoModelLearner(**settings).fit(features[rows], converted[rows], contacted[rows], probability[rows])
    assert other.to_dict()["boosters"] != alone.to_dict()["boosters"]


def test_a_learner_refuses_rows_without_both_groups():
    features, converted, _, probability, _ = _known_effect(500, seed=1)
    with pytest.raises(ValueError, match="both contacted and held-out"):
        LEARNERS["two_model"]().fit(features, converted, np.ones(500), probability)


def test_the_id_draw_is_pinned():
    """Groups must not move with a library upgrade: these values were computed once and stay."""
    draws = id_draw(pd.Series(["C0000001", "C0000002", "x"]), "2026-11")
    assert draws.tolist() == [0.08303501622454423, 0.19189910702673973, 0.432427519481116]
    assert id_draw(pd.Series([12, "12"]), "k")[0] == id_draw(pd.Series(["12"]), "k")[0]  # ids as text
    many = id_draw(pd.Series([f"C{i:07d}" for i in range(20_000)]), "2026-11")
    assert many.min() >= 0 and many.max() < 1 and abs(many.mean() - 0.5) < 0.01

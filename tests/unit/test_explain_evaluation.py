"""Reason codes and held-out evaluation tables."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from intentseg.classifier.explain import drivers_from_contributions, format_values, global_importance, reason_codes
from intentseg.foundation.metrics import (
    CURVE_GRID,
    bootstrap_interval,
    classification_metrics,
    confusion_counts,
    curve_tables,
    expected_calibration_error,
    gains_table,
    metric_intervals,
    precision_on_grid,
    reliability_table,
)

REASON = re.compile(r"^[a-z0-9 ]+.*: (raises the chance|lowers the chance|no effect)$")


def test_reason_codes_are_plain_words_from_the_largest_contributions(trained_classifier, small_splits):
    model = trained_classifier.model
    frame = small_splits["test"].head(200)
    reasons = reason_codes(model, frame)
    assert list(reasons.columns) == ["reason_1", "reason_2", "reason_3"]
    assert reasons.stack().map(lambda text: bool(REASON.match(text))).all()
    from intentseg.classifier.explain import FeatureWords

    contributions = model.contributions(frame)
    top = np.asarray(model.schema.names)[np.abs(contributions).argmax(axis=1)]
    nouns = [FeatureWords().column(name).noun for name in top]  # the column in words, e.g. "orders in the last 90 days"
    assert all(noun in reason for noun, reason in zip(nouns, reasons["reason_1"]))
    assert (reasons.apply(lambda row: len(set(row)), axis=1) == 3).all()


def test_reason_direction_follows_contribution_sign():
    frame = pd.DataFrame({"days_since_last_visit": [2.0, 40.0], "region": pd.Categorical(["north", None])})
    contributions = np.array([[0.8, -0.1], [-0.9, 0.05]])
    reasons = drivers_from_contributions(contributions, frame, ["days_since_last_visit", "region"], top_k=2)
    assert reasons.loc[0, "reason_1"] == "2 days since last visit: raises the chance"  # in words, no dictionary
    assert reasons.loc[0, "reason_2"] == "region: north: lowers the chance"
    assert reasons.loc[1, "reason_1"] == "40 days since last visit: lowers the chance"
    assert reasons.loc[1, "reason_2"] == "region: missing: raises the chance"


def test_reasons_read_in_the_words_of_the_feature_dictionary(repo_root):
    from intentseg.classifier.explain import FeatureWords
    from intentseg.config.check import section_config
    from intentseg.data.shopsphere import shopsphere_spec
    from tests.conftest import default_params

    labels = section_config(default_params(repo_root), "reason_words").labels
    assert set(shopsphere_spec().feature_names) <= set(labels)  # every simulator feature has words
    frame = pd.DataFrame(
        {
            "days_since_last_cart_add": [3.0, np.nan],
            "membership_tier": pd.Categorical(["gold", "basic"]),
            "Visit_count": [4.0, 1.0],
        }
    )
    words = FeatureWords(labels, {"Visit_count": "Visit count"})
    reasons = drivers_from_contributions(
        np.array([[0.9, -0.2, 0.1], [-0.5, 0.1, 0.3]]), frame, list(frame.columns), top_k=3, words=words
    )
    assert reasons.loc[0, "reason_1"] == "last added to cart 3 days ago: raises the chance"
    assert reasons.loc[0, "reason_2"] == "gold member: lowers the chance"
    assert reasons.loc[0, "reason_3"] == "4 visits: raises the chance"  # no template: its name in the file, in words
    assert reasons.loc[1, "reason_1"] == "days since last cart add: unknown: lowers the chance"


def test_format_values():
    assert format_values(pd.Series([2.0, 0.1234, np.nan, 1500.0])).tolist() == ["2", "0.12", "missing", "1500"]
    assert format_values(pd.Series(["a", None], dtype=object)).tolist() == ["a", "missing"]


def test_global_importance_is_sorted():
    table = global_importance(np.array([[0.1, -2.0], [0.3, 1.0]]), ["a", "b"])
    assert table["feature"].tolist() == ["b", "a"] and table["mean_abs_contribution"].tolist() == [1.5, 0.2]


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(1)
    truth = rng.beta(1, 4, 50_000)
    labels = (rng.random(truth.size) < truth).astype(int)
    return labels, truth


def test_classification_metrics(synthetic):
    labels, truth = synthetic
    metrics = classification_metrics(labels, truth, threshold=0.3)
    assert set(metrics) >= {
        "roc_auc",
        "pr_auc",
        "f1",
        "precision",
        "recall",
        "threshold",
        "brier",
        "log_loss",
        "lift_top_decile",
        "ece",
    }
    assert 0.5 < metrics["roc_auc"] < 1 and metrics["lift_top_decile"] > 1.5
    assert metrics["ece"] < 0.02


def test_ece_detects_miscalibration(synthetic):
    labels, truth = synthetic
    assert expected_calibration_error(labels, truth**0.5) > 5 * expected_calibration_error(labels, truth)


def test_gains_table(synthetic):
    labels, truth = synthetic
    gains = gains_table(labels, truth)
    assert gains["decile"].tolist() == list(range(1, 11))
    assert gains["customers"].sum() == len(labels) and gains["buyers"].sum() == labels.sum()
    assert gains["cumulative_share_of_buyers"].iloc[-1] == pytest.approx(1.0)
    assert gains["purchase_rate"].is_monotonic_decreasing


def test_reliability_and_curves_are_small(synthetic):
    labels, truth = synthetic
    table = reliability_table(labels, truth, n_bins=10)
    assert len(table) == 10 and table["count"].sum() == len(labels)
    curves = curve_tables({"model": (labels, truth)})
    assert len(curves["roc"]) == len(CURVE_GRID) == len(curves["precision_recall"])
    tpr = [row["tpr_model"] for row in curves["roc"]]
    assert tpr[0] < 0.05 and tpr[-1] == 1.0 and tpr == sorted(tpr)


def test_confusion_counts_are_aggregated():
    records = confusion_counts(np.array([1, 1, 0, 0, 0]), np.array([True, False, True, False, False]))
    assert len(records) == 4 and sum(r["count"] for r in records) == 5
    assert {"actual": "did not buy", "predicted": "not targeted", "count": 2} in records


def test_precision_curve_is_the_interpolated_precision():
    """Known example: 10 customers, 4 buyers; the lowest-scored customer is a buyer."""
    from sklearn.metrics import precision_recall_curve

    labels = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 1])
    score = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    curve = precision_on_grid(labels, score)
    precision, recall, _ = precision_recall_curve(labels, score)
    expected = [max(p for p, r in zip(precision, recall) if r >= level) for level in CURVE_GRID]
    assert curve.tolist() == pytest.approx(expected)
    assert curve[-1] == pytest.approx(labels.mean())  # finding every buyer means targeting everyone here
    assert curve[0] == 1.0 and np.all(np.diff(curve) <= 0)  # interpolated precision never rises with recall
    assert curve[CURVE_GRID.tolist().index(0.5)] == 1.0 and curve[CURVE_GRID.tolist().index(0.76)] == pytest.approx(0.4)


def test_precision_curve_is_not_flat_on_real_scores(synthetic):
    labels, truth = synthetic
    curve = precision_on_grid(labels, truth)
    assert curve[-1] < 0.6 < curve[0]


def test_bootstrap_intervals_cover_the_estimate_and_shrink_with_data(synthetic):
    labels, truth = (values[:10_000] for values in synthetic)  # 10K customers: the interval's width is ~0.02
    intervals = metric_intervals(labels, truth, threshold=0.3, resamples=40, confidence=0.95, seed=1)
    metrics = classification_metrics(labels, truth, threshold=0.3)
    for name in ("roc_auc", "pr_auc", "f1", "lift_top_decile"):
        low, high = intervals[f"{name}_ci"]
        assert low < metrics[name] < high, name
    small = bootstrap_interval(lambda y, s: float(np.mean(s)), labels[:500], truth[:500], 40, 0.95, seed=1)
    large = bootstrap_interval(lambda y, s: float(np.mean(s)), labels, truth, 40, 0.95, seed=1)
    assert small[1] - small[0] > large[1] - large[0]
    assert intervals == metric_intervals(labels, truth, threshold=0.3, resamples=40, confidence=0.95, seed=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bootstrap_metrics_counted_in_numpy_agree_with_their_definitions(seed):
    """F1, top-decile lift and ECE are counted directly for speed: they equal scikit-learn's F1 and the
    gains and reliability tables, ties in the scores included."""
    from sklearn.metrics import f1_score

    from intentseg.foundation.metrics import (
        expected_calibration_error,
        f1_at,
        gains_table,
        reliability_table,
        top_decile_lift,
    )

    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 3000))
    labels = (rng.random(n) < 0.2).astype(int)
    score = np.round(rng.random(n), 1 + seed)  # many ties at seed 0
    assert f1_at(0.5)(labels, score) == f1_score(labels, score >= 0.5, zero_division=0)
    assert f1_at(2.0)(np.zeros(5), np.zeros(5)) == 0.0  # nobody bought, nobody targeted
    assert top_decile_lift(labels, score) == gains_table(labels, score)["lift"].iloc[0]
    table = reliability_table(labels, score)
    by_table = (table["count"] * (table["observed_rate"] - table["mean_probability"]).abs()).sum() / n
    assert expected_calibration_error(labels, score) == pytest.approx(by_table, abs=1e-12)


def test_each_distinct_value_is_phrased_as_it_would_be_alone():
    """Phrases are formatted once per distinct value: numbers by their bits (0 and -0 apart), text by its text,
    missing values apart from the text "nan"; the result is the one-at-a-time formatting, row for row."""
    from intentseg.classifier.explain import FeatureWords

    words = FeatureWords({"spend": "spent {value:.1f}"})
    numbers = pd.Series([2.0, -0.0, 0.0, np.nan, 2.0, np.inf, 1e-300, -0.0])
    texts = pd.Series(["gold", None, "nan", np.nan, "gold", 3, "3"], dtype=object)
    for name, values in (("spend", numbers), ("visits", numbers), ("tier", texts), ("tier", texts.astype("category"))):
        numeric = pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype)
        alone = [words._each_phrase(name, values.iloc[[row]], numeric)[0] for row in range(len(values))]
        assert words.phrases(name, values).tolist() == alone
    assert words.phrases("tier", texts).tolist()[1:4] == ["tier: missing", "tier: nan", "tier: missing"]

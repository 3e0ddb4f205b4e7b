"""Challenger against champion: the paired bootstrap, the comparison, its gate, and how it reads."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from intentseg.config.evaluate import BootstrapConfig
from intentseg.evaluation.champion import champion_review_metrics, compare_with_champion
from intentseg.evaluation.comparison import comparison_summary, verdict
from intentseg.evaluation.gates import failure_messages, format_gate_table, gate_rows
from intentseg.foundation.metrics import (
    RankedScores,
    average_precision,
    bootstrap_interval,
    expected_calibration_error,
    paired_differences,
    resampled,
    roc_auc,
    top_decile_lift,
)
from intentseg.reference import promote
from intentseg.reporting.champion import champion_view

BOOTSTRAP = BootstrapConfig(resamples=20, confidence=0.95)
GATE = {"min_roc_auc_vs_champion": 0.0}


def _compare(challenger, champion, test, probability=None) -> dict:
    """The comparison as the evaluate stage makes it: the challenger's probabilities scored beforehand."""
    scored = challenger.purchase_probability(test) if probability is None else probability
    return compare_with_champion(challenger, champion, test, challenger_probability=scored, bootstrap=BOOTSTRAP, seed=1)


def _scores(rows: int, seed: int, noise: tuple[float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels and two scores: the label plus normal noise of each scale (less noise ranks better)."""
    rng = np.random.default_rng(seed)
    labels = (rng.random(rows) < 0.2).astype(int)
    return labels, labels + rng.normal(0, noise[0], rows), labels + rng.normal(0, noise[1], rows)


def test_paired_interval_covers_a_known_difference_and_excludes_zero():
    labels, better, worse = _scores(2000, 1, (0.5, 1.0))
    pairs = {"roc_auc": (roc_auc, roc_auc)}
    result = paired_differences(labels, (better, worse), pairs, resamples=100, confidence=0.95, seed=7)["roc_auc"]
    assert result["difference"] == pytest.approx(roc_auc(labels, better) - roc_auc(labels, worse))
    low, high = result["difference_ci"]
    assert 0 < low < result["difference"] < high
    swapped = paired_differences(labels, (worse, better), pairs, resamples=100, confidence=0.95, seed=7)["roc_auc"]
    assert swapped["difference_ci"] == pytest.approx([-high, -low])  # same draws: the interval mirrors


def test_paired_interval_is_narrower_than_the_unpaired_one():
    """Two models that rank alike: their difference is far more certain than either metric alone."""
    labels, first, _ = _scores(2000, 2, (0.8, 0.8))
    second = first + np.random.default_rng(3).normal(0, 0.05, len(first))  # nearly the same model
    pairs = {"pr_auc": (average_precision, average_precision)}
    paired = paired_differences(labels, (first, second), pairs, resamples=100, confidence=0.95, seed=1)["pr_auc"]
    alone = paired_differences(labels, (first, np.zeros_like(first)), pairs, resamples=100, confidence=0.95, seed=1)
    paired_width = np.diff(paired["difference_ci"])[0]
    assert paired_width < np.diff(alone["pr_auc"]["difference_ci"])[0] / 4


def test_the_same_model_differs_by_nothing():
    labels, score, _ = _scores(500, 4, (0.7, 0.7))
    result = paired_differences(
        labels, (score, score), {"auc": (roc_auc, roc_auc)}, resamples=50, confidence=0.9, seed=0
    )
    assert result["auc"]["difference"] == 0 and result["auc"]["difference_ci"] == [0.0, 0.0]


def test_a_paired_comparison_of_one_label_is_refused():
    with pytest.raises(ValueError, match="both labels"):
        paired_differences(np.ones(10), (np.ones(10), np.ones(10)), {}, resamples=5, confidence=0.9, seed=0)


def test_compare_with_no_champion_says_so(trained_classifier, small_splits):
    comparison = _compare(trained_classifier.model, None, small_splits["test"])
    assert comparison["status"] == "none" and "make promote" in comparison["message"]
    assert champion_review_metrics(comparison) == {}
    assert comparison_summary({}).startswith("No champion")


@pytest.fixture(scope="module")
def test_customers(small_splits):
    return small_splits["test"].head(800)


@pytest.fixture(scope="module")
def against_itself(trained_classifier, test_customers) -> dict:
    model = trained_classifier.model
    return _compare(model, model, test_customers)


def test_the_champion_against_itself_is_same_within_noise(trained_classifier, test_customers, against_itself):
    model, test, comparison = trained_classifier.model, test_customers, against_itself
    assert comparison["status"] == "compared" and comparison["customers"] == len(test)
    for values in comparison["metrics"].values():
        assert values["challenger"] == values["champion"] and values["difference_ci"] == [0.0, 0.0]
    metrics = champion_review_metrics(comparison)
    assert metrics["champion"]["roc_auc"] == pytest.approx(
        roc_auc(test["purchased_next_30d"], model.purchase_probability(test))
    )
    assert gate_rows({"classifier": metrics}, None, GATE)[0].passed is True


def test_a_champion_that_cannot_score_the_table_is_named_not_compared(trained_classifier, test_customers):
    model, test = trained_classifier.model, test_customers
    missing = _compare(model, model, test.drop(columns=["age"]), model.purchase_probability(test))
    assert missing["status"] == "incompatible" and "'age'" in missing["message"]
    other = dataclasses.replace(model, info={**model.info, "target": "churned"})
    relabelled = _compare(model, other, test)
    assert relabelled["status"] == "incompatible" and "'churned'" in relabelled["message"]


def test_the_gate_refuses_a_challenger_worse_beyond_noise_only():
    worse = {"classifier": {"vs_champion": {"roc_auc": -0.012, "roc_auc_ci": [-0.018, -0.006]}}}
    unsure = {"classifier": {"vs_champion": {"roc_auc": -0.004, "roc_auc_ci": [-0.010, 0.002]}}}
    rows = gate_rows(worse, None, GATE)
    assert rows[0].passed is False and rows[0].bar == "interval top >= 0"
    (message,) = failure_messages(rows, GATE)
    assert "-0.012" in message and "-0.018 to -0.006" in message and "worse beyond noise" in message
    assert gate_rows(unsure, None, GATE)[0].passed is True
    skipped = gate_rows({"classifier": {}}, None, GATE)
    assert skipped[0].passed is None and "no champion to compare with" in format_gate_table(skipped, "main", True)


def test_verdicts_know_which_way_is_better():
    assert verdict("roc_auc", [0.001, 0.01]) == "better" and verdict("roc_auc", [-0.01, -0.001]) == "worse"
    assert verdict("ece", [0.001, 0.01]) == "worse" and verdict("ece", [-0.01, 0.01]) == "same within noise"
    summary = comparison_summary({"vs_champion": {"roc_auc": 0.004, "roc_auc_ci": [0.001, 0.007]}})
    assert "ROC-AUC +0.0040 (+0.0010 to +0.0070, better)" in summary


def test_the_report_view_leads_with_the_backtest(against_itself):
    view = champion_view(against_itself, "2026-10")
    assert view["period"] == "2026-10" and view["headline"] == "same within noise"
    assert [row["measure"] for row in view["rows"]][0] == "ROC-AUC" and 0 < view["top_decile_rate"] <= 1
    assert champion_view({"status": "none", "message": "no champion yet"}, None)["status"] == "none"
    assert champion_view(None, None) is None


def test_promote_makes_the_classifier_the_champion(tmp_path):
    paths = {
        "models": {
            name: str(tmp_path / f"models/{name}")
            for name in ("classifier", "classifier_metadata", "segmenter", "uplift")
        },
        "metrics": {"data": str(tmp_path / "metrics/data.json")},
        "reference": {
            **{
                name: str(tmp_path / f"reference/{name}")
                for name in ("classifier", "classifier_metadata", "segmenter", "uplift")
            },
            "champion": str(tmp_path / "reference/champion.json"),
            "metrics": str(tmp_path / "reference/metrics"),
        },
    }
    with pytest.raises(FileNotFoundError, match="nothing to promote"):
        promote(paths, "2026-10")
    for path in [*paths["models"].values(), paths["metrics"]["data"]]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(json.dumps({"rows": 1}))
    written = promote(paths, "2026-10")
    assert (tmp_path / "reference/classifier").read_text() == json.dumps({"rows": 1})
    assert json.loads((tmp_path / "reference/champion.json").read_text()) == {
        "period": "2026-10",
        "target_by": "propensity",
    }
    assert len(written) == 6
    details = tmp_path / "details/score.json"  # the run's export targeted by uplift: the champion says so
    details.parent.mkdir()
    details.write_text(json.dumps({"targeting": {"rule": "uplift"}}))
    promote({**paths, "details": {"score": str(details)}}, "2026-10")
    assert json.loads((tmp_path / "reference/champion.json").read_text())["target_by"] == "uplift"


def test_an_incomplete_champion_is_refused_in_one_message(tmp_path, repo_root):
    from intentseg.config.paths import PathsConfig
    from intentseg.foundation.errors import ModelFileError
    from stages.classifier_model import champion_model
    from tests.conftest import default_params

    params = default_params(repo_root)
    params["paths"]["reference"] = {name: str(tmp_path / name) for name in params["paths"]["reference"]}
    paths = PathsConfig.from_params(params)
    assert champion_model(paths) is None
    (tmp_path / "classifier").write_text("tree")
    with pytest.raises(ModelFileError, match="champion is incomplete.*classifier_metadata"):
        champion_model(paths)


@pytest.mark.parametrize(("rows", "decimals"), [(3000, 2), (3000, None), (40, 1), (9, 0), (25, 0)])
def test_sorted_once_metrics_equal_scikit_learn_on_every_resample(rows, decimals):
    """ROC-AUC, average precision and calibration error from a resample's counts equal the functions on the
    resampled rows to rounding; top-decile lift exactly (ties at a cut are taken in resample order, as the
    stable sort takes them; bins of 9 or 25 rows put several edges in one tie group)."""
    rng = np.random.default_rng(rows)
    checked = 0
    for _ in range(40):
        score = rng.random(rows) if decimals is None else np.round(rng.random(rows), decimals)
        labels = (rng.random(rows) < 0.3).astype(int)
        draw = rng.integers(0, rows, rows)
        if labels[draw].min() == labels[draw].max():
            continue
        ranked, checked = RankedScores(labels, score), checked + 1
        assert ranked.roc_auc(draw) == pytest.approx(roc_auc(labels[draw], score[draw]), abs=1e-12)
        assert ranked.average_precision(draw) == pytest.approx(average_precision(labels[draw], score[draw]), abs=1e-12)
        assert ranked.top_decile_lift(draw) == top_decile_lift(labels[draw], score[draw])
        expected = expected_calibration_error(labels[draw], score[draw])
        assert ranked.calibration_error(draw) == pytest.approx(expected, abs=1e-12)
    assert checked >= 20


def test_resampled_falls_back_to_indexing_for_other_metrics():
    labels, score, _ = _scores(300, 5, (0.7, 0.7))
    draw = np.random.default_rng(0).integers(0, 300, 300)
    brier = lambda y, s: float(np.mean((s - y) ** 2))  # noqa: E731
    assert resampled(brier, labels, score)(draw) == brier(labels[draw], score[draw])
    assert resampled(roc_auc, labels, score)(draw) == pytest.approx(roc_auc(labels[draw], score[draw]), abs=1e-12)


def test_sorted_once_metrics_refuse_missing_scores_as_scikit_learn_does():
    labels, score, _ = _scores(50, 7, (0.5, 0.5))
    score[3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        resampled(roc_auc, labels, score)
    with pytest.raises(ValueError, match="NaN"):
        roc_auc(labels, score)


def test_bootstrap_interval_is_the_one_of_resampled_rows():
    """The sorted-once path gives the interval the per-resample scikit-learn calls gave (the same draws)."""
    labels, score, _ = _scores(800, 6, (0.6, 0.6))
    score = np.round(score, 1)  # many ties
    fast = bootstrap_interval(roc_auc, labels, score, 60, 0.9, seed=3)
    plain = bootstrap_interval(lambda y, s: roc_auc(y, s), labels, score, 60, 0.9, seed=3)
    assert fast == pytest.approx(plain, abs=1e-12)

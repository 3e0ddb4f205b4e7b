"""Calibration maps and decision rules on synthetic scores."""

from __future__ import annotations

import re

import numpy as np
import pytest

from intentseg.classifier.calibration import ProbabilityCalibrator
from intentseg.classifier.decision import DecisionRule, choose_decision_rule
from intentseg.config.check import section_config
from intentseg.config.classifier import DecisionConfig
from intentseg.foundation.errors import ConfigError


@pytest.fixture(scope="module")
def scores():
    rng = np.random.default_rng(0)
    truth = rng.beta(1, 4, 20_000)
    labels = (rng.random(truth.size) < truth).astype(int)
    raw = truth**0.5  # a miscalibrated but well-ranked score
    return raw, labels, truth


@pytest.mark.parametrize("method", ["isotonic", "platt", "auto"])
def test_calibration_fixes_probabilities_and_keeps_ranking(scores, method):
    raw, labels, truth = scores
    calibrator = ProbabilityCalibrator(method=method, cv_folds=3).fit(raw, labels)
    calibrated = calibrator.transform(raw)
    assert abs(calibrated.mean() - labels.mean()) < 0.01
    assert abs(raw.mean() - labels.mean()) > 0.1
    order = np.argsort(raw)
    assert np.all(np.diff(calibrated[order]) >= -1e-12)
    assert calibrator.method_ in ("isotonic", "platt")
    assert set(calibrator.cv_log_loss_) == ({"isotonic", "platt"} if method == "auto" else {method})


def test_auto_picks_lower_cross_validated_log_loss(scores):
    raw, labels, _ = scores
    calibrator = ProbabilityCalibrator(method="auto", cv_folds=3).fit(raw, labels)
    assert calibrator.method_ == min(calibrator.cv_log_loss_, key=calibrator.cv_log_loss_.get)


def test_calibrator_round_trip(scores):
    raw, labels, _ = scores
    calibrator = ProbabilityCalibrator(method="isotonic", cv_folds=3).fit(raw, labels)
    rebuilt = ProbabilityCalibrator.from_dict(calibrator.to_dict())
    np.testing.assert_array_equal(rebuilt.transform(raw), calibrator.transform(raw))
    with pytest.raises(ValueError, match="calibration method"):
        ProbabilityCalibrator.from_dict({"method": "magic", "parameters": {}})
    with pytest.raises(ValueError, match="calibration method"):
        ProbabilityCalibrator(method="magic", cv_folds=3).fit(raw, labels)


def _decision(**changes):
    values = {"rule": "max_f1", "top_fraction": 0.2, "contact_cost": 1.0, "margin_per_conversion": 10.0, **changes}
    return DecisionConfig(**values)


def test_max_f1_rule(scores):
    _, labels, truth = scores
    rule = choose_decision_rule(truth, labels, _decision())
    assert rule.rule == "max_f1" and 0.1 < rule.threshold < 0.6
    from sklearn.metrics import f1_score

    best = f1_score(labels, rule.select(truth))
    for other in (rule.threshold * 0.7, rule.threshold * 1.3):
        assert f1_score(labels, truth >= other) <= best + 1e-9


def test_top_fraction_rule(scores):
    _, labels, truth = scores
    rule = choose_decision_rule(truth, labels, _decision(rule="top_fraction", top_fraction=0.1))
    assert rule.select(truth).mean() == pytest.approx(0.1, abs=0.005)


def test_expected_profit_rule(scores):
    _, labels, truth = scores
    rule = choose_decision_rule(
        truth, labels, _decision(rule="expected_profit", contact_cost=2.0, margin_per_conversion=8.0)
    )
    assert rule == DecisionRule("expected_profit", 0.25)


def test_impossible_decision_settings_are_refused_before_any_work():
    base = {"rule": "top_fraction", "top_fraction": 0.2, "contact_cost": 1.0, "margin_per_conversion": 10.0}
    section = {
        "model": "lightgbm",
        "lightgbm": {},
        "num_boost_round": 10,
        "early_stopping_rounds": 5,
        "log_every": 0,
        "imbalance_candidates": ["none"],
        "imbalance_min_gain": 0.0,
        "calibration": {"method": "auto", "cv_folds": 3},
        "baseline": {"C": 1.0, "max_iter": 10},
    }
    for change, message in [
        ({"top_fraction": 1.5}, "decision.top_fraction: 1.5 is outside the allowed range (0.0, 1.0)"),
        ({"contact_cost": 0.0}, "decision.contact_cost: 0.0 is outside the allowed range (0.0, inf]"),
        ({"rule": "gut_feeling"}, "decision.rule: 'gut_feeling' is not one of"),
    ]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            section_config({"train_classifier": {**section, "decision": {**base, **change}}}, "train_classifier")


def test_imbalance_options_that_fit_the_same_model_twice_are_refused():
    from tests.conftest import FAST_CLASSIFIER_PARAMS

    for options, message in [
        (["none", "scale_pos_weight", "is_unbalance"], "list one of scale_pos_weight and is_unbalance, not both"),
        (["none", "none"], "each option once; ['none'] listed more than once"),
        ([], "list at least one option"),
    ]:
        section = {**FAST_CLASSIFIER_PARAMS, "imbalance_candidates": options}
        with pytest.raises(ConfigError, match=re.escape(f"imbalance_candidates: {message}")):
            section_config({"train_classifier": section}, "train_classifier")
    for options in (["none", "is_unbalance"], ["scale_pos_weight"]):
        section_config(
            {"train_classifier": {**FAST_CLASSIFIER_PARAMS, "imbalance_candidates": options}}, "train_classifier"
        )

"""The reproduction gate: tolerant on float noise, exact on what must not move, and the BLAS failure mode."""

from __future__ import annotations

import numpy as np
import pytest

from intentseg.checks.reproduce import Tolerance, differences
from intentseg.classifier.calibration import ProbabilityCalibrator, fit_platt
from intentseg.foundation.determinism import round_significant

METRICS_TOLERANCE = Tolerance(relative=1e-6, absolute=1e-4)


def test_float_noise_and_last_decimal_flips_pass():
    committed = {"test": {"roc_auc": 0.8671, "roc_auc_ci": [0.8601, 0.8733]}, "expected": 136005.2}
    reproduced = {"test": {"roc_auc": 0.8672, "roc_auc_ci": [0.8601, 0.8733]}, "expected": 136005.2000001}
    assert differences(committed, reproduced, METRICS_TOLERANCE) == []


def test_real_changes_fail_with_their_place():
    committed = {"test": {"roc_auc": 0.8671}, "rows": 1000, "names": {"1": "Recent buyers"}, "flagged": []}
    reproduced = {"test": {"roc_auc": 0.8650}, "rows": 1001, "names": {"1": "Lapsed buyers"}, "flagged": ["age"]}
    found = differences(committed, reproduced, METRICS_TOLERANCE)
    assert len(found) == 4
    assert found[0].startswith("test.roc_auc: committed 0.8671, reproduced 0.865 (beyond tolerance")
    assert "rows: committed 1000, reproduced 1001 (must be equal)" in found
    assert "names.1: committed 'Recent buyers', reproduced 'Lapsed buyers' (must be equal)" in found
    assert "flagged: 0 entries committed, 1 reproduced" in found


def test_structure_and_types_must_match():
    assert differences({"a": 1}, {"b": 1}, METRICS_TOLERANCE) == [
        "a: only in the committed file",
        "b: only in the reproduced file",
    ]
    assert differences({"segment_id": [1, 2]}, {"segment_id": [1, 3]}, METRICS_TOLERANCE) == [
        "segment_id[1]: committed 2, reproduced 3 (must be equal)"
    ]
    assert differences({"flag": True}, {"flag": 1}, METRICS_TOLERANCE)  # a boolean is not a number
    assert differences({"x": 1.0}, {"x": 1}, METRICS_TOLERANCE) == []  # 1.0 and 1 are the same value


def test_round_significant():
    assert round_significant(0.1234567890123) == 0.123456789
    assert round_significant([1234.56789012345, -2e-12]) == [1234.56789, -2e-12]
    assert round_significant(np.array([[1.0, 2.0]])) == [[1.0, 2.0]]


def test_platt_newton_matches_a_generic_optimiser_and_converges():
    from scipy.optimize import minimize

    rng = np.random.default_rng(0)
    logit = rng.normal(0, 2, 5000)
    labels = (rng.random(5000) < 1 / (1 + np.exp(-(0.7 * logit - 0.4)))).astype(float)
    slope, intercept = fit_platt(logit, labels)
    loss = lambda w: np.sum(np.logaddexp(0, w[0] * logit + w[1]) - labels * (w[0] * logit + w[1]))  # noqa: E731
    reference = minimize(loss, [1.0, 0.0], method="BFGS", options={"gtol": 1e-10}).x
    assert slope == pytest.approx(reference[0], abs=1e-5) and intercept == pytest.approx(reference[1], abs=1e-5)
    assert slope == pytest.approx(0.7, abs=0.06) and intercept == pytest.approx(-0.4, abs=0.06)


def test_platt_stays_finite_on_separable_scores():
    raw = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9] * 10)
    labels = np.array([0, 0, 0, 1, 1, 1] * 10)
    calibrator = ProbabilityCalibrator(method="platt", cv_folds=3).fit(raw, labels)
    assert np.isfinite(list(calibrator.parameters_.values())).all()
    assert calibrator.transform(np.array([0.05]))[0] < 0.01 < 0.99 < calibrator.transform(np.array([0.95]))[0]

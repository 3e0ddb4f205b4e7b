"""Probability calibration: isotonic or Platt, chosen by cross-validated log loss.

Fitted on the valid split so that a "purchase probability" is a probability and expected
conversions can be summed. The choice between the two maps is made by K-fold log loss
inside the calibration data (an in-sample comparison would always favour isotonic).

Platt scaling is a two-parameter logistic regression on the logit of the raw score. It is
solved here by Newton's method with plain numpy sums rather than by scikit-learn's
``LogisticRegression``: L-BFGS stops at a gradient tolerance and its BLAS reductions change
with the CPU's BLAS kernel, which moved the stored intercept in its last digits from machine to
machine. Newton converges to the optimum itself, which is then stored rounded
(:mod:`intentseg.foundation.determinism`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from intentseg.foundation.determinism import round_significant

METHODS = ("isotonic", "platt")
EPSILON = 1e-6
PLATT_PENALTY = 1e-6  # L2 penalty on the slope (keeps separable data finite; negligible otherwise)
NEWTON_MAX_ITER = 100


def _logit(probability: np.ndarray) -> np.ndarray:
    clipped = np.clip(probability, EPSILON, 1 - EPSILON)
    return np.log(clipped / (1 - clipped))


def _fit_map(method: str, raw: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Fit one calibration map and return its JSON-ready parameters."""
    if method == "isotonic":
        isotonic = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, labels)
        return {"x": isotonic.X_thresholds_.tolist(), "y": isotonic.y_thresholds_.tolist()}
    if method == "platt":
        slope, intercept = fit_platt(_logit(raw), np.asarray(labels, dtype=float))
        return {"slope": round_significant(slope), "intercept": round_significant(intercept)}
    raise ValueError(f"calibration method must be one of {METHODS} or 'auto', got {method!r}")


def _platt_loss(logit: np.ndarray, labels: np.ndarray, slope: float, intercept: float) -> float:
    score = slope * logit + intercept
    return float(np.sum(np.logaddexp(0.0, score) - labels * score) + 0.5 * PLATT_PENALTY * slope**2)


def fit_platt(logit: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of ``P(y=1) = sigmoid(slope * logit + intercept)`` by Newton's method.

    Minimises the log loss plus a tiny L2 penalty on the slope, with step halving, until the
    Newton step is below 1e-13 (relative): the optimum, not a point near it.
    """
    slope, intercept = 0.0, float(_logit(np.array([np.clip(labels.mean(), EPSILON, 1 - EPSILON)]))[0])
    loss = _platt_loss(logit, labels, slope, intercept)
    for _ in range(NEWTON_MAX_ITER):
        probability = 1.0 / (1.0 + np.exp(-(slope * logit + intercept)))
        residual, weight = probability - labels, probability * (1.0 - probability)
        gradient = np.array([np.sum(residual * logit) + PLATT_PENALTY * slope, np.sum(residual)])
        h_ss, h_si, h_ii = np.sum(weight * logit * logit) + PLATT_PENALTY, np.sum(weight * logit), np.sum(weight)
        determinant = h_ss * h_ii - h_si * h_si
        if determinant <= 0:
            break
        step = (
            np.array([h_ii * gradient[0] - h_si * gradient[1], h_ss * gradient[1] - h_si * gradient[0]]) / determinant
        )
        size = 1.0
        while size > 1e-10:
            candidate = (slope - size * step[0], intercept - size * step[1])
            candidate_loss = _platt_loss(logit, labels, *candidate)
            if candidate_loss <= loss:
                break
            size /= 2
        else:
            break  # no decrease possible: at the optimum to machine precision
        slope, intercept, loss = candidate[0], candidate[1], candidate_loss
        if np.max(np.abs(size * step)) <= 1e-13 * (1.0 + abs(slope) + abs(intercept)):
            break
    return float(slope), float(intercept)


def _apply_map(method: str, parameters: dict[str, Any], raw: np.ndarray) -> np.ndarray:
    if method == "isotonic":
        calibrated = np.interp(raw, parameters["x"], parameters["y"])
    else:
        calibrated = 1.0 / (1.0 + np.exp(-(parameters["slope"] * _logit(raw) + parameters["intercept"])))
    return np.clip(calibrated, EPSILON, 1 - EPSILON)


class ProbabilityCalibrator(TransformerMixin, BaseEstimator):
    """Maps raw model scores to calibrated probabilities (a scikit-learn estimator)."""

    def __init__(self, *, method: str, cv_folds: int, random_state: int = 0) -> None:
        self.method = method
        self.cv_folds = cv_folds
        self.random_state = random_state

    def fit(self, raw: np.ndarray, labels: np.ndarray) -> ProbabilityCalibrator:
        """Choose the map (``auto``: lowest K-fold log loss) and fit it on all the data."""
        raw, labels = np.asarray(raw, dtype=float), np.asarray(labels)
        candidates = METHODS if self.method == "auto" else (self.method,)
        folds = StratifiedKFold(self.cv_folds, shuffle=True, random_state=self.random_state)
        self.cv_log_loss_ = {}
        for method in candidates:
            held_out = np.empty(len(raw))
            for fit_rows, test_rows in folds.split(raw, labels):
                parameters = _fit_map(method, raw[fit_rows], labels[fit_rows])
                held_out[test_rows] = _apply_map(method, parameters, raw[test_rows])
            self.cv_log_loss_[method] = float(log_loss(labels, held_out))
        self.method_ = min(self.cv_log_loss_, key=self.cv_log_loss_.get)
        self.parameters_ = _fit_map(self.method_, raw, labels)
        return self

    def transform(self, raw: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw scores."""
        check_is_fitted(self, "parameters_")
        return _apply_map(self.method_, self.parameters_, np.asarray(raw, dtype=float))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready calibration map."""
        return {"method": self.method_, "parameters": self.parameters_, "cv_log_loss": self.cv_log_loss_}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbabilityCalibrator:
        """Rebuild a fitted calibrator from :meth:`to_dict`."""
        if data.get("method") not in METHODS:
            raise ValueError(f"unknown calibration method {data.get('method')!r} in model metadata")
        calibrator = cls(method=data["method"], cv_folds=0)  # cv_folds only matters when fitting
        calibrator.method_ = data["method"]
        calibrator.parameters_ = data["parameters"]
        calibrator.cv_log_loss_ = data.get("cv_log_loss", {})
        return calibrator

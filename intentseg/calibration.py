"""Probability calibration: isotonic or Platt, chosen by cross-validated log loss.

Fitted on the valid split so that a "purchase probability" is a probability and expected
conversions can be summed. The choice between the two maps is made by K-fold log loss
inside the calibration data (an in-sample comparison would always favour isotonic).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import StratifiedKFold

METHODS = ("isotonic", "platt")
EPSILON = 1e-6


def _logit(probability: np.ndarray) -> np.ndarray:
    clipped = np.clip(probability, EPSILON, 1 - EPSILON)
    return np.log(clipped / (1 - clipped))


def _fit_map(method: str, raw: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Fit one calibration map and return its JSON-ready parameters."""
    if method == "isotonic":
        isotonic = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, labels)
        return {"x": isotonic.X_thresholds_.tolist(), "y": isotonic.y_thresholds_.tolist()}
    if method == "platt":
        platt = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(raw)[:, None], labels)
        return {"slope": float(platt.coef_[0, 0]), "intercept": float(platt.intercept_[0])}
    raise ValueError(f"calibration method must be one of {METHODS} or 'auto', got {method!r}")


def _apply_map(method: str, parameters: dict[str, Any], raw: np.ndarray) -> np.ndarray:
    if method == "isotonic":
        calibrated = np.interp(raw, parameters["x"], parameters["y"])
    else:
        calibrated = 1.0 / (1.0 + np.exp(-(parameters["slope"] * _logit(raw) + parameters["intercept"])))
    return np.clip(calibrated, EPSILON, 1 - EPSILON)


class ProbabilityCalibrator:
    """Maps raw model scores to calibrated probabilities (scikit-learn estimator contract)."""

    def __init__(self, method: str = "auto", cv_folds: int = 5, random_state: int = 0) -> None:
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
        return _apply_map(self.method_, self.parameters_, np.asarray(raw, dtype=float))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready calibration map."""
        return {"method": self.method_, "parameters": self.parameters_, "cv_log_loss": self.cv_log_loss_}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProbabilityCalibrator:
        """Rebuild a fitted calibrator from :meth:`to_dict`."""
        if data.get("method") not in METHODS:
            raise ValueError(f"unknown calibration method {data.get('method')!r} in model metadata")
        calibrator = cls(method=data["method"])
        calibrator.method_ = data["method"]
        calibrator.parameters_ = data["parameters"]
        calibrator.cv_log_loss_ = data.get("cv_log_loss", {})
        return calibrator

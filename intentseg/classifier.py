"""The purchase-intent classifier: LightGBM with native categoricals, calibrated, thresholded.

:class:`PurchaseIntentClassifier` is the scikit-learn-style estimator (early stopping on the
valid split). :class:`PurchaseModel` bundles what scoring needs (booster, feature schema,
calibration map, decision rule) and round-trips through two text files: LightGBM's text
model and a JSON metadata file. No pickle: loading never executes code from a file.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from intentseg.calibration import ProbabilityCalibrator
from intentseg.features import FeatureSchema, ModelFileError
from intentseg.metrics import roc_auc
from intentseg.threshold import DecisionRule

IMBALANCE_OPTIONS = ("none", "scale_pos_weight", "is_unbalance")
log = logging.getLogger(__name__)


def progress_logger(every: int, label: str) -> Callable[[lgb.callback.CallbackEnv], None]:
    """A LightGBM callback that logs the boosting round and the valid ROC-AUC every ``every`` rounds."""

    def _log(env: lgb.callback.CallbackEnv) -> None:
        round_number = env.iteration + 1
        if every > 0 and (round_number % every == 0 or round_number == env.end_iteration):
            scores = ", ".join(f"{data} {metric} {value:.5f}" for data, metric, value, *_ in env.evaluation_result_list)
            log.info("%s: round %d of at most %d, %s", label, round_number, env.end_iteration, scores)

    return _log
METADATA_FORMAT = "intentseg.classifier/1"


def imbalance_params(option: str, labels: np.ndarray) -> dict[str, Any]:
    """LightGBM parameters for a class-imbalance option."""
    if option == "none":
        return {}
    if option == "scale_pos_weight":
        positives = float(np.sum(labels))
        return {"scale_pos_weight": (len(labels) - positives) / max(positives, 1.0)}
    if option == "is_unbalance":
        return {"is_unbalance": True}
    raise ValueError(f"imbalance must be one of {IMBALANCE_OPTIONS}, got {option!r}")


class PurchaseIntentClassifier:
    """LightGBM binary classifier with early stopping on a validation set.

    ``lgb_params`` are LightGBM parameters (learning rate, leaves, regularisation, threads);
    determinism (``deterministic``, ``force_col_wise``, ``seed``) is always enforced.
    """

    def __init__(
        self,
        lgb_params: dict[str, Any] | None = None,
        num_boost_round: int = 3000,
        early_stopping_rounds: int = 100,
        imbalance: str = "none",
        random_state: int = 0,
        log_every: int = 0,
    ) -> None:
        self.lgb_params = lgb_params
        self.num_boost_round = num_boost_round
        self.early_stopping_rounds = early_stopping_rounds
        self.imbalance = imbalance
        self.random_state = random_state
        self.log_every = log_every

    def train_params(self, labels: np.ndarray) -> dict[str, Any]:
        """The LightGBM parameters used for training on ``labels``."""
        params = {"objective": "binary", "metric": "auc", "verbosity": -1, **(self.lgb_params or {})}
        params.update(imbalance_params(self.imbalance, labels))
        params.update({"deterministic": True, "force_col_wise": True, "seed": self.random_state})
        return params

    def fit(
        self, features: pd.DataFrame, labels: np.ndarray, valid_features: pd.DataFrame, valid_labels: np.ndarray
    ) -> PurchaseIntentClassifier:
        """Fit on ``features``; stop when validation ROC-AUC has not improved for a while.

        Learns ``booster_``, ``best_iteration_``, ``valid_roc_auc_`` and ``valid_history_`` (valid
        ROC-AUC after each round); logs progress every ``log_every`` rounds (0: silent).
        """
        self.feature_schema_ = FeatureSchema.from_frame(features)
        train_set = lgb.Dataset(self.feature_schema_.model_frame(features), label=np.asarray(labels), free_raw_data=True)
        valid_set = lgb.Dataset(
            self.feature_schema_.model_frame(valid_features), label=np.asarray(valid_labels), reference=train_set
        )
        history: dict[str, dict[str, list[float]]] = {}
        self.booster_ = lgb.train(
            self.train_params(np.asarray(labels)),
            train_set,
            num_boost_round=self.num_boost_round,
            valid_sets=[valid_set],
            valid_names=["valid"],
            callbacks=[
                lgb.early_stopping(self.early_stopping_rounds, first_metric_only=True, verbose=False),
                lgb.record_evaluation(history),
                progress_logger(self.log_every, f"imbalance option '{self.imbalance}'"),
            ],
        )
        self.valid_history_ = [float(value) for value in history["valid"]["auc"]]
        self.best_iteration_ = int(self.booster_.best_iteration or self.booster_.current_iteration())
        self.valid_roc_auc_ = roc_auc(valid_labels, self.predict_raw(valid_features))
        return self

    def predict_raw(self, features: pd.DataFrame) -> np.ndarray:
        """Uncalibrated purchase scores in [0, 1] from the best iteration."""
        return self.booster_.predict(self.feature_schema_.model_frame(features), num_iteration=self.best_iteration_)


@dataclass
class PurchaseModel:
    """Everything scoring needs: booster, features, calibration and the decision rule."""

    booster: lgb.Booster
    schema: FeatureSchema
    calibrator: ProbabilityCalibrator
    decision: DecisionRule
    info: dict[str, Any]
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # derived tables

    @classmethod
    def from_classifier(
        cls,
        classifier: PurchaseIntentClassifier,
        calibrator: ProbabilityCalibrator,
        decision: DecisionRule,
        info: dict[str, Any],
    ) -> PurchaseModel:
        """Freeze a fitted classifier at its best iteration."""
        text = classifier.booster_.model_to_string(num_iteration=classifier.best_iteration_)
        booster = lgb.Booster(model_str=text)
        return cls(booster, classifier.feature_schema_, calibrator, decision, info)

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        """Uncalibrated model scores."""
        return self.booster.predict(self.schema.model_frame(frame))

    def purchase_probability(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of buying in the next 30 days."""
        return self.calibrator.transform(self.raw_score(frame))

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """Exact per-customer TreeSHAP contributions (log-odds), one column per feature, bias dropped."""
        return self.booster.predict(self.schema.model_frame(frame), pred_contrib=True)[:, :-1]

    @property
    def fingerprint(self) -> str:
        """Feature fingerprint: the column contract of this model."""
        return self.schema.fingerprint

    @property
    def version(self) -> str:
        """Short SHA-256 of the text model: tags every score it produces."""
        return hashlib.sha256(self.booster.model_to_string().encode()).hexdigest()[:12]

    def to_artifacts(self) -> tuple[str, dict[str, Any]]:
        """The LightGBM text model and its JSON metadata."""
        text = self.booster.model_to_string()
        metadata = {
            "format": METADATA_FORMAT,
            "model_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "features": self.schema.to_dict(),
            "calibration": self.calibrator.to_dict(),
            "decision": self.decision.to_dict(),
            **self.info,
        }
        return text, metadata

    @classmethod
    def from_artifacts(cls, text: str, metadata: dict[str, Any]) -> PurchaseModel:
        """Rebuild from :meth:`to_artifacts`; refuses files edited by hand or mismatched."""
        if metadata.get("format") != METADATA_FORMAT:
            raise ModelFileError(f"classifier metadata format must be {METADATA_FORMAT!r}, got {metadata.get('format')!r}")
        if hashlib.sha256(text.encode()).hexdigest() != metadata.get("model_sha256"):
            raise ModelFileError("the classifier text model does not match the checksum in its metadata")
        schema = FeatureSchema.from_dict(metadata["features"])
        booster = lgb.Booster(model_str=text)
        if booster.feature_name() != schema.names:
            raise ModelFileError(
                f"the text model's features {booster.feature_name()} differ from the metadata's {schema.names}"
            )
        info = {
            key: value
            for key, value in metadata.items()
            if key not in {"format", "model_sha256", "features", "calibration", "decision"}
        }
        decision = DecisionRule(**metadata["decision"])
        return cls(booster, schema, ProbabilityCalibrator.from_dict(metadata["calibration"]), decision, info)


def select_imbalance(
    candidates: list[str],
    settings: dict[str, Any],
    features: pd.DataFrame,
    labels: np.ndarray,
    valid_features: pd.DataFrame,
    valid_labels: np.ndarray,
    min_gain: float = 0.0,
) -> tuple[PurchaseIntentClassifier, dict[str, dict[str, float]]]:
    """Fit one classifier per imbalance option; keep the best by validation ROC-AUC.

    A later candidate replaces the current choice only if it beats it by more than
    ``min_gain`` (so noise-level differences keep the simpler option: list it first).
    Returns the chosen classifier and, per option, its validation ROC-AUC and best iteration.
    """
    results: dict[str, dict[str, float]] = {}
    best: PurchaseIntentClassifier | None = None
    for option in candidates:
        classifier = PurchaseIntentClassifier(imbalance=option, **settings)
        classifier.fit(features, labels, valid_features, valid_labels)
        results[option] = {"valid_roc_auc": classifier.valid_roc_auc_, "best_iteration": classifier.best_iteration_}
        if best is None or classifier.valid_roc_auc_ > best.valid_roc_auc_ + min_gain:
            best = classifier
    assert best is not None, "at least one imbalance candidate is required"
    return best, results

"""Training the purchase model: the configured model type, calibration, decision rule and the
logistic baseline, all from the train and valid splits only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from intentseg.classifier.baseline import LogisticBaseline
from intentseg.classifier.calibration import ProbabilityCalibrator
from intentseg.classifier.decision import choose_decision_rule
from intentseg.classifier.features import frame_hash
from intentseg.classifier.model import PurchaseModel
from intentseg.classifier.registry import TRAINERS
from intentseg.config import TrainClassifierConfig
from intentseg.data.schema import GROUND_TRUTH_COLUMNS
from intentseg.evaluation.metrics import roc_auc


@dataclass(frozen=True)
class TrainedClassifier:
    """The fitted purchase model, its baseline, and a summary of the choices made."""

    model: PurchaseModel
    baseline: LogisticBaseline
    summary: dict[str, Any]
    learning_curve: list[dict[str, Any]]


def feature_columns(frame: pd.DataFrame, id_column: str, target: str) -> list[str]:
    """Every column except the id and the target."""
    return [name for name in frame.columns if name not in (id_column, target)]


def fit_purchase_model(
    train: pd.DataFrame, valid: pd.DataFrame, config: TrainClassifierConfig, seed: int, id_column: str, target: str
) -> TrainedClassifier:
    """Fit everything ``train_classifier`` produces: the model of type ``config.model``, its calibration
    and decision rule (on valid), and the logistic baseline."""
    features = feature_columns(train, id_column, target)
    leaked = sorted(set(features) & set(GROUND_TRUTH_COLUMNS))
    if leaked:
        raise ValueError(f"ground-truth columns {leaked} must never be features; drop them from the training table")
    labels, valid_labels = train[target].to_numpy(), valid[target].to_numpy()
    trained = TRAINERS[config.model](config, train[features], labels, valid[features], valid_labels, seed)
    raw_valid = trained.engine.raw_score(valid[features])
    calibrator = ProbabilityCalibrator(
        method=config.calibration.method, cv_folds=config.calibration.cv_folds, random_state=seed
    ).fit(raw_valid, valid_labels)
    decision = choose_decision_rule(calibrator.transform(raw_valid), valid_labels, config.decision)
    info = {
        "id_column": id_column,
        "target": target,
        "training_rows": len(train),
        "training_data_sha256": frame_hash(train),
        **{key: value for key, value in trained.summary.items() if key != "imbalance"},
        "imbalance": trained.summary.get("imbalance", {}).get("chosen"),
    }
    model = PurchaseModel(trained.engine, calibrator, decision, info)
    baseline = LogisticBaseline(C=config.baseline.C, max_iter=config.baseline.max_iter).fit(train[features], labels)
    summary = {
        **trained.summary,
        "calibration": {"chosen": calibrator.method_, "cv_log_loss": calibrator.cv_log_loss_},
        "decision": decision.to_dict(),
        "baseline_valid_roc_auc": roc_auc(valid_labels, baseline.predict_proba1(valid[features])),
    }
    curve = learning_curve(trained.valid_history, config.log_every, summary.get("best_iteration", 0))
    return TrainedClassifier(model=model, baseline=baseline, summary=summary, learning_curve=curve)


def learning_curve(valid_history: list[float], every: int, best_iteration: int) -> list[dict[str, Any]]:
    """Plot records: valid ROC-AUC every ``every`` rounds (and at the best round), thinned for the plot file."""
    step = max(every, 1)
    rounds = sorted({*range(step, len(valid_history) + 1, step), 1, best_iteration, len(valid_history)})
    return [
        {"round": number, "valid_roc_auc": valid_history[number - 1], "best": number == best_iteration}
        for number in rounds
        if 1 <= number <= len(valid_history)
    ]


def training_review_metrics(summary: dict[str, Any]) -> dict[str, Any]:
    """The training numbers a reviewer decides on (``metrics/classifier_train.json``); the rest stays in details."""
    metrics = {key: summary[key] for key in ("best_iteration", "valid_roc_auc") if key in summary}
    metrics["threshold"] = summary["decision"]["threshold"]
    if "imbalance" in summary:
        metrics["imbalance"] = summary["imbalance"]["chosen"]
    metrics["calibration"] = summary["calibration"]["chosen"]
    return metrics

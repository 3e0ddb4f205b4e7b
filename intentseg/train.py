"""Training the purchase model: LightGBM with the chosen imbalance option, calibration,
decision rule, and the logistic baseline, all from the train and valid splits only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from intentseg.baseline import LogisticBaseline
from intentseg.calibration import ProbabilityCalibrator
from intentseg.classifier import PurchaseModel, select_imbalance
from intentseg.features import frame_hash
from intentseg.metrics import roc_auc
from intentseg.schema import GROUND_TRUTH_COLUMNS
from intentseg.threshold import choose_decision_rule


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
    train: pd.DataFrame, valid: pd.DataFrame, settings: dict[str, Any], seed: int, id_column: str, target: str
) -> TrainedClassifier:
    """Fit everything ``train_classifier`` produces; ``settings`` is its params section."""
    features = feature_columns(train, id_column, target)
    leaked = sorted(set(features) & set(GROUND_TRUTH_COLUMNS))
    if leaked:
        raise ValueError(f"ground-truth columns {leaked} must never be features; drop them from the training table")
    labels, valid_labels = train[target].to_numpy(), valid[target].to_numpy()
    classifier_settings = {
        "lgb_params": settings["lightgbm"],
        "num_boost_round": settings["num_boost_round"],
        "early_stopping_rounds": settings["early_stopping_rounds"],
        "random_state": seed,
        "log_every": settings["log_every"],
    }
    classifier, imbalance_results = select_imbalance(
        settings["imbalance_candidates"],
        classifier_settings,
        train[features],
        labels,
        valid[features],
        valid_labels,
        min_gain=settings["imbalance_min_gain"],
    )
    raw_valid = classifier.predict_raw(valid[features])
    calibration = settings["calibration"]
    calibrator = ProbabilityCalibrator(calibration["method"], calibration["cv_folds"], seed).fit(raw_valid, valid_labels)
    decision = choose_decision_rule(calibrator.transform(raw_valid), valid_labels, **settings["decision"])
    info = {
        "id_column": id_column,
        "target": target,
        "best_iteration": classifier.best_iteration_,
        "imbalance": classifier.imbalance,
        "training_rows": len(train),
        "training_data_sha256": frame_hash(train),
        "lightgbm_params": classifier.train_params(labels),
    }
    model = PurchaseModel.from_classifier(classifier, calibrator, decision, info)
    baseline = LogisticBaseline(**settings["baseline"]).fit(train[features], labels)
    summary = {
        "imbalance": {"chosen": classifier.imbalance, "valid_roc_auc_by_option": imbalance_results},
        "best_iteration": classifier.best_iteration_,
        "calibration": {"chosen": calibrator.method_, "cv_log_loss": calibrator.cv_log_loss_},
        "decision": decision.to_dict(),
        "valid_roc_auc": classifier.valid_roc_auc_,
        "baseline_valid_roc_auc": roc_auc(valid_labels, baseline.predict_proba1(valid[features])),
    }
    curve = learning_curve(classifier.valid_history_, int(settings["log_every"]), classifier.best_iteration_)
    return TrainedClassifier(model=model, baseline=baseline, summary=summary, learning_curve=curve)


def learning_curve(valid_history: list[float], every: int, best_iteration: int) -> list[dict[str, Any]]:
    """Plot records: valid ROC-AUC every ``every`` rounds (and at the best round), thinned for the plot file."""
    step = max(every, 1)
    rounds = sorted({*range(step, len(valid_history) + 1, step), 1, best_iteration, len(valid_history)})
    return [{"round": number, "valid_roc_auc": valid_history[number - 1], "best": number == best_iteration}
            for number in rounds if 1 <= number <= len(valid_history)]


def training_review_metrics(summary: dict[str, Any]) -> dict[str, Any]:
    """The training numbers a reviewer decides on (``metrics/classifier_train.json``); the rest stays in details."""
    return {
        "best_iteration": summary["best_iteration"],
        "valid_roc_auc": summary["valid_roc_auc"],
        "threshold": summary["decision"]["threshold"],
        "imbalance": summary["imbalance"]["chosen"],
        "calibration": summary["calibration"]["chosen"],
    }

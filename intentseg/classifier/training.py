"""Training the purchase model: the configured model type, calibration, decision rule and the
logistic baseline, all from the train and valid splits only (holdout on valid, or k-fold
cross-validation on train+valid for small tables)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from intentseg.classifier.baseline import LogisticBaseline
from intentseg.classifier.calibration import ProbabilityCalibrator
from intentseg.classifier.decision import choose_decision_rule
from intentseg.classifier.engine import TrainedEngine
from intentseg.classifier.features import frame_hash
from intentseg.classifier.model import PurchaseModel
from intentseg.classifier.registry import TRAINERS
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.data.spec import GROUND_TRUTH_COLUMNS
from intentseg.foundation.metrics import roc_auc
from intentseg.foundation.sizing import sized_down


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
    train: pd.DataFrame, valid: pd.DataFrame, config: TrainClassifierConfig, seed: int, id_column: str, *, target: str
) -> TrainedClassifier:
    """Fit everything ``train_classifier`` produces: the model of type ``config.model``, its calibration
    and decision rule, and the logistic baseline.

    With enough positives in valid (``cross_validation.below_valid_positives``), the model is fitted
    on train and everything is chosen on valid. Otherwise (a small table) k-fold cross-validation on
    train+valid chooses the rounds, the imbalance option, the calibration and the threshold from
    out-of-fold predictions, and the final model is refitted on train+valid.
    """
    features = feature_columns(train, id_column, target)
    leaked = sorted(set(features) & set(GROUND_TRUTH_COLUMNS))
    if leaked:
        raise ValueError(f"ground-truth columns {leaked} must never be features; drop them from the training table")
    labels, valid_labels = train[target].to_numpy(), valid[target].to_numpy()
    valid_positives = int(valid_labels.sum())
    if valid_positives < config.cross_validation.below_valid_positives:
        fitted = pd.concat([train, valid], ignore_index=True)
        trained, raw_choice, choice_labels, validation = cross_validated(
            config, fitted[features], fitted[target].to_numpy(), seed
        )
        validation["valid_positives"] = valid_positives
    else:
        fitted = train
        trained = TRAINERS[config.model](config, train[features], labels, valid[features], valid_labels, seed=seed)
        raw_choice, choice_labels = trained.engine.raw_score(valid[features]), valid_labels
        validation = {"method": "holdout", "valid_positives": valid_positives}
    calibration_folds = sized_down(
        "train_classifier.calibration.cv_folds",
        config.calibration.cv_folds,
        smallest_class(choice_labels),
        "rows in the smallest class of the rows calibrated on",
    )
    calibrator = ProbabilityCalibrator(
        method=config.calibration.method, cv_folds=calibration_folds, random_state=seed
    ).fit(raw_choice, choice_labels)
    decision = choose_decision_rule(calibrator.transform(raw_choice), choice_labels, config.decision)
    info = {
        "id_column": id_column,
        "target": target,
        "training_rows": len(fitted),
        "training_data_sha256": frame_hash(fitted),
        **{key: value for key, value in trained.summary.items() if key != "imbalance"},
        "imbalance": trained.summary.get("imbalance", {}).get("chosen"),
    }
    model = PurchaseModel(trained.engine, calibrator, decision, info)
    baseline = LogisticBaseline(C=config.baseline.C, max_iter=config.baseline.max_iter).fit(
        fitted[features], fitted[target].to_numpy()
    )
    summary = {
        "validation": validation,
        **trained.summary,
        "calibration": {"chosen": calibrator.method_, "cv_log_loss": calibrator.cv_log_loss_},
        "decision": decision.to_dict(),
    }
    if validation["method"] == "holdout":  # after a refit on train+valid, valid is no longer held out
        summary["baseline_valid_roc_auc"] = roc_auc(valid_labels, baseline.predict_proba1(valid[features]))
    curve = learning_curve(trained.valid_history, config.log_every, summary.get("best_iteration", 0))
    return TrainedClassifier(model=model, baseline=baseline, summary=summary, learning_curve=curve)


def cross_validated(
    config: TrainClassifierConfig, features: pd.DataFrame, labels: np.ndarray, seed: int
) -> tuple[TrainedEngine, np.ndarray, np.ndarray, dict[str, Any]]:
    """The small-table path: per imbalance option, k stratified folds with early stopping on the held-out fold.

    The option with the best pooled out-of-fold ROC-AUC is kept (a later option must beat the
    current choice by ``imbalance_min_gain``); the final model is refitted on all rows for the
    mean of its folds' best rounds. Returns that model, the out-of-fold scores and labels (for
    calibration and the threshold) and a summary; the learning curve is the folds' mean.
    """
    n_folds = sized_down(
        "train_classifier.cross_validation.folds",
        config.cross_validation.folds,
        smallest_class(labels),
        "rows in the smallest class of train + valid",
    )
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    splits = list(folds.split(features, labels))
    results: dict[str, dict[str, Any]] = {}
    chosen: str | None = None
    for option in config.imbalance_candidates:
        single = config.model_copy(update={"imbalance_candidates": (option,)})
        out_of_fold = np.zeros(len(labels))
        rounds, histories = [], []
        for fit_rows, held_rows in splits:
            trained = TRAINERS[config.model](
                single,
                features.iloc[fit_rows],
                labels[fit_rows],
                features.iloc[held_rows],
                labels[held_rows],
                seed=seed,
            )
            out_of_fold[held_rows] = trained.engine.raw_score(features.iloc[held_rows])
            rounds.append(int(trained.summary["best_iteration"]))
            histories.append(trained.valid_history)
        results[option] = {
            "out_of_fold": out_of_fold,
            "roc_auc": roc_auc(labels, out_of_fold),
            "rounds": rounds,
            "histories": histories,
        }
        if chosen is None or results[option]["roc_auc"] > results[chosen]["roc_auc"] + config.imbalance_min_gain:
            chosen = option
    assert chosen is not None, "at least one imbalance candidate is required (checked by the config)"
    best = results[chosen]
    final_rounds = max(1, int(round(float(np.mean(best["rounds"])))))
    refit = config.model_copy(update={"imbalance_candidates": (chosen,), "num_boost_round": final_rounds})
    final = TRAINERS[config.model](refit, features, labels, None, None, seed=seed)
    shortest = min(len(history) for history in best["histories"])
    final.valid_history = [float(np.mean([h[i] for h in best["histories"]])) for i in range(shortest)]
    final.summary.update(
        {
            "imbalance": {
                "chosen": chosen,
                "valid_roc_auc_by_option": {
                    option: {"valid_roc_auc": result["roc_auc"], "best_iteration": float(np.mean(result["rounds"]))}
                    for option, result in results.items()
                },
            },
            "best_iteration": final_rounds,
            "valid_roc_auc": best["roc_auc"],
        }
    )
    validation = {
        "method": "cross_validation",
        "folds": n_folds,
        "rows": len(labels),
        "best_rounds_by_fold": best["rounds"],
    }
    return final, best["out_of_fold"], labels, validation


def smallest_class(labels: np.ndarray) -> int:
    """Rows of the rarer label (the most stratified folds the labels can fill)."""
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=2)
    return int(counts.min())


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
    if "validation" in summary:
        method = summary["validation"]["method"]
        metrics["validation"] = f"{summary['validation']['folds']}-fold CV" if method == "cross_validation" else method
    metrics["threshold"] = summary["decision"]["threshold"]
    if "imbalance" in summary:
        metrics["imbalance"] = summary["imbalance"]["chosen"]
    metrics["calibration"] = summary["calibration"]["chosen"]
    return metrics

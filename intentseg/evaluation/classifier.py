"""The classifier part of the evaluate stage: held-out metrics, plot tables and figures.

Everything is measured on the test split; the valid split appears only as a second series
on plots (calibration, ROC) and to choose the oracle's threshold the same way the model's
was chosen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from intentseg.classifier.baseline import LogisticBaseline
from intentseg.classifier.explain import contributions, global_importance, method_agreement
from intentseg.classifier.model import PurchaseModel
from intentseg.config.evaluate import EvaluateConfig
from intentseg.evaluation.champion import champion_review_metrics, compare_with_champion
from intentseg.evaluation.result import Evaluation
from intentseg.foundation.metrics import (
    best_f1,
    classification_metrics,
    confusion_counts,
    curve_tables,
    gains_comparison,
    metric_intervals,
    oracle_threshold,
    reliability_table,
)
from intentseg.foundation.sizing import sized_down


def _truth_for(frame: pd.DataFrame, ground_truth: pd.DataFrame, id_column: str) -> np.ndarray | None:
    if "true_probability" not in ground_truth or ground_truth.empty:
        return None
    merged = frame[[id_column]].merge(ground_truth[[id_column, "true_probability"]], on=id_column, how="left")
    return merged["true_probability"].to_numpy()


def evaluate_classifier(
    model: PurchaseModel,
    baseline: LogisticBaseline,
    valid: pd.DataFrame,
    test: pd.DataFrame,
    ground_truth: pd.DataFrame,
    *,
    config: EvaluateConfig,
    seed: int,
    champion: PurchaseModel | None = None,
    valid_ground_truth: pd.DataFrame | None = None,
) -> Evaluation:
    """Score valid and test, compare model, baseline, champion and (simulator) oracle on the test split.

    ``ground_truth`` covers the test customers, ``valid_ground_truth`` the valid ones (None: the same
    table, when ids do not repeat across parts).
    """
    id_column, target = model.info["id_column"], model.info["target"]
    valid_labels, test_labels = valid[target].to_numpy(), test[target].to_numpy()
    valid_probability = model.purchase_probability(valid)
    test_probability = model.purchase_probability(test)
    baseline_valid = baseline.predict_proba1(valid)
    baseline_test = baseline.predict_proba1(test)
    baseline_threshold = best_f1(valid_labels, baseline_valid)[1]

    details: dict[str, Any] = {
        "test": classification_metrics(test_labels, test_probability, model.decision.threshold),
        "valid": classification_metrics(valid_labels, valid_probability, model.decision.threshold),
        "baseline": classification_metrics(test_labels, baseline_test, baseline_threshold),
        "decision_rule": model.decision.rule,
        "test_rows": len(test),
    }
    curves = {
        "model_test": (test_labels, test_probability),
        "model_valid": (valid_labels, valid_probability),
        "baseline_test": (test_labels, baseline_test),
    }
    gains = {"model": (test_labels, test_probability), "baseline": (test_labels, baseline_test)}

    valid_truth = _truth_for(valid, ground_truth if valid_ground_truth is None else valid_ground_truth, id_column)
    test_truth = _truth_for(test, ground_truth, id_column)
    if valid_truth is not None and test_truth is not None:
        details["oracle"] = classification_metrics(test_labels, test_truth, oracle_threshold(valid_labels, valid_truth))
        details["gap_to_oracle"] = {
            "roc_auc": details["oracle"]["roc_auc"] - details["test"]["roc_auc"],
            "f1": details["oracle"]["f1"] - details["test"]["f1"],
        }
        curves["oracle_test"] = (test_labels, test_truth)
        gains["oracle"] = (test_labels, test_truth)

    sample_rows = sized_down("evaluate.importance_sample", config.importance_sample, len(test), "test customers")
    sample = test.sample(n=sample_rows, random_state=seed)
    engine = model.engine
    exact = contributions(model, sample, engine.exact_method)
    importance = global_importance(exact, model.schema.names)
    agreement_rows = sized_down(
        "evaluate.reason_agreement_sample",
        config.reason_agreement_sample,
        len(sample),
        "customers in the importance sample",
    )
    details["reason_codes"] = {
        "compared": f"{engine.fast_method} vs {engine.exact_method} contributions",
        "sample": agreement_rows,
        **method_agreement(
            exact[:agreement_rows], contributions(model, sample.iloc[:agreement_rows], engine.fast_method)
        ),
    }
    details["test"].update(
        metric_intervals(
            test_labels,
            test_probability,
            model.decision.threshold,
            config.bootstrap.resamples,
            config.bootstrap.confidence,
            seed=seed,
        )
    )
    bins = config.calibration_bins
    details["champion"] = compare_with_champion(
        model, champion, test, challenger_probability=test_probability, bootstrap=config.bootstrap, seed=seed
    )
    plots = {
        **curve_tables(curves),
        "calibration_test": reliability_table(test_labels, test_probability, bins).round(4).to_dict("records"),
        "calibration_valid": reliability_table(valid_labels, valid_probability, bins).round(4).to_dict("records"),
        "confusion": confusion_counts(test_labels, model.decision.select(test_probability)),
        "gains": gains_comparison(gains),
        "importance": importance.round(4).to_dict("records"),
        "baseline_coefficients": baseline.coefficient_table().head(config.plot_top_terms).round(4).to_dict("records"),
    }
    return Evaluation(metrics=classifier_review_metrics(details), details=details, plots=plots)


REVIEW_TEST_METRICS = (
    "roc_auc",
    "roc_auc_ci",
    "pr_auc",
    "pr_auc_ci",
    "f1",
    "f1_ci",
    "lift_top_decile",
    "lift_top_decile_ci",
    "ece",
)


def classifier_review_metrics(details: dict[str, Any]) -> dict[str, Any]:
    """The classifier numbers a reviewer decides on (``metrics/classifier.json``); the rest stays in details."""
    metrics: dict[str, Any] = {
        "test": {name: details["test"][name] for name in REVIEW_TEST_METRICS},
        "baseline": {name: details["baseline"][name] for name in ("roc_auc", "f1")},
    }
    if "gap_to_oracle" in details:
        metrics["gap_to_oracle"] = {"roc_auc": details["gap_to_oracle"]["roc_auc"]}
    return {**champion_review_metrics(details["champion"]), **metrics}

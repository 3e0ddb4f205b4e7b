"""Challenger against champion: the new classifier and the one in production, on the same test customers.

The champion is the classifier of the last accepted run (``make promote`` copies it to
``reference/``). Both models score the same held-out customers; each metric's difference
(challenger - champion) gets a paired bootstrap interval (:func:`~intentseg.foundation.metrics.paired_differences`:
the same resampled customers for both models), so a reviewer reads whether the new model is better
beyond noise. The champion's own figures on these customers are the backtest of the model in
production: how it did on customers whose outcome is now known.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from intentseg.classifier.model import PurchaseModel
from intentseg.config.evaluate import BootstrapConfig
from intentseg.evaluation.comparison import COMPARED
from intentseg.foundation.errors import FeatureMismatchError
from intentseg.foundation.metrics import (
    Metric,
    average_precision,
    expected_calibration_error,
    f1_at,
    paired_differences,
    roc_auc,
    top_decile_lift,
)

REVIEWED = ("roc_auc", "f1", "ece")  # the differences in metrics/classifier.json (about 40 numbers in all)
NO_CHAMPION = "no champion yet: `make promote` accepts a run's classifier as the model in production"


def _metric_pairs(challenger: PurchaseModel, champion: PurchaseModel) -> dict[str, tuple[Metric, Metric]]:
    """Each compared metric for both models (as the test metrics measure them); F1 at each model's own threshold."""
    ece = expected_calibration_error
    return {
        "roc_auc": (roc_auc, roc_auc),
        "pr_auc": (average_precision, average_precision),
        "f1": (f1_at(challenger.decision.threshold), f1_at(champion.decision.threshold)),
        "lift_top_decile": (top_decile_lift, top_decile_lift),
        "ece": (ece, ece),
    }


def champion_problem(champion: PurchaseModel, test: pd.DataFrame, target: str) -> str | None:
    """Why the champion cannot score these customers (another label, missing features), or None."""
    if champion.info.get("target") != target:
        return f"the champion predicts {champion.info.get('target')!r}, this run predicts {target!r}"
    try:
        champion.schema.check_columns(test)
    except FeatureMismatchError as error:
        return f"the champion cannot score this table: {error}"
    return None


def compare_with_champion(
    challenger: PurchaseModel,
    champion: PurchaseModel | None,
    test: pd.DataFrame,
    *,
    challenger_probability: np.ndarray,
    bootstrap: BootstrapConfig,
    seed: int,
) -> dict[str, Any]:
    """The comparison on ``test`` (details/classifier.json ``champion``): status, both models' figures, differences.

    ``challenger_probability``: the challenger's probabilities of ``test``, already scored by the caller."""
    target = challenger.info["target"]
    if champion is None:
        return {"status": "none", "message": NO_CHAMPION}
    problem = champion_problem(champion, test, target)
    if problem is not None:
        return {"status": "incompatible", "message": problem}
    labels = test[target].to_numpy()
    scores = (challenger_probability, champion.purchase_probability(test))
    compared = paired_differences(
        labels,
        scores,
        _metric_pairs(challenger, champion),
        resamples=bootstrap.resamples,
        confidence=bootstrap.confidence,
        seed=seed,
    )
    champion_probability = scores[1]
    return {
        "status": "compared",
        "customers": len(test),
        "champion_version": champion.version,
        "challenger_version": challenger.version,
        "champion_threshold": champion.decision.threshold,
        "champion_top_decile_purchase_rate": float(labels.mean() * compared["lift_top_decile"]["old"]),
        "champion_targeted_share": float(np.mean(champion.decision.select(champion_probability))),
        "metrics": {
            name: {
                "challenger": compared[name]["new"],
                "champion": compared[name]["old"],
                "difference": compared[name]["difference"],
                "difference_ci": compared[name]["difference_ci"],
            }
            for name in COMPARED
        },
    }


def champion_review_metrics(comparison: dict[str, Any]) -> dict[str, Any]:
    """The reviewer's numbers (metrics/classifier.json): the champion's backtest and the paired differences a
    decision rests on (ranking, targeting, calibration); PR-AUC and lift differences stay in the details."""
    if comparison["status"] != "compared":
        return {}
    metrics = comparison["metrics"]
    return {
        "champion": {name: metrics[name]["champion"] for name in ("roc_auc", "f1")},
        "vs_champion": {
            **{name: metrics[name]["difference"] for name in REVIEWED},
            **{f"{name}_ci": metrics[name]["difference_ci"] for name in REVIEWED},
        },
    }

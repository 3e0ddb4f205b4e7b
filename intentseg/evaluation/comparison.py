"""Reading a champion comparison: which way each metric is better, the verdict of an interval, the words.

Kept apart from :mod:`intentseg.evaluation.champion` (which scores both models) so that the report and
the review read a comparison without depending on the classifier code.
"""

from __future__ import annotations

from typing import Any

COMPARED = ("roc_auc", "pr_auc", "f1", "lift_top_decile", "ece")  # the paired metrics, in the review's order
HIGHER_IS_BETTER = {"roc_auc": True, "pr_auc": True, "f1": True, "lift_top_decile": True, "ece": False}
METRIC_WORDS = {
    "roc_auc": "ROC-AUC",
    "pr_auc": "PR-AUC",
    "f1": "F1 (each at its own threshold)",
    "lift_top_decile": "top-decile lift",
    "ece": "calibration error",
}


def verdict(name: str, difference_ci: list[float]) -> str:
    """'better', 'worse' (beyond noise: the whole interval on one side of zero) or 'same within noise'."""
    low, high = difference_ci
    if low > 0 or high < 0:
        return "better" if (low > 0) == HIGHER_IS_BETTER[name] else "worse"
    return "same within noise"


def comparison_summary(classifier_metrics: dict[str, Any]) -> str:
    """One line for the review comment: challenger - champion per metric, with its paired interval."""
    compared = classifier_metrics.get("vs_champion")
    if not compared:
        return "No champion to compare with: `make promote` accepts a run's classifier as the model in production."
    parts = [
        f"{METRIC_WORDS[name]} {compared[name]:+.4f} ({compared[f'{name}_ci'][0]:+.4f} to "
        f"{compared[f'{name}_ci'][1]:+.4f}, {verdict(name, compared[f'{name}_ci'])})"
        for name in COMPARED
        if name in compared
    ]
    return "Challenger minus champion on the same test customers, with 95% paired intervals: " + "; ".join(parts) + "."

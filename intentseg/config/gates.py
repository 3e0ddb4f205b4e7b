"""``gates:``: the quality bars ``make check`` holds a run to, and what each bar reads.

The definitions are a leaf any layer may use: the config check knows the gate names, the CI
gate table (:mod:`intentseg.evaluation.gates`) reads the metric each names, the report shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intentseg.config.base import suggest


@dataclass(frozen=True)
class Gate:
    """A quality bar on one metric: where to read it, which way it points, and its interval (if any)."""

    source: str  # metrics file key in params paths.metrics
    path: str  # dotted path in that file; "a/b" divides two values; a list counts its entries
    kind: str  # "min" or "max"
    description: str
    interval: str | None = None  # dotted path of the metric's 95% bootstrap interval
    judged_on: str = "value"  # "value", or "interval_high": fails only when the whole interval is below the bar
    absent: str = "no such metric"  # why the gate is skipped when its metric is missing


GATES: dict[str, Gate] = {
    "min_roc_auc_vs_champion": Gate(
        "classifier",
        "vs_champion.roc_auc",
        "min",
        "challenger - champion test ROC-AUC on the same customers (paired)",
        "vs_champion.roc_auc_ci",
        judged_on="interval_high",
        absent="no champion to compare with",
    ),
    "min_roc_auc": Gate("classifier", "test.roc_auc", "min", "test ROC-AUC", "test.roc_auc_ci"),
    "min_f1": Gate("classifier", "test.f1", "min", "test F1 at the chosen threshold", "test.f1_ci"),
    "max_gap_to_oracle_roc_auc": Gate(
        "classifier", "gap_to_oracle.roc_auc", "max", "ROC-AUC gap to the true-probability ceiling"
    ),
    "max_expected_calibration_error": Gate("classifier", "test.ece", "max", "expected calibration error on test"),
    "min_silhouette": Gate("segmenter", "silhouette", "min", "mean segment silhouette", "silhouette_ci"),
    "min_stability_ari": Gate("segmenter", "stability_ari", "min", "segment stability (bootstrap ARI)"),
    "max_flagged_drift_features": Gate("score", "drift.flagged", "max", "number of drift-flagged features"),
    "max_rejected_share": Gate("score", "rows_rejected/rows_in", "max", "share of scoring rows rejected"),
}


def gate_problems(gates: Any) -> list[str]:
    """One line per unknown gate or non-number bar in the ``gates:`` section."""
    if gates is None:
        return []
    if not isinstance(gates, dict):
        return [f"gates: must be a mapping of gate names to bars, got {gates!r}"]
    found = []
    for name, value in gates.items():
        if name not in GATES:
            found.append(f"gates: unknown gate {name!r}{suggest(name, GATES)}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            found.append(f"gates: {name} must be a number, got {value!r}")
    return found

"""Classification metrics shared by the stages (thin wrappers over scikit-learn)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_auc_score


def best_f1(y_true: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """The highest F1 over all thresholds on ``score``, and the threshold reaching it."""
    precision, recall, thresholds = precision_recall_curve(y_true, score)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1[:-1])) if len(thresholds) else 0
    return float(f1[best]), float(thresholds[best]) if len(thresholds) else 0.5


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC as a plain float."""
    return float(roc_auc_score(y_true, score))

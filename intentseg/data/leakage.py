"""The leakage check: a feature that alone predicts the label almost perfectly is probably a copy of it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from intentseg.data.spec import TableSpec
from intentseg.foundation.metrics import roc_auc


def leakage_suspects(table: pd.DataFrame, spec: TableSpec, threshold: float) -> dict[str, float]:
    """Features that alone predict the label almost perfectly (ROC-AUC >= threshold, either direction).

    Numerics are scored by their value, categoricals by their level's purchase rate; missing
    values get the lowest score.
    """
    labels = table[spec.target].to_numpy()
    if len(np.unique(labels)) != 2:
        return {}
    suspects = {}
    for column in spec.columns:
        values = table[column.name]
        if column.kind == "categorical":
            rates = pd.Series(labels, index=values.index).groupby(values.astype("object"), dropna=True).mean()
            score = values.astype("object").map(rates).to_numpy(dtype=float, na_value=np.nan)
        else:
            score = values.to_numpy(dtype=float, na_value=np.nan)
        score = np.where(np.isnan(score), np.nanmin(score) - 1 if np.isfinite(score).any() else 0.0, score)
        auc = roc_auc(labels, score)
        strength = max(auc, 1 - auc)
        if strength >= threshold:
            suspects[column.name] = strength
    return suspects

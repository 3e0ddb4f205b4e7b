"""Reason codes: each customer's top drivers of purchase probability, in plain words.

Method: exact per-customer contributions from LightGBM's TreeSHAP (``pred_contrib``), in
log-odds. A driver reads ``days_since_last_visit = 2 (raises)``: the feature, the customer's
value, and whether it pushes the probability up or down. Drivers are ranked by absolute
contribution.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from intentseg.classifier import PurchaseModel

MISSING_TEXT = "missing"


def format_values(values: pd.Series) -> np.ndarray:
    """Customer values as short text: integers without decimals, other numbers to 2 decimals."""
    if isinstance(values.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(values):
        return values.astype("object").where(values.notna(), MISSING_TEXT).astype(str).to_numpy()
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(numbers)
    whole = finite & (np.round(numbers) == numbers)
    text = np.full(len(numbers), MISSING_TEXT, dtype=object)
    text[whole] = numbers[whole].astype(np.int64).astype(str)
    fractional = finite & ~whole
    text[fractional] = np.char.mod("%.2f", numbers[fractional])
    return text


def drivers_from_contributions(
    contributions: np.ndarray, frame: pd.DataFrame, feature_names: list[str], top_k: int = 3
) -> pd.DataFrame:
    """Top ``top_k`` drivers per row as ``reason_1..k`` text columns."""
    top_k = min(top_k, len(feature_names))
    order = np.argsort(-np.abs(contributions), axis=1, kind="stable")[:, :top_k]
    rows = np.arange(len(frame))
    formatted = {name: format_values(frame[name]) for name in feature_names}
    names = np.asarray(feature_names, dtype=object)
    reasons = {}
    for rank in range(top_k):
        feature_index = order[:, rank]
        chosen = contributions[rows, feature_index]
        values = np.empty(len(frame), dtype=object)
        for index in np.unique(feature_index):
            mask = feature_index == index
            values[mask] = formatted[feature_names[index]][mask]
        direction = np.where(chosen > 0, "raises", np.where(chosen < 0, "lowers", "neutral"))
        reasons[f"reason_{rank + 1}"] = names[feature_index] + " = " + values + " (" + direction + ")"
    return pd.DataFrame(reasons, index=frame.index)


def reason_codes(model: PurchaseModel, frame: pd.DataFrame, top_k: int = 3) -> pd.DataFrame:
    """Plain-words top drivers for every customer in ``frame`` (exact TreeSHAP)."""
    return drivers_from_contributions(model.contributions(frame), frame, model.schema.names, top_k)


def global_importance(contributions: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    """Mean absolute contribution per feature, largest first."""
    table = pd.DataFrame({"feature": feature_names, "mean_abs_contribution": np.abs(contributions).mean(axis=0)})
    return table.sort_values("mean_abs_contribution", ascending=False, kind="stable").reset_index(drop=True)

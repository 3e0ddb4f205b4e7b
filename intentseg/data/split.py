"""Stratified, deterministic train/valid/test split."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

SPLIT_NAMES = ("train", "valid", "test")


def check_fractions(fractions: dict[str, float]) -> None:
    """Fractions must name train, valid and test, be positive and sum to 1."""
    if set(fractions) != set(SPLIT_NAMES):
        raise ValueError(f"split fractions must name exactly {SPLIT_NAMES}, got {sorted(fractions)}")
    if any(value <= 0 for value in fractions.values()) or not np.isclose(sum(fractions.values()), 1.0):
        raise ValueError(f"split fractions must be positive and sum to 1, got {fractions}")


def stratified_split(
    table: pd.DataFrame, target: str, fractions: dict[str, float], seed: int
) -> dict[str, pd.DataFrame]:
    """Split ``table`` into train/valid/test keeping the positive rate in each part.

    Rows keep their original order inside each part, so the output depends only on
    the data, the fractions and the seed.
    """
    check_fractions(fractions)
    rows = np.arange(len(table))
    labels = table[target].to_numpy()
    train_rows, rest_rows = train_test_split(rows, train_size=fractions["train"], stratify=labels, random_state=seed)
    valid_share = fractions["valid"] / (fractions["valid"] + fractions["test"])
    valid_rows, test_rows = train_test_split(
        rest_rows, train_size=valid_share, stratify=labels[rest_rows], random_state=seed
    )
    parts = {"train": train_rows, "valid": valid_rows, "test": test_rows}
    return {name: table.iloc[np.sort(part)].reset_index(drop=True) for name, part in parts.items()}


def summarise_split(parts: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Rows per part, for ``metrics/split.json`` (the positive rate is the table's, by stratification)."""
    return {name: {"rows": len(part)} for name, part in parts.items()}

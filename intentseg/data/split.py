"""Stratified, deterministic train/valid/test split."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from intentseg.foundation.errors import DataContractError

SPLIT_NAMES = ("train", "valid", "test")


def check_fractions(fractions: dict[str, float]) -> None:
    """Fractions must name train, valid and test, be positive and sum to 1."""
    if set(fractions) != set(SPLIT_NAMES):
        raise ValueError(f"split fractions must name exactly {SPLIT_NAMES}, got {sorted(fractions)}")
    if any(value <= 0 for value in fractions.values()) or not np.isclose(sum(fractions.values()), 1.0):
        raise ValueError(f"split fractions must be positive and sum to 1, got {fractions}")


def rows_needed_per_class(fractions: dict[str, float]) -> int:
    """The fewest rows of a class for which every part of a stratified split gets at least two."""
    return int(np.ceil(2 / min(fractions.values())))


def check_class_counts(labels: np.ndarray, fractions: dict[str, float]) -> None:
    """Refuse, with the counts and the minimum, a label column too small for a stratified split."""
    values, counts = np.unique(labels, return_counts=True)
    needed = rows_needed_per_class(fractions)
    small = {int(value): int(count) for value, count in zip(values, counts) if count < needed}
    if len(values) < 2 or small:
        found = ", ".join(f"label {int(value)}: {int(count)} rows" for value, count in zip(values, counts))
        raise DataContractError(
            f"split.fractions: too few rows for a stratified train/valid/test split {fractions}: {found}; each label needs at "
            f"least {needed} rows (so that every part holds at least 2 of it). Add labelled rows, or enlarge "
            "the smallest split fraction"
        )


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
    check_class_counts(labels, fractions)
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

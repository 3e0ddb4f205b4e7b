"""Deterministic train/valid/test splits: out of time for a table with several snapshots, else stratified.

Out of time (a labelled table with ``data.snapshot_column`` holding more than one snapshot): test is
the newest snapshot, valid the one before it and train the snapshots before that (the newest
``split.train_snapshots`` of them, or all). With only two snapshots, valid is a share of the earlier
snapshot's customers (``split.fractions``: valid / (train + valid)), drawn by customer so that no
customer is in both. Calibration, threshold and early stopping are thus chosen on a later month
than the trees are fitted on, as they will be applied. The snapshot column is dropped from every
part: it is never a feature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class SplitResult:
    """The three parts, how they were split, and (out of time) the snapshots in each."""

    parts: dict[str, pd.DataFrame]
    kind: str  # "out_of_time" or "random"
    snapshots: dict[str, list[str]] = field(default_factory=dict)


def split_labelled(
    table: pd.DataFrame,
    target: str,
    fractions: dict[str, float],
    *,
    seed: int,
    id_column: str | None = None,
    snapshot_column: str | None = None,
    train_snapshots: int | None = None,
) -> SplitResult:
    """Out of time when ``snapshot_column`` holds more than one snapshot (customers by ``id_column``), else
    stratified at random."""
    if snapshot_column is None or table[snapshot_column].nunique(dropna=True) < 2:
        features = table.drop(columns=[snapshot_column]) if snapshot_column in table.columns else table
        return SplitResult(stratified_split(features, target, fractions, seed), "random")
    if id_column is None:
        raise ValueError("an out-of-time split needs the id column (valid is drawn by customer)")
    return _out_of_time_split(table, (id_column, target, snapshot_column), fractions, seed, train_snapshots)


def _out_of_time_split(
    table: pd.DataFrame,
    columns: tuple[str, str, str],
    fractions: dict[str, float],
    seed: int,
    train_snapshots: int | None,
) -> SplitResult:
    """``columns``: the id, target and snapshot columns."""
    id_column, target, snapshot_column = columns
    check_fractions(fractions)
    snapshots = sorted(str(value) for value in table[snapshot_column].dropna().unique())
    of = table[snapshot_column].astype(str)
    test_snapshot, earlier = snapshots[-1], snapshots[:-1]
    valid_snapshots = earlier[-1:] if len(earlier) >= 2 else []
    candidates = earlier[:-1] if valid_snapshots else earlier
    if train_snapshots is not None and train_snapshots > len(candidates):
        raise DataContractError(
            f"split.train_snapshots: {train_snapshots} is more than the {len(candidates)} snapshot(s) before "
            f"{'the valid snapshot ' + valid_snapshots[0] if valid_snapshots else 'the test snapshot ' + test_snapshot} "
            f"(snapshots in the table: {snapshots}); lower it, or set it to null for all of them"
        )
    train_from = candidates[-train_snapshots:] if train_snapshots else candidates
    rows = {
        "train": of.isin(train_from).to_numpy(),
        "valid": of.isin(valid_snapshots).to_numpy(),
        "test": (of == test_snapshot).to_numpy(),
    }
    if not valid_snapshots:  # two snapshots: valid is a share of the earlier one's customers
        rows["train"], rows["valid"] = _customers_apart(table[id_column], rows["train"], fractions, seed)
    for name, chosen in rows.items():
        _check_part_labels(table[target].to_numpy()[chosen], name, sorted(set(of[chosen])))
    parts = {
        name: table[chosen].drop(columns=[snapshot_column]).reset_index(drop=True) for name, chosen in rows.items()
    }
    used = {"train": train_from, "valid": valid_snapshots or train_from, "test": [test_snapshot]}
    return SplitResult(parts, "out_of_time", used)


def _customers_apart(
    ids: pd.Series, rows: np.ndarray, fractions: dict[str, float], seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` divided into train and valid by a seeded random draw of whole customers."""
    customers = ids.astype(str).to_numpy()
    chosen = np.unique(customers[rows])
    share = fractions["valid"] / (fractions["valid"] + fractions["train"])
    picked = np.random.default_rng(seed).random(len(chosen)) < share
    in_valid = rows & np.isin(customers, chosen[picked])
    return rows & ~in_valid, in_valid


def _check_part_labels(labels: np.ndarray, part: str, snapshots: list[str]) -> None:
    counts = {value: int((labels == value).sum()) for value in (0, 1)}
    if min(counts.values()) < 2:
        found = ", ".join(f"label {value}: {count} rows" for value, count in counts.items())
        raise DataContractError(
            f"split: the {part} part (snapshots {snapshots}) needs at least 2 rows of each label for an "
            f"out-of-time split; it has {found}. Add labelled rows for these snapshots, or drop data.snapshot_column "
            "for a random split"
        )


def summarise_split(result: SplitResult) -> dict[str, Any]:
    """Rows (and, out of time, snapshots) per part, for ``metrics/split.json``."""
    return {
        name: {"rows": len(part), **({"snapshots": result.snapshots[name]} if result.snapshots else {})}
        for name, part in result.parts.items()
    }

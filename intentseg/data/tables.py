"""Customer tables from files: configured or inferred columns, cleaned to a :class:`TableSpec`.

The pipeline runs on any customer-level table with an id, a binary label and mixed numeric
and categorical features. ``data:`` in params.yaml names the id and target columns and may
list the numeric and categorical features; unlisted columns are inferred (numbers are
numeric, anything else categorical) and the result is reported in ``metrics/data.json``.

Real-world shapes handled here: booleans and ``TRUE``/``FALSE`` strings become 0/1 numerics;
integer-coded categoricals listed as categorical become text levels; rare levels of
high-cardinality categoricals are lumped into ``other`` (with a warning); constant columns are
dropped (with a warning); date columns are refused with a suggestion to derive a number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from intentseg.config import DataConfig
from intentseg.data.contract import require_columns
from intentseg.data.schema import ColumnSpec, TableSpec
from intentseg.errors import DataContractError
from intentseg.evaluation.metrics import roc_auc

OTHER_LEVEL = "other"
TRUE_FALSE = {"true": 1.0, "false": 0.0}
log = logging.getLogger(__name__)


@dataclass
class PreparedTable:
    """A cleaned table, its spec, and what was inferred or changed on the way."""

    table: pd.DataFrame
    spec: TableSpec
    notes: dict[str, Any] = field(default_factory=dict)


def true_false_value(value: object) -> object:
    """1.0 for true/TRUE/True, 0.0 for false, NaN for missing; any other value unchanged.

    Unchanged, not an error: in a scoring population a stray value is kept so that the score
    stage rejects its row with the rule it broke.
    """
    if pd.isna(value):
        return np.nan
    return TRUE_FALSE.get(str(value).strip().lower(), value)


def _is_true_false(column: pd.Series) -> bool:
    values = column.dropna()
    return len(values) > 0 and values.astype(str).str.strip().str.lower().isin(TRUE_FALSE).all()


def _mostly_numbers(column: pd.Series, share: float = 0.95) -> bool:
    """Text that is nearly all numbers is a numeric column with a few bad values (reported by the contract)."""
    present = column.dropna()
    return len(present) > 0 and pd.to_numeric(present, errors="coerce").notna().mean() >= share


def _looks_like_dates(column: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return False
    sample = column.dropna().astype(str).head(200)
    if len(sample) == 0 or not sample.str.contains(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}").mean() > 0.9:
        return False
    return pd.to_datetime(sample, errors="coerce", format="mixed").notna().mean() > 0.9


def _group_of(name: str, groups: dict[str, tuple[str, ...]] | None) -> str:
    for group, members in (groups or {}).items():
        if name in members:
            return group
    return "features"


def prepare_table(frame: pd.DataFrame, config: DataConfig, labelled: bool = True) -> PreparedTable:
    """Clean a raw customer table and build its spec from ``config`` (the ``data:`` section).

    Raises :class:`DataContractError` for date columns and for listed columns that are absent.
    """
    id_column, target = config.id_column, config.target
    declared_numeric = list(config.numeric or [])  # listed kinds override inference
    declared_categorical = list(config.categorical or [])
    required = [id_column, *declared_numeric, *declared_categorical] + ([target] if labelled else [])
    require_columns(list(frame.columns), required, "customer table")
    excluded = set(config.exclude or [])
    candidates = [name for name in frame.columns if name not in (id_column, target) and name not in excluded]
    dates = [name for name in candidates if name not in declared_numeric and _looks_like_dates(frame[name])]
    if dates:
        raise DataContractError(
            f"date columns are not supported as features: {dates}. Derive a number instead, e.g. "
            f"'days_since_<event>' = (snapshot date - {dates[0]}) in days, and list it under data.numeric"
        )
    table = pd.DataFrame({id_column: frame[id_column]})
    columns: list[ColumnSpec] = []
    notes: dict[str, Any] = {"inferred": {}, "converted_true_false": [], "dropped_constant": [], "lumped_levels": {}}
    share, max_levels = config.rare_level_share, config.max_levels
    for name in candidates:
        values = frame[name]
        boolean_like = pd.api.types.is_bool_dtype(values) or _is_true_false(values)
        if name in declared_categorical:
            kind = "categorical"
        elif name in declared_numeric or boolean_like:
            kind = "numeric"
        else:
            kind = "numeric" if pd.api.types.is_numeric_dtype(values) or _mostly_numbers(values) else "categorical"
            notes["inferred"][name] = kind
        if kind == "numeric" and boolean_like:
            values = values.map(true_false_value).astype("float64")
            notes["converted_true_false"].append(name)
        if values.nunique(dropna=True) == 1:
            notes["dropped_constant"].append(name)
            log.warning("column %s is constant: dropped", name)
            continue
        if kind == "categorical":
            values, lumped = _lump_rare_levels(values, share, max_levels)
            if lumped:
                notes["lumped_levels"][name] = lumped
                log.warning("column %s: %d rare levels lumped into '%s'", name, lumped, OTHER_LEVEL)
            levels = tuple(sorted(values.dropna().unique()))
            table[name] = pd.Categorical(values, categories=levels) if levels else values
            columns.append(
                ColumnSpec(name, "categorical", _group_of(name, config.feature_groups), categories=levels or None)
            )
        else:
            table[name] = values
            bounds = (config.ranges or {}).get(name, (None, None))
            columns.append(
                ColumnSpec(
                    name, "numeric", _group_of(name, config.feature_groups), minimum=bounds[0], maximum=bounds[1]
                )
            )
    if labelled:
        table[target] = frame[target]
    return PreparedTable(
        table=table, spec=TableSpec(id_column, target if labelled else None, tuple(columns)), notes=notes
    )


def _lump_rare_levels(values: pd.Series, share: float, max_levels: int) -> tuple[pd.Series, int]:
    """Text levels; levels rarer than ``share`` (or beyond the ``max_levels`` most frequent) become ``other``."""
    text = values.astype("object").where(values.isna(), values.astype(str))
    counts = text.value_counts(normalize=True)
    keep = counts[(counts >= share)].index[:max_levels]
    rare = text.notna() & ~text.isin(keep)
    return text.where(~rare, OTHER_LEVEL), int(len(counts) - len(keep))


def table_problems(table: pd.DataFrame, spec: TableSpec, min_positives: int) -> list[str]:
    """Whole-table rules pandera's column checks do not cover, as contract messages."""
    problems = []
    for column in spec.columns:
        if table[column.name].isna().all():
            problems.append(f"column '{column.name}': rule 'not_all_missing' broken: every value is missing")
    if spec.target is not None and spec.target in table:
        labels = pd.to_numeric(table[spec.target], errors="coerce")
        classes = sorted(labels.dropna().unique().tolist())
        if len(classes) == 1:
            problems.append(f"column '{spec.target}': rule 'two_classes' broken: every label is {classes[0]:g}")
        positives = int((labels == 1).sum())
        if len(classes) == 2 and positives < min_positives:
            problems.append(
                f"column '{spec.target}': rule 'enough_positives' broken: {positives} positive labels, "
                f"at least {min_positives} needed to split into train, valid and test"
            )
    return problems


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

"""Customer tables from files: configured or inferred columns, cleaned to a :class:`TableSpec`.

The pipeline runs on any customer-level table with a binary label and mixed numeric and
categorical features. ``data:`` in params.yaml names the target (and the id, or null); every
other column is inferred and the result reported in the data details. What a careful data
engineer would do by hand is done here, once, and recorded in a :class:`TableRecipe` that the
scoring population goes through too:

* ids are text (leading zeros kept, never read as floats), or row numbers when there is none;
* the label's two values are mapped to 1/0 (``data.positive_label``, or a recognised pair);
* booleans and ``TRUE``/``FALSE`` text become 0/1; numbers with a few stray tokens
  (``unknown``, ``-``) stay numbers, the tokens missing; integer-coded levels are canonical text;
* dates become ``days_since_<column>`` relative to the snapshot date;
* names a model library refuses (spaces, brackets, quotes) or that the outputs use are renamed,
  the original kept in the spec for display;
* rare levels are lumped into ``other``; constant columns are dropped.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from intentseg.config.data import DataConfig
from intentseg.data.columns import (
    ABSURD_MAGNITUDE,
    MAX_MISSING_TOKENS,
    LabelMapping,
    canonical_levels,
    date_values,
    days_since,
    detect_date_format,
    is_date_column,
    is_true_false,
    label_mapping,
    label_numbers,
    looks_numeric,
    model_safe_name,
    non_number_tokens,
    number_values,
    text_values,
    true_false_numbers,
)
from intentseg.data.reading import RawTable
from intentseg.data.schema import TRUE_FALSE, ColumnSpec, TableSpec, is_output_column
from intentseg.errors import DataContractError
from intentseg.metrics import roc_auc

OTHER_LEVEL = "other"
GENERATED_ID = "row_id"
MAX_EXAMPLES = 5
Conversion = Literal["number", "true_false", "date", "level"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ColumnRecipe:
    """How one source column becomes one feature."""

    source: str
    name: str
    conversion: Conversion
    missing_tokens: tuple[str, ...] = ()
    date_format: str | None = None

    @property
    def kind(self) -> str:
        return "categorical" if self.conversion == "level" else "numeric"


@dataclass(frozen=True)
class TableRecipe:
    """Every conversion from a source file to the prepared table, for the labelled table and the population."""

    id_source: str | None
    id_column: str
    columns: tuple[ColumnRecipe, ...]
    decimal: str = "."
    snapshot: pd.Timestamp | None = None


@dataclass
class PreparedTable:
    """A cleaned table, its spec, the recipe that made it, and what was inferred or changed on the way."""

    table: pd.DataFrame
    spec: TableSpec
    recipe: TableRecipe
    notes: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # broken rules found while converting (with examples)
    label_ok: bool = True


def _shown(value: object) -> str:
    """A value as a person would write it (``inf``, ``1e+308``, ``'abc'``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _examples(values: pd.Series, mask: pd.Series | np.ndarray) -> str:
    rows = np.flatnonzero(np.asarray(mask))[:MAX_EXAMPLES]
    return ", ".join(f"row {row}: {_shown(values.iloc[row])}" for row in rows)


def _missing_columns_message(missing: list[tuple[str, str]], raw: RawTable) -> str:
    found = list(raw.frame.columns)
    shown = ", ".join(repr(name) for name in found[:30]) + (" ..." if len(found) > 30 else "")
    lines = [f"column {name!r} ({setting}) is not in the table" for setting, name in missing]
    hint = " Set data.read.sep if the delimiter is wrong." if raw.delimiter is not None and len(found) <= 2 else ""
    return (
        f"{raw.path} broke the data contract:\n"
        + "\n".join(lines)
        + f"\nfound {len(found)} column(s), {raw.describe()}: {shown}.{hint}"
    )


def check_configured_columns(raw: RawTable, config: DataConfig, labelled: bool) -> None:
    """Every column ``data:`` names is in the file; the message lists what was found and how it was read."""
    named: list[tuple[str, str]] = []
    if config.id_column is not None:
        named.append(("data.id_column", config.id_column))
    if labelled:
        named.append(("data.target", config.target))
    for setting, names in (
        ("data.numeric", config.numeric),
        ("data.categorical", config.categorical),
        ("data.exclude", config.exclude),
        ("data.ranges", tuple(config.ranges or ())),
        ("data.feature_groups", tuple(name for group in (config.feature_groups or {}).values() for name in group)),
    ):
        named.extend((setting, name) for name in names or ())
    if not labelled:  # the population needs the id and the features; listing checks are the labelled table's
        named = named[:1] if config.id_column is not None else []
    missing = [(setting, name) for setting, name in named if name not in raw.frame.columns]
    if missing:
        raise DataContractError(_missing_columns_message(missing, raw))


def _conversion_of(values: pd.Series, config: DataConfig, decimal: str) -> tuple[Conversion, bool]:
    """The conversion of a column, and whether it was inferred (not listed in ``data:``)."""
    name = values.name
    if name in (config.categorical or ()):
        return "level", False
    if is_true_false(values):
        return "true_false", name not in (config.numeric or ())
    if name in (config.numeric or ()):
        return "number", False
    if is_date_column(values):
        return "date", True
    return ("number" if looks_numeric(values, decimal) else "level"), True


def _feature_name(source: str, conversion: Conversion, taken: set[str]) -> str:
    base = model_safe_name(source)
    name = f"days_since_{base}" if conversion == "date" else base
    if is_output_column(name):
        name = f"{name}_input"
    if name in taken:
        raise DataContractError(
            f"columns clash after renaming: {source!r} becomes {name!r}, which another column already is; "
            "rename one of them in the file, or list one under data.exclude"
        )
    return name


def infer_recipe(raw: RawTable, config: DataConfig) -> tuple[TableRecipe, dict[str, Any]]:
    """Decide every column's conversion and feature name from the labelled table (and note why)."""
    frame = raw.frame
    excluded = set(config.exclude or ())
    id_column = config.id_column
    if id_column is None:
        id_column = GENERATED_ID
        while id_column in frame.columns:
            id_column = f"_{id_column}"
    notes: dict[str, Any] = {
        "read": raw.describe(),
        "dropped_on_read": list(raw.dropped),
        "inferred": {},
        "converted_true_false": [],
        "renamed": {},
        "missing_tokens": {},
        "dates": {},
    }
    taken = {id_column, config.target}
    recipes = []
    for source in frame.columns:
        if source in (config.id_column, config.target) or source in excluded:
            continue
        conversion, inferred = _conversion_of(frame[source], config, raw.decimal)
        name = _feature_name(source, conversion, taken)
        taken.add(name)
        if name != source:
            notes["renamed"][source] = name
            log.info("column %r is used as %r (a name the model files accept)", source, name)
        if inferred:
            notes["inferred"][name] = "categorical" if conversion == "level" else "numeric"
        tokens: tuple[str, ...] = ()
        date_format = None
        if conversion == "true_false":
            notes["converted_true_false"].append(name)
        elif conversion == "number":
            counts = non_number_tokens(frame[source], raw.decimal)
            if 0 < len(counts) <= MAX_MISSING_TOKENS:
                tokens = tuple(sorted(counts))
                notes["missing_tokens"][name] = dict(sorted(counts.items()))
                for token, count in sorted(counts.items()):
                    log.warning("column %s: %d value(s) %r are not numbers: treated as missing", source, count, token)
        elif conversion == "date":
            found = detect_date_format(frame[source], config.date_format)
            date_format = found.format
            notes["dates"][source] = {"feature": name, "format": date_format}
            if found.ambiguous_with:
                log.warning(
                    "column %s: dates read as %s; %s reads them too: set data.date_format if that is the right one",
                    source,
                    found.format,
                    found.ambiguous_with,
                )
                notes["dates"][source]["ambiguous_with"] = found.ambiguous_with
        recipes.append(ColumnRecipe(source, name, conversion, tokens, date_format))
    snapshot = _snapshot(frame, recipes, config)
    if snapshot is not None:
        notes["snapshot_date"] = snapshot.strftime("%Y-%m-%d")
        log.info(
            "dates become days before the snapshot date %s (%s)",
            notes["snapshot_date"],
            "data.snapshot_date" if config.snapshot_date else "the latest date in the table",
        )
    for name in raw.dropped:
        log.warning("column %r holds no data (an empty column or a written row index): dropped", name)
    recipe = TableRecipe(config.id_column, id_column, tuple(recipes), raw.decimal, snapshot)
    return recipe, notes


def _snapshot(frame: pd.DataFrame, recipes: list[ColumnRecipe], config: DataConfig) -> pd.Timestamp | None:
    dates = [recipe for recipe in recipes if recipe.conversion == "date"]
    if not dates:
        return None
    if config.snapshot_date:
        return pd.Timestamp(config.snapshot_date)
    latest = [date_values(frame[recipe.source], recipe.date_format or "").max() for recipe in dates]
    latest = [value for value in latest if pd.notna(value)]
    if not latest:
        raise DataContractError("date columns hold no readable date: set data.snapshot_date and data.date_format")
    return max(latest).normalize()


def id_values(frame: pd.DataFrame, recipe: TableRecipe) -> pd.Series:
    """The id column as text; row numbers in the file (1, 2, ...) when the table has no id."""
    if recipe.id_source is None:
        return pd.Series(np.arange(1, len(frame) + 1).astype(str), dtype="object")
    return text_values(frame[recipe.id_source]).reset_index(drop=True)


def convert_column(values: pd.Series, column: ColumnRecipe, recipe: TableRecipe) -> pd.Series:
    """One source column converted by its recipe (non-numbers beyond the known tokens stay as text)."""
    if column.conversion == "level":
        return canonical_levels(values)
    if column.conversion == "true_false":
        return true_false_numbers(values)
    if column.conversion == "date":
        dates = date_values(values, column.date_format or "")
        unread = values.notna() & dates.isna()
        if unread.any():
            log.warning(
                "column %s: %d value(s) are not dates in %s (e.g. %s): treated as missing",
                column.source,
                int(unread.sum()),
                column.date_format,
                values[unread].head(3).tolist(),
            )
        assert recipe.snapshot is not None
        return days_since(dates, recipe.snapshot)
    return number_values(values, recipe.decimal, column.missing_tokens)


def _number_problems(values: pd.Series, name: str) -> list[str]:
    """Infinite and absurd values of a numeric column, as a contract line with examples.

    (Text left in a numeric column is reported by the data contract's type check.)
    """
    if not pd.api.types.is_numeric_dtype(values):
        return []
    numbers = values.to_numpy(dtype=float)
    bad = np.isinf(numbers) | (np.abs(np.nan_to_num(numbers)) > ABSURD_MAGNITUDE)
    if not bad.any():
        return []
    return [
        f"column {name!r}: rule 'finite' broken by {int(bad.sum())} row(s) (infinite, or beyond "
        f"{ABSURD_MAGNITUDE:g} in size); e.g. {_examples(values, bad)}; blank them (missing) or fix them at the source"
    ]


def _lump_rare_levels(values: pd.Series, share: float, max_levels: int) -> tuple[pd.Series, int]:
    """Levels rarer than ``share`` (or beyond the ``max_levels`` most frequent) become ``other``."""
    counts = values.value_counts(normalize=True)
    keep = counts[(counts >= share)].index[:max_levels]
    rare = values.notna() & ~values.isin(keep)
    return values.where(~rare, OTHER_LEVEL), int(len(counts) - len(keep))


def _group_of(name: str, source: str, groups: dict[str, tuple[str, ...]] | None) -> str:
    for group, members in (groups or {}).items():
        if name in members or source in members:
            return group
    return "features"


def prepare_table(raw: RawTable, config: DataConfig) -> PreparedTable:
    """Clean a labelled customer table and build its spec from ``config`` (the ``data:`` section).

    Raises :class:`DataContractError` when a configured column is missing or the recipe cannot be
    decided; rules broken by values are returned in ``problems`` (every one, with examples), for
    the caller to report together with the data contract's.
    """
    check_configured_columns(raw, config, labelled=True)
    frame = raw.frame.reset_index(drop=True)
    recipe, notes = infer_recipe(raw, config)
    problems: list[str] = []
    try:
        mapping: LabelMapping | None = label_mapping(frame[config.target], config.positive_label)
    except DataContractError as error:
        mapping = None
        problems.append(str(error))
    if mapping is not None:
        log.info("label %s: %s", config.target, mapping.describe())
        notes["target_mapping"] = {"positive": mapping.positive, "negative": mapping.negative, "origin": mapping.origin}
    if config.id_column is None:
        log.warning(
            "data.id_column is null: customers are identified by their row number (column %s)", recipe.id_column
        )
        notes["generated_id"] = recipe.id_column
    table = pd.DataFrame({recipe.id_column: id_values(frame, recipe)})
    columns: list[ColumnSpec] = []
    notes.update(dropped_constant=[], lumped_levels={})
    for column in recipe.columns:
        values = convert_column(frame[column.source], column, recipe)
        if column.kind == "numeric":
            problems.extend(_number_problems(values, column.source))
        if values.nunique(dropna=True) == 1:
            notes["dropped_constant"].append(column.name)
            log.warning("column %s is constant: dropped", column.source)
            continue
        group = _group_of(column.name, column.source, config.feature_groups)
        source_name = column.source if column.source != column.name else None
        if column.kind == "categorical":
            values, lumped = _lump_rare_levels(values, config.rare_level_share, config.max_levels)
            if lumped:
                notes["lumped_levels"][column.name] = lumped
                log.warning("column %s: %d rare levels lumped into '%s'", column.source, lumped, OTHER_LEVEL)
            levels = tuple(sorted(values.dropna().unique()))
            table[column.name] = pd.Categorical(values, categories=levels)
            columns.append(
                ColumnSpec(column.name, "categorical", group, categories=levels or None, source_name=source_name)
            )
        else:
            table[column.name] = values
            low, high = (config.ranges or {}).get(column.source, (config.ranges or {}).get(column.name, (None, None)))
            description = TRUE_FALSE if column.conversion == "true_false" else ""
            columns.append(
                ColumnSpec(
                    column.name,
                    "numeric",
                    group,
                    minimum=low,
                    maximum=high,
                    description=description,
                    source_name=source_name,
                )
            )
    if mapping is not None:
        table[config.target] = label_numbers(frame[config.target], mapping).to_numpy()
    kept = {spec.name for spec in columns}
    recipe = TableRecipe(
        recipe.id_source,
        recipe.id_column,
        tuple(column for column in recipe.columns if column.name in kept),
        recipe.decimal,
        recipe.snapshot,
    )
    spec = TableSpec(recipe.id_column, config.target, tuple(columns))
    return PreparedTable(table, spec, recipe, notes, problems, label_ok=mapping is not None)


def population_table(raw: RawTable, recipe: TableRecipe, spec: TableSpec) -> pd.DataFrame:
    """The scoring population converted by the labelled table's recipe.

    Refuses (naming them) missing columns. Values are not validated here: the score stage
    checks each row and rejects the bad ones with their rules, so one bad row does not stop a
    day's scoring. Text left in a numeric column is kept as text for that check.
    """
    frame = raw.frame.reset_index(drop=True)
    needed = [column.source for column in recipe.columns] + ([recipe.id_source] if recipe.id_source else [])
    missing = [name for name in needed if name not in frame.columns]
    if missing:
        raise DataContractError(_missing_columns_message([("scoring population", name) for name in missing], raw))
    population = pd.DataFrame({recipe.id_column: id_values(frame, recipe)})
    for column in recipe.columns:
        values = convert_column(frame[column.source], column, recipe).reset_index(drop=True)
        if column.missing_tokens:
            found = text_values(frame[column.source]).isin(column.missing_tokens)
            if found.any():
                log.warning(
                    "population column %s: %d value(s) %s treated as missing, as in the labelled table",
                    column.source,
                    int(found.sum()),
                    list(column.missing_tokens),
                )
        if column.kind == "categorical":
            levels = spec.column(column.name).categories or ()
            if OTHER_LEVEL in levels:
                values = values.where(values.isna() | values.isin(levels), OTHER_LEVEL)  # lumped as in training
            values = values.astype("string")
        elif not pd.api.types.is_numeric_dtype(values):
            values = values.astype("string")
        population[column.name] = values
    return population


def table_problems(table: pd.DataFrame, spec: TableSpec, min_per_class: int) -> list[str]:
    """Whole-table rules pandera's column checks do not cover, as contract messages."""
    problems = []
    for column in spec.columns:
        if table[column.name].isna().all():
            problems.append(f"column {column.name!r}: rule 'not_all_missing' broken: every value is missing")
    if spec.target is not None and spec.target in table:
        counts = Counter(pd.to_numeric(table[spec.target], errors="coerce").dropna().astype(int).tolist())
        if len(counts) == 1:
            problems.append(f"column {spec.target!r}: rule 'two_classes' broken: every label is {next(iter(counts))}")
        elif len(counts) == 2 and min(counts.values()) < min_per_class:
            problems.append(
                f"column {spec.target!r}: rule 'enough_rows_per_class' broken: {counts[1]} positive and "
                f"{counts[0]} negative labels; at least {min_per_class} of each (data.min_positives) are needed "
                "to split into train, valid and test"
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

"""A customer file's recipe: each column's kind, name and conversion, inferred from the raw table and the data: settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from intentseg.config.data import DataConfig
from intentseg.data.columns import (
    ABSURD_MAGNITUDE,
    MAX_MISSING_TOKENS,
    canonical_levels,
    date_values,
    days_since,
    detect_date_format,
    is_date_column,
    is_true_false,
    looks_numeric,
    model_safe_name,
    non_number_tokens,
    number_values,
    text_values,
    true_false_numbers,
)
from intentseg.data.reading import RawTable
from intentseg.data.snapshots import snapshot_dates
from intentseg.data.spec import is_output_column
from intentseg.foundation.errors import DataContractError

log = logging.getLogger(__name__)
Conversion = Literal["number", "true_false", "date", "level"]

OTHER_LEVEL = "other"


GENERATED_ID = "row_id"


MAX_EXAMPLES = 5


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


def _shown(value: object) -> str:
    """A value as a person would write it (``inf``, ``1e+308``, ``'abc'``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


def _examples(values: pd.Series, mask: pd.Series | np.ndarray) -> str:
    rows = np.flatnonzero(np.asarray(mask))[:MAX_EXAMPLES]
    return ", ".join(f"row {row}: {_shown(values.iloc[row])}" for row in rows)


def missing_columns_message(missing: list[tuple[str, str]], raw: RawTable) -> str:
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
        if config.snapshot_column is not None:
            named.append(("data.snapshot_column", config.snapshot_column))
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
        raise DataContractError(missing_columns_message(missing, raw))


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
    excluded = set(config.exclude or ()) | ({config.snapshot_column} if config.snapshot_column else set())
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
    taken = {id_column, config.target, *([config.snapshot_column] if config.snapshot_column else [])}
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
            "data.snapshot_date"
            if config.snapshot_date
            else "the newest snapshot"
            if config.snapshot_column
            else "the latest date in the table",
        )
    for name in raw.dropped:
        log.warning("column %r holds no data (an empty column or a written row index): dropped", name)
    recipe = TableRecipe(config.id_column, id_column, tuple(recipes), raw.decimal, snapshot)
    return recipe, notes


def _snapshot(frame: pd.DataFrame, recipes: list[ColumnRecipe], config: DataConfig) -> pd.Timestamp | None:
    """The day dates count to: data.snapshot_date, the newest labelled snapshot, or the latest date."""
    dates = [recipe for recipe in recipes if recipe.conversion == "date"]
    if config.snapshot_date:
        return pd.Timestamp(config.snapshot_date) if dates or config.snapshot_column else None
    if config.snapshot_column:  # the labelled rows count to their own snapshot; the population to the newest
        return snapshot_dates(frame[config.snapshot_column], config.date_format).max()
    if not dates:
        return None
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


def convert_column(
    values: pd.Series, column: ColumnRecipe, recipe: TableRecipe, snapshots: pd.Series | None = None
) -> pd.Series:
    """One source column converted by its recipe (non-numbers beyond the known tokens stay as text); dates
    become days before ``snapshots`` (each row's own) when given, else before the recipe's snapshot."""
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
        if snapshots is not None:
            return days_since(dates.reset_index(drop=True), snapshots)
        assert recipe.snapshot is not None
        return days_since(dates, recipe.snapshot)
    return number_values(values, recipe.decimal, column.missing_tokens)


def number_problems(values: pd.Series, name: str) -> list[str]:
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

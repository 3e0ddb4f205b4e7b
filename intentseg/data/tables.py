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
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from intentseg.config.data import DataConfig
from intentseg.data.columns import (
    LabelMapping,
    label_mapping,
    label_numbers,
    text_values,
)
from intentseg.data.reading import RawTable
from intentseg.data.recipe import (
    OTHER_LEVEL,
    TableRecipe,
    check_configured_columns,
    convert_column,
    id_values,
    infer_recipe,
    missing_columns_message,
    number_problems,
)
from intentseg.data.snapshots import snapshot_dates, snapshot_text
from intentseg.data.spec import TRUE_FALSE, ColumnSpec, TableSpec
from intentseg.foundation.errors import DataContractError

log = logging.getLogger(__name__)


@dataclass
class PreparedTable:
    """A cleaned table, its spec, the recipe that made it, and what was inferred or changed on the way."""

    table: pd.DataFrame
    spec: TableSpec
    recipe: TableRecipe
    notes: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # broken rules found while converting (with examples)
    label_ok: bool = True


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
    snapshots = None
    if config.snapshot_column is not None:  # each row's snapshot: its dates count to it; the split reads it
        snapshots = snapshot_dates(frame[config.snapshot_column], config.date_format)
        table[config.snapshot_column] = snapshot_text(snapshots)
        notes["snapshots"] = {
            day: int(rows) for day, rows in table[config.snapshot_column].value_counts().sort_index().items()
        }
        log.info("%d snapshots in %s: %s", len(notes["snapshots"]), config.snapshot_column, notes["snapshots"])
    columns: list[ColumnSpec] = []
    notes.update(dropped_constant=[], lumped_levels={})
    for column in recipe.columns:
        values = convert_column(frame[column.source], column, recipe, snapshots)
        if column.kind == "numeric":
            problems.extend(number_problems(values, column.source))
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
    spec = TableSpec(recipe.id_column, config.target, tuple(columns), config.snapshot_column)
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
        raise DataContractError(missing_columns_message([("scoring population", name) for name in missing], raw))
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

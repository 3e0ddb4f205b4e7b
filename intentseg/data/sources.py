"""Producing the validated customer tables from the configured source, and summarising them.

Three kinds of source (``data.source`` in params.yaml): the seeded ShopSphere simulator (one snapshot), its
customer panel (monthly snapshots of one event history: :mod:`intentseg.data.panel`), or a customer
table read from a CSV or Parquet file (see :mod:`intentseg.data.tables` for how its columns are
configured or inferred). The labelled table is validated strictly: any broken rule stops
the pipeline with every failure listed. The scoring population only has to have the model
columns; its rows are validated one by one at scoring time, where bad rows are rejected.
"""

from __future__ import annotations

import dataclasses
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from intentseg.config.data import PANEL_SOURCE, SIMULATOR_SOURCE, SQL_SOURCE, DataConfig
from intentseg.data.contract import table_problems, validate_table
from intentseg.data.leakage import leakage_suspects
from intentseg.data.panel_tables import SNAPSHOT_COLUMN, panel_population_at, simulate_panel
from intentseg.data.reading import RawTable
from intentseg.data.shopsphere import shopsphere_spec
from intentseg.data.simulator import simulate_customers
from intentseg.data.spec import TableSpec
from intentseg.data.tables import PreparedTable, population_table, prepare_table
from intentseg.foundation.errors import DataContractError
from intentseg.foundation.metrics import best_f1, roc_auc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CustomerData:
    """Validated customer tables: labelled, scoring population, and (simulator only) their ground truth."""

    spec: TableSpec
    labelled: pd.DataFrame
    population: pd.DataFrame
    ground_truth: pd.DataFrame
    population_truth: pd.DataFrame
    notes: dict[str, Any] = field(default_factory=dict)


def _simulator_spec(config: DataConfig) -> TableSpec:
    """The ShopSphere table's spec, once the configured id and target are checked to be its own."""
    spec = shopsphere_spec()
    configured = (config.id_column, config.target)
    if configured != (spec.id_column, spec.target):
        raise DataContractError(
            f"data.id_column/data.target are {configured}, but the {config.source} writes "
            f"{(spec.id_column, spec.target)}; use its names with source '{config.source}'"
        )
    return spec


def _panel(config: DataConfig, seed: int) -> CustomerData:
    """The customer panel: labelled closed months (with their snapshot day) and today's population."""
    spec = dataclasses.replace(_simulator_spec(config), snapshot_column=SNAPSHOT_COLUMN)
    panel = simulate_panel(
        seed, config.snapshot_month, config.n_customers, config.population_size, config.labelled_snapshots
    )
    return CustomerData(
        spec=spec,
        labelled=validate_table(panel.labelled, spec, name="labelled customer table"),
        population=validate_table(panel.population, spec.without_target(), name="scoring population"),
        ground_truth=panel.ground_truth,
        population_truth=pd.DataFrame({spec.id_column: pd.Series(dtype="object")}),  # not simulated yet
    )


def simulated_population(config: DataConfig, seed: int, month: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A simulated source's scoring population of ``month`` (validated, ids as text) and its ground truth.

    The simulator draws the month afresh; the panel gives its customers registered at the end of ``month``
    (a closed month before ``data.snapshot_month``), as they were then.
    """
    spec = _simulator_spec(config)
    if config.source == PANEL_SOURCE:
        features, truth = panel_population_at(
            seed, config.population_size, config.snapshot_month, config.labelled_snapshots, month
        )
    else:
        population = simulate_customers(config.population_size, seed, month, labelled=False)
        features, truth = population.features, population.ground_truth
    as_text = {spec.id_column: lambda frame: frame[spec.id_column].astype(str)}  # ids are text in every output
    checked = validate_table(features.assign(**as_text), spec.without_target(), name="scoring population")
    return checked, truth.assign(**as_text)


def _simulated(config: DataConfig, seed: int) -> CustomerData:
    """The simulator's labelled table and population. The labelled table is drawn in a second thread while
    the population is drawn (each from its own seeded stream, so the tables are the same either way): numpy
    releases the GIL for its array work, and the two share the machine's cores."""
    spec = _simulator_spec(config)
    with ThreadPoolExecutor(max_workers=1) as drawing:
        drawn = drawing.submit(simulate_customers, config.n_customers, seed, config.snapshot_month, labelled=True)
        population, population_truth = simulated_population(config, seed, config.snapshot_month)
        labelled = drawn.result()
    as_text = {spec.id_column: lambda frame: frame[spec.id_column].astype(str)}
    return CustomerData(
        spec=spec,
        labelled=validate_table(labelled.features.assign(**as_text), spec, name="labelled customer table"),
        population=population,
        ground_truth=labelled.ground_truth.assign(**as_text),
        population_truth=population_truth,
    )


def _from_file(config: DataConfig, table: RawTable, population: RawTable | None) -> CustomerData:
    prepared = prepare_table(table, config)
    checked_spec = prepared.spec if prepared.label_ok else prepared.spec.without_target()
    problems = prepared.problems + table_problems(prepared.table, checked_spec, config.min_positives)
    labelled = validate_table(
        prepared.table, checked_spec, name=f"labelled customer table ({table.path})", extra_problems=problems
    )
    suspects = leakage_suspects(labelled, prepared.spec, config.leakage_auc)
    for name, strength in suspects.items():
        log.warning(
            "possible target leakage: %s alone predicts %s with ROC-AUC %.3f", name, prepared.spec.target, strength
        )
    notes = {**prepared.notes, "leakage_suspects": suspects, "separate_population": population is not None}
    source_population = population if population is not None else _newest_snapshot(table, prepared)
    return CustomerData(
        spec=prepared.spec,
        labelled=labelled,
        population=population_table(source_population, prepared.recipe, prepared.spec.without_target()),
        ground_truth=pd.DataFrame({prepared.spec.id_column: pd.Series(dtype="object")}),
        population_truth=pd.DataFrame({prepared.spec.id_column: pd.Series(dtype="object")}),
        notes=notes,
    )


def _newest_snapshot(table: RawTable, prepared: PreparedTable) -> RawTable:
    """The labelled file as the population: all of it, or its newest snapshot's rows when it has snapshots."""
    column = prepared.spec.snapshot_column
    if column is None:
        return table
    newest = prepared.table[column] == prepared.table[column].max()
    return dataclasses.replace(table, frame=table.frame.reset_index(drop=True)[newest.to_numpy()])


def load_customer_data(
    config: DataConfig, seed: int, table: RawTable | None = None, population: RawTable | None = None
) -> CustomerData:
    """Produce and validate the labelled table and the scoring population.

    ``config`` is the ``data:`` section of params.yaml; for a file source the caller
    passes the file read by :func:`~intentseg.data.reading.read_customer_file` (and
    optionally a separate ``population``).
    """
    if config.source == SIMULATOR_SOURCE:
        return _simulated(config, seed)
    if config.source == PANEL_SOURCE:
        return _panel(config, seed)
    if table is None:
        raise ValueError(f"data.source is {config.source!r}: pass the table read from that file")
    return _from_file(config, table, population)


def source_manifest(
    config: DataConfig, seed: int, data: CustomerData, snapshots: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """What prepare read, for ``data/snapshot/manifest.json``: the source, and per table its rows and hash.

    ``snapshots`` holds the Parquet snapshots of a SQL source (path, rows, columns, sha256) or the
    files of a file source (path, sha256); the simulator is described by its seed and month.
    """
    tables = {name: dict(entry) for name, entry in snapshots.items()}
    tables.setdefault("labelled", {})["rows"] = tables.get("labelled", {}).get("rows", len(data.labelled))
    tables.setdefault("population", {})
    tables["population"].setdefault("rows", len(data.population))
    if config.simulated:
        return {"source": config.source, "seed": seed, "snapshot_month": config.snapshot_month, "tables": tables}
    if config.source == SQL_SOURCE:
        from intentseg.warehouse.connection import shown  # imports SQLAlchemy: only for SQL sources

        queries = {"labelled": config.sql.labelled_query, "population": config.sql.population_query}
        return {"source": SQL_SOURCE, "url": shown(config.sql.url or ""), "queries": queries, "tables": tables}
    return {"source": "file", "tables": tables}


def missing_rate_by_group(table: pd.DataFrame, spec: TableSpec) -> dict[str, float]:
    """Share of missing values among each feature group's cells."""
    return {group: float(table[columns].isna().to_numpy().mean()) for group, columns in spec.groups.items()}


def oracle_metrics(labels: np.ndarray, true_probability: np.ndarray) -> dict[str, float]:
    """The ceiling a model could reach: ROC-AUC and best F1 of the true probability."""
    return {
        "oracle_roc_auc": roc_auc(labels, true_probability),
        "oracle_best_f1": best_f1(labels, true_probability)[0],
    }


def summarise_data(data: CustomerData) -> dict[str, Any]:
    """Everything measured about the prepared tables (the data details; see :func:`data_review_metrics`)."""
    labels = data.labelled[data.spec.target].to_numpy()
    features = data.labelled[data.spec.feature_names]
    summary: dict[str, Any] = {
        "rows": len(data.labelled),
        "features": len(data.spec.columns),
        "positive_rate": float(labels.mean()),
        "missing_share": float(features.isna().to_numpy().mean()) if len(data.spec.columns) else 0.0,
        "missing_rate": missing_rate_by_group(data.labelled, data.spec),
        "population_rows": len(data.population),
    }
    if data.notes:
        summary["columns"] = {"numeric": data.spec.numeric_features, "categorical": data.spec.categorical_features}
        summary["inferred"] = data.notes
    truth = None
    if len(data.ground_truth) and "true_probability" in data.ground_truth:
        keys = [data.spec.id_column, *([data.spec.snapshot_column] if data.spec.snapshot_column else [])]
        truth = data.labelled[keys].merge(data.ground_truth, on=keys, how="left")["true_probability"].to_numpy()
        summary["simulator"] = oracle_metrics(labels, truth)
    if data.spec.snapshot_column:
        summary["snapshots"] = snapshot_summaries(data, truth)
    return summary


def snapshot_summaries(data: CustomerData, true_probability: np.ndarray | None) -> dict[str, dict[str, Any]]:
    """Per labelled snapshot: rows, positive rate, missing rates per group and (simulated) the oracle.

    ``true_probability``: per labelled row, in its order (None without ground truth)."""
    spec, column = data.spec, data.spec.snapshot_column
    found = {}
    for snapshot, rows in data.labelled.reset_index(drop=True).groupby(column, sort=True, observed=True):
        labels = rows[spec.target].to_numpy()
        entry: dict[str, Any] = {
            "rows": len(rows),
            "positive_rate": float(labels.mean()),
            "missing_rate": missing_rate_by_group(rows, spec),
        }
        if true_probability is not None:
            entry.update(oracle_metrics(labels, true_probability[rows.index.to_numpy()]))
        found[str(snapshot)] = entry
    return found


DATA_REVIEW_KEYS = ("rows", "features", "positive_rate", "missing_share", "population_rows")


def data_review_metrics(summary: dict[str, Any]) -> dict[str, Any]:
    """The data numbers a reviewer decides on (``metrics/data.json``); the rest stays in the details."""
    metrics = {key: summary[key] for key in DATA_REVIEW_KEYS}
    inferred = summary.get("inferred", {})
    if "target_mapping" in inferred:
        metrics["positive_label"] = inferred["target_mapping"]["positive"]
    if "snapshot_date" in inferred:
        metrics["snapshot_date"] = inferred["snapshot_date"]
    if "simulator" in summary:
        metrics["oracle_roc_auc"] = summary["simulator"]["oracle_roc_auc"]
    return metrics

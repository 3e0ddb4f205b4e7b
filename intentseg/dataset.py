"""Loading the customer tables from the configured source and summarising them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from intentseg.contract import validate_table
from intentseg.metrics import best_f1, roc_auc
from intentseg.schema import TableSpec
from intentseg.simulator import shopsphere_spec, simulate_customers

SIMULATOR_SOURCE = "simulator"


@dataclass(frozen=True)
class CustomerData:
    """Validated customer tables: labelled, scoring population, and (simulator only) ground truth."""

    spec: TableSpec
    labelled: pd.DataFrame
    population: pd.DataFrame
    ground_truth: pd.DataFrame


def table_spec(data_params: dict[str, Any]) -> TableSpec:
    """The table specification of the configured source (``data:`` section of params.yaml)."""
    source = data_params["source"]
    if source != SIMULATOR_SOURCE:
        raise ValueError(f"data.source must be '{SIMULATOR_SOURCE}'; got {source!r}")
    return shopsphere_spec()


def load_customer_data(data_params: dict[str, Any], seed: int) -> CustomerData:
    """Produce and validate the labelled table and the scoring population.

    ``data_params`` is the ``data:`` section of params.yaml.
    """
    spec = table_spec(data_params)
    configured = (data_params["id_column"], data_params["target"])
    if configured != (spec.id_column, spec.target):
        raise ValueError(
            f"data.id_column/data.target are {configured}, but the simulator writes "
            f"{(spec.id_column, spec.target)}; use the simulator's names with source '{SIMULATOR_SOURCE}'"
        )
    month = str(data_params["snapshot_month"])
    labelled = simulate_customers(int(data_params["n_customers"]), seed, month, labelled=True)
    population = simulate_customers(int(data_params["population_size"]), seed, month, labelled=False)
    return CustomerData(
        spec=spec,
        labelled=validate_table(labelled.features, spec, name="labelled customer table"),
        population=validate_table(population.features, spec.without_target(), name="scoring population"),
        ground_truth=labelled.ground_truth,
    )


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
    """The ``metrics/data.json`` summary of the prepared tables."""
    labels = data.labelled[data.spec.target].to_numpy()
    summary: dict[str, Any] = {
        "rows": len(data.labelled),
        "features": len(data.spec.columns),
        "positive_rate": float(labels.mean()),
        "missing_rate": missing_rate_by_group(data.labelled, data.spec),
        "population_rows": len(data.population),
    }
    if len(data.ground_truth) and "true_probability" in data.ground_truth:
        truth = data.labelled[[data.spec.id_column]].merge(data.ground_truth, on=data.spec.id_column, how="left")
        summary["simulator"] = oracle_metrics(labels, truth["true_probability"].to_numpy())
    return summary

"""Shared set-up for benchmark workloads: the default configuration and the simulated train split."""

from __future__ import annotations

from typing import Any

import pandas as pd

from benchmarks.common import REPO_ROOT
from intentseg.config.base import load_params, seed_of
from intentseg.config.check import section_config
from intentseg.data.contract import validate_table
from intentseg.data.shopsphere import shopsphere_spec
from intentseg.data.simulator import simulate_customers
from intentseg.data.split import stratified_split


def default_params() -> dict[str, Any]:
    """The project's params.yaml."""
    return load_params(REPO_ROOT / "params.yaml")


def default_splits(params: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """The default-size labelled table, simulated and split as the pipeline does."""
    data = section_config(params, "data")
    table = validate_table(
        simulate_customers(data.n_customers, seed_of(params), data.snapshot_month).features, shopsphere_spec()
    )
    return stratified_split(table, data.target, section_config(params, "split").fractions.as_dict(), seed_of(params))

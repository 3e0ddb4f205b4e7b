"""The worked example's warehouse: ShopSphere's simulated customers as two tables of a database.

Writes ``labelled_customers`` (id, 36 features, ``purchased_next_30d``) and ``customers`` (the
population to score, no label) to the database at a URL, replacing them; with ``--history N``, also
``labelled_history``: the labelled table at each of the N months before ``--month``, with a
``snapshot_month`` column (README: Bring your own history); with ``--campaign``, also
``campaign_history``: a campaign tool's export for the labelled customers of ``--month`` (id, month,
contacted, randomised, stratum, converted), read by ``uplift.history: sql`` (docs/warehouse.md).
DuckDB needs no server:

    python -m intentseg.data.example_warehouse duckdb:///warehouse/shopsphere.duckdb

PostgreSQL takes the same command with its URL (the password from the variable named by
``--password-env``). README: "From a warehouse" shows the params that read these tables and write
the scores back.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.engine import make_url

from intentseg.data.sampling import table_rng
from intentseg.data.simulator import SimulatedTable, simulate_customers
from intentseg.foundation.errors import ProjectError
from intentseg.foundation.io import frames_of
from intentseg.warehouse.connection import open_engine, shown
from intentseg.warehouse.export_table import write_table

LABELLED_TABLE = "labelled_customers"
POPULATION_TABLE = "customers"
HISTORY_TABLE = "labelled_history"
CAMPAIGN_TABLE = "campaign_history"
CAMPAIGN_SHARE = 0.4  # labelled customers in the example campaign's randomised sample, half of them contacted
WRITE_ROWS = 200_000


def campaign_export(labelled: SimulatedTable, seed: int, month: str) -> pd.DataFrame:
    """A campaign tool's export for ``labelled``'s customers: a random :data:`CAMPAIGN_SHARE` of them randomised
    (one stratum, half contacted), each converting with the true probability plus the true effect if contacted."""
    rng = table_rng(seed, month, len(labelled.features), "example_campaign")
    randomised = rng.random(len(labelled.features)) < CAMPAIGN_SHARE
    contacted = randomised & (rng.random(len(randomised)) < 0.5)
    truth = labelled.ground_truth
    chance = np.clip(truth["true_probability"] + truth["true_effect"] * contacted, 0.0, 1.0)
    return pd.DataFrame(
        {
            "customer_id": labelled.features["customer_id"].to_numpy(),
            "month": month,
            "contacted": np.where(contacted, "yes", "no"),
            "randomised": randomised,
            "stratum": np.where(randomised, "exploration", None),  # a random sample of everyone (docs/scoring.md)
            "converted": (rng.random(len(chance)) < chance).astype(int),
        }
    )[randomised]


def simulated_tables(
    customers: int, population: int, seed: int, month: str, *, history: int = 0, campaign: bool = False
) -> dict[str, pd.DataFrame]:
    """The simulator's labelled table and population (and ``history`` earlier months, and with ``campaign`` the
    campaign history of its labelled customers), ids as text, by table name.

    Each month is the simulator's own draw: the history shows the mechanics of a table of snapshots,
    not customers followed over time.
    """
    labelled = simulate_customers(customers, seed, month, labelled=True)
    tables = {
        LABELLED_TABLE: labelled.features,
        POPULATION_TABLE: simulate_customers(population, seed, month, labelled=False).features,
    }
    if campaign:
        tables[CAMPAIGN_TABLE] = campaign_export(labelled, seed, month)
    if history:
        months = [str(pd.Period(month, "M") - back) for back in range(history, 0, -1)]
        tables[HISTORY_TABLE] = pd.concat(
            [
                simulate_customers(customers, seed, past, labelled=True).features.assign(snapshot_month=past)
                for past in months
            ],
            ignore_index=True,
        )
    return {name: frame.assign(customer_id=frame["customer_id"].astype(str)) for name, frame in tables.items()}


def write_example_warehouse(url: str, password_env: str | None, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Write each table (replacing it) in its own transaction; rows written per table."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "duckdb" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = open_engine(url, password_env)
    try:
        return {
            name: write_table(engine, frames_of(frame, WRITE_ROWS), name, "replace") for name, frame in tables.items()
        }
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="database URL, e.g. duckdb:///warehouse/shopsphere.duckdb")
    parser.add_argument("--password-env", default=None, help="environment variable holding the password")
    parser.add_argument("--customers", type=int, default=240_000, help="labelled customers (default 240000)")
    parser.add_argument("--population", type=int, default=1_200_000, help="customers to score (default 1200000)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--month", default="2026-11", help="snapshot month YYYY-MM")
    parser.add_argument("--history", type=int, default=0, help="also write labelled_history: this many earlier months")
    parser.add_argument("--campaign", action="store_true", help="also write campaign_history: a campaign tool's export")
    arguments = parser.parse_args(argv)
    try:
        tables = simulated_tables(
            arguments.customers,
            arguments.population,
            arguments.seed,
            arguments.month,
            history=arguments.history,
            campaign=arguments.campaign,
        )
        written = write_example_warehouse(arguments.url, arguments.password_env, tables)
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    for name, rows in written.items():
        print(f"wrote {rows} rows to {name} at {shown(arguments.url)}")


if __name__ == "__main__":
    main()

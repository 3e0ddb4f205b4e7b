"""The documented query that builds monthly labelled snapshots from an orders table (docs/warehouse.md)."""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def snapshots(repo_root) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The query's output on 300 customers' orders over 2026, and the orders."""
    text = (repo_root / "docs" / "warehouse.md").read_text()
    query = re.findall(r"```sql\n(.*?)```", text.split("## A history of monthly snapshots")[1], re.S)[0]
    rng = np.random.default_rng(5)
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i:03d}" for i in range(300)],
            "signup_date": pd.Timestamp("2025-06-01") + pd.to_timedelta(rng.integers(0, 300, 300), unit="D"),
        }
    )
    orders = pd.DataFrame(
        {
            "customer_id": rng.choice(customers["customer_id"], 2000),
            "order_date": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 300, 2000), unit="D"),
            "amount": rng.gamma(2, 30, 2000).round(2),
        }
    )
    with duckdb.connect() as connection:
        connection.register("customers", customers)
        connection.register("orders", orders)
        result = connection.execute(query).df()
    return result, orders


def test_only_months_whose_30_days_have_passed_are_labelled(snapshots):
    result, orders = snapshots
    last = orders["order_date"].max()
    starts = pd.to_datetime(result["snapshot_month"] + "-01")
    assert (starts + pd.Timedelta(days=30) <= last).all() and result["snapshot_month"].nunique() >= 8
    assert not result.duplicated(["customer_id", "snapshot_month"]).any()


def test_the_label_is_an_order_in_the_30_days_from_the_snapshot(snapshots):
    result, orders = snapshots
    for row in result.sample(200, random_state=1).itertuples():
        start = pd.Timestamp(f"{row.snapshot_month}-01")
        mine = orders[orders["customer_id"] == row.customer_id]
        ordered = mine["order_date"].between(start, start + pd.Timedelta(days=30), inclusive="left").any()
        assert row.purchased_next_30d == int(ordered)


def test_no_feature_comes_from_after_its_snapshot(snapshots):
    """Features recomputed from the orders truncated at each snapshot are the query's."""
    result, orders = snapshots
    for row in result.sample(200, random_state=2).itertuples():
        start = pd.Timestamp(f"{row.snapshot_month}-01")
        before = orders[(orders["customer_id"] == row.customer_id) & (orders["order_date"] < start)]
        assert row.orders_last_90d == int((before["order_date"] >= start - pd.Timedelta(days=90)).sum())
        spend = before.loc[before["order_date"] >= start - pd.Timedelta(days=365), "amount"].sum()
        assert row.spend_last_12m == pytest.approx(spend)
        expected = (start - before["order_date"].max()).days if len(before) else 365
        assert row.days_since_last_order == expected

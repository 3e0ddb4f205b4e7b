"""A generated, real-world-shaped customer table for the "Bring your own table" example and tests.

Not ShopSphere's schema on purpose: text ids, a label called ``converted``, booleans written
as ``TRUE``/``FALSE``, an integer-coded store, a high-cardinality city, a constant column, a
date column, and missing values. Run ``python -m intentseg.data.example_table data/raw/example.csv``.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd


def make_example_table(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """A labelled table of ``n_rows`` customers whose label depends on its features."""
    rng = np.random.default_rng(seed)
    visits = rng.negative_binomial(2, 0.25, n_rows)
    basket = np.round(np.exp(rng.normal(3.5, 0.6, n_rows)), 2)
    has_app = rng.random(n_rows) < 0.4
    days_inactive = rng.integers(0, 120, n_rows)
    store = rng.integers(1, 9, n_rows)
    plan = rng.choice(["free", "plus", "pro"], n_rows, p=[0.6, 0.3, 0.1])
    city = np.array([f"city_{i:03d}" for i in rng.zipf(1.6, n_rows) % 300])
    logit = (
        -2.0
        + 0.12 * visits
        - 0.03 * days_inactive
        + 0.8 * has_app
        + 0.5 * (plan == "pro")
        + 0.2 * (store % 3 == 0)
        + rng.normal(0, 0.5, n_rows)
    )
    converted = (rng.random(n_rows) < 1 / (1 + np.exp(-logit))).astype(int)
    basket_with_gaps = np.where(rng.random(n_rows) < 0.05, np.nan, basket)
    return pd.DataFrame(
        {
            "member_no": [f"M{i:07d}" for i in range(n_rows)],
            "visits_30d": visits,
            "basket_value": basket_with_gaps,
            "has_app": np.where(has_app, "TRUE", "FALSE"),
            "days_inactive": days_inactive,
            "store_id": store,
            "plan": plan,
            "city": city,
            "country": "NL",
            "signup_date": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n_rows), unit="D"),
            "converted": converted,
        }
    )


EXAMPLE_PARAMS = {
    "data.source": "data/raw/example.csv",
    "data.id_column": "member_no",
    "data.target": "converted",
    "data.categorical": ["store_id"],
    "data.exclude": ["signup_date"],
}
"""The params.yaml changes that point the pipeline at the example table (dotted keys)."""


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "data/raw/example.csv"
    make_example_table(20_000).to_csv(target, index=False)
    print(f"wrote {target}")

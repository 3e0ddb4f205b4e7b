"""A simulated campaign result with a known effect, to check the campaign readout against the truth.

Each customer converts with their true probability (the simulator's ground truth), plus a fixed
``uplift`` when contacted: the readout's measured lift must find ``uplift`` within its interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simulate_campaign(
    ids: pd.Series, true_probability: np.ndarray, contacted: np.ndarray, uplift: float, seed: int
) -> pd.DataFrame:
    """The result file a campaign tool would return: id, contacted (0/1), converted (0/1)."""
    rng = np.random.default_rng(seed)
    probability = np.clip(np.asarray(true_probability) + uplift * np.asarray(contacted, dtype=float), 0.0, 1.0)
    converted = (rng.random(len(probability)) < probability).astype(int)
    return pd.DataFrame(
        {
            "customer_id": ids.astype(str).to_numpy(),
            "contacted": np.asarray(contacted, dtype=int),
            "converted": converted,
        }
    )

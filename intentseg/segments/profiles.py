"""Segment profiles: who is in each segment, in the population's terms, with outcomes attached after fitting.

A numeric column is described by where the segment's median sits in the population's
distribution: its mid-rank percentile (the share of customers below it, counting ties as half),
so zero-inflated counts and rates give sane numbers (a median of 0 where 60% of customers have 0
sits at the 30th percentile). A categorical column is described by each level's share in the
segment and its lift over the population share.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

MISSING_LEVEL = "missing"


def midrank_percentile(population: np.ndarray, value: float) -> float:
    """Share of ``population`` below ``value``, ties counted as half (0.5 = the median customer)."""
    present = population[~np.isnan(population)]
    if len(present) == 0 or np.isnan(value):
        return float("nan")
    below = np.count_nonzero(present < value)
    equal = np.count_nonzero(present == value)
    return float((below + 0.5 * equal) / len(present))


def _levels(column: pd.Series) -> pd.Series:
    return column.astype("object").where(column.notna(), MISSING_LEVEL).astype(str)


def segment_profiles(
    frame: pd.DataFrame,
    segment_ids: np.ndarray,
    numeric: list[str],
    categorical: list[str],
    outcome_columns: dict[str, str] | None = None,
) -> dict[int, dict[str, Any]]:
    """Per segment: share; numeric medians and their population percentile; category shares and lifts; outcomes.

    ``outcome_columns`` maps output names to columns attached after fitting (e.g. ``purchase_rate``
    -> the label); they never influence the segments.
    """
    profiles: dict[int, dict[str, Any]] = {}
    population = {name: frame[name].to_numpy(dtype=float, na_value=np.nan) for name in numeric}
    population_medians = {
        name: float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")
        for name, values in population.items()
    }
    population_means = {
        name: float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
        for name, values in population.items()
    }
    p75 = {
        name: float(np.nanquantile(values, 0.75)) if np.isfinite(values).any() else float("nan")
        for name, values in population.items()
    }
    population_shares = {name: _levels(frame[name]).value_counts(normalize=True) for name in categorical}
    for segment in sorted(np.unique(segment_ids)):
        mask = segment_ids == segment
        numeric_profile = {}
        for name in numeric:
            values = population[name][mask]
            median = float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")
            numeric_profile[name] = {
                "median": median,
                "mean": float(np.nanmean(values)) if np.isfinite(values).any() else float("nan"),
                "population_median": population_medians[name],
                "population_mean": population_means[name],
                "percentile": midrank_percentile(population[name], median),
                "share_above_p75": float(np.mean(values[~np.isnan(values)] > p75[name]))
                if np.isfinite(values).any()
                else float("nan"),
            }
        categorical_profile = {}
        for name in categorical:
            shares = _levels(frame.loc[mask, name]).value_counts(normalize=True)
            levels = {
                str(level): {"share": float(share), "lift": float(share / population_shares[name][level])}
                for level, share in shares.items()
            }
            top = str(shares.index[0])
            categorical_profile[name] = {
                "top": top,
                "share": levels[top]["share"],
                "lift": levels[top]["lift"],
                "levels": levels,
            }
        profile = {
            "size": int(mask.sum()),
            "share": float(mask.mean()),
            "numeric": numeric_profile,
            "categorical": categorical_profile,
        }
        for output, column in (outcome_columns or {}).items():
            profile[output] = float(frame.loc[mask, column].mean())
        profiles[int(segment)] = profile
    return profiles


def profile_columns_of(model: Any) -> tuple[list[str], list[str]]:
    """The numeric and categorical columns a fitted segment model is described by (recorded at training)."""
    profile = model.info["profile"]
    return list(profile["numeric"]), list(profile["categorical"])


def outcome_columns_of(model: Any) -> dict[str, str]:
    """The outcomes attached to a fitted segment model's profiles (recorded at training)."""
    return dict(model.info["profile"]["outcomes"])

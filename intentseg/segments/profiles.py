"""Segment profiles: who is in each segment, in the population's terms, with outcomes attached after fitting."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from intentseg.config import TrainSegmenterConfig


def segment_profiles(
    frame: pd.DataFrame,
    segment_ids: np.ndarray,
    numeric: list[str],
    categorical: list[str],
    outcome_columns: dict[str, str] | None = None,
) -> dict[int, dict[str, Any]]:
    """Per segment: share, numeric medians and index vs population, dominant categories, outcomes.

    The index is 100 x segment median / population median (100 = the typical customer);
    where the population median is 0 (e.g. most customers never used a discount) it is
    100 x segment mean / population mean instead. ``outcome_columns`` maps output names to
    columns attached after fitting (e.g. ``purchase_rate`` -> the label).
    """
    profiles: dict[int, dict[str, Any]] = {}
    population_medians = frame[numeric].median()
    population_means = frame[numeric].mean()
    for segment in sorted(np.unique(segment_ids)):
        members = frame[segment_ids == segment]
        numeric_profile = {}
        for name in numeric:
            median = float(members[name].median())
            if population_medians[name] > 0:
                index = 100 * median / population_medians[name]
            elif population_means[name] > 0:
                index = 100 * members[name].mean() / population_means[name]
            else:
                index = None
            numeric_profile[name] = {"median": median, "index": None if index is None else float(index)}
        categorical_profile = {}
        for name in categorical:
            shares = members[name].astype("object").fillna("missing").value_counts(normalize=True)
            population_share = frame[name].astype("object").fillna("missing").value_counts(normalize=True)
            top = str(shares.index[0])
            categorical_profile[name] = {
                "top": top,
                "share": float(shares.iloc[0]),
                "lift": float(shares.iloc[0] / population_share.get(top, np.nan)),
            }
        profile = {
            "size": int(len(members)),
            "share": float(len(members) / len(frame)),
            "numeric": numeric_profile,
            "categorical": categorical_profile,
        }
        for output, column in (outcome_columns or {}).items():
            profile[output] = float(members[column].mean())
        profiles[int(segment)] = profile
    return profiles


def outcome_columns(config: TrainSegmenterConfig, target: str) -> dict[str, str]:
    """Outcomes attached to segment profiles after fitting: the purchase rate and configured extras."""
    return {"purchase_rate": target, **config.profile.outcomes}


def profile_columns(config: TrainSegmenterConfig) -> tuple[list[str], list[str]]:
    """Numeric and categorical columns described in segment profiles (segmentation features first)."""
    numeric = list(dict.fromkeys([*config.features.numeric, *config.profile.numeric]))
    categorical = list(dict.fromkeys([*config.features.categorical, *config.profile.categorical]))
    return numeric, categorical

"""Reading a campaign's result: conversion in the contacted group vs the control group, with an interval.

The export's control group was drawn at random (:mod:`intentseg.scoring.export`), so the
difference between the two groups' conversion rates estimates what contacting added (the
incremental effect, or uplift), without any model. The interval is Newcombe's hybrid score
interval for a difference of two proportions (method 10 of Newcombe, 1998), which behaves well
for small groups and rates near 0 or 1, unlike the plain Wald interval.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from intentseg.data.columns import canonical_levels
from intentseg.foundation.errors import DataContractError

YES = {"1", "yes", "y", "true", "t"}
NO = {"0", "no", "n", "false", "f"}
RESULT_COLUMNS = ("contacted", "converted")


def wilson_interval(successes: int, trials: int, z: float) -> tuple[float, float]:
    """Wilson's score interval for one proportion."""
    if trials == 0:
        return 0.0, 1.0
    rate = successes / trials
    centre = (rate + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * np.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return float(centre - half), float(centre + half)


def newcombe_interval(x1: int, n1: int, x2: int, n2: int, confidence: float) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p1 - p2."""
    z = float(norm.ppf(0.5 + confidence / 2))
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, z)
    l2, u2 = wilson_interval(x2, n2, z)
    difference = p1 - p2
    lower = difference - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = difference + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return float(lower), float(upper)


def yes_no(values: pd.Series) -> pd.Series:
    """A 0/1 column from 1/0, yes/no, y/n, true/false; a clear error naming anything else."""
    text = canonical_levels(values).str.lower()
    bad = text.isna() | ~text.isin(YES | NO)
    if bad.any():
        examples = ", ".join(f"row {row}: {values.iloc[row]!r}" for row in np.flatnonzero(bad.to_numpy())[:5])
        raise DataContractError(
            f"campaign result column {values.name!r}: rule 'yes_or_no' broken by {int(bad.sum())} row(s); e.g. {examples}"
        )
    return text.isin(YES).astype("int8")


def campaign_readout(result: pd.DataFrame, confidence: float) -> dict[str, Any]:
    """Conversion of the contacted and the control (not contacted) customers, and the lift with its interval."""
    missing = [name for name in RESULT_COLUMNS if name not in result.columns]
    if missing:
        raise DataContractError(
            f"the campaign result needs columns {list(RESULT_COLUMNS)} (and the id); missing {missing}, "
            f"found {list(result.columns)}"
        )
    contacted, converted = yes_no(result["contacted"]), yes_no(result["converted"])
    n1, n2 = int(contacted.sum()), int((1 - contacted).sum())
    if n1 == 0 or n2 == 0:
        raise DataContractError(
            f"the campaign result has {n1} contacted and {n2} control customers: both groups are needed to measure lift"
        )
    x1, x2 = int(converted[contacted == 1].sum()), int(converted[contacted == 0].sum())
    lower, upper = newcombe_interval(x1, n1, x2, n2, confidence)
    rate1, rate2 = x1 / n1, x2 / n2
    return {
        "contacted": {"customers": n1, "converted": x1, "rate": rate1},
        "control": {"customers": n2, "converted": x2, "rate": rate2},
        "lift": rate1 - rate2,
        "lift_interval": [lower, upper],
        "confidence": confidence,
        "relative_lift": (rate1 / rate2 - 1) if rate2 > 0 else None,
        "incremental_conversions": (rate1 - rate2) * n1,
    }

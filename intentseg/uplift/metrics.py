"""How well a ranking finds the customers a contact changes, measured on randomised customers only.

No customer is seen both contacted and not, so an uplift model has no per-customer truth; it is
judged on groups. Among the customers ranked highest by predicted effect, the conversion rate of
the contacted minus that of the held-out estimates the average effect there. Rows are weighted by
the inverse of their known contact probability (contacted ``1 / p``, held out ``1 / (1 - p)``), so
that strata randomised at different shares (the audience's 90/10, the exploration's 50/50) each
stand for their customers.

* **Uplift curve** (the Qini curve in the form of Rzepakowski and Jaroszewicz, 2012): for the top
  ``k`` customers, ``k x (contacted rate - held-out rate)``, the incremental buyers contacting those
  ``k`` would bring. Tied predictions enter together.
* **Qini coefficient**: the area between that curve and the straight line of random targeting,
  with ``k`` as a share of customers and buyers per customer: 0 for a ranking no better than chance.
* **Uplift at the top fraction**: the contacted minus held-out rate among the top ``fraction``.
* **Effect calibration**: per decile of predicted effect, the mean prediction and the measured effect.

Each comes with a percentile bootstrap interval over resampled customers (the same resamples for
every figure). scikit-uplift has the unweighted curve, but it has had no release since 2022 and
does not weight strata of unequal contact probability, which this design needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from intentseg.foundation.metrics import percentile_interval


@dataclass(frozen=True)
class RandomisedOutcomes:
    """Held-out randomised customers: predicted effect, outcome, contact and its known probability."""

    effect: np.ndarray
    converted: np.ndarray
    contacted: np.ndarray
    probability: np.ndarray

    def __post_init__(self) -> None:
        sizes = {len(self.effect), len(self.converted), len(self.contacted), len(self.probability)}
        if len(sizes) != 1:
            raise ValueError(f"effect, converted, contacted and probability need one length each; got {sorted(sizes)}")
        probability = np.asarray(self.probability, dtype=float)
        if len(probability) and not ((probability > 0) & (probability < 1)).all():
            raise ValueError("contact probabilities must lie strictly between 0 and 1 (randomised rows only)")

    def ranked(self) -> RandomisedOutcomes:
        """The same rows, highest predicted effect first (ties in their given order)."""
        order = np.argsort(-np.asarray(self.effect, dtype=float), kind="stable")
        return RandomisedOutcomes(
            np.asarray(self.effect, dtype=float)[order],
            np.asarray(self.converted, dtype=float)[order],
            np.asarray(self.contacted, dtype=float)[order],
            np.asarray(self.probability, dtype=float)[order],
        )


def _cumulative_rates(ranked: RandomisedOutcomes, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers, and the weighted contacted and held-out conversion rates, of every top ``k`` (ranked rows)."""
    treated = ranked.contacted * counts / ranked.probability
    held_out = (1 - ranked.contacted) * counts / (1 - ranked.probability)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_treated = np.cumsum(treated * ranked.converted) / np.cumsum(treated)
        rate_held_out = np.cumsum(held_out * ranked.converted) / np.cumsum(held_out)
    return np.cumsum(counts), rate_treated, rate_held_out


Rates = tuple[np.ndarray, np.ndarray, np.ndarray]  # :func:`_cumulative_rates` of one (re)sample


def _curve_points(ranked: RandomisedOutcomes, rates: Rates) -> tuple[np.ndarray, np.ndarray]:
    """The uplift curve at the end of each group of tied predictions: customers, incremental buyers (from 0)."""
    customers, rate_treated, rate_held_out = rates
    ends = np.flatnonzero(np.r_[ranked.effect[1:] != ranked.effect[:-1], True])
    incremental = np.nan_to_num(customers * (rate_treated - rate_held_out))[ends]
    return np.r_[0.0, customers[ends]], np.r_[0.0, incremental]


def uplift_curve(outcomes: RandomisedOutcomes) -> pd.DataFrame:
    """``customers`` (top k), ``share`` of customers and ``incremental_buyers``, from (0, 0) to everyone."""
    ranked = outcomes.ranked()
    customers, incremental = _curve_points(ranked, _cumulative_rates(ranked, np.ones(len(ranked.effect))))
    return pd.DataFrame(
        {"customers": customers, "share": customers / max(customers[-1], 1.0), "incremental_buyers": incremental}
    )


def _qini(ranked: RandomisedOutcomes, rates: Rates) -> float:
    customers, incremental = _curve_points(ranked, rates)
    total = customers[-1]
    share, per_customer = customers / total, incremental / total
    area = float(np.sum(np.diff(share) * (per_customer[1:] + per_customer[:-1]) / 2))
    return area - per_customer[-1] / 2


def qini_coefficient(outcomes: RandomisedOutcomes) -> float:
    """Area between the uplift curve and random targeting (shares of customers, buyers per customer)."""
    ranked = outcomes.ranked()
    return _qini(ranked, _cumulative_rates(ranked, np.ones(len(ranked.effect))))


def _uplift_at(rates: Rates, fraction: float) -> float:
    customers, rate_treated, rate_held_out = rates
    top = int(np.searchsorted(customers, fraction * customers[-1] - 1e-9))  # the first k reaching the fraction
    return float(rate_treated[top] - rate_held_out[top])


def uplift_at(outcomes: RandomisedOutcomes, fraction: float) -> float:
    """Contacted minus held-out conversion rate among the top ``fraction`` by predicted effect (NaN if a group is empty)."""
    ranked = outcomes.ranked()
    return _uplift_at(_cumulative_rates(ranked, np.ones(len(ranked.effect))), fraction)


def _decile_of_rank(n: int, bins: int = 10) -> np.ndarray:
    """1 for the first tenth of ``n`` ranked rows, ..., ``bins`` for the last."""
    return np.minimum(np.arange(n) * bins // max(n, 1), bins - 1) + 1


def _decile_effects(ranked: RandomisedOutcomes, counts: np.ndarray) -> np.ndarray:
    decile = _decile_of_rank(len(ranked.effect))
    treated = ranked.contacted * counts / ranked.probability
    held_out = (1 - ranked.contacted) * counts / (1 - ranked.probability)
    sums = [
        np.bincount(decile, weights=values, minlength=11)[1:]
        for values in (treated * ranked.converted, treated, held_out * ranked.converted, held_out)
    ]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums[0] / sums[1] - sums[2] / sums[3]


def effect_calibration(outcomes: RandomisedOutcomes) -> pd.DataFrame:
    """Per decile of predicted effect (1 = highest): customers, mean predicted effect, measured effect."""
    ranked = outcomes.ranked()
    decile = _decile_of_rank(len(ranked.effect))
    return pd.DataFrame(
        {
            "decile": np.arange(1, 11),
            "customers": np.bincount(decile, minlength=11)[1:],
            "predicted_effect": pd.Series(ranked.effect).groupby(decile).mean().reindex(range(1, 11)).to_numpy(),
            "measured_effect": _decile_effects(ranked, np.ones(len(ranked.effect))),
        }
    )


def uplift_key(fraction: float) -> str:
    """The name of uplift among the top ``fraction``: ``uplift_top_10pct`` for 0.1."""
    return f"uplift_top_{fraction * 100:g}pct"


def uplift_evaluation(
    outcomes: RandomisedOutcomes, fractions: tuple[float, ...], resamples: int, confidence: float, seed: int
) -> dict[str, Any]:
    """The Qini coefficient, uplift at each top fraction and the effect calibration, each with its interval."""
    ranked = outcomes.ranked()
    rng = np.random.default_rng(seed)
    n = len(ranked.effect)
    draws: dict[str, list[float]] = {"qini": [], **{uplift_key(f): [] for f in fractions}}
    decile_draws = []
    for _ in range(resamples):
        counts = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(float)
        rates = _cumulative_rates(ranked, counts)  # once per resample, for the Qini and every fraction
        draws["qini"].append(_qini(ranked, rates))
        for fraction in fractions:
            draws[uplift_key(fraction)].append(_uplift_at(rates, fraction))
        decile_draws.append(_decile_effects(ranked, counts))
    rates = _cumulative_rates(ranked, np.ones(n))
    point = {"qini": _qini(ranked, rates), **{uplift_key(f): _uplift_at(rates, f) for f in fractions}}
    calibration = effect_calibration(outcomes)
    bounds = [_finite_interval(column, confidence) for column in np.array(decile_draws).T]
    calibration["interval_low"], calibration["interval_high"] = [b[0] for b in bounds], [b[1] for b in bounds]
    return {
        "customers": n,
        **{
            name: {"value": value, "interval": _finite_interval(draws[name], confidence)}
            for name, value in point.items()
        },
        "calibration": calibration.to_dict("records"),
        "confidence": confidence,
        "resamples": resamples,
    }


def _finite_interval(values: Any, confidence: float) -> list[float | None]:
    """The percentile interval of the finite bootstrap values (a resample may lack a group); None if none is."""
    finite = [float(value) for value in np.asarray(values, dtype=float) if np.isfinite(value)]
    return percentile_interval(finite, confidence) if finite else [None, None]

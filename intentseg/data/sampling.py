"""Random draws the simulator is built from: counts, shares, last-event days, ids and a seeded generator per table."""

from __future__ import annotations

import numpy as np

from intentseg.data.shopsphere import parse_month


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def categorical(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One draw per row from row-wise category probabilities (n x k)."""
    cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
    draws = rng.random(len(probabilities))[:, None]
    return np.minimum((draws > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def softmax_choice(rng: np.random.Generator, scores: np.ndarray) -> np.ndarray:
    """Draw a category per row with probabilities softmax(scores)."""
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    return categorical(rng, weights)


def neg_binomial(rng: np.random.Generator, mean: np.ndarray, dispersion: float) -> np.ndarray:
    """Negative binomial counts with the given mean and dispersion (variance mu + mu^2/r)."""
    mean = np.maximum(mean, 1e-9)
    return rng.negative_binomial(dispersion, dispersion / (dispersion + mean))


def beta_mean(rng: np.random.Generator, mean: np.ndarray, concentration: float) -> np.ndarray:
    """Beta draws parameterised by mean and concentration."""
    mean = np.clip(mean, 1e-4, 1 - 1e-4)
    return rng.beta(mean * concentration, (1 - mean) * concentration)


def share(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, defined as 0 where the denominator is 0."""
    return np.divide(numerator, denominator, out=np.zeros(len(numerator)), where=denominator > 0)


def last_event_day(rng: np.random.Generator, lower: np.ndarray, upper: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Days since the most recent of ``events`` uniform event days in [lower, upper).

    The minimum of k uniforms is Beta(1, k); rows with no events get ``upper``.
    """
    k = np.maximum(events, 1)
    span = np.maximum(upper - lower, 0)
    day = lower + np.floor(span * rng.beta(1.0, k))
    return np.where(events > 0, np.minimum(day, np.maximum(upper - 1, lower)), upper)


def customer_ids(n_rows: int, kind: str) -> np.ndarray:
    """Stable customer ids: labelled customers and the scoring population never overlap."""
    offset = {"labelled": 100_000_000, "population": 200_000_000}[kind]
    return offset + np.arange(1, n_rows + 1, dtype=np.int64)


def table_rng(seed: int, snapshot_month: str, n_rows: int, kind: str) -> np.random.Generator:
    year, month = parse_month(snapshot_month)
    streams = {"labelled": 1, "population": 2, "contact_effect": 3, "population_contact_effect": 4, "campaign": 5}
    streams["example_campaign"] = 6  # the worked warehouse's campaign export (example_warehouse.py)
    stream = streams[kind]
    return np.random.default_rng(np.random.SeedSequence([int(seed), year * 12 + month, int(n_rows), stream]))


def pick_missing(rng: np.random.Generator, weights: np.ndarray, share: float) -> np.ndarray:
    """Mask of exactly round(share * n) rows, drawn without replacement with probability ~ weights.

    Gumbel top-k: missingness depends on the customer (not completely at random) while
    the overall share is exact at every size.
    """
    n_missing = int(round(share * len(weights)))
    keys = np.log(weights) - np.log(-np.log(rng.random(len(weights))))
    mask = np.zeros(len(weights), dtype=bool)
    if n_missing:
        mask[np.argpartition(-keys, n_missing - 1)[:n_missing]] = True
    return mask

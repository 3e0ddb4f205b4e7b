"""Evaluating segments without labels: silhouette, k sweep, stability, archetype recovery, migration.

The silhouette uses the metric distance ``sqrt(squared Euclidean on scaled numerics +
gamma * categorical mismatches)`` (the square root of the K-Prototypes dissimilarity, which
itself is not a metric), computed by scikit-learn on a precomputed distance matrix.
"""

from __future__ import annotations

import logging
from typing import Any

import numba
import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score, silhouette_samples

from intentseg.foundation.metrics import percentile_interval
from intentseg.segments.model import CustomerSegmenter, SegmentModel, distinct_customers

logger = logging.getLogger(__name__)


def mixed_distances(numeric: np.ndarray, codes: np.ndarray, gamma: float) -> np.ndarray:
    """Pairwise sqrt(squared Euclidean + gamma * mismatches) between rows.

    The squared norms and the matrix product are numpy's (the same BLAS call as the definition);
    the rest is one compiled pass over the matrix on both cores, in the definition's order of
    operations (norms added, product subtracted, ``gamma`` added column by column), so every distance
    is the same to the bit (tests compare with :func:`mixed_distances_in_numpy`) without numpy's
    three temporary (n, n) matrices.
    """
    squared = np.sum(numeric**2, axis=1)
    distance = 2 * numeric @ numeric.T  # (2 * numeric) @ numeric.T, as in the definition
    _distances_from_products(distance, squared, np.ascontiguousarray(codes, dtype=np.int64), float(gamma))
    return distance


def mixed_distances_in_numpy(numeric: np.ndarray, codes: np.ndarray, gamma: float) -> np.ndarray:
    """:func:`mixed_distances` in numpy, a matrix per categorical column: the definition the compiled pass is tested against."""
    squared = np.sum(numeric**2, axis=1)
    distance = squared[:, None] + squared[None, :] - 2 * numeric @ numeric.T
    for column in codes.T:
        distance += gamma * (column[:, None] != column[None, :])
    np.fill_diagonal(distance, 0.0)
    return np.sqrt(np.maximum(distance, 0.0))


@numba.njit(parallel=True, cache=True)
def _distances_from_products(
    distance: np.ndarray, squared: np.ndarray, codes: np.ndarray, gamma: float
) -> None:  # pragma: no cover (compiled; covered through mixed_distances)
    """In place, from ``2 x.y``: the norms' sum minus it, ``gamma`` per mismatching code (column order), the
    diagonal zeroed, clipped at 0, square root."""
    for row in numba.prange(distance.shape[0]):
        for other in range(distance.shape[1]):
            value = (squared[row] + squared[other]) - distance[row, other]
            for j in range(codes.shape[1]):
                value += gamma if codes[row, j] != codes[other, j] else 0.0
            if row == other:
                value = 0.0
            distance[row, other] = np.sqrt(max(value, 0.0))


def silhouette_samples_summary(
    model: SegmentModel,
    frame: pd.DataFrame,
    n_samples: int,
    sample_size: int,
    seed: int,
    *,
    resamples: int = 0,
    confidence: float = 0.95,
) -> dict[str, Any]:
    """Silhouette over ``n_samples`` disjoint random samples of ``sample_size`` customers: mean, spread, values.

    The samples never share a customer: when the frame is smaller than ``n_samples *
    sample_size`` each sample gets an equal share of it (at least 2 customers; fewer samples if
    the frame is tiny). With ``resamples`` > 0, also ``ci``: a percentile bootstrap interval of the
    mean over the customers' silhouette values (how much the estimate moves with the customers drawn).
    """
    rng = np.random.default_rng(seed)
    n_samples = max(1, min(n_samples, len(frame) // 2))
    size = min(sample_size, len(frame) // n_samples)
    order = rng.permutation(len(frame))
    values, per_customer = [], []
    for number in range(n_samples):
        sample = frame.iloc[np.sort(order[number * size : (number + 1) * size])]
        numeric, codes = model.preprocessor.transform(sample)
        labels = model.assign(sample)
        if len(np.unique(labels)) < 2:
            scores = np.zeros(size)
        else:
            scores = silhouette_samples(mixed_distances(numeric, codes, model.gamma), labels, metric="precomputed")
        per_customer.append(scores)
        values.append(float(np.mean(scores)))
    summary: dict[str, Any] = {
        "mean": float(np.mean(values)),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
        "std": float(np.std(values)),
        "sample_size": size,
        "samples": n_samples,
        "values": values,
    }
    if resamples > 0:
        pooled = np.concatenate(per_customer)
        means = [float(np.mean(pooled[rng.integers(0, len(pooled), size=len(pooled))])) for _ in range(resamples)]
        summary["ci"] = percentile_interval(means, confidence)
    return summary


def k_sweep(
    estimator: CustomerSegmenter,
    train: pd.DataFrame,
    test: pd.DataFrame,
    ks: list[int],
    sample_size: int,
    *,
    silhouette_size: int,
    n_init: int,
    seed: int,
) -> list[dict[str, Any]]:
    """Refit ``estimator`` (a clone) for each k on a train sample; cost per customer on it and silhouette on a test sample."""
    rng = np.random.default_rng(seed)
    fit_rows = train.iloc[np.sort(rng.choice(len(train), size=min(sample_size, len(train)), replace=False))]
    distinct = distinct_customers(fit_rows, estimator.preprocessor.numeric + estimator.preprocessor.categorical)
    if any(k > distinct for k in ks):
        logger.info(
            "evaluate.segments.sweep_k: %s skipped, more than the %d distinct customers of the sweep sample",
            [k for k in ks if k > distinct],
            distinct,
        )
    rows = []
    for k in (k for k in ks if k <= distinct):
        segmenter = clone(estimator).set_params(clusterer__n_clusters=k, clusterer__n_init=n_init).fit(fit_rows)
        silhouette = silhouette_samples_summary(segmenter.model_, test, 1, silhouette_size, seed)
        rows.append(
            {
                "k": k,
                "cost_per_customer": segmenter.kprototypes_.cost_ / len(fit_rows),
                "silhouette": silhouette["mean"],
            }
        )
    return rows


def segment_jaccard(labels: np.ndarray, refits: list[np.ndarray]) -> dict[int, float]:
    """Per segment of ``labels``: the mean over ``refits`` of its best Jaccard match among a refit's clusters.

    Jaccard of two groups of the same customers is |both| / |either|; this is ``fpc::clusterboot``'s
    stability per cluster (below 0.6 a cluster is not reproduced; above 0.85 it is highly stable).
    """
    labels = np.asarray(labels)
    result = {}
    for segment in np.unique(labels):
        members = labels == segment
        best = []
        for refit in refits:
            refit = np.asarray(refit)
            overlaps = [
                float(np.sum(members & (refit == other)) / np.sum(members | (refit == other)))
                for other in np.unique(refit)
            ]
            best.append(max(overlaps))
        result[int(segment)] = float(np.mean(best))
    return result


def bootstrap_stability(
    estimator: CustomerSegmenter,
    train: pd.DataFrame,
    test: pd.DataFrame,
    resamples: int,
    seed: int,
    *,
    labels: np.ndarray | None = None,
) -> dict[str, Any]:
    """Refit ``estimator`` (a clone) on bootstrap resamples of train; adjusted Rand index between their test
    labellings, and (given the fitted model's test ``labels``) each segment's Jaccard agreement with the refits."""
    rng = np.random.default_rng(seed)
    labellings = []
    for _ in range(resamples):
        resample = train.iloc[rng.integers(0, len(train), size=len(train))]
        labellings.append(clone(estimator).fit(resample).predict(test))
    pairs = [
        adjusted_rand_score(labellings[i], labellings[j]) for i in range(resamples) for j in range(i + 1, resamples)
    ]
    stability = {
        "mean": float(np.mean(pairs)),
        "min": float(np.min(pairs)),
        "max": float(np.max(pairs)),
        "std": float(np.std(pairs)),
        "resamples": resamples,
        "pairs": len(pairs),
    }
    if labels is not None:
        stability["jaccard"] = {str(segment): value for segment, value in segment_jaccard(labels, labellings).items()}
    return stability


def migration_matrix(reference_ids: np.ndarray, new_ids: np.ndarray) -> list[dict[str, Any]]:
    """Customers per (reference segment, new segment) pair, as aggregated records."""
    return _pair_records(_pair_counts(reference_ids, new_ids))


def _pair_counts(from_ids: np.ndarray, to_ids: np.ndarray) -> pd.DataFrame:
    return pd.crosstab(pd.Series(from_ids, name="from"), pd.Series(to_ids, name="to"))


def _pair_records(counts: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {"from_segment": str(a), "to_segment": str(b), "count": int(counts.loc[a, b])}
        for a in counts.index
        for b in counts.columns
    ]


def customer_migration(
    then_ids: np.ndarray,
    now_ids: np.ndarray,
    names_then: dict[int, str],
    names_now: dict[int, str],
    min_share: float,
) -> dict[str, Any]:
    """The same customers' segments at two snapshots: share who moved, per-pair counts, and the notable moves.

    A move is notable when at least ``min_share`` of a segment's customers made it, largest first.
    """
    counts = _pair_counts(then_ids, now_ids)
    moves = []
    for source in counts.index:
        size = int(counts.loc[source].sum())
        for target in counts.columns:
            share = int(counts.loc[source, target]) / size
            if target != source and share >= min_share:
                moves.append(
                    {
                        "from_segment": str(source),
                        "from_name": names_then.get(int(source), str(source)),
                        "to_segment": str(target),
                        "to_name": names_now.get(int(target), str(target)),
                        "share_of_from": share,
                        "customers": int(counts.loc[source, target]),
                    }
                )
    return {
        "customers": len(then_ids),
        "share_moved": float(np.mean(np.asarray(then_ids) != np.asarray(now_ids))),
        "notable_moves": sorted(moves, key=lambda move: -move["share_of_from"]),
        "matrix": _pair_records(counts),
    }


def archetype_ari(true_archetypes: np.ndarray, segment_ids: np.ndarray) -> float:
    """Adjusted Rand index between segments and the simulator's true archetypes."""
    return float(adjusted_rand_score(true_archetypes, segment_ids))

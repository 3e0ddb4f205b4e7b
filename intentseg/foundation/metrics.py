"""Pure metric helpers (a leaf any layer may use): ROC-AUC, F1, calibration, gains, intervals, plot tables.

Every table here is aggregated (curves on fixed grids, deciles, bins, counts): plot files
never hold one record per customer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

CURVE_GRID = np.round(np.linspace(0.0, 1.0, 51), 4)
Metric = Callable[[np.ndarray, np.ndarray], float]  # (labels, score) -> value


def best_f1(y_true: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """The highest F1 over all thresholds on ``score``, and the threshold reaching it."""
    precision, recall, thresholds = precision_recall_curve(y_true, score)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1[:-1])) if len(thresholds) else 0
    return float(f1[best]), float(thresholds[best]) if len(thresholds) else 0.5


def roc_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC as a plain float."""
    return float(roc_auc_score(y_true, score))


def expected_calibration_error(labels: np.ndarray, probability: np.ndarray, n_bins: int = 10) -> float:
    """Mean |observed rate - mean probability| over equal-frequency bins, weighted by bin size."""
    probability = np.asarray(probability, dtype=float)
    bins = _equal_frequency_bins(probability, n_bins)
    count = np.bincount(bins)
    present = count > 0
    gap = (
        np.bincount(bins, weights=np.asarray(labels, dtype=float))[present]
        - np.bincount(bins, weights=probability)[present]
    )
    return float(np.abs(gap).sum() / len(probability))


def _equal_frequency_bins(probability: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin numbers 0..n_bins-1 of equal-frequency bins (ties in the order of the rows)."""
    order = np.argsort(probability, kind="stable")
    bins = np.empty(len(probability), dtype=int)
    bins[order] = np.arange(len(probability)) * n_bins // max(len(probability), 1)
    return bins


def reliability_table(labels: np.ndarray, probability: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability and observed purchase rate in equal-frequency bins."""
    bins = _equal_frequency_bins(np.asarray(probability), n_bins)
    frame = pd.DataFrame({"bin": bins + 1, "probability": probability, "label": labels})
    table = frame.groupby("bin").agg(
        mean_probability=("probability", "mean"), observed_rate=("label", "mean"), count=("label", "size")
    )
    return table.reset_index()


def gains_table(labels: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """Deciles by score (1 = highest): purchase rate, cumulative share of buyers, lift."""
    order = np.argsort(-score, kind="stable")
    decile = np.empty(len(score), dtype=int)
    decile[order] = np.arange(len(score)) * 10 // len(score) + 1
    frame = pd.DataFrame({"decile": decile, "label": labels})
    table = frame.groupby("decile").agg(customers=("label", "size"), buyers=("label", "sum")).reset_index()
    table["purchase_rate"] = table["buyers"] / table["customers"]
    table["cumulative_share_of_customers"] = table["customers"].cumsum() / table["customers"].sum()
    table["cumulative_share_of_buyers"] = table["buyers"].cumsum() / max(table["buyers"].sum(), 1)
    table["lift"] = table["purchase_rate"] / max(float(np.mean(labels)), 1e-12)
    return table


def classification_metrics(labels: np.ndarray, probability: np.ndarray, threshold: float) -> dict[str, float]:
    """Ranking, decision and probability-quality metrics at a given threshold."""
    predicted = probability >= threshold
    return {
        "roc_auc": roc_auc(labels, probability),
        "pr_auc": average_precision(labels, probability),
        "f1": float(f1_score(labels, predicted, zero_division=0)),
        "precision": float(precision_score(labels, predicted, zero_division=0)),
        "recall": float(recall_score(labels, predicted, zero_division=0)),
        "threshold": float(threshold),
        "targeted_share": float(predicted.mean()),
        "brier": float(brier_score_loss(labels, probability)),
        "log_loss": float(log_loss(labels, np.clip(probability, 1e-6, 1 - 1e-6))),
        "lift_top_decile": top_decile_lift(labels, probability),
        "ece": expected_calibration_error(labels, probability),
    }


def roc_on_grid(labels: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Best true-positive rate at each false-positive rate of :data:`CURVE_GRID` (a thinned ROC curve)."""
    fpr, tpr, _ = roc_curve(labels, score)
    return tpr[np.searchsorted(fpr, CURVE_GRID, side="right") - 1]


def precision_on_grid(labels: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Interpolated precision at each recall ``r`` of :data:`CURVE_GRID`: the best precision among
    thresholds whose recall is at least ``r`` (so at ``r = 1`` it is the precision of the loosest
    threshold that still finds every buyer)."""
    precision, recall, _ = precision_recall_curve(labels, score)
    return np.array([precision[recall >= r].max() for r in CURVE_GRID])


def curve_tables(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, list[dict[str, Any]]]:
    """ROC and precision-recall tables for several named score series on shared grids."""
    roc = pd.DataFrame({"false_positive_rate": CURVE_GRID})
    pr = pd.DataFrame({"recall": CURVE_GRID})
    for name, (labels, score) in curves.items():
        roc[f"tpr_{name}"] = roc_on_grid(labels, score)
        pr[f"precision_{name}"] = precision_on_grid(labels, score)
    return {"roc": roc.round(4).to_dict("records"), "precision_recall": pr.round(4).to_dict("records")}


def confusion_counts(labels: np.ndarray, targeted: np.ndarray) -> list[dict[str, Any]]:
    """Confusion matrix as four aggregated records (actual, predicted, count)."""
    actual = np.where(np.asarray(labels) == 1, "bought", "did not buy")
    predicted = np.where(targeted, "targeted", "not targeted")
    frame = pd.DataFrame({"actual": actual, "predicted": predicted})
    counts = frame.value_counts().rename("count")
    index = pd.MultiIndex.from_product(
        [["bought", "did not buy"], ["targeted", "not targeted"]], names=["actual", "predicted"]
    )
    return counts.reindex(index, fill_value=0).reset_index().to_dict("records")


def gains_comparison(series: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[dict[str, Any]]:
    """Share of buyers reached and lift per decile, one column per named score series."""
    rows: pd.DataFrame | None = None
    for name, (labels, score) in series.items():
        table = gains_table(labels, score)
        if rows is None:
            rows = pd.DataFrame({"decile": table["decile"], "share_contacted": table["cumulative_share_of_customers"]})
        rows[f"buyers_reached_{name}"] = table["cumulative_share_of_buyers"].to_numpy()
        rows[f"lift_{name}"] = table["lift"].to_numpy()
    assert rows is not None, "at least one score series is required"
    return rows.round(4).to_dict("records")


def bootstrap_interval(
    metric: Callable[[np.ndarray, np.ndarray], float],
    labels: np.ndarray,
    score: np.ndarray,
    resamples: int,
    confidence: float,
    *,
    seed: int,
) -> list[float]:
    """Percentile bootstrap interval ``[low, high]`` of ``metric(labels, score)`` over resampled rows.

    Resamples whose labels are all one class are redrawn (ranking metrics are undefined there).
    """
    labels, score = np.asarray(labels), np.asarray(score)
    if len(labels) == 0 or labels.min() == labels.max():
        raise ValueError(f"a bootstrap interval needs both labels among the rows; got {len(labels)} rows of one label")
    on_resample = resampled(metric, labels, score)
    values = [on_resample(rows) for rows in _resamples_of_both_labels(labels, resamples, seed)]
    return percentile_interval(values, confidence)


class RankedScores:
    """Labels and scores sorted once, highest score first, with ties grouped.

    A bootstrap resample is the same customers counted 0, 1, 2... times, so its ROC-AUC, average
    precision, top-decile lift and calibration error are sums of those counts over the tie groups: no
    sort per resample (scikit-learn's functions sort every resample, which was most of the evaluate
    stage's bootstrap time). The lift equals :func:`top_decile_lift`'s exactly, the others the functions
    on the resampled rows to rounding (about 1e-15; tests compare them).
    """

    def __init__(self, labels: np.ndarray, score: np.ndarray) -> None:
        score = np.asarray(score, dtype=float)
        if np.isnan(score).any():  # as scikit-learn refuses them
            raise ValueError(f"scores contain {int(np.isnan(score).sum())} missing values (NaN)")
        self.order = np.argsort(-score, kind="stable")
        ranked = score[self.order]
        self.starts = np.flatnonzero(np.r_[True, ranked[1:] != ranked[:-1]])  # first row of each tie group
        self.bounds = np.r_[self.starts, len(ranked)]  # each group is order[bounds[g] : bounds[g + 1]]
        self.values = ranked[self.starts]  # each tie group's score
        self.positive = (np.asarray(labels)[self.order] == 1).astype(np.int64)
        self.labels = np.asarray(labels)

    def group_counts(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Buyers and non-buyers among the resampled ``rows`` in each tie group, highest score first."""
        counts = np.bincount(rows, minlength=len(self.order))[self.order]
        buyers = np.add.reduceat(counts * self.positive, self.starts)
        return buyers, np.add.reduceat(counts, self.starts) - buyers

    def _bought_in_resample_order(self, group: int, rows: np.ndarray) -> np.ndarray:
        """Whether each resampled row of tie group ``group`` (highest score first) bought, in resample order:
        the order a stable sort keeps ties in, which decides the rows a cut through the group takes."""
        members = np.zeros(len(self.order), dtype=bool)
        members[self.order[self.bounds[group] : self.bounds[group + 1]]] = True
        return self.labels[rows[np.flatnonzero(members[rows])]] == 1

    def roc_auc(self, rows: np.ndarray) -> float:
        """ROC-AUC of the resample: P(a buyer scores above a non-buyer), ties counting half (integers until the end)."""
        buyers, others = self.group_counts(rows)
        below = others.sum() - np.cumsum(others)  # non-buyers scored below each group
        return float(np.sum(buyers * (2 * below + others)) / (2 * buyers.sum() * others.sum()))

    def average_precision(self, rows: np.ndarray) -> float:
        """Average precision of the resample: precision at each threshold weighted by the recall it adds."""
        buyers, others = self.group_counts(rows)
        found, flagged = np.cumsum(buyers), np.cumsum(buyers + others)
        precision = np.divide(found, flagged, out=np.zeros(len(found)), where=flagged > 0)
        return float(np.sum(buyers / buyers.sum() * precision))

    def top_decile_lift(self, rows: np.ndarray) -> float:
        """:func:`top_decile_lift` of the resample, exactly: whole tie groups from the top, then the first rows
        (in resample order, as the stable sort takes them) of the group the top 10% ends in."""
        buyers, others = self.group_counts(rows)
        top = -(-len(rows) // 10)
        taken = np.cumsum(buyers + others)
        last = int(np.searchsorted(taken, top))  # the group holding the top's last row
        before = int(taken[last - 1]) if last else 0
        found = int(buyers[:last].sum()) + int(np.sum(self._bought_in_resample_order(last, rows)[: top - before]))
        return float(found / top / max(float(buyers.sum() / len(rows)), 1e-12))

    def calibration_error(self, rows: np.ndarray, n_bins: int = 10) -> float:
        """:func:`expected_calibration_error` of the resample (the scores as probabilities), in the same bins.

        Bins hold equal shares of the resample by rank (lowest score first, ties in resample order). A tie
        group inside one bin adds its count times its score; the few groups a bin edge cuts (at most
        ``n_bins - 1``) are split by their rows' order in the resample, as the stable sort splits them.
        Equal to the function on the resampled rows to rounding (its sums add the rows one by one).
        """
        size = len(rows)
        buyers, others = (counts[::-1] for counts in self.group_counts(rows))  # lowest score first
        values, members = self.values[::-1], buyers + others
        ends = np.cumsum(members)
        first, last = (ends - members) * n_bins // size, (ends - 1) * n_bins // size
        whole = (members > 0) & (first == last)
        found = np.bincount(first[whole], weights=buyers[whole], minlength=n_bins).astype(float)  # int when empty
        expected = np.bincount(first[whole], weights=members[whole] * values[whole], minlength=n_bins).astype(float)
        edges = -(-np.arange(n_bins + 1) * size // n_bins)  # the first rank of each bin, and the end
        for group in np.flatnonzero((members > 0) & (first != last)):
            bought = self._bought_in_resample_order(len(self.starts) - 1 - group, rows)  # the tables run highest first
            offset = ends[group] - members[group]
            for bin_number in range(first[group], last[group] + 1):
                low = max(edges[bin_number], offset) - offset
                high = min(edges[bin_number + 1], ends[group]) - offset
                found[bin_number] += np.sum(bought[low:high])
                expected[bin_number] += (high - low) * values[group]
        return float(np.abs(found - expected).sum() / size)


def resampled(metric: Metric, labels: np.ndarray, score: np.ndarray) -> Callable[[np.ndarray], float]:
    """``metric`` of the resampled ``rows`` of (``labels``, ``score``) as a function of ``rows``.

    ROC-AUC, average precision, top-decile lift and calibration error use :class:`RankedScores` (sorted
    once); other metrics index the rows.
    """
    sorted_once = {
        roc_auc: RankedScores.roc_auc,
        average_precision: RankedScores.average_precision,
        top_decile_lift: RankedScores.top_decile_lift,
        expected_calibration_error: RankedScores.calibration_error,
    }
    if metric in sorted_once:
        ranked, of_rows = RankedScores(labels, score), sorted_once[metric]
        return lambda rows: of_rows(ranked, rows)
    return lambda rows: metric(labels[rows], score[rows])


def _resamples_of_both_labels(labels: np.ndarray, resamples: int, seed: int) -> Iterator[np.ndarray]:
    """``resamples`` seeded bootstrap draws of row numbers, each holding both labels (one-label draws redrawn)."""
    rng = np.random.default_rng(seed)
    kept = draws = 0
    while kept < resamples:
        draws += 1
        if draws > 100 * resamples:
            raise ValueError(
                f"{resamples} bootstrap resamples of {len(labels)} rows: only {kept} of {draws} draws held both "
                "labels; too few rows of the rarer label for an interval"
            )
        rows = rng.integers(0, len(labels), size=len(labels))
        if labels[rows].min() == labels[rows].max():
            continue
        kept += 1
        yield rows


def percentile_interval(values: list[float], confidence: float) -> list[float]:
    """The central ``confidence`` share of bootstrap values, as ``[low, high]``."""
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return [float(low), float(high)]


def top_decile_lift(labels: np.ndarray, score: np.ndarray) -> float:
    """Purchase rate in the top 10% by score over the overall rate (the first decile of :func:`gains_table`)."""
    labels = np.asarray(labels)
    top = np.argsort(-np.asarray(score), kind="stable")[: -(-len(labels) // 10)]  # rows with 10 * rank < n
    return float(labels[top].sum() / len(top) / max(float(np.mean(labels)), 1e-12))


def average_precision(labels: np.ndarray, score: np.ndarray) -> float:
    """Area under the precision-recall curve (average precision)."""
    return float(average_precision_score(labels, score))


def f1_at(threshold: float) -> Callable[[np.ndarray, np.ndarray], float]:
    """F1 of targeting ``score >= threshold``, as a metric of (labels, score).

    Counted directly, as scikit-learn's ``f1_score`` defines it (2 TP / (buyers + targeted), 0 when
    both are 0): the bootstrap calls it hundreds of times, where scikit-learn's input checks cost 10x the sum.
    """

    def f1(labels: np.ndarray, score: np.ndarray) -> float:
        bought, targeted = np.asarray(labels) == 1, np.asarray(score) >= threshold
        denominator = int(bought.sum()) + int(targeted.sum())
        return 2.0 * int(np.sum(bought & targeted)) / denominator if denominator else 0.0

    return f1


def metric_intervals(
    labels: np.ndarray, probability: np.ndarray, threshold: float, resamples: int, confidence: float, *, seed: int
) -> dict[str, list[float]]:
    """Bootstrap intervals of the test metrics a reviewer compares: ROC-AUC, PR-AUC, F1, top-decile lift."""
    metrics = {
        "roc_auc": roc_auc,
        "pr_auc": average_precision,
        "f1": f1_at(threshold),
        "lift_top_decile": top_decile_lift,
    }
    return {
        f"{name}_ci": bootstrap_interval(metric, labels, probability, resamples, confidence, seed=seed)
        for name, metric in metrics.items()
    }


def oracle_threshold(valid_labels: np.ndarray, valid_truth: np.ndarray) -> float:
    """The F1-maximising threshold on the true probability, chosen on the valid split."""
    return best_f1(valid_labels, valid_truth)[1]


def paired_differences(
    labels: np.ndarray,
    scores: tuple[np.ndarray, np.ndarray],
    metrics: dict[str, tuple[Metric, Metric]],
    *,
    resamples: int,
    confidence: float,
    seed: int,
) -> dict[str, dict[str, Any]]:
    """``new - old`` per metric on the same rows, with a paired percentile bootstrap interval.

    ``scores`` is ``(new, old)``; each metric is a pair ``(metric of new, metric of old)`` so that
    each model can keep its own threshold. Every resample draws one set of rows and measures both
    models on it, so the interval is the uncertainty of the *difference*, which is much narrower
    than two separate intervals when the models rank alike. Resamples of one label are redrawn.
    """
    labels = np.asarray(labels)
    new, old = (np.asarray(score) for score in scores)
    if len(labels) == 0 or labels.min() == labels.max():
        raise ValueError(f"a paired comparison needs both labels among the rows; got {len(labels)} rows of one label")
    draws: dict[str, list[float]] = {name: [] for name in metrics}
    on_resample = {
        name: (resampled(of_new, labels, new), resampled(of_old, labels, old))
        for name, (of_new, of_old) in metrics.items()
    }
    for rows in _resamples_of_both_labels(labels, resamples, seed):
        for name, (of_new, of_old) in on_resample.items():
            draws[name].append(of_new(rows) - of_old(rows))
    result = {}
    for name, (of_new, of_old) in metrics.items():
        new_value, old_value = of_new(labels, new), of_old(labels, old)
        result[name] = {
            "new": new_value,
            "old": old_value,
            "difference": new_value - old_value,
            "difference_ci": percentile_interval(draws[name], confidence),
        }
    return result

"""A vectorised K-Prototypes with kmodes' objective, initialisation and dissimilarities.

kmodes' ``KPrototypes`` moves one customer at a time in Python (about 55 microseconds per
row per pass here), which takes many minutes on a 168K-row table with several
initialisations. This implementation keeps kmodes' definitions:

* cost = sum over customers of squared Euclidean distance on (scaled) numerics plus
  ``gamma`` times the number of categorical mismatches with the prototype's modes
  (``kmodes.util.dissim.euclidean_dissim`` and ``matching_dissim``);
* ``gamma`` defaults to kmodes' rule, ``0.5 * mean(std of numeric columns)``;
* initial modes from kmodes' ``init_cao`` (:func:`cao_modes`, vectorised) or ``init_huang``, numeric prototypes drawn
  around the data mean as kmodes does;

and replaces the per-customer loop with batch (Lloyd) updates over whole arrays: assign
every customer to its nearest prototype, recompute means and modes, repeat until no
customer moves or ``max_iter``. The best of ``n_init`` runs (lowest cost) is kept.

Categorical inputs are integer codes ``>= 0``; the code ``-1`` (a level never seen in
training) matches no mode, so it adds the same ``gamma`` to every prototype.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numba
import numpy as np
from kmodes.util.dissim import matching_dissim
from kmodes.util.init_methods import init_huang
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

INITS = ("Cao", "Huang")
log = logging.getLogger(__name__)


def kmodes_gamma(numeric: np.ndarray) -> float:
    """kmodes' default weight of a categorical mismatch: half the mean numeric standard deviation."""
    return float(0.5 * np.mean(numeric.std(axis=0))) if numeric.shape[1] else 1.0


BLOCK_ROWS = 256  # rows a compiled pass takes at a time: each feature's loop over them is one vector loop


@numba.njit(parallel=True, cache=True)
def _nearest_prototypes(
    numeric_by_column: np.ndarray,
    categorical_by_column: np.ndarray,
    centers: np.ndarray,
    modes: np.ndarray,
    gamma: float,
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover (compiled; covered through assign)
    """Compiled kernel of :func:`assign` over features laid out by column (features x rows), both cores.

    Blocks of :data:`BLOCK_ROWS` rows: per prototype, each feature is added to the block's running
    totals in one loop over its rows (LLVM vectorises it; every row still adds its features in order),
    then each row takes the first prototype with the strictly smallest total, or the first NaN.
    """
    n_rows, k = numeric_by_column.shape[1], centers.shape[0]
    labels = np.empty(n_rows, dtype=np.int64)
    costs = np.empty(n_rows)
    for block in numba.prange((n_rows + BLOCK_ROWS - 1) // BLOCK_ROWS):
        start = block * BLOCK_ROWS
        size = min(BLOCK_ROWS, n_rows - start)
        best = np.full(size, np.inf)
        best_cluster = np.zeros(size, dtype=np.int64)
        settled = np.zeros(size, dtype=np.bool_)  # a NaN total was met: numpy's argmin takes the first one
        squared = np.empty(size)
        mismatches = np.empty(size, dtype=np.int64)
        for cluster in range(k):
            squared[:] = 0.0
            for j in range(numeric_by_column.shape[0]):
                center = centers[cluster, j]
                column = numeric_by_column[j, start : start + size]
                for row in range(size):
                    step = column[row] - center
                    squared[row] += step * step
            mismatches[:] = 0
            for j in range(categorical_by_column.shape[0]):
                mode = modes[cluster, j]
                codes = categorical_by_column[j, start : start + size]
                for row in range(size):
                    mismatches[row] += codes[row] != mode
            for row in range(size):
                total = squared[row] + gamma * mismatches[row]
                is_nan = total != total
                take = (not settled[row]) & (is_nan | (total < best[row]))  # strict: ties keep the first
                best[row] = total if take else best[row]
                best_cluster[row] = cluster if take else best_cluster[row]
                settled[row] = settled[row] | is_nan
        labels[start : start + size] = best_cluster
        costs[start : start + size] = best
    return labels, costs


def by_column(values: np.ndarray, dtype: type) -> np.ndarray:
    """``values`` (rows x features) laid out feature by feature (features x rows, C order): what the kernels read."""
    return np.ascontiguousarray(np.asarray(values, dtype=dtype).T)


def assign(
    numeric: np.ndarray, categorical: np.ndarray, centers: np.ndarray, modes: np.ndarray, gamma: float
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest prototype per row and its dissimilarity: squared Euclidean distance plus ``gamma`` times
    categorical mismatches.

    Features are summed left to right, as kmodes' ``euclidean_dissim`` and ``matching_dissim`` sum a
    row, so rounding and ties match kmodes' ``predict`` (numba compiles this without fast-math, so
    the IEEE operations are the same on every CPU). The loop is compiled because numpy's version,
    column by column over an (n, k) matrix, is about 10x slower (benchmarks/bench_evaluation.py), and
    the refits of the evaluation run it thousands of times (they lay their features out once and call
    :func:`assign_by_column`).
    """
    return assign_by_column(by_column(numeric, np.float64), by_column(categorical, np.int64), centers, modes, gamma)


def assign_by_column(
    numeric_by_column: np.ndarray,
    categorical_by_column: np.ndarray,
    centers: np.ndarray,
    modes: np.ndarray,
    gamma: float,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`assign` of features already laid out by column (:func:`by_column`)."""
    return _nearest_prototypes(
        numeric_by_column,
        categorical_by_column,
        np.ascontiguousarray(centers, dtype=np.float64),
        np.ascontiguousarray(modes, dtype=np.int64),
        float(gamma),
    )


def assign_in_numpy(
    numeric: np.ndarray, categorical: np.ndarray, centers: np.ndarray, modes: np.ndarray, gamma: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`assign` in numpy, column by column over the (n, k) matrix: the definition the compiled kernel is
    checked against (tests) and measured against (benchmarks); 5.3x slower, so not used by the pipeline."""
    distances = np.empty((len(numeric), len(centers)))
    for cluster in range(len(centers)):
        squared = np.zeros(len(numeric))
        for j in range(numeric.shape[1]):
            squared += (numeric[:, j] - centers[cluster, j]) ** 2
        mismatches = np.zeros(len(numeric), dtype=np.int64)
        for j in range(categorical.shape[1]):
            mismatches += categorical[:, j] != modes[cluster, j]
        distances[:, cluster] = squared + gamma * mismatches
    labels = np.argmin(distances, axis=1)
    return labels, distances[np.arange(len(numeric)), labels]


@numba.njit(cache=True)
def _cluster_statistics(
    numeric: np.ndarray, categorical: np.ndarray, labels: np.ndarray, k: int, max_levels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover (compiled; covered through fit)
    """Per cluster: numeric sums and size, and per attribute the count of every known code.

    One serial pass in row order, so the sums are rounded exactly as ``np.bincount(weights=)`` adds.
    """
    sums = np.zeros((k, numeric.shape[1]))
    sizes = np.zeros(k)
    counts = np.zeros((categorical.shape[1], k, max_levels), dtype=np.int64)
    for row in range(numeric.shape[0]):
        cluster = labels[row]
        sizes[cluster] += 1.0
        for j in range(numeric.shape[1]):
            sums[cluster, j] += numeric[row, j]
        for j in range(categorical.shape[1]):
            code = categorical[row, j]
            if code >= 0:
                counts[j, cluster, code] += 1
    return sums, sizes, counts


def _prototypes(
    numeric: np.ndarray, categorical: np.ndarray, labels: np.ndarray, k: int, n_levels: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numeric means and categorical modes per cluster, and cluster sizes.

    A mode is the most frequent known code (ties: the smallest); unseen codes (-1) never win.
    """
    max_levels = int(n_levels.max()) if len(n_levels) else 1
    sums, sizes, counts = _cluster_statistics(numeric, categorical, labels, k, max_levels)
    centers = sums / np.maximum(sizes, 1)[:, None]
    modes = np.ascontiguousarray(counts.argmax(axis=2).T, dtype=np.int64)
    return centers, modes, sizes


def cao_modes(categorical: np.ndarray, n_clusters: int) -> np.ndarray:
    """kmodes' ``init_cao`` with the density computed per column in numpy instead of per customer in Python.

    Each customer's density adds, column by column, the share of customers sharing its value divided by
    the number of columns, in kmodes' order of operations, so the modes are the same (tests compare them
    with kmodes' function); the rest (density times mismatches to the modes chosen so far) is kmodes' code.
    """
    n_points, n_attrs = categorical.shape
    density = np.zeros(n_points)
    for column in categorical.T:
        _, inverse, counts = np.unique(column, return_inverse=True, return_counts=True)
        density += counts[inverse] / float(n_points) / float(n_attrs)
    modes = np.empty((n_clusters, n_attrs), dtype=np.int64)
    modes[0] = categorical[np.argmax(density)]
    for cluster in range(1, n_clusters):
        weighted = np.array([matching_dissim(categorical, modes[chosen]) * density for chosen in range(cluster)])
        modes[cluster] = categorical[np.argmax(np.min(weighted, axis=0))]
    return modes


@dataclass(frozen=True)
class _FitArrays:
    """A fit's customers: rows x features (C order) for numpy's statistics, and laid out by column for the
    kernels (numpy's means differ in the last bit between the two layouts, so each keeps its own)."""

    numeric: np.ndarray
    categorical: np.ndarray
    numeric_by_column: np.ndarray
    categorical_by_column: np.ndarray
    n_levels: np.ndarray
    numeric_mean: np.ndarray  # what every initialisation draws its numeric prototypes around
    numeric_std: np.ndarray

    @classmethod
    def of(cls, numeric: np.ndarray, categorical: np.ndarray) -> _FitArrays:
        n_levels = np.maximum(categorical.max(axis=0) + 1, 1) if categorical.shape[1] else np.zeros(0, dtype=np.int64)
        return cls(
            numeric,
            categorical,
            by_column(numeric, np.float64),
            by_column(categorical, np.int64),
            n_levels,
            numeric.mean(axis=0),
            numeric.std(axis=0),
        )

    def assign(self, centers: np.ndarray, modes: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray]:
        """:func:`assign` of these customers."""
        return assign_by_column(self.numeric_by_column, self.categorical_by_column, centers, modes, gamma)


class FastKPrototypes(ClusterMixin, BaseEstimator):
    """K-Prototypes clustering of (numeric, categorical-code) arrays (a scikit-learn estimator).

    Parameters are stored as given (their values come from ``params.yaml``, ``train_segmenter``;
    ``gamma=None`` means kmodes' rule); ``fit`` learns ``cluster_centers_`` (numeric
    prototypes), ``cluster_modes_`` (categorical codes), ``gamma_``, ``labels_``,
    ``cost_``, ``n_iter_`` and ``init_costs_`` (final cost of every initialisation).
    """

    def __init__(
        self,
        *,
        n_clusters: int,
        gamma: float | None,
        n_init: int,
        max_iter: int,
        init: str,
        random_state: int = 0,
    ) -> None:
        self.n_clusters = n_clusters
        self.gamma = gamma
        self.n_init = n_init
        self.max_iter = max_iter
        self.init = init
        self.random_state = random_state

    def _initial_prototypes(self, data: _FitArrays, rng: np.random.RandomState) -> tuple[np.ndarray, np.ndarray]:
        """kmodes' initialisation: Cao or Huang modes, numeric prototypes ~ N(mean, std).

        Cao's modes, the means and the standard deviations depend on the data only, so they are computed
        once per fit.
        """
        if self.init == "Cao":
            if self._cao_modes is None:
                self._cao_modes = cao_modes(data.categorical, self.n_clusters)
            modes = self._cao_modes
        elif self.init == "Huang":
            modes = init_huang(data.categorical, self.n_clusters, matching_dissim, rng)
        else:
            raise ValueError(f"init must be one of {INITS}, got {self.init!r}")
        centers = data.numeric_mean + rng.randn(self.n_clusters, data.numeric.shape[1]) * data.numeric_std
        return centers, np.asarray(modes, dtype=np.int64)

    def _run(
        self, data: _FitArrays, rng: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
        """One initialisation: batch updates until no customer moves."""
        k, numeric, categorical = self.n_clusters, data.numeric, data.categorical
        centers, modes = self._initial_prototypes(data, rng)
        labels, costs = data.assign(centers, modes, self.gamma_)
        iteration = 0
        for iteration in range(1, self.max_iter + 1):  # noqa: B007 (its last value is the iteration count)
            centers, modes, sizes = _prototypes(numeric, categorical, labels, k, data.n_levels)
            for empty in np.flatnonzero(sizes == 0):
                # Re-seed an empty cluster with the customer worst served by its prototype.
                worst = int(np.argmax(costs))
                centers[empty], modes[empty] = numeric[worst], np.maximum(categorical[worst], 0)
                costs[worst] = 0.0
            new_labels, costs = data.assign(centers, modes, self.gamma_)
            moved = int(np.sum(new_labels != labels))
            labels = new_labels
            if moved == 0:
                break
        return centers, modes, labels, float(costs.sum()), iteration

    def fit(self, numeric: np.ndarray, categorical: np.ndarray) -> FastKPrototypes:
        """Fit ``n_init`` initialisations and keep the lowest-cost one."""
        numeric = np.ascontiguousarray(numeric, dtype=np.float64)
        categorical = np.ascontiguousarray(categorical, dtype=np.int64)
        if len(numeric) != len(categorical):
            raise ValueError("numeric and categorical parts must have the same number of rows")
        if len(numeric) < self.n_clusters:
            raise ValueError(f"need at least n_clusters={self.n_clusters} rows, got {len(numeric)}")
        if np.isnan(numeric).any():
            raise ValueError("numeric inputs contain missing values: impute them first")
        self.gamma_ = kmodes_gamma(numeric) if self.gamma is None else float(self.gamma)
        self._cao_modes = None
        data = _FitArrays.of(numeric, categorical)
        seeds = np.random.RandomState(self.random_state).randint(np.iinfo(np.int32).max, size=self.n_init)
        best = None
        self.init_costs_ = []
        for number, seed in enumerate(seeds, start=1):
            result = self._run(data, np.random.RandomState(seed))
            self.init_costs_.append(result[3])
            log.info(
                "k-prototypes init %d/%d: cost %.1f after %d iterations", number, self.n_init, result[3], result[4]
            )
            if best is None or result[3] < best[3]:
                best = result
        assert best is not None, "n_init must be at least 1"
        self.cluster_centers_, self.cluster_modes_, self.labels_, self.cost_, self.n_iter_ = best
        return self

    def predict(self, numeric: np.ndarray, categorical: np.ndarray) -> np.ndarray:
        """Nearest prototype for each row."""
        check_is_fitted(self, "cluster_centers_")
        return assign(
            np.asarray(numeric, dtype=np.float64),
            np.asarray(categorical, dtype=np.int64),
            self.cluster_centers_,
            self.cluster_modes_,
            self.gamma_,
        )[0]

    def cost(self, numeric: np.ndarray, categorical: np.ndarray) -> float:
        """The K-Prototypes objective of these rows under the fitted prototypes."""
        check_is_fitted(self, "cluster_centers_")
        return float(
            assign(
                np.asarray(numeric, dtype=np.float64),
                np.asarray(categorical, dtype=np.int64),
                self.cluster_centers_,
                self.cluster_modes_,
                self.gamma_,
            )[1].sum()
        )

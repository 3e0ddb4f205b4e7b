"""The vectorised K-Prototypes against kmodes, and its estimator behaviour."""

from __future__ import annotations

import numpy as np
import pytest
from kmodes.kprototypes import KPrototypes
from kmodes.util.dissim import matching_dissim
from kmodes.util.init_methods import init_cao

from intentseg.segments.kprototypes import FastKPrototypes, assign, assign_in_numpy, cao_modes, kmodes_gamma


def _fast(n_clusters, n_init=3, init="Cao", gamma=None, max_iter=100, random_state=0):
    return FastKPrototypes(
        n_clusters=n_clusters, gamma=gamma, n_init=n_init, max_iter=max_iter, init=init, random_state=random_state
    )


def mixed_data(n_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Three overlapping groups in 3 numeric and 2 categorical columns."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n_rows)
    numeric = rng.normal(group[:, None] * np.array([1.5, -1.0, 0.5]), 1.0, size=(n_rows, 3))
    categorical = np.column_stack(
        [
            np.where(rng.random(n_rows) < 0.7, group, rng.integers(0, 3, n_rows)),
            rng.integers(0, 4, n_rows),
        ]
    )
    return numeric, categorical


def kmodes_fit(numeric, categorical, k, n_init, seed):
    combined = np.column_stack([numeric, categorical]).astype(object)
    categorical_columns = list(range(numeric.shape[1], combined.shape[1]))
    model = KPrototypes(n_clusters=k, init="Cao", n_init=n_init, random_state=seed).fit(
        combined, categorical=categorical_columns
    )
    return model, combined, categorical_columns


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_labels_identical_to_kmodes_predict_for_the_same_centroids(seed):
    numeric, categorical = mixed_data(600, seed)
    model, combined, columns = kmodes_fit(numeric, categorical, 4, 1, seed)
    centers, modes = model._enc_cluster_centroids  # kmodes' own prototypes, categorical part encoded
    ours = assign(numeric, categorical, centers, modes.astype(np.int64), model.gamma)[0]
    np.testing.assert_array_equal(ours, model.predict(combined, categorical=columns))


@pytest.mark.parametrize("seed", [0, 1])
def test_compiled_assign_is_bit_identical_to_numpy(seed):
    numeric, categorical = mixed_data(5000, seed)
    numeric = numeric * np.random.default_rng(seed).lognormal(0, 3, size=numeric.shape)  # wide magnitudes
    rng = np.random.default_rng(seed)
    centers, modes = numeric[rng.choice(len(numeric), 5)], categorical[rng.choice(len(numeric), 5)]
    centers[3], modes[3] = centers[1], modes[1]  # 3 ties with 1 wherever 1 is nearest: the first wins
    categorical = categorical.copy()
    categorical[::7, 0] = -1  # unseen levels
    numeric[::11, 1] = np.nan  # numpy's argmin takes the first NaN
    for got, expected in zip(
        assign(numeric, categorical, centers, modes, 0.37), assign_in_numpy(numeric, categorical, centers, modes, 0.37)
    ):
        np.testing.assert_array_equal(got, expected)
    numeric[::13, 2], numeric[5::17, 0] = np.inf, -np.inf  # infinite totals never win over a finite one
    centers[2, 0] = np.nan  # a NaN at the third prototype only: it wins over smaller totals before it
    for rows in (slice(None), slice(0, 255), slice(3, 260)):  # blocks of 256 rows: whole, short, straddling
        for got, expected in zip(
            assign(numeric[rows], categorical[rows], centers, modes, 0.37),
            assign_in_numpy(numeric[rows], categorical[rows], centers, modes, 0.37),
        ):
            np.testing.assert_array_equal(got, expected)
    no_features = assign(np.zeros((4, 0)), np.zeros((4, 0), dtype=np.int64), np.zeros((2, 0)), np.zeros((2, 0)), 1.0)
    assert no_features[0].tolist() == [0, 0, 0, 0] and no_features[1].tolist() == [0.0] * 4


@pytest.mark.parametrize("seed", range(6))
def test_cao_modes_are_kmodes_init_cao(seed):
    rng = np.random.default_rng(seed)
    rows, columns = int(rng.integers(3, 400)), int(rng.integers(1, 6))
    categorical = rng.integers(0, int(rng.integers(1, 5)), size=(rows, columns))  # few levels: many density ties
    for k in range(1, min(rows, 7) + 1):
        expected = np.asarray(init_cao(categorical, k, matching_dissim), dtype=np.int64)
        np.testing.assert_array_equal(cao_modes(categorical, k), expected)


@pytest.mark.parametrize("seed", [0, 1])
def test_final_cost_no_worse_than_kmodes(seed):
    numeric, categorical = mixed_data(400, seed)
    reference, _, _ = kmodes_fit(numeric, categorical, 4, 2, seed)
    ours = _fast(n_clusters=4, n_init=2, random_state=seed).fit(numeric, categorical)
    assert ours.cost_ <= 1.01 * reference.cost_
    assert ours.gamma_ == pytest.approx(reference.gamma)


def test_cost_is_the_objective_of_the_labels():
    numeric, categorical = mixed_data(800, 3)
    model = _fast(n_clusters=3, n_init=2, random_state=0).fit(numeric, categorical)
    direct = sum(
        np.sum((numeric[i] - model.cluster_centers_[c]) ** 2)
        + model.gamma_ * np.sum(categorical[i] != model.cluster_modes_[c])
        for i, c in enumerate(model.labels_)
    )
    assert model.cost_ == pytest.approx(direct)
    assert model.cost(numeric, categorical) == pytest.approx(direct)
    assert min(model.init_costs_) == pytest.approx(model.cost_)


def test_deterministic():
    numeric, categorical = mixed_data(1000, 4)
    first = _fast(n_clusters=3, n_init=3, random_state=7).fit(numeric, categorical)
    second = _fast(n_clusters=3, n_init=3, random_state=7).fit(numeric, categorical)
    np.testing.assert_array_equal(first.cluster_centers_, second.cluster_centers_)
    np.testing.assert_array_equal(first.labels_, second.labels_)


def test_huang_init_and_explicit_gamma():
    numeric, categorical = mixed_data(600, 5)
    model = _fast(n_clusters=3, n_init=2, init="Huang", gamma=2.0, random_state=0).fit(numeric, categorical)
    assert model.gamma_ == 2.0 and len(np.unique(model.labels_)) == 3
    with pytest.raises(ValueError, match="init"):
        _fast(n_clusters=3, init="random-ish").fit(numeric, categorical)


def test_unseen_code_matches_no_mode():
    numeric, categorical = mixed_data(600, 6)
    model = _fast(n_clusters=3, n_init=2, random_state=0).fit(numeric, categorical)
    unseen = categorical[:50].copy()
    unseen[:, 1] = -1
    labels, costs = assign(numeric[:50], unseen, model.cluster_centers_, model.cluster_modes_, model.gamma_)
    assert labels.min() >= 0 and np.all(costs >= model.gamma_)


def test_empty_clusters_are_reseeded():
    numeric = np.repeat(np.array([[0.0], [10.0]]), [30, 3], axis=0)
    categorical = np.zeros((33, 1), dtype=int)
    model = _fast(n_clusters=3, n_init=2, random_state=0).fit(numeric, categorical)
    assert np.isfinite(model.cluster_centers_).all() and model.cost_ >= 0


def test_bad_inputs_are_refused():
    numeric, categorical = mixed_data(10, 0)
    with pytest.raises(ValueError, match="impute"):
        _fast(n_clusters=2).fit(np.where(numeric > 1, np.nan, numeric), categorical)
    with pytest.raises(ValueError, match="at least n_clusters"):
        _fast(n_clusters=20).fit(numeric, categorical)
    with pytest.raises(ValueError, match="same number of rows"):
        _fast(n_clusters=2).fit(numeric, categorical[:5])


def test_estimator_contract_and_kmodes_gamma_rule():
    model = _fast(n_clusters=3, n_init=2)
    assert (model.n_clusters, model.n_init, model.gamma) == (3, 2, None)
    assert not [name for name in vars(model) if name.endswith("_") and not name.startswith("_")]
    numeric, categorical = mixed_data(300, 1)
    assert model.fit(numeric, categorical) is model
    assert model.gamma_ == pytest.approx(0.5 * numeric.std(axis=0).mean()) == pytest.approx(kmodes_gamma(numeric))

"""Segmentation: preprocessing, model round trip, unseen and missing values, names, alignment, evaluation."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from intentseg.foundation.errors import FeatureMismatchError, ModelFileError
from intentseg.segments.alignment import align_to_reference
from intentseg.segments.model import CustomerSegmenter, SegmentModel
from intentseg.segments.naming import generate_names
from intentseg.segments.preprocessing import MISSING_LEVEL, SegmentPreprocessor, text_codes, text_codes_row_by_row
from intentseg.segments.profiles import segment_profiles
from intentseg.segments.quality import (
    archetype_ari,
    bootstrap_stability,
    k_sweep,
    migration_matrix,
    mixed_distances,
    mixed_distances_in_numpy,
    silhouette_samples_summary,
)
from intentseg.segments.setup import plan_segmentation
from intentseg.segments.training import fit_segment_model, segmenter_for

TARGET = "purchased_next_30d"


@pytest.fixture()
def tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "spend": [0.0, 10.0, 100.0, 1000.0, np.nan, 50.0],
            "rate": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
            "tier": pd.Categorical(["a", "b", None, "a", "b", "a"], categories=["a", "b", "c"]),
        }
    )


def _prep(numeric, categorical, log1p=(), clip_quantiles=(0.01, 0.99), scaling="standard"):
    return SegmentPreprocessor(
        numeric=list(numeric),
        categorical=list(categorical),
        log1p=list(log1p),
        clip_quantiles=clip_quantiles,
        scaling=scaling,
    )


def test_preprocessor_transforms_and_inverts(tiny):
    prep = _prep(["spend", "rate"], ["tier"], log1p=["spend"], clip_quantiles=(0.0, 1.0)).fit(tiny)
    numeric, codes = prep.transform(tiny)
    assert numeric.shape == (6, 2) and not np.isnan(numeric).any()
    np.testing.assert_allclose(numeric.mean(axis=0), 0, atol=1e-12)
    assert prep.levels_["tier"] == ["a", "b", "missing"]  # unobserved level c dropped, missing is a level
    assert codes[:, 0].tolist() == [0, 1, 2, 0, 1, 0]
    back = prep.to_original_units(numeric)
    np.testing.assert_allclose(back[[0, 1, 2, 3, 5], 0], [0, 10, 100, 1000, 50])
    np.testing.assert_allclose(prep.from_original_units(back), numeric)


def test_preprocessor_clips_and_imputes_with_training_values(tiny):
    prep = _prep(["spend", "rate"], ["tier"], log1p=["spend"], clip_quantiles=(0.2, 0.8)).fit(tiny)
    extreme = pd.DataFrame({"spend": [1e9, np.nan], "rate": [-5.0, 0.3], "tier": ["z", None]})
    numeric, codes = prep.transform(extreme)
    assert numeric[0, 0] == pytest.approx(prep.transform_numeric(np.array([[prep.upper_[0], 0.3]]))[0, 0])
    assert codes[:, 0].tolist() == [-1, 2]  # unseen level -> -1, missing -> the missing level


def test_preprocessor_round_trip_and_errors(tiny):
    prep = _prep(["spend", "rate"], ["tier"], log1p=["spend"], scaling="robust").fit(tiny)
    rebuilt = SegmentPreprocessor.from_dict(json.loads(json.dumps(prep.to_dict())))
    np.testing.assert_array_equal(rebuilt.transform(tiny)[0], prep.transform(tiny)[0])
    with pytest.raises(ValueError, match="log1p"):
        _prep(["rate"], [], log1p=["spend"]).fit(tiny)
    with pytest.raises(ValueError, match="scaling"):
        _prep(["rate"], [], scaling="minmax").fit(tiny)
    with pytest.raises(ValueError, match="missing for every customer"):
        _prep(["rate", "empty"], []).fit(tiny.assign(empty=np.nan))


def test_model_round_trip_assigns_identically(fitted_segments, small_splits):
    model, _ = fitted_segments
    rebuilt = SegmentModel.from_dict(json.loads(json.dumps(model.to_dict())))
    test = small_splits["test"]
    np.testing.assert_array_equal(rebuilt.assign(test), model.assign(test))
    assert rebuilt.names == model.names and rebuilt.segment_ids == model.segment_ids
    saved = model.to_dict()
    assert {"center_scaled", "center_original", "modes", "name", "id"} <= set(saved["segments"][0])
    assert saved["gamma"] == model.gamma and "preprocessing" in saved


def test_edited_model_file_is_refused(fitted_segments):
    data = json.loads(json.dumps(fitted_segments[0].to_dict()))
    data["preprocessing"]["numeric"][0] = "something_else"
    with pytest.raises(ModelFileError, match="fingerprint"):
        SegmentModel.from_dict(data)
    with pytest.raises(ModelFileError, match="format"):
        SegmentModel.from_dict({**data, "format": "pickle"})


def test_missing_columns_are_named(fitted_segments, small_splits):
    with pytest.raises(FeatureMismatchError, match="membership_tier"):
        fitted_segments[0].assign(small_splits["test"].drop(columns=["membership_tier"]))


def test_missing_values_and_unseen_categories_still_get_a_segment(fitted_segments, small_splits):
    model, _ = fitted_segments
    frame = small_splits["test"].head(30).copy()
    frame.loc[frame.index[:10], ["days_since_last_order", "total_spend_12m", "membership_tier"]] = np.nan
    frame["device_type"] = frame["device_type"].astype("object")
    frame.loc[frame.index[10:20], "device_type"] = "smart_watch"
    assert set(model.assign(frame)) <= set(model.segment_ids)


def test_label_is_never_an_input(small_splits, segment_settings, fitted_segments):
    train = small_splits["train"]
    with_label = fitted_segments[0]  # the same fit: train, seed 5
    shuffled = train.assign(**{TARGET: np.random.default_rng(0).permutation(train[TARGET].to_numpy())})
    relabelled, _ = fit_segment_model(
        shuffled, segment_settings, 5, TARGET, "customer_id", source="simulator", reference=None
    )
    np.testing.assert_array_equal(with_label.centers, relabelled.centers)
    assert TARGET not in with_label.features


def test_names_are_unique_and_come_from_traits(fitted_segments, segment_settings):
    model, summary = fitted_segments
    assert len(set(model.names)) == len(model.names) == segment_settings.presets["simulator"].k
    words = {word.lower() for pair in segment_settings.naming.numeric.values() for word in pair} | {"typical"}
    for name in model.names:
        assert any(word in name.lower() for word in words), name  # traits, or "typical" when none qualifies
    assert summary["segments"] == {str(i): n for i, n in zip(model.segment_ids, model.names)}


def test_generated_names_follow_the_profiles(fitted_segments, small_splits, segment_settings):
    model, _ = fitted_segments
    train = small_splits["train"]
    profiles = segment_profiles(train, model.assign(train), ["total_spend_12m", "orders_last_12m"], [], {})
    naming = segment_settings.naming
    for segment_id, name in zip(model.segment_ids, model.names):
        spend = profiles[segment_id]["numeric"]["total_spend_12m"]
        orders = profiles[segment_id]["numeric"]["orders_last_12m"]
        if "high-spend" in name.lower():
            assert spend["percentile"] >= naming.high_percentile and spend["median"] > spend["population_median"]
        if "low-spend" in name.lower():
            assert spend["percentile"] <= naming.low_percentile and spend["median"] < spend["population_median"]
        if "frequent" in name.lower().replace("infrequent", ""):
            assert orders["median"] > orders["population_median"], name


def test_identical_traits_still_give_unique_names(fitted_segments, small_splits, segment_settings):
    model, _ = fitted_segments
    twin = replace(
        model,
        centers=np.repeat(model.centers[:1], len(model.centers), axis=0),
        modes=np.repeat(model.modes[:1], len(model.modes), axis=0),
    )
    profiles = {
        sid: segment_profiles(
            small_splits["train"],
            np.zeros(len(small_splits["train"]), int),
            list(twin.preprocessor.numeric),
            list(twin.preprocessor.categorical),
            {},
        )[0]
        for sid in twin.segment_ids
    }
    names = generate_names(twin, profiles, segment_settings.naming)
    assert len(set(names)) == len(names)


def test_alignment_restores_reference_ids_and_names(fitted_segments, small_splits):
    reference, _ = fitted_segments
    order = np.array([2, 0, 4, 1, 3])
    shuffled = replace(
        reference, centers=reference.centers[order], modes=reference.modes[order], segment_ids=(1, 2, 3, 4, 5), names=()
    )
    aligned, report = align_to_reference(shuffled, reference, max_dissimilarity=1.0)
    assert aligned.segment_ids == reference.segment_ids and aligned.names == reference.names
    np.testing.assert_array_equal(aligned.assign(small_splits["test"]), reference.assign(small_splits["test"]))
    assert all(match["within_threshold"] for match in report["matches"].values())


def test_alignment_gives_new_ids_and_reports_moved_segments(fitted_segments):
    reference, _ = fitted_segments
    smaller = replace(
        reference,
        centers=reference.centers[:3],
        modes=reference.modes[:3],
        segment_ids=(1, 2, 3),
        names=reference.names[:3],
    )
    aligned, report = align_to_reference(reference, smaller, max_dissimilarity=1.0)
    assert sorted(aligned.segment_ids) == [1, 2, 3, 4, 5] and sorted(report["new_segments"]) == [4, 5]
    assert aligned.names[3:] == ("", "")  # new segments are named afresh
    moved = replace(reference, centers=reference.centers + 5.0)
    far, far_report = align_to_reference(moved, reference, max_dissimilarity=1.0)
    assert far.segment_ids == reference.segment_ids and far.names == reference.names
    assert not any(match["within_threshold"] for match in far_report["matches"].values())


def test_profiles(fitted_segments, small_splits):
    model, _ = fitted_segments
    test = small_splits["test"]
    profiles = segment_profiles(
        test, model.assign(test), ["total_spend_12m", "discount_usage_rate"], ["device_type"], {"purchase_rate": TARGET}
    )
    assert sum(p["share"] for p in profiles.values()) == pytest.approx(1.0)
    rates = [p["purchase_rate"] for p in profiles.values()]
    assert min(rates) < test[TARGET].mean() < max(rates)
    everyone = segment_profiles(
        test, np.ones(len(test), int), ["total_spend_12m", "discount_usage_rate"], ["device_type"], {}
    )[1]
    assert everyone["numeric"]["total_spend_12m"]["percentile"] == pytest.approx(0.5, abs=0.01)
    discount = everyone["numeric"]["discount_usage_rate"]  # mostly zero: its median sits low, not at 100
    assert discount["median"] == 0 and discount["percentile"] < 0.5
    assert all(
        level["lift"] == pytest.approx(1.0) for level in everyone["categorical"]["device_type"]["levels"].values()
    )


def test_mixed_distances_match_the_definition():
    rng = np.random.default_rng(0)
    numeric, codes = rng.normal(size=(6, 2)), rng.integers(0, 2, size=(6, 3))
    distances = mixed_distances(numeric, codes, gamma=0.7)
    for i in range(6):
        for j in range(6):
            expected = np.sqrt(np.sum((numeric[i] - numeric[j]) ** 2) + 0.7 * np.sum(codes[i] != codes[j]))
            assert distances[i, j] == pytest.approx(expected, abs=1e-7)


def test_compiled_mixed_distances_are_bit_identical_to_numpy():
    rng = np.random.default_rng(1)
    numeric = rng.normal(size=(300, 4)) * rng.lognormal(0, 3, size=4)  # wide magnitudes
    codes = rng.integers(-1, 3, size=(300, 5))
    numeric[7] = numeric[3]  # a duplicate customer: rounding can make its distance negative before the clip
    codes[7] = codes[3]
    np.testing.assert_array_equal(mixed_distances(numeric, codes, 0.37), mixed_distances_in_numpy(numeric, codes, 0.37))
    assert mixed_distances(np.zeros((3, 0)), np.zeros((3, 0), dtype=np.int64), 1.0).tolist() == [[0.0] * 3] * 3


def test_evaluation_helpers(fitted_segments, small_splits, segment_settings):
    model, _ = fitted_segments
    train, test = small_splits["train"], small_splits["test"]
    summary = silhouette_samples_summary(model, test, n_samples=2, sample_size=800, seed=0)
    assert summary["samples"] == 2 and summary["sample_size"] == 800 and -1 < summary["min"] <= summary["mean"] < 1
    estimator = CustomerSegmenter.like(model).set_params(clusterer__n_init=2)
    sweep = k_sweep(estimator, train, test, [2, 3], 3000, silhouette_size=800, n_init=2, seed=0)
    assert [row["k"] for row in sweep] == [2, 3] and sweep[0]["cost_per_customer"] > sweep[1]["cost_per_customer"]
    stability = bootstrap_stability(estimator, train.head(3000), test, 3, 0)
    assert stability["resamples"] == 3 and -1 <= stability["min"] <= stability["mean"] <= 1
    moves = migration_matrix(np.array([1, 1, 2, 2]), np.array([1, 2, 2, 2]))
    assert sum(row["count"] for row in moves) == 4 and {"from_segment": "1", "to_segment": "2", "count": 1} in moves
    assert archetype_ari(np.array(["a", "a", "b", "b"]), np.array([1, 1, 2, 2])) == pytest.approx(1.0)


def test_deterministic_model_file(small_splits, segment_settings, fitted_segments):
    first = fitted_segments[0]  # the same fit: train, seed 5
    second, _ = fit_segment_model(
        small_splits["train"], segment_settings, 5, TARGET, "customer_id", source="simulator", reference=None
    )
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())


def test_segmenter_estimator_contract(small_splits, segment_settings):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    plan = plan_segmentation(segment_settings, "simulator", small_splits["train"], {"customer_id", TARGET})
    segmenter = segmenter_for(plan, segment_settings.model_copy(update={"n_init": 2}), seed=1, k=3)
    assert segmenter.clusterer.n_clusters == 3 and segmenter.clusterer.n_init == 2
    assert clone(segmenter).get_params()["clusterer__n_clusters"] == 3
    assert not [name for name in vars(segmenter) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        segmenter.predict(small_splits["test"])
    assert segmenter.fit(small_splits["train"].head(2000)) is segmenter
    assert not hasattr(segmenter.clusterer, "labels_")  # the given estimators stay unfitted
    assert len(segmenter.model_.segment_ids) == 3


def test_evaluation_refits_the_estimator_the_model_was_fitted_with(fitted_segments, segment_settings, small_splits):
    model, _ = fitted_segments
    like = CustomerSegmenter.like(SegmentModel.from_dict(json.loads(json.dumps(model.to_dict()))))
    plan = plan_segmentation(segment_settings, "simulator", small_splits["train"], {"customer_id", TARGET})
    configured = segmenter_for(plan, segment_settings, seed=5, k=segment_settings.presets["simulator"].k)
    assert like.get_params()["clusterer"].get_params() == configured.clusterer.get_params()
    assert like.preprocessor.get_params() == configured.preprocessor.get_params()


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(
            pd.Categorical(["gold", None, "basic", "gold", "unseen"], categories=["unused", "gold", "basic", "unseen"])
        ),
        pd.Series(pd.Categorical([3, 1, None, 2, 3], categories=[1, 2, 3, 4])),  # numbers read as their text
        pd.Series(pd.Categorical([1.5, None, 2.0], categories=[2.0, 1.5], ordered=True)),
        pd.Series(pd.Categorical([None, None], categories=["a"])),  # every value missing
        pd.Series(["gold", None, "basic", "x"], dtype="object"),
        pd.Series(["gold", None, "basic", "x"], dtype="str"),
    ],
)
def test_text_codes_by_category_equal_the_row_by_row_definition(column):
    """Codes looked up once per category are each customer's text looked up; fitted levels as before."""
    for levels in (["gold", "basic", "1", "3", "1.5", MISSING_LEVEL], ["basic", "2.0", "gold"], []):
        np.testing.assert_array_equal(text_codes(column, levels), text_codes_row_by_row(column, levels))
    if isinstance(column.dtype, pd.CategoricalDtype):  # the levels a fit learns: categories some customer has
        observed = set(column.dropna().astype(str).unique())
        expected = [str(level) for level in column.cat.categories if str(level) in observed]
        assert SegmentPreprocessor._levels(column) == [*expected, MISSING_LEVEL]


def test_text_codes_refuse_repeated_levels_as_before():
    column = pd.Series(pd.Categorical(["missing", None], categories=["missing"]))
    with pytest.raises(ValueError, match="unique"):
        text_codes(column, ["missing", MISSING_LEVEL])


@pytest.mark.parametrize("dtype", ["category", "object"])
def test_a_value_that_reads_missing_is_the_missing_level(dtype):
    """A table whose category is literally 'missing' fits (its levels used to repeat and the fit failed)."""
    frame = pd.DataFrame(
        {"x": np.arange(6.0), "tier": pd.Series(["gold", "missing", None, "gold", "basic", "missing"], dtype=dtype)}
    )
    prep = SegmentPreprocessor(
        numeric=["x"], categorical=["tier"], log1p=[], clip_quantiles=(0.0, 1.0), scaling="standard"
    ).fit(frame)
    assert prep.levels_["tier"].count(MISSING_LEVEL) == 1 and prep.levels_["tier"][-1] == MISSING_LEVEL
    codes = prep.transform(frame)[1][:, 0]
    assert codes[1] == codes[2] == codes[5] == len(prep.levels_["tier"]) - 1 and codes[0] == codes[3] != codes[4]

"""The compiled forest scores exactly as LightGBM does, on hostile tables (issue 25), and stops a run when it does not.

Models are trained on a generated table whose splits take every path LightGBM's predict has: missing
values of type NaN and Zero and None, categorical splits with bitsets over many words, single-leaf
trees, binary and regression outputs. They are scored on rows built to reach the edges: missing
values in every column, unseen and missing category levels, codes LightGBM never saw, values exactly
on the thresholds, zeros of both signs, subnormal, huge and infinite numbers.
"""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest

from intentseg.classifier.compiled_forest import CompiledForest, ForestMismatchError, check_sample
from intentseg.classifier.features import FeatureSchema
from intentseg.classifier.lightgbm_model import LightGBMEngine, PathAttribution

LEVELS = [f"level {i}" for i in range(70)]  # more than two 32-bit words of categorical bitset


def _table(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "spend": np.where(rng.random(rows) < 0.2, np.nan, rng.gamma(2.0, 50.0, rows)),
            "visits": np.where(rng.random(rows) < 0.3, 0.0, rng.poisson(4, rows).astype(float)),
            "rate": rng.random(rows),
            "city": pd.Categorical(rng.choice(LEVELS, rows), categories=LEVELS),
            "device": pd.Categorical(rng.choice(["app", "web", None], rows), categories=["app", "web"]),
        }
    )
    logit = 0.01 * np.nan_to_num(frame["spend"]) - 0.3 * frame["visits"] + 2 * frame["rate"]
    logit = logit + np.where(frame["city"].cat.codes % 3 == 0, 1.0, -0.5) + np.where(frame["spend"].isna(), 1.5, 0)
    frame["label"] = (rng.random(rows) < 1 / (1 + np.exp(-logit + 1))).astype(int)
    return frame


def _train(frame: pd.DataFrame, **params) -> lgb.Booster:
    settings = {"objective": "binary", "num_leaves": 15, "min_data_in_leaf": 20, "verbosity": -1, "seed": 1}
    settings.update(params)
    target = frame["label"] if settings["objective"] == "binary" else frame["rate"] * 3 + frame["label"]
    features = frame.drop(columns=["label"])
    return lgb.train(settings, lgb.Dataset(features, target, categorical_feature=["city", "device"]), 40)


def _hostile(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows at the edges, then ordinary rows: every column missing somewhere, unseen levels, extreme numbers."""
    edge = [np.nan, 0.0, -0.0, 1e-40, -1e-40, 1e308, -1e308, np.inf, -np.inf, 5e-324]
    count = len(edge)
    rows = pd.DataFrame(
        {
            "spend": edge,
            "visits": edge[::-1],
            "rate": [np.nan, 1.0, 0.0, 0.5, -3.0, 2.0, np.nan, 1e-300, -1e-300, 0.25],
            "city": pd.Categorical(
                ["level 3", None, "level 69", None, "level 0", "level 33", None, "level 64", "level 31", "level 32"],
                categories=LEVELS,
            ),
            "device": pd.Categorical(
                [None, "app", None, "web", None, "app", "web", None, None, "app"], categories=["app", "web"]
            ),
        }
    )
    assert len(rows) == count
    return pd.concat([rows, frame.drop(columns=["label"])], ignore_index=True)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return _table(3000, seed=7)


@pytest.mark.parametrize(
    "params",
    [
        {},  # NaN and None missing types, default sides both ways
        {"zero_as_missing": True},  # missing type Zero
        {"use_missing": False},
        {"objective": "regression"},
        {"sigmoid": 2.5},
        {"min_data_in_leaf": 5000},  # no split anywhere: single-leaf trees
        {"max_cat_to_onehot": 80},  # one-vs-rest categorical splits
    ],
)
@pytest.mark.parametrize("walk", ["bitvectors", "plain"])
def test_raw_scores_equal_lightgbms_on_hostile_rows(table, params, walk):
    booster = _train(table, **params)
    forest = _forest(booster, walk)
    rows = _hostile(_table(2000, seed=8))
    expected = booster.predict(rows, raw_score=True)
    assert np.abs(forest.raw_score(rows) - expected).max() <= 1e-9
    assert np.array_equal(forest.raw_score(rows), expected)  # in fact to the last bit
    assert np.array_equal(forest.predict(rows), booster.predict(rows))  # the objective's transform too


def _forest(booster: lgb.Booster, walk: str) -> CompiledForest:
    """The booster's compiled forest, walked with bit vectors (the default) or plainly (the fallback)."""
    forest = CompiledForest(booster.model_to_string())
    assert forest.bitvectors is not None
    if walk == "plain":
        forest.bitvectors = None
    return forest


def test_trees_of_more_than_64_leaves_are_walked_plainly_and_exactly(table):
    booster = _train(table, num_leaves=90, min_data_in_leaf=5)
    assert max(tree["num_leaves"] for tree in booster.dump_model()["tree_info"]) > 64
    forest = CompiledForest(booster.model_to_string())
    assert forest.bitvectors is None
    rows = _hostile(_table(1000, seed=12))
    assert np.array_equal(forest.raw_score(rows), booster.predict(rows, raw_score=True))


def test_codes_follow_the_categories_lightgbm_was_trained_with(table):
    """A frame whose categories are listed in another order, or with extra levels, is coded as LightGBM codes it."""
    booster = _train(table)
    rows = _hostile(_table(500, seed=9))
    shuffled = rows.assign(city=rows["city"].cat.reorder_categories(LEVELS[::-1]))
    wider = rows.assign(device=rows["device"].cat.add_categories(["tablet"]))
    wider.loc[:5, "device"] = "tablet"  # a level the model never saw: LightGBM codes it missing
    forest = CompiledForest(booster.model_to_string())
    for frame in (shuffled, wider):
        assert np.array_equal(forest.raw_score(frame), booster.predict(frame, raw_score=True))


def test_a_frame_without_the_models_columns_is_refused(table):
    """The walk reads features by position: a frame of another width is refused, as LightGBM refuses it."""
    forest = CompiledForest(_train(table).model_to_string())
    with pytest.raises(ValueError, match="the frame has 4 columns, the model 5 features"):
        forest.raw_score(table.drop(columns=["label", "rate"]))


def test_a_forest_that_disagrees_stops_the_run(table):
    booster = _train(table)
    rows = _hostile(_table(300, seed=10))
    forest = _forest(booster, "bitvectors")
    assert check_sample(forest, booster, rows, "classifier") == 0.0
    forest.bitvectors.threshold[:] += 1.0  # a compiler bug, say: every numerical threshold moved
    with pytest.raises(ForestMismatchError, match="classifier: the compiled forest's raw score differs"):
        check_sample(forest, booster, rows, "classifier")
    forest = _forest(booster, "plain")
    forest.threshold[:, 0] += 1.0  # every root split moved
    with pytest.raises(ForestMismatchError, match="classifier: the compiled forest's raw score differs"):
        check_sample(forest, booster, rows, "classifier")


def test_models_the_kernel_does_not_cover_are_predicted_by_lightgbm(table, caplog):
    features = table.drop(columns=["label"])
    multiclass = lgb.train(
        {"objective": "multiclass", "num_class": 3, "verbosity": -1},
        lgb.Dataset(features, table["label"] + (table["rate"] > 0.5)),
        5,
    )
    with caplog.at_level("INFO"):
        assert CompiledForest.of(multiclass) is None
    assert "LightGBM's own predict" in caplog.text


def test_the_engine_scores_and_explains_through_the_forest(table):
    """Scores and path-attribution reasons of the engine equal LightGBM's predict and its pred_leaf tables."""
    features = table.drop(columns=["label"])
    schema = FeatureSchema.from_frame(features)
    model_frame = schema.model_frame(features)
    booster = lgb.train(
        {"objective": "binary", "num_leaves": 15, "verbosity": -1, "seed": 1},
        lgb.Dataset(model_frame, table["label"]),
        40,
    )
    engine = LightGBMEngine(booster, schema)
    rows = _hostile(_table(800, seed=11)).astype({"city": object, "device": object})
    rows.loc[3, "city"] = "a city nobody saw"
    assert engine.forest is not None
    assert np.array_equal(engine.raw_score(rows), booster.predict(schema.model_frame(rows)))
    slow = PathAttribution(booster).contributions(schema.model_frame(rows))
    assert np.array_equal(engine.contributions(rows, "path"), slow)
    assert engine.check_compiled(rows) == 0.0


def _numerical_splits(booster: lgb.Booster) -> list[tuple[str, float]]:
    """(feature name, threshold) of every numerical split of the booster."""
    names, found = booster.feature_name(), []
    stack = [tree["tree_structure"] for tree in booster.dump_model()["tree_info"]]
    while stack:
        node = stack.pop()
        if "split_feature" in node:
            if node["decision_type"] == "<=":
                found.append((names[node["split_feature"]], float(node["threshold"])))
            stack += [node["left_child"], node["right_child"]]
    return found


@pytest.mark.parametrize("walk", ["bitvectors", "plain"])
def test_values_exactly_on_each_threshold_go_left_as_in_lightgbm(table, walk):
    booster = _train(table)
    base = _table(1, seed=13).drop(columns=["label"])
    rows = pd.concat([base.assign(**{name: threshold}) for name, threshold in _numerical_splits(booster)])
    forest = _forest(booster, walk)
    assert np.array_equal(forest.raw_score(rows), booster.predict(rows, raw_score=True))


@pytest.mark.parametrize("walk", ["bitvectors", "plain"])
@pytest.mark.parametrize("threshold", ["0", "-0.25"])
def test_a_missing_value_read_as_zero_meets_a_threshold_of_zero(table, walk, threshold):
    """Missing type None reads NaN as 0: at a threshold of exactly 0 it goes left (``0 <= 0``), below 0 right."""
    text = _train(table, use_missing=False).model_to_string()
    head, tree = text.split("\nTree=0\n", 1)
    lines = tree.split("\n")
    field = {line.split("=", 1)[0]: index for index, line in enumerate(lines) if "=" in line}
    kinds = [int(kind) for kind in lines[field["decision_type"]].split("=", 1)[1].split()]
    thresholds = lines[field["threshold"]].split("=", 1)[1].split()
    numerical = [index for index, kind in enumerate(kinds) if not kind & 1 and (kind >> 2) & 3 == 0]
    for index in numerical:
        thresholds[index] = threshold
    lines[field["threshold"]] = "threshold=" + " ".join(thresholds)
    booster = lgb.Booster(model_str=head + "\nTree=0\n" + "\n".join(lines))
    rows = _hostile(_table(200, seed=14))
    forest = _forest(booster, walk)
    assert np.array_equal(forest.raw_score(rows), booster.predict(rows, raw_score=True))


@pytest.mark.parametrize("walk", ["bitvectors", "plain"])
def test_categorical_values_that_are_not_codes_are_truncated_as_in_lightgbm(table, walk):
    """A categorical feature given as numbers (not a pandas categorical): LightGBM truncates them to codes."""
    numbers = table.assign(city=table["city"].cat.codes.astype(float), device=table["device"].cat.codes.astype(float))
    booster = _train(numbers)
    odd = [-0.5, -0.99, -1.0, 0.7, 2.9, 63.999, 69.5, 1e10, -1e10, np.nan, np.inf, -np.inf]
    rows = pd.concat([numbers.drop(columns=["label"]).head(len(odd))] * 2, ignore_index=True)
    rows["city"], rows["device"] = odd * 2, odd[::-1] * 2
    forest = _forest(booster, walk)
    assert np.array_equal(forest.raw_score(rows), booster.predict(rows, raw_score=True))


def test_categorical_tables_too_wide_for_memory_fall_back_to_the_plain_walk(table, monkeypatch):
    import intentseg.classifier.bitvector_forest as bitvector_forest

    booster = _train(table)
    monkeypatch.setattr(bitvector_forest, "MAX_CATEGORICAL_ENTRIES", 10)
    forest = CompiledForest(booster.model_to_string())
    assert forest.bitvectors is None
    rows = _hostile(_table(300, seed=15))
    assert np.array_equal(forest.raw_score(rows), booster.predict(rows, raw_score=True))

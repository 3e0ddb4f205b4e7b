"""Batch scoring: validation rules, row accounting, deciles, audience cap, drift, reasons, atomicity."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from intentseg.classifier.explain import contributions, method_agreement
from intentseg.config.score import ReasonsConfig
from intentseg.data.shopsphere import shopsphere_spec
from intentseg.data.simulator import simulate_customers
from intentseg.foundation.errors import FeatureMismatchError
from intentseg.scoring import first_pass
from intentseg.scoring.drift import DriftMonitor, bin_counts
from intentseg.scoring.first_pass import rows_to_explain, score_population
from intentseg.scoring.second_pass import AudienceCap, Explainer, finalise_scores, plan_rows, rank_deciles
from intentseg.scoring.types import TargetingRule, audience_columns, load_models
from intentseg.scoring.validation import REJECT_COLUMN, check_population_columns, duplicated_ids, row_problems

SPEC = shopsphere_spec().without_target()
REASONS = ReasonsConfig(method="path", scope="everyone", top_k=3)


@pytest.fixture(scope="module")
def models(trained_classifier, fitted_segments):
    return load_models(trained_classifier.model, fitted_segments[0])


@pytest.fixture(scope="module")
def campaign_learner(small_splits):
    """An uplift model of a simulated campaign whose contact adds 0.2 for customers who open e-mails."""
    from intentseg.uplift.learners import TwoModelLearner

    frame = small_splits["train"].drop(columns="purchased_next_30d").reset_index(drop=True)
    rng = np.random.default_rng(4)
    contacted = rng.random(len(frame)) < 0.5
    lift = 0.2 * (frame["email_open_rate"].fillna(0).to_numpy() > 0.3)
    converted = rng.random(len(frame)) < 0.15 + lift * contacted
    learner = TwoModelLearner(num_boost_round=40, num_threads=1)
    return learner.fit(frame.drop(columns="customer_id"), converted, contacted, np.full(len(frame), 0.5))


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    from intentseg.data.contract import validate_table

    return validate_table(simulate_customers(3000, seed=9, snapshot_month="2026-11", labelled=False).features, SPEC)


@pytest.fixture(scope="module")
def drift_reference(small_splits, models):
    schema = models.classifier.schema
    return lambda: DriftMonitor(numeric=list(schema.numeric), categorical=list(schema.categorical), bins=10).fit(
        small_splits["train"]
    )


def run(
    population,
    models,
    drift,
    chunk_rows=700,
    reasons=REASONS,
    max_audience=None,
    exploration_share=0.0,
    rule="propensity",
):
    """Both passes over in-memory chunks; returns scores, rejects, audience, accumulator, tables."""
    scored, rejects, final, members = [], [], [], []
    chunks = [population.iloc[i : i + chunk_rows] for i in range(0, len(population), chunk_rows)]
    ids = duplicated_ids(population[SPEC.id_column])
    accumulator = score_population(
        chunks, models, SPEC, ids, drift, scored_sink=scored.append, rejects_sink=rejects.append, month="2026-11"
    )
    plan = plan_rows(accumulator, TargetingRule(rule, max_audience, exploration_share, margin=10.0, cost=1.0))
    tables = finalise_scores(
        scored,
        rows_to_explain(chunks, SPEC, accumulator.valid_flags, plan.explained(reasons.scope)),
        accumulator,
        plan,
        Explainer(models, reasons, None),
        audience_columns=audience_columns(SPEC.id_column, 3, models.uplift is not None),
        scores_sink=final.append,
        members_sink=members.append,
    )
    frame = lambda parts: pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()  # noqa: E731
    return frame(final), frame(rejects), frame(members), accumulator, tables


def inject_bad_rows(population: pd.DataFrame) -> pd.DataFrame:
    bad = population.astype({"age": "object", "cart_add_rate": "object"}).copy()
    bad.loc[3, "age"] = "forty"  # wrong type
    bad.loc[4, "cart_add_rate"] = 1.7  # impossible rate
    bad.loc[5, "orders_last_12m"] = -2  # impossible count
    bad.loc[6, "tenure_days"] = np.nan  # required value missing
    bad.loc[7, "total_spend_12m"] = np.inf  # not finite
    bad.loc[8, SPEC.id_column] = bad.loc[9, SPEC.id_column]  # duplicate id: both rows rejected
    return bad


def test_every_row_is_scored_or_rejected(population, models, drift_reference):
    scores, rejects, _, accumulator, _ = run(inject_bad_rows(population), models, drift_reference())
    assert accumulator.rows_in == len(population) == accumulator.rows_scored + accumulator.rows_rejected
    assert accumulator.rows_rejected == 7 and len(rejects) == 7 and len(scores) == len(population) - 7
    rules = dict(zip(rejects[SPEC.id_column].astype(str), rejects[REJECT_COLUMN]))
    ids = population[SPEC.id_column].astype(str)
    assert "age: not a number ('forty')" in rules[ids[3]]
    assert "cart_add_rate: outside [0.0, 1.0] (1.7)" in rules[ids[4]]
    assert "orders_last_12m: outside" in rules[ids[5]]
    assert "tenure_days: missing (required)" in rules[ids[6]]
    assert "total_spend_12m: not finite" in rules[ids[7]]
    assert rules[ids[9]].startswith(f"{SPEC.id_column}: duplicate id")
    assert set(accumulator.rejects_by_rule) >= {"age: not a number", f"{SPEC.id_column}: duplicate id"}
    assert not set(scores[SPEC.id_column]) & set(rejects[SPEC.id_column].astype(int))
    assert rejects.loc[rejects[SPEC.id_column] == ids[3], "age"].iloc[0] == "forty"  # the raw row is kept


def test_unseen_categories_and_missing_engagement_are_scored(population, models, drift_reference):
    odd = population.astype({"device_type": "object", "membership_tier": "object"}).copy()
    odd.loc[:9, "device_type"] = "smart_fridge"
    engagement = shopsphere_spec().groups["engagement"]
    odd.loc[10:19, engagement] = np.nan
    scores, rejects, _, accumulator, _ = run(odd, models, drift_reference())
    assert accumulator.rows_rejected == 0 and len(rejects) == 0
    assert scores["purchase_probability"].between(0, 1).all() and scores["segment_id"].notna().all()
    assert scores["reason_1"].notna().all()


def test_scores_columns_deciles_and_audience(population, models, drift_reference):
    scores, _, audience, accumulator, tables = run(population, models, drift_reference())
    assert list(scores.columns[:7]) == [
        SPEC.id_column,
        "purchase_probability",
        "propensity_decile",
        "in_audience",
        "segment_id",
        "segment_name",
        "reason_1",
    ]
    assert scores["propensity_decile"].value_counts().sort_index().tolist() == [300] * 10
    top = scores.groupby("propensity_decile")["purchase_probability"].mean()
    assert top.is_monotonic_decreasing
    expected_audience = models.classifier.decision.select(scores["purchase_probability"].to_numpy())
    assert (scores["in_audience"].to_numpy() == expected_audience).all()
    assert accumulator.audience_size == len(audience) == int(expected_audience.sum())
    assert accumulator.expected_conversions == pytest.approx(
        scores.loc[scores["in_audience"], "purchase_probability"].sum()
    )
    assert tables.segment_by_decile.to_numpy().sum() == len(scores)
    assert set(scores["classifier_version"]) == {models.classifier_version}


def test_scores_match_the_models(population, models, drift_reference):
    scores, _, _, _, _ = run(population, models, drift_reference())
    np.testing.assert_allclose(scores["purchase_probability"], models.classifier.purchase_probability(population))
    np.testing.assert_array_equal(scores["segment_id"], models.segmenter.assign(population))


def test_audience_cap_and_reason_scope(population, models, drift_reference):
    scope = REASONS.model_copy(update={"scope": "audience"})
    scores, _, audience, accumulator, tables = run(
        population, models, drift_reference(), reasons=scope, max_audience=50
    )
    assert len(audience) == tables.audience_exported == 50 < accumulator.audience_size
    top_50 = np.sort(scores.loc[scores["in_audience"], "purchase_probability"].to_numpy())[::-1][:50]
    np.testing.assert_allclose(np.sort(audience["purchase_probability"].to_numpy())[::-1], top_50)
    exported = scores["customer_id"].astype(str).isin(audience["customer_id"])  # reasons for those to contact only
    assert scores.loc[exported, "reason_1"].notna().all() and scores.loc[~exported, "reason_1"].isna().all()


def test_uplift_targeting_takes_the_largest_effects_at_the_same_budget(
    population, models, drift_reference, campaign_learner
):
    with_uplift = dataclasses.replace(models, uplift=campaign_learner)
    scope = REASONS.model_copy(update={"scope": "audience"})
    population = population.head(1500)
    propensity = run(population, with_uplift, drift_reference(), reasons=scope, exploration_share=0.1)
    uplift = run(population, with_uplift, drift_reference(), reasons=scope, exploration_share=0.1, rule="uplift")
    scores, _, members, accumulator, tables = uplift
    effect = campaign_learner.predict(population)
    np.testing.assert_allclose(scores["contact_effect"], effect)
    assert scores["effect_decile"].value_counts().tolist() == [150] * 10
    budget = propensity[4].audience_exported
    targeted = members[members["targeted"]]
    assert len(targeted) == tables.audience_exported == min(budget, int((effect > 0).sum()))
    assert (targeted["contact_effect"] > 0).all()  # never a predicted sleeping dog
    assert targeted["contact_effect"].min() >= np.sort(effect)[::-1][len(targeted) - 1]
    assert scores["in_audience"].sum() == accumulator.audience_size == len(targeted)
    explored = members["explored"]
    assert explored.sum() == propensity[2]["explored"].sum()  # the exploration sample does not depend on the rule
    exported = scores["customer_id"].astype(str).isin(members["customer_id"])  # members' ids are text
    assert scores.loc[exported, "reason_1"].notna().all() and scores.loc[~exported, "reason_1"].isna().all()
    profit = run(population, with_uplift, drift_reference(), reasons=scope, rule="uplift_profit")
    assert (profit[2]["contact_effect"] * 10.0 > 1.0).all() and len(profit[2]) == int((effect * 10.0 > 1.0).sum())


def test_an_uplift_rule_needs_an_uplift_model(population, models, drift_reference):
    with pytest.raises(ValueError, match="needs the predicted effects"):
        run(population, models, drift_reference(), rule="uplift")


def test_output_is_deterministic_and_chunk_size_free(population, models, drift_reference):
    first = run(population, models, drift_reference(), chunk_rows=700)[0]
    second = run(population, models, drift_reference(), chunk_rows=1100)[0]
    pd.testing.assert_frame_equal(first, second)


def test_empty_population(population, models, drift_reference):
    scores, rejects, audience, accumulator, tables = run(population.iloc[:0], models, drift_reference())
    assert accumulator.rows_in == accumulator.rows_scored == accumulator.rows_rejected == 0
    assert len(scores) == len(audience) == 0 and tables.audience_exported == 0


def test_fingerprint_mismatch_names_the_columns(population, models):
    columns = [c for c in population.columns if c not in ("cart_add_rate", "membership_tier")]
    with pytest.raises(FeatureMismatchError) as caught:
        check_population_columns(columns, models, SPEC.id_column)
    assert "cart_add_rate" in str(caught.value) and "membership_tier" in str(caught.value)
    with pytest.raises(FeatureMismatchError, match="id column"):
        check_population_columns([c for c in population.columns if c != SPEC.id_column], models, SPEC.id_column)


def test_row_problems_accept_clean_rows(population):
    assert (row_problems(population, SPEC, np.array([])) == "").all()


def test_duplicated_ids():
    assert duplicated_ids(pd.Series([1, 2, 2, 3, 3, 3, None])).tolist() == [2, 3]
    text = pd.Series(["b", "a", "b", None, None, "c", "a", "a"], dtype="str")  # missing twice is not a duplicate
    assert duplicated_ids(text).tolist() == ["a", "b"]
    assert duplicated_ids(pd.Series(["x", "y"], dtype="str")).tolist() == []
    many = pd.Series(np.random.default_rng(3).integers(0, 60, 100).astype(str), dtype="str")
    assert duplicated_ids(many).tolist() == sorted(many[many.duplicated(keep=False)].unique())
    assert duplicated_ids(pd.Series([7, 5, 7, 5, 1])).dtype == np.int64
    odd = ["é", "", "", None, "a\x00b", "a\x00b", "ab", "0", 0]
    for dtype in ("str", "string[python]", "string[pyarrow]", object):
        values = pd.Series(odd if dtype is object else odd[:-1], dtype=dtype)
        assert duplicated_ids(values).tolist() == ["", "a\x00b"], dtype


def test_duplicated_ids_compare_exactly_when_hashes_collide(monkeypatch):
    """Text ids are sorted by a hash; equal hashes are only candidates: every text colliding finds no duplicate."""
    from intentseg.scoring import validation

    monkeypatch.setattr(validation, "_text_hashes", lambda offsets, data: np.zeros(len(offsets) - 1, np.uint64))
    assert duplicated_ids(pd.Series(["a", "b", "c", "b"], dtype="str")).tolist() == ["b"]
    assert duplicated_ids(pd.Series(["a", "b", "c"], dtype="str")).tolist() == []


def test_deciles_and_cap_ties():
    probability = np.r_[np.linspace(0.2, 1, 700), np.full(300, 0.1)]  # a block of ties at the bottom
    deciles = rank_deciles(probability)
    assert np.bincount(deciles)[1:].tolist() == [100] * 10 and deciles[699] == 1 and deciles[0] == 7
    assert deciles[700:800].tolist() == [8] * 100 and deciles[-1] == 10  # ties broken by row order
    cap = AudienceCap(np.array([0.9, 0.8, 0.8, 0.8, 0.5]), limit=3)
    first = cap.select(np.array([0.8, 0.9]), np.array([True, True]))
    second = cap.select(np.array([0.8, 0.8, 0.5]), np.array([True, True, True]))
    assert first.tolist() == [True, True] and second.tolist() == [True, False, False]


def test_every_chunks_sample_is_compared_with_lightgbm(population, models, drift_reference, monkeypatch):
    """The first 256 valid rows of every chunk reach the check, gathered into calls of about 1,000 rows here."""
    compared = []
    monkeypatch.setattr(first_pass, "CHECK_BATCH_ROWS", 1000)
    monkeypatch.setattr(type(models.classifier.engine), "check_compiled", lambda _, frame: compared.append(frame))
    run(population, models, drift_reference(), chunk_rows=300)
    chunks = [population.iloc[start : start + 300] for start in range(0, len(population), 300)]
    expected = pd.concat([chunk.head(256) for chunk in chunks])[SPEC.id_column].tolist()
    assert [len(sample) for sample in compared] == [1024, 1024, 512]
    assert pd.concat(compared)[SPEC.id_column].tolist() == expected


def test_a_compiled_forest_that_disagrees_stops_scoring(population, models, drift_reference):
    from intentseg.classifier.compiled_forest import ForestMismatchError

    threshold = models.classifier.engine.forest.bitvectors.threshold
    saved = threshold.copy()
    threshold += 1.0  # a compiler bug, say: every numerical threshold moved
    try:
        with pytest.raises(ForestMismatchError, match="classifier: the compiled forest's raw score differs"):
            run(population, models, drift_reference())
    finally:
        threshold[:] = saved


def test_drift_monitor(small_splits, population):
    columns = ["total_spend_12m", "device_type"]
    same = DriftMonitor(numeric=["total_spend_12m"], categorical=["device_type"], bins=10).fit(
        small_splits["train"][columns]
    )
    same.update(population[columns])
    assert same.report(0.1, 0.25)["max_psi"] < 0.05
    shifted = DriftMonitor(numeric=["total_spend_12m"], categorical=["device_type"], bins=10).fit(
        small_splits["train"][columns]
    )
    moved = population[columns].assign(total_spend_12m=population["total_spend_12m"] * 3 + 100, device_type="desktop")
    shifted.update(moved)
    report = shifted.report(0.1, 0.25)
    assert report["flagged"] == ["device_type", "total_spend_12m"] and report["worst_feature"] in columns
    assert report["max_psi"] > 0.25


@pytest.mark.parametrize("edges", [[], [0.0], [-1.5, 0.0, 2.0, 7.25], list(np.linspace(-3, 3, 99))])
def test_bin_counts_are_numpys_bins(edges):
    """The compiled count of each bin equals searchsorted's (side right) and bincount's, NaN in a bin of its own."""
    edges = np.asarray(edges, dtype=float)
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.normal(0, 3, 2000), edges, np.nextafter(edges, -np.inf), [np.inf, -np.inf, np.nan]])
    values[rng.random(len(values)) < 0.05] = np.nan
    expected_bins = np.where(np.isnan(values), len(edges) + 1, np.searchsorted(edges, values, side="right"))
    expected = np.bincount(expected_bins, minlength=len(edges) + 2)
    np.testing.assert_array_equal(bin_counts(values, edges), expected)


def test_path_reasons_agree_with_treeshap(trained_classifier, small_splits):
    model, frame = trained_classifier.model, small_splits["test"].head(500)
    exact, path = contributions(model, frame, "treeshap"), contributions(model, frame, "path")
    raw = model.engine.booster.predict(model.schema.model_frame(frame), raw_score=True)
    np.testing.assert_allclose(path.sum(axis=1) + model.engine.bias, raw, atol=1e-9)
    agreement = method_agreement(exact, path)
    assert agreement["top3_overlap"] > 0.7 and agreement["sign_agreement"] > 0.95
    with pytest.raises(ValueError, match="reason-code method"):
        contributions(model, frame, "lime")


def test_partitions_scored_apart_and_merged_equal_one_stream(population, models, drift_reference):
    """The Dask engine's pieces in one process: per-partition pass 1, merged counts, sliced pass 2."""
    from intentseg.scoring.distributed import merge_accumulators
    from intentseg.scoring.second_pass import combine_final, finalise_chunk

    bad = inject_bad_rows(population)
    expected_drift = drift_reference()
    expected_scores, _, expected_members, expected_acc, expected_tables = run(
        bad, models, expected_drift, max_audience=150, exploration_share=0.05
    )
    ids = duplicated_ids(bad[SPEC.id_column])
    parts, scored, drifts = [], [], []
    for start in (0, 1100, 2000):  # uneven partitions
        frame = bad.iloc[start : {0: 1100, 1100: 2000, 2000: 3000}[start]]
        drift, kept = drift_reference(), []
        parts.append(
            score_population(
                [frame],
                models,
                SPEC,
                ids,
                drift,
                scored_sink=kept.append,
                rejects_sink=lambda _: None,
                month="2026-11",
            )
        )
        scored.append((pd.concat(kept, ignore_index=True), frame))
        drifts.append(drift.current_counts_)
    accumulator = merge_accumulators(parts)
    merged_drift = drift_reference()
    for counts in drifts:
        merged_drift.add_counts(counts)
    plan = plan_rows(accumulator, TargetingRule("propensity", 150, 0.05))
    finals, offset = [], 0
    for (chunk, frame), part in zip(scored, parts):  # pass 2 on each partition: interim scores, rows read again
        rows = plan.rows(offset, offset + len(chunk))
        features = pd.concat(list(rows_to_explain([frame], SPEC, part.valid_flags, rows.explained(REASONS.scope))))
        explainer = Explainer(models, REASONS, None)
        finals.append(finalise_chunk(chunk, features, rows, explainer, audience_columns(SPEC.id_column, 3)))
        offset += len(chunk)
    tables = combine_final(finals, plan)
    pd.testing.assert_frame_equal(pd.concat([f.scores for f in finals], ignore_index=True), expected_scores)
    members = pd.concat([f.exported_members for f in finals], ignore_index=True)
    pd.testing.assert_frame_equal(members, expected_members)
    pd.testing.assert_frame_equal(tables.segment_by_decile, expected_tables.segment_by_decile)
    assert (accumulator.rows_in, accumulator.rows_scored, accumulator.rows_rejected) == (
        expected_acc.rows_in, expected_acc.rows_scored, expected_acc.rows_rejected,
    )  # fmt: skip
    assert accumulator.rejects_by_rule == expected_acc.rejects_by_rule and tables.audience_exported == 150
    for name, counts in expected_drift.current_counts_.items():
        np.testing.assert_array_equal(merged_drift.current_counts_[name], counts)


def test_partitions_are_whole_row_groups_in_order(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from intentseg.scoring.distributed import plan_partitions

    pq.write_table(pa.table({"x": range(2500)}), tmp_path / "p.parquet", row_group_size=400)
    partitions = plan_partitions(str(tmp_path / "p.parquet"), 1000)
    assert [p.row_groups for p in partitions] == [(0, 1, 2), (3, 4, 5), (6,)]
    assert [p.rows for p in partitions] == [1200, 1200, 100] and partitions[2].part_name == "part-00002.parquet"
    assert [p.rows for p in plan_partitions(str(tmp_path / "p.parquet"), 10**9)] == [2500]


def test_drift_counts_each_level_by_its_text_and_missing_values_apart():
    monitor = DriftMonitor(numeric=[], categorical=["tier"], bins=10).fit(
        pd.DataFrame({"tier": pd.Series(["gold", "3", "basic"], dtype=object)})
    )
    monitor.update(
        pd.DataFrame({"tier": pd.Series(["gold", 3, 3.0, None, np.nan, "nan", "new", "gold"], dtype=object)})
    )
    # bins: the levels as fitted (gold, 3, basic), then missing, then unseen; 3.0 reads "3.0", not the level "3"
    assert monitor.current_counts_["tier"].tolist() == [2, 1, 0, 2, 3]


def test_model_frame_codes_levels_by_text_and_reads_numbers_as_their_canonical_text():
    from intentseg.classifier.features import FeatureSchema

    schema = FeatureSchema(numeric=("spend",), categorical={"tier": ("gold", "3", "basic")})
    frame = pd.DataFrame(
        {
            "spend": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "tier": pd.Series(["gold", None, "new", "basic", "3", "gold"], dtype=object),
        }
    )
    assert schema.model_frame(frame)["tier"].cat.codes.tolist() == [0, -1, -1, 2, 1, 0]  # unseen and missing: -1
    numbers = frame.assign(tier=pd.Series(["gold", 3, 3.0, " 3", np.nan, "basic"], dtype=object))
    coded = schema.model_frame(numbers)["tier"]
    assert coded.cat.codes.tolist() == [0, 1, 1, 1, -1, 2]  # 3, 3.0 and " 3" are the level "3"
    assert list(coded.cat.categories) == ["gold", "3", "basic"]


@pytest.mark.parametrize(
    ("values", "categories"),
    [
        (["gold", None, "new", "basic", "3", "gold"], ["basic", "gold", "new", "3", "unused"]),  # unused: not seen
        (["gold", "basic", None], ["gold", "basic", "platinum"]),  # an unused category outside the levels
        ([3, 1, None, 3], [1, 3]),  # numbers: not levels as they are, "3" after canonical text
        ([None, None], ["gold"]),
    ],
)
def test_level_codes_of_a_categorical_equal_those_of_its_values_as_objects(values, categories):
    """The categorical path looks up categories, not rows; codes and the unseen flag are the object path's."""
    from intentseg.classifier.features import FeatureSchema, level_codes

    levels = ("gold", "3", "basic")
    column = pd.Series(pd.Categorical(values, categories=categories))
    codes, unseen = level_codes(column, levels)
    expected_codes, expected_unseen = level_codes(column.astype(object), levels)
    assert codes.tolist() == expected_codes.tolist() and unseen == expected_unseen
    schema = FeatureSchema(numeric=(), categorical={"tier": levels})
    coded = schema.model_frame(pd.DataFrame({"tier": column}))["tier"].cat.codes.tolist()
    assert coded == schema.model_frame(pd.DataFrame({"tier": column.astype(object)}))["tier"].cat.codes.tolist()


def test_the_days_arrays_are_joined_once():
    """The plan reads each per-customer array several times: joined once and shared, not copied at every call."""
    from intentseg.scoring.types import ScoreAccumulator

    accumulator = ScoreAccumulator(probabilities=[np.array([0.1, 0.2]), np.array([0.3])], effects=[np.array([1.0])])
    first = accumulator.all_probabilities()
    assert first.tolist() == [0.1, 0.2, 0.3] and accumulator.all_probabilities() is first
    assert len(accumulator.probabilities) == 1 and accumulator.all_effects().tolist() == [1.0]
    assert ScoreAccumulator().all_effects() is None and ScoreAccumulator().all_audience_flags().dtype == bool

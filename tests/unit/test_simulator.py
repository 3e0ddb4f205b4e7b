"""The simulator: schema, consistency, prevalence, missingness, difficulty, determinism, drift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from intentseg.data.shopsphere import (
    ARCHETYPES,
    ENGAGEMENT_WARMUP_DAYS,
    consistency_violations,
    parse_month,
    shopsphere_spec,
)
from intentseg.data.simulator import simulate_customers
from intentseg.data.sources import load_customer_data, missing_rate_by_group, oracle_metrics
from tests.conftest import config_of, default_params

SPEC = shopsphere_spec()


def test_schema_has_36_features_in_four_groups(small_table):
    features = small_table.features
    assert list(features.columns) == [SPEC.id_column, *SPEC.feature_names, SPEC.target]
    assert {group: len(columns) for group, columns in SPEC.groups.items()} == {
        "demographics": 6,
        "behavioral": 12,
        "transactional": 10,
        "engagement": 8,
    }
    assert set(SPEC.categorical_features) == {
        "region",
        "city_tier",
        "device_type",
        "acquisition_channel",
        "preferred_payment_method",
        "top_category",
        "membership_tier",
    }
    assert features[SPEC.id_column].is_unique
    assert set(features[SPEC.target].unique()) == {0, 1}


@pytest.mark.parametrize("month", ["2026-11", "2026-06", "2027-01"])
def test_consistency_rules_always_hold(month):
    features = simulate_customers(20_000, seed=3, snapshot_month=month).features
    assert consistency_violations(features) == {rule: 0 for rule in consistency_violations(features)}


def test_consistency_check_can_fail(small_table):
    broken = small_table.features.copy()
    broken.loc[0, "orders_last_90d"] = broken.loc[0, "orders_last_12m"] + 1
    broken.loc[1, "cart_add_rate"] = 1.5
    violations = consistency_violations(broken)
    assert violations["orders_last_90d <= orders_last_12m"] == 1
    assert violations["rates in [0, 1]"] == 1


def test_values_respect_spec_ranges_and_levels(small_table):
    features = small_table.features
    for column in SPEC.columns:
        values = features[column.name].dropna()
        if column.kind == "numeric":
            assert column.minimum is None or values.min() >= column.minimum, column.name
            assert column.maximum is None or values.max() <= column.maximum, column.name
        else:
            assert set(values.astype(str)) <= set(column.categories), column.name


@pytest.mark.parametrize("n_rows,seed,month", [(60_000, 1, "2026-11"), (60_000, 2, "2026-06"), (80_000, 3, "2027-02")])
def test_prevalence_is_18_percent(n_rows, seed, month):
    table = simulate_customers(n_rows, seed=seed, snapshot_month=month)
    assert abs(table.features[SPEC.target].mean() - 0.18) <= 0.005
    assert table.ground_truth["true_probability"].mean() == pytest.approx(0.18, abs=1e-6)


def test_true_probability_mean_is_exact_even_when_small():
    table = simulate_customers(500, seed=1, snapshot_month="2026-11")
    assert table.ground_truth["true_probability"].mean() == pytest.approx(0.18, abs=1e-6)


def test_missing_rates(band_table):
    features = band_table.features
    rates = missing_rate_by_group(features, SPEC)
    assert abs(rates["demographics"] - 0.09) <= 0.01
    assert abs(rates["engagement"] - 0.04) <= 0.01
    assert rates["behavioral"] == 0 and rates["transactional"] == 0
    assert features["tenure_days"].notna().all()


def test_engagement_missing_exactly_for_recent_customers(band_table):
    features = band_table.features
    engagement = SPEC.groups["engagement"]
    recent = features["tenure_days"] < ENGAGEMENT_WARMUP_DAYS
    assert features.loc[recent, engagement].isna().all().all()
    assert features.loc[~recent, engagement].notna().all().all()


def test_demographics_missing_not_completely_at_random(band_table):
    features = band_table.features
    social = features["acquisition_channel"] == "social"
    age_missing = features["age"].isna()
    # Age is skipped more often by customers acquired through social (among known channels).
    assert age_missing[social].mean() > 1.3 * age_missing[features["acquisition_channel"] == "organic"].mean()
    legacy = features["tenure_days"] > 900
    channel_missing = features["acquisition_channel"].isna()
    assert channel_missing[legacy].mean() > 1.5 * channel_missing[~legacy].mean()


def _logistic_baseline_auc(features: pd.DataFrame, labels: np.ndarray, train: np.ndarray, test: np.ndarray) -> float:
    numeric = make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"), OneHotEncoder(handle_unknown="ignore")
    )
    model = make_pipeline(
        ColumnTransformer([("num", numeric, SPEC.numeric_features), ("cat", categorical, SPEC.categorical_features)]),
        LogisticRegression(max_iter=3000),
    )
    frame = features[SPEC.feature_names].astype({c: object for c in SPEC.categorical_features})
    model.fit(frame.iloc[train], labels[train])
    return oracle_metrics(labels[test], model.predict_proba(frame.iloc[test])[:, 1])["oracle_roc_auc"]


def test_difficulty_band(band_table):
    labels = band_table.features[SPEC.target].to_numpy()
    probability = band_table.ground_truth["true_probability"].to_numpy()
    train, test = train_test_split(np.arange(len(labels)), test_size=0.15, stratify=labels, random_state=0)
    oracle = oracle_metrics(labels[test], probability[test])
    assert 0.84 <= oracle["oracle_roc_auc"] <= 0.90
    assert 0.57 <= oracle["oracle_best_f1"] <= 0.68
    baseline_auc = _logistic_baseline_auc(band_table.features, labels, train, test)
    assert baseline_auc <= oracle["oracle_roc_auc"] - 0.015


def test_deterministic_given_seed_month_and_size():
    first = simulate_customers(3_000, seed=5, snapshot_month="2026-11")
    second = simulate_customers(3_000, seed=5, snapshot_month="2026-11")
    pd.testing.assert_frame_equal(first.features, second.features)
    pd.testing.assert_frame_equal(first.ground_truth, second.ground_truth)
    other_seed = simulate_customers(3_000, seed=6, snapshot_month="2026-11").features
    assert not other_seed["total_spend_12m"].equals(first.features["total_spend_12m"])


def test_snapshot_month_shifts_behaviour():
    november = simulate_customers(40_000, seed=1, snapshot_month="2026-11").features
    june = simulate_customers(40_000, seed=1, snapshot_month="2026-06").features
    next_year = simulate_customers(40_000, seed=1, snapshot_month="2027-11").features
    # Holiday season: more sessions and more discounted orders than in June.
    assert november["sessions_last_90d"].mean() > 1.05 * june["sessions_last_90d"].mean()
    assert november["discount_usage_rate"].mean() > june["discount_usage_rate"].mean() + 0.02
    # App adoption grows year on year.
    app_share = lambda frame: (frame["device_type"] == "mobile_app").mean()  # noqa: E731
    assert app_share(next_year) > app_share(november) + 0.02


def test_ground_truth_kept_apart(small_table):
    assert not {"true_probability", "true_archetype", "true_effect"} & set(small_table.features.columns)
    assert small_table.ground_truth[SPEC.id_column].equals(small_table.features[SPEC.id_column])
    assert set(small_table.ground_truth["true_archetype"].unique()) == set(ARCHETYPES)


def test_population_is_unlabelled_and_disjoint(small_table):
    population = simulate_customers(5_000, seed=7, snapshot_month="2026-11", labelled=False)
    assert SPEC.target not in population.features
    assert {"true_probability", "true_effect"} <= set(population.ground_truth)  # evaluation only, never a feature
    assert not {"true_probability", "true_effect"} & set(population.features)
    assert not set(population.features[SPEC.id_column]) & set(small_table.features[SPEC.id_column])


def test_archetype_mix_differs_by_channel(band_table):
    frame = pd.DataFrame(
        {
            "channel": band_table.features["acquisition_channel"],
            "archetype": band_table.ground_truth["true_archetype"],
        }
    ).dropna()
    mix = pd.crosstab(frame["channel"], frame["archetype"], normalize="index")
    assert mix.loc["affiliate", "deal_seeker"] > 2 * mix.loc["referral", "deal_seeker"]
    assert mix.loc["social", "window_browser"] > 2 * mix.loc["email", "window_browser"]
    assert (band_table.ground_truth["true_archetype"].value_counts(normalize=True) > 0.08).all()


def test_archetypes_overlap(band_table):
    """No single feature separates archetypes: the spend ranges of loyal and regular customers overlap."""
    spend = np.log1p(band_table.features["total_spend_12m"])
    archetype = band_table.ground_truth["true_archetype"]
    loyal = spend[archetype == "loyal_high_spender"]
    regular = spend[archetype == "steady_regular"]
    assert loyal.median() > regular.median()
    assert ((regular > loyal.quantile(0.25)).mean()) > 0.2


def test_heavy_tails_and_overdispersion(band_table):
    features = band_table.features
    assert features["total_spend_12m"].skew() > 3
    assert features["sessions_last_90d"].var() > 3 * features["sessions_last_90d"].mean()


def test_recencies_use_documented_censoring(band_table):
    features = band_table.features
    window = np.minimum(features["tenure_days"], 365)
    no_order = features["orders_last_12m"] == 0
    assert (features.loc[no_order, "days_since_last_order"] == window[no_order]).all()
    assert (features.loc[~no_order, "days_since_last_order"] < window[~no_order]).all()
    assert (features.loc[no_order, ["preferred_payment_method", "top_category"]] == "none").all().all()


@pytest.mark.parametrize("bad", ["2026/11", "2026-13", "nov", "1999-01"])
def test_parse_month_rejects_bad_months(bad):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(bad)


def test_rejects_empty_size():
    with pytest.raises(ValueError, match="n_rows"):
        simulate_customers(0, seed=1, snapshot_month="2026-11")


def test_true_contact_effects_have_the_shape_issue_23_fixes(band_table):
    """Heterogeneous effects of an offer e-mail, averaging +2 to +3 points, ranked unlike the propensity."""
    from scipy.stats import spearmanr

    from intentseg.data.contact_effect import sleeping_dogs

    features, truth = band_table.features, band_table.ground_truth
    effect, probability = truth["true_effect"].to_numpy(), truth["true_probability"].to_numpy()
    assert 0.02 <= effect.mean() <= 0.03 and effect.std() > effect.mean()  # heterogeneous
    assert np.all(probability + effect >= 0) and np.all(probability + effect <= 1)
    hurt = effect < 0  # sleeping dogs: about 5%, exactly the customers the rule names
    assert 0.03 <= hurt.mean() <= 0.07 and np.array_equal(hurt, sleeping_dogs(features) & (probability > 0))
    assert spearmanr(effect, probability)[0] < 0.3
    sure_things = probability >= np.quantile(probability, 0.9)
    assert effect[sure_things].mean() < 0.5 * effect.mean()
    lost_causes = features["days_since_last_visit"].to_numpy() > 90
    assert np.abs(effect[lost_causes]).mean() < 0.005
    persuadables = effect >= np.quantile(effect, 0.9)
    deal_driven = features["discount_usage_rate"].to_numpy() > 0.3
    lapsing = (features["days_since_last_order"].between(55, 145) & (features["orders_last_12m"] > 0)).to_numpy()
    assert deal_driven[persuadables].mean() > 1.5 * deal_driven.mean()
    assert lapsing[persuadables].mean() > 1.5 * lapsing.mean()
    low, high = np.quantile(probability, [0.3, 0.9])  # mid-propensity: neither lost causes nor sure things
    assert low < np.median(probability[persuadables]) < high


def test_the_effect_has_its_own_stream(monkeypatch):
    """Adding the effect moved no draw: features and labels equal those of a simulator without it."""
    from intentseg.data import simulator

    table, again = simulate_customers(3000, 5, "2026-11"), simulate_customers(3000, 5, "2026-11")
    assert table.ground_truth["true_effect"].equals(again.ground_truth["true_effect"])  # deterministic
    monkeypatch.setattr(simulator, "true_contact_effect", lambda features, probability, rng: np.zeros(len(features)))
    without = simulate_customers(3000, 5, "2026-11")
    pd.testing.assert_frame_equal(table.features, without.features)


def test_simulated_source_draws_the_same_tables_with_the_labelled_one_in_a_thread():
    """prepare draws the labelled table in a second thread: the tables are those of drawing one after the other."""
    data = default_params()["data"]
    data.update(source="simulator", n_customers=900, population_size=1300)
    loaded = load_customer_data(config_of("data", data), 7, None)
    labelled = simulate_customers(900, 7, data["snapshot_month"], labelled=True)
    population = simulate_customers(1300, 7, data["snapshot_month"], labelled=False)
    assert loaded.labelled["customer_id"].tolist() == labelled.features["customer_id"].astype(str).tolist()
    np.testing.assert_array_equal(loaded.labelled["orders_last_12m"], labelled.features["orders_last_12m"])
    np.testing.assert_array_equal(loaded.population["total_spend_12m"], population.features["total_spend_12m"])
    pd.testing.assert_series_equal(
        loaded.population_truth["true_probability"], population.ground_truth["true_probability"], check_names=False
    )

"""Segments a marketer can use on any table: k in a marketer's range, behavioural features, names and reasons
in plain words, stability per segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.config.check import section_config
from intentseg.data.column_words import column_kind, column_words, words_of
from intentseg.segments.k_rule import choose_k
from intentseg.segments.naming import category_words, flag_traits, generate_names, numeric_words
from intentseg.segments.quality import segment_jaccard
from intentseg.segments.setup import choose_features, plan_segmentation
from intentseg.segments.training import segmenter_for
from tests.conftest import default_params


@pytest.fixture(scope="module")
def config(repo_root):
    return section_config(default_params(repo_root), "train_segmenter")


def _k_rule(config, frame: pd.DataFrame, numeric: list[str]):
    features = config.presets["simulator"].features.model_copy(update={"numeric": tuple(numeric), "categorical": ()})
    auto_k = config.auto_k.model_copy(update={"sample_size": 1500, "n_init": 2, "stability_resamples": 2})
    setup = config.model_copy(update={"features": features, "log1p": (), "k": "auto", "auto_k": auto_k})
    plan = plan_segmentation(setup, "file", frame, {"bought"})
    return choose_k(segmenter_for(plan, setup, 0, 2), frame, auto_k, 0, target="bought", bar=0.20)


def test_the_k_rule_finds_five_groups_in_a_marketers_range(config):
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6], [6, 6, 6]], dtype=float)
    group = rng.integers(0, 5, 3000)
    points = centres[group] + rng.normal(0, 0.7, (3000, 3))
    frame = pd.DataFrame(points, columns=["a", "b", "c"]).assign(bought=(rng.random(3000) < 0.1 + 0.15 * group))
    assert list(config.auto_k.candidates) == [4, 5, 6, 7, 8]  # the default range
    k, table = _k_rule(config, frame, ["a", "b", "c"])
    assert k == 5 and [row["k"] for row in table] == [4, 5, 6, 7, 8]
    assert {"silhouette", "stability", "smallest_share", "outcome_spread", "eligible", "reaches_bar"} <= set(table[0])
    assert next(row for row in table if row["chosen"])["k"] == 5 and all(row["reaches_bar"] for row in table[:2])


def test_the_k_rule_says_when_no_k_reaches_the_bar(config):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(0, 1, (3000, 6)), columns=list("abcdef")).assign(bought=rng.random(3000) < 0.2)
    k, table = _k_rule(config, frame, list("abcdef"))
    assert 4 <= k <= 8  # still a marketer's range, never a silent fall back to 2
    assert not any(row["reaches_bar"] for row in table)
    from intentseg.evaluation.segments import segment_review_metrics as review_metrics

    details = {"k": k, "silhouette": {"mean": 0.1, "ci": [0.09, 0.11]}, "stability_ari": 0.5, "segments": {}}
    metrics = review_metrics({**details, "setup": {"k_selection": table}})
    assert metrics["k_rule_reaches_silhouette_bar"] is False


def messy_customers(rows: int = 3000, seed: int = 0) -> pd.DataFrame:
    """A table as teams bring it: behaviour beside ids, codes, flags and demographics."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "CustomerNumber": np.arange(100000, 100000 + rows, dtype=float),  # an identifier
            "OperatingSystems": rng.integers(1, 9, rows).astype(float),  # an integer code
            "StoreCode": rng.choice(["1", "2", "3", "4"], rows),  # a coded categorical
            "is_test_account": (rng.random(rows) < 0.07).astype(float),  # a near-constant flag
            "has_app": (rng.random(rows) < 0.4).astype(float),
            "Age": rng.integers(18, 80, rows).astype(float),
            "days_since_last_order": rng.exponential(40, rows).round(),
            "NumWebPurchases": rng.poisson(4, rows).astype(float),
            "AmtWine": np.exp(rng.normal(4, 1, rows)).round(2),
            "ExitRate": rng.beta(2, 20, rows),
            "Income": rng.normal(50000, 20000, rows).round(),  # all different, but money, not an id
            "Kidhome": rng.integers(0, 3, rows).astype(float),  # a small count from 0, not a code
            "day": rng.integers(1, 32, rows).astype(float),  # the day of the month of the last contact
            "plan": rng.choice(["free", "plus", "pro"], rows, p=[0.6, 0.3, 0.1]),
        }
    )


def test_features_auto_prefers_behaviour_and_skips_codes_ids_and_flags_with_reasons(config):
    auto = config.auto_features.model_copy(update={"max_numeric": 5})
    chosen = choose_features(messy_customers(), set(), auto)
    # recency, frequency, money, a rate, then the second money column: one of each kind in turn
    assert chosen["numeric"] == ["days_since_last_order", "NumWebPurchases", "Income", "ExitRate", "AmtWine"]
    assert chosen["categorical"] == ["plan"]
    choice = chosen["choice"]
    assert choice["CustomerNumber"].startswith("skipped: an identifier")
    assert choice["OperatingSystems"].startswith("skipped: an integer code")
    assert choice["StoreCode"].startswith("skipped: integer-coded levels without a dictionary")
    assert choice["is_test_account"].startswith("skipped: a near-constant true/false flag")
    assert choice["days_since_last_order"] == "kept: recency (days since last order), behaviour"
    assert choice["Age"].startswith("skipped: not among the first 5 numeric")  # demographics come after behaviour
    assert choice["Kidhome"].startswith("skipped: not among the first 5 numeric")
    assert choice["day"].startswith("skipped: a calendar position")
    assert set(choice) == set(messy_customers().columns)  # a reason for every column, kept or skipped
    with_dictionary = choose_features(messy_customers(), set(), auto, dictionary=frozenset({"StoreCode"}))
    assert "StoreCode" in with_dictionary["categorical"]


def test_feature_groups_say_what_is_behaviour(config):
    auto = config.auto_features.model_copy(update={"max_numeric": 1})
    frame = messy_customers()[["Age", "AmtWine"]]
    assert choose_features(frame, set(), auto)["numeric"] == ["AmtWine"]
    groups = {"Age": "activity", "AmtWine": "demographics"}
    assert choose_features(frame, set(), auto, groups=groups)["numeric"] == ["Age"]


@pytest.mark.parametrize(
    ("name", "values", "kind", "words", "high_low"),
    [
        ("NumWebPurchases", [1.0, 4.0], "count", "number web purchases", ("many web purchases", "few web purchases")),
        ("orders_last_12m", [0.0, 3.0], "count", "orders in the last 12 months", None),
        ("total_spend_12m", [10.5, 99.9], "money", "total spend in the last 12 months", ("high spend", "low spend")),
        ("AmtWine", [10.5, 99.9], "money", "amount wine", ("high wine spend", "low wine spend")),
        ("days_since_contact", [3.0, 40.0], "recency", "days since contact", ("lapsed", "recent")),
        ("Recency", [3.0, 40.0], "recency", "recency", ("lapsed", "recent")),
        ("ExitRate", [0.1, 0.3], "rate", "exit rate", ("high exit rate", "low exit rate")),
        ("email_open_rate", [0.1, 0.3], "rate", "email open rate", None),
        ("has_app", [0.0, 1.0], "flag", "has app", ("with the app", "without the app")),
        ("is_member", [0.0, 1.0], "flag", "is member", ("member", "not member")),
        ("tenure_days", [10.0, 900.0], "duration", "tenure days", ("long-standing", "new")),
        ("Administrative_Duration", [10.0, 900.0], "duration", "administrative duration", None),
        ("avgBasketValue", [10.5, 20.2], "money", "average basket value", None),
    ],
)
def test_column_words_for_every_kind(name, values, kind, words, high_low):
    column = column_words(name, pd.Series(values))
    assert (column.kind, column.words) == (kind, words)
    if high_low:
        assert column.high_low() == high_low
    assert "_" not in column.words and column.words == column.words.strip()


def test_coded_categoricals_name_a_segment_only_through_a_dictionary(config):
    codes = pd.Series(["1", "2", "3"])
    assert column_kind("OperatingSystems", codes, categorical=True) == "code"
    assert column_kind("plan", pd.Series(["free", "pro"]), categorical=True) == "category"
    words = {"os": column_words("OperatingSystems", codes, categorical=True)}
    assert category_words("os", "2", config.naming, words) is None  # a code is no word
    naming = config.naming.model_copy(update={"categorical": {"os": {"2": "Windows users"}}})
    assert category_words("os", "2", naming, words) == "Windows users"


def test_reasons_read_in_plain_words_without_a_dictionary():
    from intentseg.classifier.explain import FeatureWords

    words = FeatureWords({}, {"visits_30d": "Visits (30d)"}, frozenset({"has_app"}))
    visits = words.phrases("visits_30d", pd.Series([3.0]))[0]
    assert visits == "3 visits in the last 30 days"
    assert words.phrases("has_app", pd.Series([1.0, 0.0])).tolist() == ["with the app", "without the app"]
    assert words.phrases("days_since_contact", pd.Series([12.0]))[0] == "12 days since contact"
    assert words.phrases("ExitRate", pd.Series([0.25]))[0] == "exit rate: 25%"
    assert words_of("PagesViewed_last_7d") == "pages viewed in the last 7 days"


def _profile(numeric: dict[str, tuple[float, float, float]], flags: dict[str, tuple[float, float]] | None = None):
    stats = {
        name: {"percentile": pct, "median": median, "population_median": typical}
        for name, (pct, median, typical) in numeric.items()
    }
    for name, (mean, population) in (flags or {}).items():
        stats[name] = {
            "percentile": 0.5,
            "median": 1.0,
            "population_median": 0.0,
            "mean": mean,
            "population_mean": population,
        }
    return {"numeric": stats, "categorical": {}}


def test_names_read_as_phrases_with_words_that_fit_the_kind(config):
    from types import SimpleNamespace

    words = {
        "NumWebPurchases": column_words("NumWebPurchases", pd.Series([1.0, 4.0])),
        "Recency": column_words("Recency", pd.Series([3.0, 40.0])),
        "has_app": column_words("has_app", pd.Series([0.0, 1.0])),
    }
    profiles = {
        1: _profile({"NumWebPurchases": (0.9, 9, 4), "Recency": (0.1, 3, 20)}),
        2: _profile({"NumWebPurchases": (0.1, 1, 4), "Recency": (0.85, 60, 20)}, {"has_app": (0.1, 0.4)}),
        3: _profile({"NumWebPurchases": (0.5, 4, 4), "Recency": (0.5, 20, 20)}, {"has_app": (0.95, 0.4)}),
    }
    model = SimpleNamespace(segment_ids=(1, 2, 3))
    names = {s: n.name for s, n in generate_names(model, profiles, config.naming, None, words).items()}
    assert names[1] == "Recent customers with many web purchases"
    assert names[2] == "Lapsed customers with few web purchases"  # two numeric traits at most: the strongest
    assert names[3] == "Customers with the app"
    assert len(set(names.values())) == 3
    evidence = flag_traits("has_app", profiles[3]["numeric"]["has_app"], config.naming, words)[0].evidence
    assert evidence == "95% with the app, against 40% of all customers"
    assert numeric_words("Recency", config.naming, words) == ("lapsed", "recent")
    unstable = generate_names(model, profiles, config.naming, None, words, unstable={2})
    assert unstable[2].name.startswith("Unstable group of lapsed customers")


def test_segment_jaccard_against_a_hand_computed_case():
    labels = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    refits = [np.array([0, 0, 0, 0, 1, 1, 1, 1]), np.array([0, 0, 0, 1, 1, 1, 1, 1])]
    jaccard = segment_jaccard(labels, refits)
    assert jaccard[1] == pytest.approx((1.0 + 3 / 4) / 2)  # second refit: {0,1,2} of {0,1,2,3}
    assert jaccard[2] == pytest.approx((1.0 + 4 / 5) / 2)  # second refit: {4..7} of {3..7}


def test_an_unstable_name_does_not_flip_on_a_measurement_near_the_line():
    from intentseg.segments.naming import unstable_segments

    jaccard = {1: 0.55, 2: 0.7, 3: 0.55, 4: 0.9, 5: 0.45}
    kept = {
        2: "Unstable group of lapsed customers",
        3: "Lapsed customers",
        4: "Unstable group of recent customers",
        5: "Recent customers",
    }
    # 1 is new and below 0.6; 2 keeps its honest name until clearly reproduced (0.75); 3 keeps its confident
    # name until clearly dissolved (0.5), 5 is; 4 is clearly reproduced again
    assert unstable_segments(jaccard, kept) == {1, 2, 5}

"""Last month's campaign and what is learned from it (issue 23): the simulated history, the uplift fit, the comparison."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from intentseg.evaluation.targeting import (
    LastCampaign,
    ProductionModels,
    TodaysPopulation,
    campaign_readout_by_group,
    campaign_readout_by_rule,
    compare_targeting,
)
from intentseg.scoring.campaign_history import history_unavailable, no_history, simulated_campaign
from intentseg.scoring.types import TargetingRule
from intentseg.uplift.training import fit_uplift, held_out_rows, split_history
from tests.conftest import config_of, default_params

ID = "customer_id"


def uplift_config(**changes):
    values = {**default_params()["uplift"], "resamples": 50, "lightgbm": {
        "num_boost_round": 60, "learning_rate": 0.1, "num_leaves": 15, "min_data_in_leaf": 50, "num_threads": 1}}  # fmt: skip
    return config_of("uplift", {**values, **changes})


@pytest.fixture(scope="module")
def campaign(small_splits, trained_classifier):
    """The trained classifier's campaign over 8,000 customers whose contact adds 0.3 when they open e-mails."""
    population = pd.concat([small_splits["train"], small_splits["valid"]]).head(8000).drop(columns="purchased_next_30d")
    population = population.reset_index(drop=True)
    effect = np.where(population["email_open_rate"].fillna(0) > 0.3, 0.3, 0.0)
    truth = pd.DataFrame({ID: population[ID], "true_probability": 0.1, "true_effect": effect})
    history = simulated_campaign(
        trained_classifier.model, population, truth, id_column=ID, month="2026-10", control_share=0.3,
        rule=TargetingRule("propensity", None, 0.2), uplift=None, seed=5,
    )  # fmt: skip
    return population, truth, history


def test_the_simulated_campaign_is_the_exports_design_with_outcomes_from_the_truth(campaign):
    population, _, history = campaign
    rows = history.history
    assert rows["randomised"].all() and rows[ID].is_unique and (rows["month"] == "2026-10").all()
    assert rows[ID].tolist() == history.features[ID].tolist() == history.truth[ID].tolist()
    assert not {"true_probability", "true_effect"} & set(history.features.columns)
    explored = rows["stratum"].str.startswith("exploration")
    assert explored.sum() == pytest.approx(0.2 * len(population), abs=10)
    opens = history.truth["true_effect"].to_numpy() > 0
    contacted = rows["contacted"].to_numpy() == 1
    rate = lambda mask: rows.loc[mask, "converted"].mean()  # noqa: E731
    assert rate(opens & contacted) - rate(opens & ~contacted) == pytest.approx(0.3, abs=0.08)
    assert rate(~opens & contacted) - rate(~opens & ~contacted) == pytest.approx(0.0, abs=0.05)


def test_the_simulated_campaign_repeats(campaign, trained_classifier):
    population, truth, history = campaign
    again = simulated_campaign(
        trained_classifier.model, population, truth, id_column=ID, month="2026-10", control_share=0.3,
        rule=TargetingRule("propensity", None, 0.2), uplift=None, seed=5,
    )  # fmt: skip
    pd.testing.assert_frame_equal(again.history, history.history)


def test_why_there_is_no_history():
    uplift, data = uplift_config(), config_of("data", default_params()["data"])
    assert history_unavailable(uplift, data, True, "2026-10") is None
    assert "uplift.history is none" in history_unavailable(uplift_config(history="none"), data, True, "2026-10")
    assert "make promote" in history_unavailable(uplift, data, False, None)
    assert "not known yet" in history_unavailable(uplift, data, True, "2026-11")
    panel = config_of("data", {**default_params()["data"], "source": "panel", "snapshot_month": "2027-02"})
    assert history_unavailable(uplift, panel, True, "2026-12") is None
    assert "2027-01 has not closed" in history_unavailable(uplift, panel, True, "2027-01")  # 31 + 30 days > February
    table = config_of("data", {**default_params()["data"], "source": "data/raw/customers.csv"})
    assert "simulator and the panel only" in history_unavailable(uplift, table, True, "2026-10")
    assert len(no_history(ID).history) == 0


def test_the_uplift_fit_chooses_on_valid_and_finds_the_effect(campaign):
    _, _, history = campaign
    result = fit_uplift(history.history, history.features, history.truth, uplift_config(), id_column=ID, seed=1)
    assert result.summary["learner"] in ("two_model", "x_learner", "class_transformation")
    learners = result.details["learners"]
    assert result.summary["learner"] == max(learners, key=lambda kind: learners[kind]["valid_qini"])
    assert result.summary["evidence"]["targeting"] == "uplift", result.summary["evidence"]["reason"]
    assert result.summary["oracle"]["rank_correlation"] > 0.3
    assert result.summary["oracle"]["qini"] >= result.summary["test"]["qini"]["value"] - 0.01
    assert result.model_file()["learner"]["kind"] == result.summary["learner"]
    assert {"share", "model", "random", "oracle"} <= set(result.curves[0])


def test_no_effect_gives_no_evidence(campaign):
    _, _, history = campaign
    shuffled = history.history.assign(converted=np.random.default_rng(0).permutation(history.history["converted"]))
    result = fit_uplift(shuffled, history.features, history.truth, uplift_config(), id_column=ID, seed=1)
    assert result.summary["evidence"]["targeting"] == "propensity"
    assert "includes zero" in result.summary["evidence"]["reason"]


def test_without_enough_randomised_customers_nothing_is_learned(campaign):
    _, _, history = campaign
    empty = no_history(ID)
    result = fit_uplift(empty.history, empty.features, empty.truth, uplift_config(), id_column=ID, seed=1)
    assert result.learner is None and "no campaign sent yet" in result.summary["evidence"]["reason"]
    few = history.history.head(150)
    result = fit_uplift(few, history.features.head(150), history.truth, uplift_config(), id_column=ID, seed=1)
    assert result.learner is None and "at least 100" in result.summary["evidence"]["reason"]


def test_with_several_months_the_newest_is_held_out():
    history = pd.DataFrame({ID: [f"C{i}" for i in range(400)], "month": ["2026-09"] * 200 + ["2026-10"] * 200})
    part = split_history(history, ID, uplift_config(), seed=0)
    assert (part[200:] == "test").all() and not (part[:200] == "test").any()
    assert 0 < (part[:200] == "valid").sum() < 200


def test_uplift_targeting_beats_propensity_where_the_effect_is_not_the_propensity(
    campaign, trained_classifier, fitted_segments
):
    population, truth, history = campaign
    config = uplift_config()
    result = fit_uplift(history.history, history.features, history.truth, config, id_column=ID, seed=1)
    probability = trained_classifier.model.purchase_probability(population)
    effect = result.learner.predict(population)
    today = TodaysPopulation(
        ids=population[ID], probability=probability, effect=effect, true_effect=truth["true_effect"].to_numpy()
    )
    last = LastCampaign(history.history, history.features, result.learner, trained_classifier.model, fitted_segments[0])
    rule = TargetingRule("propensity", None, 0.2, margin=10.0, cost=1.0)
    comparison = compare_targeting(today, last, rule, config, id_column=ID, seed=1)
    rules = comparison["rules"]
    decided = trained_classifier.model.decision.select(probability)
    assert rules["propensity"]["customers"] == decided.sum() == comparison["budget"]
    assert rules["uplift"]["customers"] <= comparison["budget"]
    best = np.sort(today.true_effect)[::-1][: comparison["budget"]].sum()  # the oracle's pick at this budget
    assert rules["uplift"]["true_incremental"] > 0.9 * best > 1.2 * rules["propensity"]["true_incremental"]
    for rule in rules.values():
        assert rule["low"] <= rule["expected_incremental"] <= rule["high"]
    assert 0 <= comparison["audience_changed_share"] <= 1
    held_out = held_out_rows(history.history, ID, config, seed=1)
    explored = held_out & history.history["stratum"].str.startswith("exploration").to_numpy()
    assert comparison["evaluated_on"]["held_out_exploration_customers"] == explored.sum()
    readout = campaign_readout_by_group(last, 0.95)
    assert sum(row["contacted"] + row["held_out"] for row in readout) == len(history.history)
    assert {row["sample"] for row in readout} == {"audience", "exploration"}
    for row in readout:
        assert row["uplift"] == pytest.approx(row["contacted_rate"] - row["held_out_rate"])
        assert row["low"] <= row["uplift"] <= row["high"]


def test_each_rule_is_read_out_on_the_exploration_customers_it_picked(campaign, trained_classifier, fitted_segments):
    """Realised uplift per rule: the exploration customers each rule picked with the models then in production."""
    history = campaign[2]
    fitted = fit_uplift(history.history, history.features, history.truth, uplift_config(), id_column=ID, seed=1)
    classifier = trained_classifier.model
    last = LastCampaign(history.history, history.features, fitted.learner, classifier, fitted_segments[0])
    rule = TargetingRule("propensity", 10, 0.2, margin=10.0, cost=1.0)  # the cap is not applied to a sample
    assert campaign_readout_by_rule(last, rule, 0.95) == []  # no models in production: nothing to read out
    production = ProductionModels(classifier, fitted.learner, "uplift")
    rows = {row["rule"]: row for row in campaign_readout_by_rule(replace(last, production=production), rule, 0.95)}
    assert set(rows) == {"everyone", "propensity", "uplift", "uplift_profit"}
    assert [name for name, row in rows.items() if row["used"]] == ["uplift"]
    explored = history.history["stratum"].str.startswith("exploration").to_numpy()
    assert rows["everyone"]["contacted"] + rows["everyone"]["held_out"] == explored.sum()
    picked = classifier.decision.select(classifier.purchase_probability(history.features[explored]))
    group = history.history[explored][picked]
    assert rows["propensity"]["contacted"] + rows["propensity"]["held_out"] == picked.sum()
    rate = lambda contacted: group.loc[(group["contacted"] == 1) == contacted, "converted"].mean()  # noqa: E731
    assert rows["propensity"]["uplift"] == pytest.approx(rate(True) - rate(False))
    assert rows["uplift"]["contacted"] + rows["uplift"]["held_out"] <= picked.sum()  # the same budget at most
    assert rows["uplift"]["uplift"] > rows["everyone"]["uplift"] + 0.05  # it picks the customers with the effect
    for row in rows.values():
        assert row["low"] <= row["uplift"] <= row["high"]
    no_uplift = ProductionModels(classifier, None, "propensity")
    rows = campaign_readout_by_rule(replace(last, production=no_uplift), rule, 0.95)
    assert [row["rule"] for row in rows] == ["everyone", "propensity"]


def test_an_uplift_targeted_export_is_rebuilt_with_the_champions_uplift_model(campaign, trained_classifier):
    population, truth, history = campaign
    fitted = fit_uplift(history.history, history.features, history.truth, uplift_config(), id_column=ID, seed=1)
    rebuilt = simulated_campaign(
        trained_classifier.model, population, truth, id_column=ID, month="2026-11", control_share=0.3,
        rule=TargetingRule("uplift", None, 0.2), uplift=fitted.learner, seed=5,
    )  # fmt: skip
    audience = rebuilt.history[rebuilt.history["stratum"].str.startswith("audience")]
    effect = fitted.learner.predict(rebuilt.features[rebuilt.features[ID].isin(audience[ID])])
    assert (effect > 0).all()
    with pytest.raises(ValueError, match="needs the predicted effects"):
        simulated_campaign(
            trained_classifier.model, population, truth, id_column=ID, month="2026-11", control_share=0.3,
            rule=TargetingRule("uplift", None, 0.2), uplift=None, seed=5,
        )  # fmt: skip


def test_target_by_follows_the_evidence_or_the_setting():
    from intentseg.foundation.errors import ConfigError
    from intentseg.scoring.daily import targeting_rule

    score, decision = (
        config_of("score", default_params()["score"]),
        config_of("train_classifier", default_params()["train_classifier"]).decision,
    )
    evidence = {"targeting": "uplift", "reason": "the Qini interval is above zero"}
    rule = targeting_rule(score, decision, evidence, has_uplift=True, rows=1000)
    assert rule.name == "uplift" and "auto" in rule.why and "above zero" in rule.why
    assert (rule.margin, rule.cost) == (decision.margin_per_conversion, decision.contact_cost)
    weak = {"targeting": "propensity", "reason": "its interval includes zero"}
    assert targeting_rule(score, decision, weak, has_uplift=True, rows=1000).name == "propensity"
    assert targeting_rule(score, decision, None, has_uplift=False, rows=1000).name == "propensity"
    chosen = score.model_copy(update={"target_by": "uplift_profit"})
    assert targeting_rule(chosen, decision, weak, has_uplift=True, rows=1000).name == "uplift_profit"
    with pytest.raises(ConfigError, match="score.target_by: 'uplift' needs an uplift model"):
        targeting_rule(score.model_copy(update={"target_by": "uplift"}), decision, weak, has_uplift=False, rows=10)
    capped = score.model_copy(update={"max_audience": 5000})
    assert targeting_rule(capped, decision, evidence, has_uplift=True, rows=1000).max_audience == 1000


def _tool_export(labelled: pd.DataFrame) -> pd.DataFrame:
    """A campaign tool's export for 600 labelled customers: text flags, a date for the month, extra columns."""
    rng = np.random.default_rng(8)
    rows = labelled.head(600)
    return pd.DataFrame(
        {
            ID: rows[ID].to_numpy(),
            "month": "2026-10-15",
            "contacted": rng.choice(["yes", "no"], 600),
            "randomised": ["yes"] * 500 + ["no"] * 100,
            "converted": rng.choice(["1", "0"], 600),
            "channel": "email",
        }
    )


def test_a_campaign_tools_history_is_read_and_joined_with_the_labelled_features(small_splits):
    from intentseg.scoring.campaign_history import history_from_file

    labelled = small_splits["train"]
    history = history_from_file(
        _tool_export(labelled), labelled, id_column=ID, snapshot_column=None, target="purchased_next_30d"
    )
    rows = history.history
    assert len(rows) == 600 and (rows["month"] == "2026-10").all() and set(rows["contacted"]) == {0, 1}
    randomised = rows["randomised"].to_numpy()
    assert np.allclose(rows.loc[randomised, "contact_probability"], rows.loc[randomised, "contacted"].mean())
    assert rows.loc[~randomised, "contact_probability"].isna().all()
    assert history.features[ID].tolist() == rows[ID].tolist()
    assert "purchased_next_30d" not in history.features and "cart_add_rate" in history.features
    assert len(history.truth) == 0


def test_a_history_with_snapshots_joins_the_same_month(small_splits):
    from intentseg.scoring.campaign_history import history_from_file

    labelled = small_splits["train"].head(600).assign(snapshot_date="2026-09-30")
    later = labelled.assign(snapshot_date="2026-10-31", cart_add_rate=0.5)
    export = _tool_export(labelled)
    history = history_from_file(
        export, pd.concat([labelled, later]), id_column=ID, snapshot_column="snapshot_date", target="purchased_next_30d"
    )
    assert len(history.history) == 600 and (history.features["cart_add_rate"] == 0.5).all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="randomised"), r"missing \['randomised'\]"),
        (lambda f: f.assign(converted=["maybe"] + ["1"] * 599), "'converted': rule 'yes_or_no' broken by 1 row"),
        (
            lambda f: f.assign(month=["13/2026"] + ["2026-10"] * 599),
            "'month': rule 'a month YYYY-MM or a date YYYY-MM-DD'",
        ),
        (lambda f: pd.concat([f, f.head(2)]), "one row per customer and month"),
        (
            lambda f: f.assign(customer_id="X" + f["customer_id"].astype(str)),
            "none of its 600 customers is in the labelled table",
        ),
    ],
)
def test_a_bad_history_file_gets_one_clear_message(small_splits, change, message):
    from intentseg.foundation.errors import DataContractError
    from intentseg.scoring.campaign_history import history_from_file

    labelled = small_splits["train"]
    with pytest.raises(DataContractError, match=message):
        history_from_file(
            change(_tool_export(labelled)), labelled, id_column=ID, snapshot_column=None, target="purchased_next_30d"
        )

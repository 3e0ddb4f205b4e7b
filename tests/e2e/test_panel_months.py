"""Two consecutive months on a small customer panel: month M run and promoted, M+1 reproduced and reviewed;
M's export is sent in the panel and M+1's uplift model learns from it.

The second run's test customers are the labelled customers of M, the month the promoted model scored in
production: their features equal what it scored then, both models are compared on them, and the same
customers' segments then and now give the customer-level migration.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.sandbox import Sandbox

PANEL = {
    "data.source": "panel",
    "data.n_customers": 1500,
    "data.population_size": 6000,
    "data.labelled_snapshots": 3,
    "score.chunk_rows": 2500,
    "score.exploration_share": 0.2,  # enough randomised customers of 6,000 for an uplift model to learn from
}


@pytest.fixture(scope="module")
def two_months(tmp_path_factory, repo_root):
    sandbox = Sandbox(repo_root, tmp_path_factory.mktemp("panel"))
    sandbox.set_params(PANEL)
    sandbox.dvc("repro")
    scored_then = pd.read_parquet(sandbox.path("prepared", "population"))
    sandbox.promote()
    sandbox.dvc("repro")
    sandbox.commit("2026-11 accepted")
    sent = pd.read_parquet(sandbox.path("scores", "audience_parquet"))
    sandbox.set_params({"data.snapshot_month": "2026-12"})
    sandbox.dvc("repro")
    return sandbox, scored_then, sent


def test_the_second_month_tests_on_last_month_out_of_time(two_months):
    sandbox = two_months[0]
    split = json.loads(sandbox.path("metrics", "split").read_text())
    assert split["test"]["snapshots"] == ["2026-11-30"] and split["valid"]["snapshots"] == ["2026-10-31"]
    assert split["train"]["snapshots"] == ["2026-09-30"]
    data = json.loads(sandbox.path("details", "data").read_text())
    assert sorted(data["snapshots"]) == ["2026-09-30", "2026-10-31", "2026-11-30"]
    assert all(0.1 < month["positive_rate"] < 0.3 for month in data["snapshots"].values())


def test_the_test_customers_are_the_customers_production_scored(two_months):
    sandbox, scored_then, _ = two_months
    test = pd.read_parquet(sandbox.path("split", "test"))
    then = scored_then.set_index("customer_id").loc[test["customer_id"]].reset_index()
    features = [column for column in then.columns if column != "customer_id"]
    pd.testing.assert_frame_equal(
        test[["customer_id", *features]].reset_index(drop=True), then[["customer_id", *features]], check_dtype=False
    )


def test_both_models_are_compared_on_those_customers(two_months):
    sandbox = two_months[0]
    from tests.e2e.test_pipeline import _assert_champion_scored_on_the_same_customers

    _assert_champion_scored_on_the_same_customers(sandbox)
    diff = sandbox.dvc("metrics", "diff", "HEAD", "--md").stdout
    assert "vs_champion.roc_auc" in diff and "share_customers_moved" in diff


def test_segments_are_followed_customer_by_customer(two_months):
    sandbox = two_months[0]
    test_rows = json.loads(sandbox.path("metrics", "split").read_text())["test"]["rows"]
    moved = json.loads(sandbox.path("details", "segmenter").read_text())["migration"]["customers"]
    assert moved["customers"] == test_rows  # every labelled customer of 2026-11 is still registered
    matrix = json.loads(sandbox.path("plots", "segments", "customer_migration").read_text())
    assert sum(row["count"] for row in matrix) == test_rows
    stayed = sum(row["count"] for row in matrix if row["from_segment"] == row["to_segment"])
    assert moved["share_moved"] == pytest.approx(1 - stayed / test_rows)
    assert 0 < moved["share_moved"] < 0.6
    assert "The same customers over time" in sandbox.path("report").read_text()


def test_last_months_export_is_sent_in_the_panel_and_learned_from(two_months):
    """The panel's campaign: the export of 2026-11, its customers as they were, buying with their true effect."""
    from tests.e2e.test_uplift_months import _assert_history_is

    sandbox, scored_then, sent = two_months
    history = pd.read_parquet(sandbox.path("campaign", "history"))
    _assert_history_is(history, sent, "2026-11")
    features = pd.read_parquet(sandbox.path("campaign", "features")).set_index("customer_id")
    then = scored_then.set_index("customer_id").loc[features.index, features.columns]
    pd.testing.assert_frame_equal(features, then, check_dtype=False)
    truth = pd.read_parquet(sandbox.path("campaign", "truth"))
    assert truth["true_effect"].notna().all() and (truth["true_effect"] < 0).any()
    uplift = json.loads(sandbox.path("details", "uplift").read_text())
    assert uplift["history"]["months"] == ["2026-11"] and uplift["learner"] is not None, uplift["evidence"]
    assert -1 <= uplift["oracle"]["rank_correlation"] <= 1  # the truth of the panel's customers

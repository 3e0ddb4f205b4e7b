"""Three consecutive months of the default simulator: each month's export is sent, the next learns from it.

Month 2026-11 runs with no champion (nothing to learn from yet) and is promoted; in 2026-12 the
campaign history is that export, sent in the simulator's world: the same customers in the same
groups. An uplift model is learned from it, the export targets by it (``score.target_by: uplift``)
and today's rules are compared. Promoted again, 2027-01 learns from that uplift-targeted export.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from tests.sandbox import Sandbox

SMALL = {
    "data.n_customers": 4000,
    "data.population_size": 10000,
    "score.chunk_rows": 4000,
    "score.exploration_share": 0.2,
}


@pytest.fixture(scope="module")
def three_months(tmp_path_factory, repo_root):
    sandbox = Sandbox(repo_root, tmp_path_factory.mktemp("uplift"))
    shutil.rmtree(sandbox.root / "reference")  # a new repository: no champion, no campaign sent yet
    (sandbox.root / "reference").mkdir()
    (sandbox.root / "reference" / "README.md").write_text("no reference yet\n")
    sandbox.set_params(SMALL)
    sandbox.dvc("repro")
    first = {
        "uplift": json.loads(sandbox.path("details", "uplift").read_text()),
        "export": pd.read_parquet(sandbox.path("scores", "audience_parquet")),
    }
    sandbox.promote()
    sandbox.commit("2026-11 accepted")
    sandbox.set_params({"data.snapshot_month": "2026-12", "score.target_by": "uplift"})
    sandbox.dvc("repro")
    second_export = pd.read_parquet(sandbox.path("scores", "audience_parquet"))
    second_history = pd.read_parquet(sandbox.path("campaign", "history"))
    second = {name: json.loads(sandbox.path("details", name).read_text()) for name in ("uplift", "targeting", "score")}
    sandbox.promote()
    sandbox.commit("2026-12 accepted")
    sandbox.set_params({"data.snapshot_month": "2027-01"})
    sandbox.dvc("repro")
    return sandbox, first, {**second, "export": second_export, "history": second_history}


def test_the_first_month_learns_nothing_and_says_why(three_months):
    _, first, _ = three_months
    assert first["uplift"]["learner"] is None
    assert first["uplift"]["evidence"]["targeting"] == "propensity"
    assert "no campaign sent yet" in first["uplift"]["evidence"]["reason"]
    assert set(first["export"]["sample"]) == {"audience", "exploration"}


def _assert_history_is(history: pd.DataFrame, export: pd.DataFrame, month: str) -> None:
    assert (history["month"] == month).all() and len(history) == len(export)
    sent = export.set_index("customer_id").loc[history["customer_id"]]
    assert ((sent["group"] == "target").to_numpy() == (history["contacted"] == 1).to_numpy()).all()
    assert (sent["sample"].to_numpy() == history["stratum"].str.split().str[0].to_numpy()).all()


def test_the_history_is_the_export_that_was_sent(three_months):
    sandbox, first, second = three_months
    _assert_history_is(second["history"], first["export"], "2026-11")
    history = pd.read_parquet(sandbox.path("campaign", "history"))  # month 3: the uplift-targeted export of month 2
    _assert_history_is(history, second["export"], "2026-12")


def test_the_second_month_learns_the_effect_targets_by_it_and_compares_the_rules(three_months):
    sandbox, _, second = three_months
    uplift = second["uplift"]
    assert uplift["learner"] in ("two_model", "x_learner", "class_transformation")
    assert uplift["history"]["months"] == ["2026-11"]
    assert -1 < uplift["oracle"]["rank_correlation"] <= 1
    assert second["score"]["targeting"]["rule"] == "uplift"
    audience = second["export"][second["export"]["sample"] == "audience"]
    assert len(audience) > 0 and (audience["contact_effect"] > 0).all()  # no predicted sleeping dog is contacted
    assert audience["contact_effect"].is_monotonic_decreasing and set(audience["effect_decile"]) <= set(range(1, 11))
    targeting = second["targeting"]
    assert targeting["budget"] == targeting["rules"]["propensity"]["customers"] > 0
    assert len(audience) <= targeting["budget"]
    assert {"propensity", "uplift", "uplift_profit"} == set(targeting["rules"])
    assert all("true_incremental" in rule for rule in targeting["rules"].values())
    readout = {row["rule"]: row for row in targeting["readout_by_rule"]}  # the 2026-11 champion had no uplift model
    assert list(readout) == ["everyone", "propensity"] and readout["propensity"]["used"]
    later = json.loads(sandbox.path("details", "targeting").read_text())["readout_by_rule"]
    assert {row["rule"] for row in later} == {"everyone", "propensity", "uplift", "uplift_profit"}
    assert [row["rule"] for row in later if row["used"]] == ["uplift"]  # 2026-12's export targeted by uplift
    realised = json.loads(sandbox.path("metrics", "targeting").read_text())["realised_uplift"]
    assert realised == {"at_random": later[0]["uplift"], "rule_used": next(r["uplift"] for r in later if r["used"])}
    champion = json.loads((sandbox.root / "reference" / "champion.json").read_text())
    assert champion == {"period": "2026-12", "target_by": "uplift"}
    diff = sandbox.dvc("metrics", "diff", "HEAD", "--md").stdout
    assert "uplift.json" in diff and "targeting.json" in diff

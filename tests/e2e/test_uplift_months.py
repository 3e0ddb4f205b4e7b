"""Two consecutive months of the default simulator: month M's export is sent, M+1 learns from it and compares.

Month 2026-11 runs with no champion (nothing to learn from yet) and is promoted; in 2026-12 the
campaign history is that export, sent in the simulator's world: the same customers in the same
groups. An uplift model is learned from it, and today's targeting rules are compared with it.
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
def two_months(tmp_path_factory, repo_root):
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
    sandbox.set_params({"data.snapshot_month": "2026-12"})
    sandbox.dvc("repro")
    return sandbox, first


def test_the_first_month_learns_nothing_and_says_why(two_months):
    _, first = two_months
    assert first["uplift"]["learner"] is None
    assert first["uplift"]["evidence"]["targeting"] == "propensity"
    assert "no campaign sent yet" in first["uplift"]["evidence"]["reason"]
    assert set(first["export"]["sample"]) == {"audience", "exploration"}


def test_the_history_is_the_export_that_was_sent(two_months):
    sandbox, first = two_months
    history = pd.read_parquet(sandbox.path("campaign", "history"))
    assert (history["month"] == "2026-11").all()
    export = first["export"].set_index("customer_id").loc[history["customer_id"]]
    assert len(history) == len(first["export"])
    assert ((export["group"] == "target").to_numpy() == (history["contacted"] == 1).to_numpy()).all()
    assert (export["sample"].to_numpy() == history["stratum"].str.split().str[0].to_numpy()).all()


def test_the_second_month_learns_the_effect_and_compares_the_rules(two_months):
    sandbox, _ = two_months
    uplift = json.loads(sandbox.path("details", "uplift").read_text())
    assert uplift["learner"] in ("two_model", "x_learner", "class_transformation")
    assert uplift["history"]["months"] == ["2026-11"]
    assert -1 < uplift["oracle"]["rank_correlation"] <= 1
    targeting = json.loads(sandbox.path("details", "targeting").read_text())
    assert targeting["budget"] == targeting["rules"]["propensity"]["customers"] > 0
    assert {"propensity", "uplift", "uplift_profit"} == set(targeting["rules"])
    assert all("true_incremental" in rule for rule in targeting["rules"].values())
    model = json.loads(sandbox.path("models", "uplift").read_text())
    assert model["learner"]["kind"] == uplift["learner"] and "tree" in next(iter(model["learner"]["boosters"].values()))
    diff = sandbox.dvc("metrics", "diff", "HEAD", "--md").stdout
    assert "uplift.json" in diff and "targeting.json" in diff

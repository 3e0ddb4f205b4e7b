"""The score stage as a program: outputs, injected bad rows, refused models, atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

SCORE_OUTPUTS = {
    "scores.scores": "out/scores.parquet",
    "scores.audience": "out/audience.csv",
    "scores.rejects": "out/rejects.parquet",
    "metrics.score": "out/score.json",
    "plots.score.audience": "out/audience_plot.json",
    "logs.score_timings": "out/timings.json",
}


def test_default_outputs(reproduced):
    scores = pd.read_parquet(reproduced.path("scores", "scores"))
    summary = json.loads(reproduced.path("metrics", "score").read_text())
    assert summary["rows_in"] == 6000 == summary["rows_scored"] + summary["rows_rejected"] == len(scores)
    assert {
        "customer_id",
        "purchase_probability",
        "propensity_decile",
        "in_audience",
        "segment_id",
        "segment_name",
        "reason_1",
        "reason_2",
        "reason_3",
        "classifier_version",
        "segmenter_version",
    } | ({"contact_effect", "effect_decile"} if "contact_effect" in scores else set()) == set(scores.columns)
    assert scores["customer_id"].is_unique
    export = pd.read_csv(reproduced.path("scores", "audience"), dtype={"customer_id": str})
    explained = scores["reason_1"].notna()  # reasons for the customers exported (score.reasons.scope)
    assert explained.equals(scores["customer_id"].isin(export["customer_id"])) and explained.any()
    in_audience = set(scores.loc[scores["in_audience"], "customer_id"])  # every one exported (no cap), some explored
    assert export["customer_id"].isin(in_audience).sum() == summary["audience_size"] == len(in_audience)
    assert set(export.loc[export["sample"] == "audience", "customer_id"]) <= in_audience
    explored = export[export["sample"] == "exploration"]
    assert len(explored) == round(0.05 * 600) * 10  # 5% of every decile of the 6,000 customers
    assert summary["expected_conversions"] == pytest.approx(
        scores.loc[scores["in_audience"], "purchase_probability"].sum(), rel=1e-6
    )
    assert {"max_psi", "worst_feature", "flagged"} <= set(summary["drift"]) and summary["drift"]["flagged"] == []
    by_decile = json.loads(reproduced.path("plots", "score", "segment_by_decile").read_text())
    assert sum(row["count"] for row in by_decile) == len(scores) and {row["decile"] for row in by_decile} == set(
        range(1, 11)
    )
    drift = json.loads(reproduced.path("plots", "score", "drift").read_text())
    assert (
        len(drift) == 36
        and drift[0]["psi"] == summary["drift"]["max_psi"]
        and drift[0]["feature"] == summary["drift"]["worst_feature"]
    )
    plot = json.loads(reproduced.path("plots", "score", "audience").read_text())
    assert sum(row["audience_size"] for row in plot) == summary["audience_size"]


def test_injected_bad_rows_are_rejected_and_counted(reproduced, tmp_path):
    population = pd.read_parquet(reproduced.path("prepared", "population"))
    # Age arrives as text (as from a CSV extract), with one value that is not a number.
    population["age"] = [None if pd.isna(v) else str(int(v)) for v in population["age"]]
    population.loc[0, "age"] = "unknown"
    population.loc[1, "cart_add_rate"] = 3.0
    population.loc[2, "customer_id"] = population.loc[3, "customer_id"]
    population.to_parquet(tmp_path / "population.parquet")
    workdir = reproduced.stage_workdir(tmp_path, {**SCORE_OUTPUTS, "prepared.population": "population.parquet"})
    result = reproduced.run_stage("score", workdir)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "out/score.json").read_text())
    rejects = pd.read_parquet(tmp_path / "out/rejects.parquet")
    assert summary["rows_in"] == 6000 and summary["rows_rejected"] == 4 == len(rejects)
    assert summary["rows_scored"] + summary["rows_rejected"] == summary["rows_in"]
    assert len(pd.read_parquet(tmp_path / "out/scores.parquet")) == 5996
    assert rejects["reject_rules"].str.contains("age: not a number").sum() == 1


def test_mismatched_population_is_refused_and_outputs_kept(reproduced, tmp_path):
    workdir = reproduced.stage_workdir(tmp_path, {**SCORE_OUTPUTS, "prepared.population": "population.parquet"})
    pd.read_parquet(reproduced.path("prepared", "population")).to_parquet(tmp_path / "population.parquet")
    assert reproduced.run_stage("score", workdir).returncode == 0
    before = {
        name: (tmp_path / path).read_bytes() for name, path in SCORE_OUTPUTS.items() if name != "logs.score_timings"
    }
    pd.read_parquet(reproduced.path("prepared", "population")).drop(columns=["cart_add_rate"]).to_parquet(
        tmp_path / "population.parquet"
    )
    result = reproduced.run_stage("score", workdir)
    assert result.returncode != 0
    assert "cart_add_rate" in result.stderr and "fingerprint" in result.stderr
    assert before == {
        name: (tmp_path / path).read_bytes() for name, path in SCORE_OUTPUTS.items() if name != "logs.score_timings"
    }


def test_failure_mid_write_leaves_previous_outputs(reproduced, tmp_path, monkeypatch):
    workdir = reproduced.stage_workdir(tmp_path, SCORE_OUTPUTS)
    monkeypatch.chdir(workdir)
    from stages import score as stage

    stage.main()
    before = (tmp_path / "out/scores.parquet").read_bytes()
    import intentseg.foundation.io as io

    original_write = io.ParquetAppender.write
    calls = {"n": 0}

    def failing_write(self, frame):
        calls["n"] += 1
        if calls["n"] == 4:  # pass 2 has started writing the final scores
            raise OSError("disk full (simulated)")
        original_write(self, frame)

    monkeypatch.setattr(io.ParquetAppender, "write", failing_write)
    with pytest.raises(OSError, match="simulated"):
        stage.main()
    assert (tmp_path / "out/scores.parquet").read_bytes() == before
    leftovers = [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert np.isfinite(pd.read_parquet(tmp_path / "out/scores.parquet")["purchase_probability"]).all()


def test_the_export_imports_into_a_spreadsheet_as_is(reproduced):
    from intentseg.scoring.export import export_columns

    csv_path = reproduced.path("scores", "audience")
    text = csv_path.read_bytes().decode("utf-8")  # UTF-8, no BOM needed
    header = text.splitlines()[0].split(",")
    export = pd.read_csv(csv_path, dtype={"customer_id": str})
    twin = pd.read_parquet(reproduced.path("scores", "audience_parquet"))
    assert header == export_columns("customer_id", 3, "contact_effect" in twin)
    assert export["customer_id"].is_unique and export["customer_id"].tolist() == twin["customer_id"].tolist()
    assert twin["customer_id"].map(type).eq(str).all()  # ids as text
    rule = json.loads(reproduced.path("details", "score").read_text())["targeting"]["rule"]
    assert export["purchase_probability" if rule == "propensity" else "contact_effect"].is_monotonic_decreasing
    assert set(export["group"]) == {"target", "control"} and export["run_date"].nunique() == 1
    assert export.loc[:, "reason_1"].notna().all()

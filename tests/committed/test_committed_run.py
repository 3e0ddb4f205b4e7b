"""The committed default run (make check): every stage is locked and the committed metrics meet the bars.

Whether dvc.lock matches the code, params and inputs is `python -m intentseg.checks lock` (DVC's own
`dvc status`), not re-implemented here.
"""

from __future__ import annotations

import json

import pytest
import yaml


@pytest.fixture(scope="module")
def lock(repo_root) -> dict:
    return yaml.safe_load((repo_root / "dvc.lock").read_text())["stages"]


def test_every_stage_is_locked(repo_root, lock):
    stages = yaml.safe_load((repo_root / "dvc.yaml").read_text())["stages"]
    assert set(lock) == set(stages)


def test_default_data_meets_foundation_acceptance(repo_root):
    data = json.loads((repo_root / "metrics" / "data.json").read_text())
    details = json.loads((repo_root / "reports" / "details" / "data.json").read_text())
    assert data["rows"] == 240_000 and data["features"] == 36
    assert data["population_rows"] == 1_200_000
    assert 0.175 <= data["positive_rate"] <= 0.185
    assert abs(details["missing_rate"]["demographics"] - 0.09) <= 0.01
    assert abs(details["missing_rate"]["engagement"] - 0.04) <= 0.01
    assert details["missing_rate"]["behavioral"] == 0 and details["missing_rate"]["transactional"] == 0
    assert 0.84 <= data["oracle_roc_auc"] <= 0.90
    assert 0.57 <= details["simulator"]["oracle_best_f1"] <= 0.68


def test_default_classifier_meets_the_bars(repo_root):
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    metrics = json.loads((repo_root / "metrics" / "classifier.json").read_text())
    details = json.loads((repo_root / "reports" / "details" / "classifier.json").read_text())
    test, oracle = details["test"], details["oracle"]
    assert test["roc_auc"] >= 0.82 and test["f1"] >= 0.55  # seed bar
    assert oracle["roc_auc"] - test["roc_auc"] <= 0.01 and oracle["f1"] - test["f1"] <= 0.02  # our bar
    assert test["ece"] <= params["gates"]["max_expected_calibration_error"]
    assert test["roc_auc"] > metrics["baseline"]["roc_auc"]
    for name in ("roc_auc", "pr_auc", "f1", "lift_top_decile"):
        low, high = metrics["test"][f"{name}_ci"]
        assert low < metrics["test"][name] < high, name


def test_default_segmentation_meets_the_bars(repo_root):
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    metrics = json.loads((repo_root / "metrics" / "segmenter.json").read_text())
    details = json.loads((repo_root / "reports" / "details" / "segmenter.json").read_text())
    assert metrics["silhouette"] >= params["gates"]["min_silhouette"] and details["silhouette"]["samples"] >= 5
    low, high = metrics["silhouette_ci"]
    assert low < metrics["silhouette"] < high
    assert details["silhouette"]["sample_size"] >= 5000
    assert metrics["stability_ari"] >= params["gates"]["min_stability_ari"] and details["stability"]["resamples"] >= 3
    names = list(metrics["names"].values())
    assert len(names) == metrics["k"] and len(set(names)) == len(names)
    reference = json.loads((repo_root / "reference" / "segmenter.json").read_text())
    renamed = json.loads((repo_root / "reports" / "details" / "segmenter_train.json").read_text())["renamed"]
    expected = {str(s["id"]): s["name"] for s in reference["segments"]}  # the reference's names, ...
    expected |= {
        str(change["segment"]): change["to"] for change in renamed if change["reason"]
    }  # ... or a reasoned rename
    assert expected == metrics["names"]


def test_default_scoring_accounts_for_every_customer(repo_root):
    summary = json.loads((repo_root / "metrics" / "score.json").read_text())
    assert summary["rows_in"] == 1_200_000 == summary["rows_scored"] + summary["rows_rejected"]
    assert 0 < summary["audience_size"] <= summary["rows_scored"]
    assert 0 < summary["expected_conversions"] < summary["audience_size"]
    assert {"max_psi", "worst_feature", "flagged"} <= set(summary["drift"])
    by_decile = json.loads((repo_root / "plots" / "score" / "segment_by_decile.json").read_text())
    deciles = [sum(row["count"] for row in by_decile if row["decile"] == d) for d in range(1, 11)]
    assert deciles == [summary["rows_scored"] // 10] * 10


def _numeric_leaves(node) -> int:
    if isinstance(node, dict):
        return sum(_numeric_leaves(value) for value in node.values())
    return 1 if isinstance(node, (int, float, str)) else 0  # lists are not DVC metrics


def test_metrics_files_hold_only_what_a_reviewer_decides_on(repo_root):
    """`dvc metrics diff` stays short: about 40 numbers across all metrics files, tables go to plots."""
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    leaves = {
        name: _numeric_leaves(json.loads((repo_root / path).read_text()))
        for name, path in params["paths"]["metrics"].items()
    }
    # 41, the champion comparison's 5 (metrics/classifier.json), and what contact changes: 5 in
    # metrics/uplift.json (learner, Qini and its lower bound, the oracle's, the rule) and 9 in metrics/targeting.json
    # (with last month's realised uplift at random and under the rule used)
    assert sum(leaves.values()) <= 60, leaves


def test_the_committed_report_page_runs_no_script(repo_root):
    from tests.unit.test_hostile_text import assert_safe_page

    assert_safe_page((repo_root / "reports" / "report.html").read_text(encoding="utf-8"))

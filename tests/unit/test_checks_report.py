"""Quality gates, the lock-freshness check, and the generated report."""

from __future__ import annotations

import dataclasses
import json

import pytest
import yaml

from intentseg.checks.lock import lock_problems
from intentseg.checks.reproduce import json_outputs
from intentseg.config.check import section_config
from intentseg.evaluation.gates import format_gate_table, gate_failures, gate_rows, lookup
from intentseg.reporting.report import REPORT_DETAILS, REPORT_PLOTS, ReportInputs, RunFiles, build_report, suggested_use
from tests.conftest import default_params

METRICS = {
    "classifier": {
        "test": {"roc_auc": 0.80, "roc_auc_ci": [0.79, 0.81], "f1": 0.60, "ece": 0.01},
        "gap_to_oracle": {"roc_auc": 0.02},
    },
    "segmenter": {"silhouette": 0.30, "silhouette_ci": [0.29, 0.31], "stability_ari": 0.95},
    "score": {"drift": {"flagged": ["age"]}, "rows_rejected": 5, "rows_in": 1000},
}


def test_gates_report_every_miss_with_the_metric():
    failures = gate_failures(
        METRICS,
        {
            "min_roc_auc": 0.82,
            "min_f1": 0.55,
            "max_gap_to_oracle_roc_auc": 0.01,
            "min_silhouette": 0.2,
            "max_flagged_drift_features": 0,
            "max_rejected_share": 0.01,
        },
    )
    assert len(failures) == 3
    assert any("min_roc_auc" in f and "0.8" in f and "below the minimum 0.82" in f for f in failures)
    assert any("max_gap_to_oracle_roc_auc" in f for f in failures)
    assert any("max_flagged_drift_features" in f and "is 1" in f for f in failures)


def test_gates_skip_absent_metrics_and_refuse_unknown_gates():
    assert gate_failures({"classifier": {"test": {"roc_auc": 0.9}}}, {"max_gap_to_oracle_roc_auc": 0.01}) == []
    with pytest.raises(ValueError, match="unknown gate.*min_vibes"):
        gate_failures(METRICS, {"min_vibes": 1.0})


def test_gate_table_shows_base_change_and_noise():
    base = {
        **METRICS,
        "classifier": {**METRICS["classifier"], "test": {**METRICS["classifier"]["test"], "roc_auc": 0.85}},
        "segmenter": {**METRICS["segmenter"], "silhouette": 0.305},
    }
    rows = {
        row.gate: row
        for row in gate_rows(
            METRICS, base, {"min_roc_auc": 0.82, "min_silhouette": 0.2, "max_expected_calibration_error": 0.02}
        )
    }
    roc = rows["min_roc_auc"]
    assert roc.passed is False and roc.change == pytest.approx(-0.05) and roc.noise == pytest.approx(0.01)
    assert roc.beyond_noise is True  # a drop of 0.05 against an interval half-width of 0.01
    assert rows["min_silhouette"].beyond_noise is False  # 0.005 is inside the noise
    assert rows["max_expected_calibration_error"].noise is None and rows["max_expected_calibration_error"].passed
    table = format_gate_table(list(rows.values()), "main", markdown=True)
    lines = table.splitlines()
    assert lines[0].startswith("| gate | bar | main | this run | change |") and len(lines) == 2 + 3
    assert "| min_roc_auc | >= 0.82 | 0.8500 | 0.8000 | -0.0500 | 0.0100 | yes | FAIL |" in table
    assert "n/a" in format_gate_table(gate_rows(METRICS, None, {"min_roc_auc": 0.82}), "main", markdown=False)


def test_lookup_counts_lists_but_returns_intervals():
    assert lookup(METRICS["score"], "drift.flagged") == 1
    assert lookup(METRICS["classifier"], "test.roc_auc_ci") == [0.79, 0.81]
    assert lookup(METRICS["score"], "rows_rejected/rows_in") == 0.005
    assert lookup(METRICS["score"], "missing.key") is None


def test_lock_problems_name_changed_code_params_and_committed_outputs():
    status = {
        "split": [{"changed deps": {"intentseg/split.py": "modified", "params.yaml": {"split": "modified"}}}],
        "train": [
            {"changed deps": {"data/split/train.parquet": "deleted"}},
            {"changed outs": {"models/model.txt": "not in cache", "metrics/train.json": "modified"}},
        ],
        "evaluate": ["changed command"],
    }
    problems = lock_problems(
        status,
        produced={"data/split/train.parquet", "models/model.txt", "metrics/train.json"},
        git_tracked_outputs={"metrics/train.json"},
    )
    assert problems == [
        "stage split: intentseg/split.py is modified since dvc.lock was written",
        "stage split: param split is modified since dvc.lock was written",
        "stage train: committed output metrics/train.json is modified against dvc.lock",
        "stage evaluate: changed command",
    ]
    fresh_clone = {
        "train": [
            {"changed deps": {"data/split/train.parquet": "deleted"}},
            {"changed outs": {"models/model.txt": "deleted"}},
        ]
    }
    assert lock_problems(fresh_clone, {"data/split/train.parquet", "models/model.txt"}, set()) == []


def test_reproduction_covers_every_committed_json_output(repo_root):
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    files = json_outputs(params["paths"])
    assert params["paths"]["checks"]["predictions"] in files
    assert set(params["paths"]["metrics"].values()) <= set(files)
    assert params["paths"]["plots"]["classifier"]["roc"] in files and params["paths"]["details"]["classifier"] in files
    assert not [path for path in files if not path.endswith(".json")]


def _inputs(repo_root) -> ReportInputs:
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    paths = params["paths"]
    read = lambda path: json.loads((repo_root / path).read_text())  # noqa: E731
    from intentseg.reporting.report import report_figure_links

    reference = {
        name: read(f"{paths['reference']['metrics']}/{path.split('/')[-1]}")
        for name, path in paths["metrics"].items()
        if (repo_root / paths["reference"]["metrics"] / path.split("/")[-1]).exists()
    }
    files = RunFiles(
        metrics={name: read(path) for name, path in paths["metrics"].items()},
        details={name: read(paths["details"][name]) for name in REPORT_DETAILS},
        plots={name: read(paths["plots"][group][plot]) for name, (group, plot) in REPORT_PLOTS.items()},
    )
    return ReportInputs(
        snapshot_month=str(params["data"]["snapshot_month"]),
        files=files,
        reference=reference,
        figures=report_figure_links(paths["report"], paths["figures"]),
        gates=params["gates"],
        drift_warn_psi=params["score"]["drift"]["warn_psi"],
        decision=section_config(default_params(repo_root), "train_classifier").decision,
        champion_period=json.loads((repo_root / paths["reference"]["champion"]).read_text())["period"]
        if (repo_root / paths["reference"]["champion"]).exists()
        else None,
    )


def test_report_flags_drift_and_handles_no_reference(repo_root):
    inputs = _inputs(repo_root)
    drifted = {**inputs.score, "drift": {**inputs.score["drift"], "flagged": ["total_spend_12m"]}}
    files = dataclasses.replace(inputs.files, metrics={**inputs.metrics, "score": drifted})
    text = build_report(dataclasses.replace(inputs, files=files, reference={}))
    assert "**Warning:**" in text and "total_spend_12m" in text
    assert "No reference run is stored yet" in text


def test_suggested_use_follows_purchase_rate():
    assert suggested_use(0.45, 0.18, "Recent, high-spend members").startswith("Core")
    assert suggested_use(0.05, 0.18, "Rarely active customers").startswith("Low odds")
    assert "offers" in suggested_use(0.18, 0.18, "Deal-driven, frequent customers")


def test_the_uplift_section_reads_a_campaign_tools_history_and_each_rules_readout(repo_root):
    """A history from a campaign tool has no truth (no oracle); each rule's realised uplift is a table row."""
    inputs = _inputs(repo_root)
    uplift = {key: value for key, value in inputs.files.details["uplift"].items() if key != "oracle"}
    by_rule = [
        {"rule": "everyone", "used": False, "share": 1.0, "contacted": 500, "held_out": 500}
        | {"contacted_rate": 0.2, "held_out_rate": 0.18, "uplift": 0.02, "low": -0.01, "high": 0.05},
        {"rule": "uplift", "used": True, "share": 0.2, "contacted": 100, "held_out": 100}
        | {"contacted_rate": 0.3, "held_out_rate": 0.2, "uplift": 0.1, "low": 0.01, "high": 0.19},
    ]
    targeting = {**inputs.files.details["targeting"], "readout_by_rule": by_rule}
    files = dataclasses.replace(
        inputs.files, details={**inputs.files.details, "uplift": uplift, "targeting": targeting}
    )
    text = build_report(dataclasses.replace(inputs, files=files))
    assert "Qini coefficient is" in text and "ranking by the true effects" not in text
    assert "| everyone (contacting at random) | 100.0% | 500 | 500 | 20.0% | 18.0% | +2.0 (-1.0 to +5.0) |" in text
    assert "| uplift (the rule last month's export used) | 20.0% |" in text

"""Quality gates, the lock-freshness check, and the generated report."""

from __future__ import annotations

import json

import yaml

from intentseg.checks import gate_failures, lock_problems
from intentseg.report import ReportInputs, build_report, suggested_use

METRICS = {
    "classifier": {"test": {"roc_auc": 0.80, "f1": 0.60, "ece": 0.01}, "gap_to_oracle": {"roc_auc": 0.02}},
    "segmenter": {"silhouette": {"mean": 0.30}, "stability_ari": 0.95},
    "score": {"drift": {"flagged": ["age"]}, "rows_rejected": 5, "rows_in": 1000},
}


def test_gates_report_every_miss_with_the_metric():
    failures = gate_failures(METRICS, {"min_roc_auc": 0.82, "min_f1": 0.55, "max_gap_to_oracle_roc_auc": 0.01,
                                       "min_silhouette": 0.2, "max_flagged_drift_features": 0,
                                       "max_rejected_share": 0.01})
    assert len(failures) == 3
    assert any("min_roc_auc" in f and "0.8" in f and "below the minimum 0.82" in f for f in failures)
    assert any("max_gap_to_oracle_roc_auc" in f for f in failures)
    assert any("max_flagged_drift_features" in f and "is 1" in f for f in failures)


def test_gates_skip_absent_metrics_and_refuse_unknown_gates():
    assert gate_failures({"classifier": {"test": {"roc_auc": 0.9}}}, {"max_gap_to_oracle_roc_auc": 0.01}) == []
    assert "unknown gate" in gate_failures(METRICS, {"min_vibes": 1.0})[0]


def test_lock_problems_name_stale_code_and_params():
    lock = {"stages": {"train": {"deps": [{"path": "a.py", "md5": "old"}, {"path": "data.parquet", "md5": "x"}],
                                 "params": {"params.yaml": {"train.k": 5}}}}}
    problems = lock_problems(lock, {"train": {"k": 6}}, lambda path: "new")
    assert problems == ["stage train: a.py changed since dvc.lock was written",
                        "stage train: param train.k is 6 in params.yaml, 5 in dvc.lock"]
    assert lock_problems(lock, {"train": {"k": 5}}, lambda path: "old") == []


def test_committed_run_passes_the_gates(repo_root):
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    metrics = {name: json.loads((repo_root / path).read_text()) for name, path in params["paths"]["metrics"].items()}
    assert gate_failures(metrics, params["gates"]) == []


def _inputs(repo_root) -> ReportInputs:
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    paths = params["paths"]
    read = lambda path: json.loads((repo_root / path).read_text())  # noqa: E731
    from intentseg.report import report_figure_links

    reference = {name: read(f"{paths['reference']['metrics']}/{path.split('/')[-1]}")
                 for name, path in paths["metrics"].items()
                 if (repo_root / paths["reference"]["metrics"] / path.split("/")[-1]).exists()}
    return ReportInputs(
        snapshot_month=str(params["data"]["snapshot_month"]), data=read(paths["metrics"]["data"]),
        classifier=read(paths["metrics"]["classifier"]), gains=read(paths["plots"]["classifier"]["gains"]),
        calibration=read(paths["plots"]["classifier"]["calibration_test"]), segments=read(paths["metrics"]["segmenter"]),
        migration=read(paths["plots"]["segments"]["migration"]), score=read(paths["metrics"]["score"]),
        audience=read(paths["plots"]["score"]["audience"]), reference=reference,
        figures=report_figure_links(paths["report"], paths["figures"]),
    )


def test_committed_report_matches_the_metrics(repo_root):
    inputs = _inputs(repo_root)
    committed = (repo_root / "reports" / "report.md").read_text()
    assert committed == build_report(inputs)
    assert f"ROC-AUC {inputs.classifier['test']['roc_auc']:.3f}" in committed
    assert f"**{inputs.score['audience_size']:,}**" in committed
    for segment in inputs.segments["segments"].values():
        assert segment["name"] in committed
    for link in ("figures/classifier_gains.png", "figures/segments_profile.png"):
        assert link in committed and (repo_root / "reports" / link).exists()


def test_report_flags_drift_and_handles_no_reference(repo_root):
    inputs = _inputs(repo_root)
    drifted = {**inputs.score, "drift": {**inputs.score["drift"], "flagged": ["total_spend_12m"]}}
    text = build_report(ReportInputs(**{**inputs.__dict__, "score": drifted, "reference": {}}))
    assert "**Warning:**" in text and "total_spend_12m" in text
    assert "No reference run is stored yet" in text


def test_suggested_use_follows_purchase_rate():
    assert suggested_use(0.45, 0.18, "Recent, high-spend members").startswith("Core")
    assert suggested_use(0.05, 0.18, "Rarely active customers").startswith("Low odds")
    assert "offers" in suggested_use(0.18, 0.18, "Deal-driven, frequent customers")

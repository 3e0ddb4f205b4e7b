"""The committed default run passes its gates, and its report is what the report stage makes of its metrics."""

from __future__ import annotations

import json

import yaml

from intentseg.evaluation.gates import gate_failures
from intentseg.reporting.report import build_report
from tests.unit.test_checks_report import _inputs


def test_committed_run_passes_the_gates(repo_root):
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    metrics = {name: json.loads((repo_root / path).read_text()) for name, path in params["paths"]["metrics"].items()}
    assert gate_failures(metrics, params["gates"]) == []


def test_committed_report_matches_the_metrics(repo_root):
    inputs = _inputs(repo_root)
    committed = (repo_root / "reports" / "report.md").read_text()
    assert committed == build_report(inputs)
    assert f"ROC-AUC {inputs.classifier['test']['roc_auc']:.3f}" in committed
    assert f"**{inputs.score['audience_size']:,}**" in committed
    for segment in inputs.segments["segments"].values():
        assert segment["name"] in committed
    for link in inputs.figures.values():  # every figure, in git beside the report
        assert f"]({link})" in committed and (repo_root / "reports" / link).exists()

"""End to end: `dvc repro` at small sizes in a temporary git repository."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from tests.conftest import SMALL_PIPELINE
from tests.sandbox import Sandbox


def test_repro_writes_every_output(reproduced):
    data = json.loads(reproduced.path("metrics", "data").read_text())
    assert data["rows"] == 4000 and data["population_rows"] == 6000 and data["features"] == 36
    assert 0.84 <= data["oracle_roc_auc"] <= 0.92
    split = json.loads(reproduced.path("metrics", "split").read_text())
    assert sum(part["rows"] for part in split.values()) == 4000
    for part in ("train", "valid", "test"):
        assert len(pd.read_parquet(reproduced.path("split", part))) == split[part]["rows"]
    assert len(pd.read_parquet(reproduced.path("prepared", "population"))) == 6000
    classifier = json.loads(reproduced.path("details", "classifier").read_text())
    assert {
        "roc_auc",
        "pr_auc",
        "f1",
        "precision",
        "recall",
        "threshold",
        "brier",
        "log_loss",
        "lift_top_decile",
        "roc_auc_ci",
        "f1_ci",
    } <= set(classifier["test"])
    assert {"roc_auc", "f1"} <= set(classifier["baseline"]) and {"roc_auc", "f1"} <= set(classifier["oracle"])
    assert classifier["test"]["roc_auc"] > 0.75
    for key in ("classifier", "classifier_metadata", "baseline"):
        assert reproduced.path("models", key).stat().st_size > 0
    for name in reproduced.params()["paths"]["plots"]["classifier"]:
        records = json.loads(reproduced.path("plots", "classifier", name).read_text())
        assert 0 < len(records) <= 100, name  # aggregated: bounded by grid or features, never one per customer
    for name in reproduced.params()["paths"]["figures"]["classifier"]:
        assert reproduced.path("figures", "classifier", name).read_bytes()[:4] == b"\x89PNG"
    assert {"roc_auc", "roc_auc_ci", "f1", "f1_ci"} <= set(
        json.loads(reproduced.path("metrics", "classifier").read_text())["test"]
    )
    segments = json.loads(reproduced.path("details", "segmenter").read_text())
    assert {"k", "gamma", "silhouette", "cost", "stability_ari", "archetype_ari", "segments"} <= set(segments)
    assert {"mean", "ci", "min", "sample_size", "samples"} <= set(segments["silhouette"])
    assert {"k", "silhouette", "silhouette_ci", "stability_ari", "names"} <= set(
        json.loads(reproduced.path("metrics", "segmenter").read_text())
    )
    assert len(segments["segments"]) == segments["k"]
    assert {"name", "share", "purchase_rate"} <= set(next(iter(segments["segments"].values())))
    for name in reproduced.params()["paths"]["plots"]["segments"]:
        records = json.loads(reproduced.path("plots", "segments", name).read_text())
        assert len(records) <= 100, name


def test_second_repro_runs_nothing(reproduced):
    result = reproduced.dvc("repro")
    assert "Running stage" not in result.stdout
    assert "up to date" in reproduced.dvc("status").stdout


def test_forced_repro_is_byte_identical(reproduced):
    lock_before = (reproduced.root / "dvc.lock").read_text()
    reproduced.dvc("repro", "-f")
    assert (reproduced.root / "dvc.lock").read_text() == lock_before


def test_monthly_retrain_keeps_segment_ids_and_names(reproduced, tmp_path):
    """Month M promoted, M+1 retrained: challenger and champion on the same customers, ids and names kept."""
    reproduced = reproduced.copy_to(tmp_path / "retrain")  # this test commits, branches and retrains
    assert "reference/classifier.txt" in reproduced.promote()
    reproduced.dvc("repro")
    reproduced.commit("accepted run")
    accepted = json.loads(reproduced.path("reference", "segmenter").read_text())
    reproduced.git("checkout", "-qb", "retrain-2026-12")
    reproduced.set_params({"data.snapshot_month": "2026-12"})
    result = reproduced.dvc("repro")
    assert "Running stage 'train_segmenter'" in result.stdout
    diff = reproduced.dvc("metrics", "diff", "HEAD", "--md").stdout
    assert "metrics/classifier.json" in diff and "test.roc_auc" in diff and "metrics/segmenter.json" in diff
    table_rows = [line for line in diff.splitlines() if line.startswith("| ") and not line.startswith("| Path")]
    assert len(table_rows) < 50, diff  # a monthly review stays readable
    plots = reproduced.dvc("plots", "diff", "HEAD", "-o", str(reproduced.root / "plots_diff"))
    page = (reproduced.root / "plots_diff" / "index.html").read_text()
    assert "vegaEmbed" in page and "cdn.jsdelivr" not in page, plots.stdout  # renders without internet
    assert "2026-12" in reproduced.path("report").read_text()
    retrained = json.loads(reproduced.path("models", "segmenter").read_text())
    names = lambda model: {segment["id"]: segment["name"] for segment in model["segments"]}  # noqa: E731
    assert names(retrained) == names(accepted)
    migration = json.loads(reproduced.path("plots", "segments", "migration").read_text())
    assert (
        sum(row["count"] for row in migration)
        == json.loads(reproduced.path("metrics", "split").read_text())["test"]["rows"]
    )
    segments = json.loads(reproduced.path("metrics", "segmenter").read_text())
    assert segments["share_same_segment"] > 0.5
    _assert_champion_scored_on_the_same_customers(reproduced)
    assert "vs_champion.roc_auc" in diff and "champion.roc_auc" in diff


def _assert_champion_scored_on_the_same_customers(reproduced) -> None:
    """The champion's figures are what the promoted model gives on this run's test customers."""
    from intentseg.classifier.model import PurchaseModel
    from intentseg.foundation.metrics import roc_auc

    champion = PurchaseModel.from_artifacts(
        reproduced.path("reference", "classifier").read_text(),
        json.loads(reproduced.path("reference", "classifier_metadata").read_text()),
    )
    assert (
        champion.version
        != json.loads(reproduced.path("models", "classifier_metadata").read_text())["model_sha256"][:12]
    )
    test = pd.read_parquet(reproduced.path("split", "test"))
    target = champion.info["target"]
    details = json.loads(reproduced.path("details", "classifier").read_text())["champion"]
    assert details["status"] == "compared" and details["customers"] == len(test)
    expected = roc_auc(test[target].to_numpy(), champion.purchase_probability(test))
    stored = 5e-5  # details and metrics hold 4 decimals
    assert details["metrics"]["roc_auc"]["champion"] == pytest.approx(expected, abs=stored)
    assert (
        details["metrics"]["roc_auc"]["challenger"]
        == json.loads(reproduced.path("details", "classifier").read_text())["test"]["roc_auc"]
    )
    metrics = json.loads(reproduced.path("metrics", "classifier").read_text())
    assert metrics["champion"]["roc_auc"] == pytest.approx(expected, abs=stored)
    low, high = metrics["vs_champion"]["roc_auc_ci"]
    assert low <= metrics["vs_champion"]["roc_auc"] <= high
    period = json.loads(reproduced.path("reference", "champion").read_text())["period"]
    assert f"The model in production (accepted from the {period} run)" in reproduced.path("report").read_text()


def test_plots_render(reproduced):
    result = reproduced.dvc("plots", "show", "-o", str(reproduced.root / "plots_html"))
    html = (reproduced.root / "plots_html" / "index.html").read_text()
    for name in (
        "ROC curve",
        "Cumulative gains",
        "Confusion matrix",
        "Global feature importance",
        "Segment profiles",
        "Choosing k",
        "Migration",
    ):
        assert name in html, result.stdout


def test_param_change_reruns_only_downstream(reproduced, tmp_path):
    reproduced = reproduced.copy_to(tmp_path / "changed")  # the shared run stays as it was for other tests
    reproduced.set_params({"split.fractions.train": 0.6, "split.fractions.valid": 0.2, "split.fractions.test": 0.2})
    result = reproduced.dvc("repro")
    assert "Running stage 'split'" in result.stdout and "Running stage 'evaluate'" in result.stdout
    assert "Running stage 'prepare'" not in result.stdout


def _checks(sandbox, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intentseg.checks", *args],
        cwd=sandbox.root,
        env={**sandbox.env, **(env or {})},
        capture_output=True,
        text=True,
    )


@pytest.fixture()
def committed_run(tmp_path, repo_root):
    """A small default run, committed as the accepted results."""
    sandbox = Sandbox(repo_root, tmp_path / "committed")
    sandbox.set_params(SMALL_PIPELINE)
    sandbox.dvc("repro")
    sandbox.git("add", "-A")
    sandbox.git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "accepted run")
    return sandbox


def test_gate_passes_on_another_blas_kernel_and_fails_on_a_real_change(committed_run):
    assert _checks(committed_run, "lock").returncode == 0
    other_machine = {"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1"}
    rerun = subprocess.run(
        [sys.executable, "-m", "dvc", "repro", "--force"],
        cwd=committed_run.root,
        env={**committed_run.env, **other_machine},
        capture_output=True,
        text=True,
    )
    assert rerun.returncode == 0, rerun.stderr
    reproduced = _checks(committed_run, "reproduced", "--against", "HEAD", env=other_machine)
    assert reproduced.returncode == 0, reproduced.stderr
    assert "check 'reproduced' passed" in reproduced.stdout

    committed_run.set_params({"train_classifier.lightgbm.num_leaves": 7})
    stale = _checks(committed_run, "lock")
    assert stale.returncode == 1 and "param train_classifier is modified" in stale.stderr
    committed_run.dvc("repro")
    changed = _checks(committed_run, "reproduced", "--against", "HEAD")
    assert changed.returncode == 1
    assert "metrics/classifier.json: test.roc_auc: committed" in changed.stderr
    assert "reports/details/model_predictions.json: raw_score[0]" in changed.stderr
    table = _checks(committed_run, "gates", "--base", "HEAD")
    lead, header = table.stdout.splitlines()[:2]  # challenger against champion first, then the table
    assert lead.startswith("Challenger minus champion on the same test customers") and "ROC-AUC" in lead
    assert "| gate" not in table.stdout and "min_roc_auc" in table.stdout and "HEAD" in header
    review = subprocess.run(
        [
            sys.executable,
            "-m",
            "intentseg.reporting.review",
            "--base",
            "HEAD",
            "--repository",
            "acme/shop",
            "--sha",
            "abc123",
        ],
        cwd=committed_run.root,
        env=committed_run.env,
        capture_output=True,
        text=True,
    )
    assert review.returncode == 0, review.stderr
    body = review.stdout
    assert body.startswith("<!-- intentseg: pipeline review -->") and "| min_roc_auc | >= 0.82 |" in body
    assert body.index("Challenger minus champion") < body.index("| gate |")  # the comparison leads
    assert "metrics/classifier.json" in body and "test.roc_auc" in body  # dvc metrics diff HEAD
    assert "https://github.com/acme/shop/raw/abc123/reports/figures/classifier_gains.png" in body

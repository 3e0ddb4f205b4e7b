"""Every stage script, run in-process on tiny data in a temporary folder (no DVC): the thin CLIs and their outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
import yaml

from intentseg.config import with_absolute_paths
from stages import evaluate, prepare, report, score, split, train_classifier, train_segmenter
from tests.conftest import FAST_CLASSIFIER_PARAMS, default_params

TINY = {
    "data": {"n_customers": 3000, "population_size": 2500},
    "score": {"chunk_rows": 1000},
    "train_classifier": {**FAST_CLASSIFIER_PARAMS, "num_boost_round": 80},
    "train_segmenter": {"n_init": 2},
    "evaluate": {
        "importance_sample": 300,
        "reason_agreement_sample": 200,
        "check_sample": 50,
        "bootstrap": {"resamples": 20, "confidence": 0.95},
        "segments": {
            "silhouette_samples": 2,
            "silhouette_sample_size": 300,
            "sweep_k": [2, 3],
            "sweep_sample_size": 1000,
            "sweep_n_init": 1,
            "stability_resamples": 2,
        },
    },
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, repo_root) -> tuple[Path, dict]:
    """All stages, in order, on 3,000 simulated customers; returns the folder and its params."""
    folder = tmp_path_factory.mktemp("stages")
    params = with_absolute_paths(default_params(repo_root), folder)
    for section, values in TINY.items():
        params[section] = {**params[section], **values}
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    previous = Path.cwd()
    os.chdir(folder)
    try:
        for stage in (prepare, split, train_classifier, train_segmenter, evaluate, score, report):
            stage.main()
    finally:
        os.chdir(previous)
    return folder, params


def test_every_declared_output_is_written(tiny_run):
    folder, params = tiny_run
    missing = []

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif (
            isinstance(node, str)
            and Path(node).suffix
            and "logs" not in node
            and "reference" not in node
            and not Path(node).exists()
        ):
            missing.append(node)

    walk(params["paths"])
    assert missing == []


def test_stage_outputs_fit_together(tiny_run):
    _, params = tiny_run
    paths = params["paths"]
    read = lambda path: json.loads(Path(path).read_text())  # noqa: E731
    assert read(paths["metrics"]["data"])["rows"] == 3000
    assert sum(part["rows"] for part in read(paths["metrics"]["split"]).values()) == 3000
    classifier = read(paths["metrics"]["classifier"])
    low, high = classifier["test"]["roc_auc_ci"]
    assert 0.6 < low <= classifier["test"]["roc_auc"] <= high
    assert read(paths["metrics"]["segmenter"])["k"] == params["train_segmenter"]["presets"]["simulator"]["k"]
    assert read(paths["metrics"]["score"])["rows_scored"] == 2500
    assert len(pd.read_parquet(paths["scores"]["scores"])) == 2500
    checks = read(paths["checks"]["predictions"])
    assert len(checks["ids"]) == 50 == len(checks["segment_id"])
    curve = read(paths["plots"]["classifier"]["learning_curve"])
    assert curve[0]["round"] == 1 and sum(row["best"] for row in curve) == 1


def test_the_report_reads_its_bars_from_params(tiny_run):
    _, params = tiny_run
    text = Path(params["paths"]["report"]).read_text()
    assert f"{params['gates']['min_silhouette']:.2f} is the bar" in text
    assert "No reference run is stored yet" in text
    for link in ("figures/classifier_gains.png", "figures/segments_profile.png"):
        assert link in text


def test_figures_are_png(tiny_run):
    _, params = tiny_run
    for group in params["paths"]["figures"].values():
        for path in group.values():
            assert Path(path).read_bytes()[:4] == b"\x89PNG", path

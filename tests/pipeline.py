"""Running the whole pipeline in process on tiny data (the e2e tier's fixtures build on it)."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from stages import (
    campaign_history,
    compare_targeting,
    evaluate,
    prepare,
    report,
    score,
    split,
    train_classifier,
    train_segmenter,
    train_uplift,
)
from tests.conftest import FAST_CLASSIFIER_PARAMS

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
            "notable_move_share": 0.1,
        },
    },
}


PIPELINE = (  # dvc.yaml's order (tests/unit/test_repository.py checks it)
    prepare,
    split,
    train_classifier,
    train_segmenter,
    evaluate,
    campaign_history,
    train_uplift,
    score,
    compare_targeting,
    report,
)


def run_all_stages(folder: Path, params: dict) -> None:
    """Every stage's main(), in order, in ``folder`` with ``params`` as its params.yaml (no DVC)."""
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    previous = Path.cwd()
    os.chdir(folder)
    try:
        for stage in PIPELINE:
            stage.main()
    finally:
        os.chdir(previous)

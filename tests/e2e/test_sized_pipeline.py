"""All stages on a 600-row table with settings larger than the data: each sized down and said so in the log."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from tests.unit.test_setups import _set, _small_params

SIZED = {
    "score.reasons.top_k": 5,
    "score.max_audience": 10**9,
    "score.chunk_rows": 7,
    "evaluate.importance_sample": 10**7,
    "evaluate.reason_agreement_sample": 10**7,
    "evaluate.check_sample": 10**7,
    "evaluate.segments.silhouette_sample_size": 10**7,
    "evaluate.segments.sweep_sample_size": 10**7,
    "evaluate.segments.sweep_k": [2, 3, 5000],
    "train_classifier.cross_validation.below_valid_positives": 10**6,  # the k-fold path ...
    "train_classifier.cross_validation.folds": 500,  # ... with more folds than positives
    "train_classifier.calibration.cv_folds": 500,
    "train_segmenter.features": {"numeric": ["visits_30d", "basket_value"], "categorical": ["plan"]},
    "train_segmenter.log1p": "auto",
}


@pytest.fixture(scope="module")
def sized_run(tmp_path_factory, repo_root):
    """Every stage on 600 customers and three features, with every size setting larger than the data."""
    from tests.pipeline import run_all_stages

    folder = tmp_path_factory.mktemp("sized")
    params = _small_params(folder, repo_root, ["visits_30d", "basket_value", "plan"])
    for dotted, value in SIZED.items():
        _set(params, dotted, value)
    handler = logging.Handler()
    handler.records = []  # type: ignore[attr-defined]
    handler.emit = handler.records.append  # type: ignore[method-assign]
    logging.getLogger("intentseg").addHandler(handler)
    previous = logging.getLogger("intentseg").level
    logging.getLogger("intentseg").setLevel(logging.INFO)
    try:
        run_all_stages(folder, params)
    finally:
        logging.getLogger("intentseg").removeHandler(handler)
        logging.getLogger("intentseg").setLevel(previous)
    return params, [record.getMessage() for record in handler.records]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "setting",
    [
        "score.reasons.top_k: 5 asked, but there are only 3 features: using 3",
        "score.max_audience: 1000000000 asked, but there are only 600 customers",
        "evaluate.importance_sample: 10000000 asked, but there are only 90 test customers: using 90",
        "evaluate.reason_agreement_sample: 10000000 asked",
        "evaluate.check_sample: 10000000 asked, but there are only 90 test customers",
        "evaluate.segments.silhouette_sample_size: 10000000 asked",
        "evaluate.segments.sweep_sample_size: 10000000 asked, but there are only 420 train customers",
        "evaluate.segments.sweep_k: [5000] skipped, more than the",
        "train_classifier.cross_validation.folds: 500 asked, but there are only",
        "train_classifier.calibration.cv_folds: 500 asked, but there are only",
    ],
)
def test_sizes_larger_than_the_data_are_sized_down_and_said(sized_run, setting):
    _, messages = sized_run
    assert any(setting in message for message in messages), [m for m in messages if "asked" in m or "skip" in m]


def test_the_sized_run_explains_with_the_features_there_are(sized_run):
    params, _ = sized_run
    scores = pd.read_parquet(params["paths"]["scores"]["scores"])
    assert [name for name in scores.columns if name.startswith("reason_")] == ["reason_1", "reason_2", "reason_3"]
    export = pd.read_csv(params["paths"]["scores"]["audience"])
    assert "reason_3" in export.columns and "reason_4" not in export.columns


def test_log1p_auto_chooses_the_skewed_named_features(sized_run):
    import json

    params, _ = sized_run
    model = json.loads(Path(params["paths"]["models"]["segmenter"]).read_text())
    details = json.loads(Path(params["paths"]["details"]["segmenter_train"]).read_text())
    assert details["setup"]["origin"]["features"] == "configured"
    chosen = details["setup"]["log1p"]
    assert chosen and set(chosen) <= {"visits_30d", "basket_value"}
    assert model["preprocessing"]["log1p"] == chosen

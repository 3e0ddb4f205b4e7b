"""Seams for maintainers: another classifier type plugs in without changing scoring, reasons or evaluation,
and params.yaml is checked (unknown keys, types, ranges) before any work."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from intentseg.classifier.calibration import ProbabilityCalibrator
from intentseg.classifier.decision import DecisionRule
from intentseg.classifier.explain import reason_codes
from intentseg.classifier.features import FeatureSchema
from intentseg.classifier.lightgbm_params import check_lightgbm_params
from intentseg.classifier.model import PurchaseModel
from intentseg.config.base import load_params
from intentseg.config.check import check_params, section_config
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.config.score import ReasonsConfig, ScoreConfig
from intentseg.evaluation.classifier import evaluate_classifier
from intentseg.foundation.errors import ConfigError
from intentseg.scoring.first_pass import reason_columns, score_chunk
from intentseg.scoring.types import ScoreAccumulator, load_models
from tests.conftest import default_params


class TinyLinearEngine:
    """A fake model type: a fixed linear score on the numeric features (what a second type must provide)."""

    kind = "tiny_linear"
    exact_method = "linear"
    fast_method = "linear"

    def __init__(self, schema: FeatureSchema, weights: np.ndarray) -> None:
        self.schema = schema
        self.weights = weights

    def _terms(self, frame: pd.DataFrame) -> np.ndarray:
        values = self.schema.model_frame(frame)[list(self.schema.numeric)].to_numpy(dtype=float)
        return np.nan_to_num(values) * self.weights

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        return 1 / (1 + np.exp(-self._terms(frame).sum(axis=1)))

    def contributions(self, frame: pd.DataFrame, method: str) -> np.ndarray:
        assert method == "linear"
        numeric = self._terms(frame)
        return np.hstack([numeric, np.zeros((len(frame), len(self.schema.categorical)))])

    def check_compiled(self, frame: pd.DataFrame) -> float:
        return 0.0  # no compiled path: nothing to check

    def to_text(self) -> str:
        return json.dumps({"weights": self.weights.tolist()})


@pytest.fixture(scope="module")
def fake_model(small_splits) -> PurchaseModel:
    train = small_splits["train"]
    schema = FeatureSchema.from_frame(train.drop(columns=["customer_id", "purchased_next_30d"]))
    weights = np.zeros(len(schema.numeric))
    weights[list(schema.numeric).index("cart_add_rate")] = 3.0
    weights[list(schema.numeric).index("days_since_last_order")] = -0.01
    engine = TinyLinearEngine(schema, weights)
    valid = small_splits["valid"]
    calibrator = ProbabilityCalibrator(method="platt", cv_folds=3).fit(
        engine.raw_score(valid), valid["purchased_next_30d"].to_numpy()
    )
    return PurchaseModel(
        engine, calibrator, DecisionRule("max_f1", 0.2), {"id_column": "customer_id", "target": "purchased_next_30d"}
    )


def test_a_second_model_type_scores_explains_and_evaluates_unchanged(
    fake_model, fitted_segments, small_splits, repo_root
):
    test = small_splits["test"]
    reasons = reason_codes(fake_model, test.head(50), top_k=2)
    assert reasons["reason_1"].str.contains("cart add rate|days since last order").all()
    models = load_models(fake_model, fitted_segments[0])
    scored = score_chunk(test.head(200), models, "customer_id", ScoreAccumulator())
    reasons = ReasonsConfig.model_construct(method="linear", scope="everyone", top_k=2)
    explained = reason_columns(test.head(200), models, np.ones(200, dtype=bool), reasons, None)
    assert scored["purchase_probability"].between(0, 1).all() and pd.notna(explained["reason_2"]).all()
    config = section_config(default_params(repo_root), "evaluate")
    config = config.model_copy(update={"bootstrap": config.bootstrap.model_copy(update={"resamples": 50})})
    result = evaluate_classifier(
        fake_model,
        _baseline(small_splits),
        small_splits["valid"],
        test,
        small_splits["ground_truth"],
        config=config,
        seed=1,
    )
    assert 0.6 < result.metrics["test"]["roc_auc"] < 1 and result.details["reason_codes"]["top1_agreement"] == 1.0
    text, metadata = fake_model.to_artifacts()
    assert metadata["model_type"] == "tiny_linear" and json.loads(text)["weights"]


def _baseline(splits):
    from intentseg.classifier.baseline import LogisticBaseline

    train = splits["train"]
    features = [c for c in train.columns if c not in ("customer_id", "purchased_next_30d")]
    return LogisticBaseline(C=1.0, max_iter=200).fit(train[features], train["purchased_next_30d"].to_numpy())


def _problems(params: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        check_params(params)
    return str(caught.value)


def test_the_default_params_are_valid_and_typed(repo_root):
    from intentseg.config.paths import PathsConfig

    params = check_params(default_params(repo_root))
    assert isinstance(params.paths, PathsConfig) and params.paths.models.classifier == "models/classifier.txt"
    assert isinstance(params.sections["score"], ScoreConfig) and params.seed == 42 and params.gates["min_f1"] == 0.55


def test_misspelt_wrong_and_impossible_settings_are_refused_all_at_once(repo_root):
    params = default_params(repo_root)
    params["data"]["catgorical"] = params["data"].pop("categorical")
    params["train_classifier"]["num_boost_rounds"] = params["train_classifier"].pop("num_boost_round")
    params["train_classifier"]["calibration"]["cv_folds"] = "five"
    params["score"]["chunk_rows"] = 0
    params["score"]["max_audience"] = -3
    params["train_segmenter"]["k"] = 1
    params["split"]["fractions"]["test"] = 0.3
    params["gates"]["min_rocauc"] = 0.8
    params["evaluat"] = {}
    message = _problems(params)
    for expected in [
        "data.catgorical: unknown setting (did you mean 'categorical'?)",
        "data.categorical: missing",
        "train_classifier.num_boost_rounds: unknown setting (did you mean 'num_boost_round'?)",
        "train_classifier.calibration.cv_folds: must be a whole number, got 'five'",
        "score.chunk_rows: 0 is outside the allowed range [1, inf]",
        "score.max_audience: -3 is outside the allowed range [1, inf]",
        "train_segmenter.k: 1 is outside the allowed range [2, inf]",
        "split.fractions: train + valid + test must be 1, got 1.15",
        "gates: unknown gate 'min_rocauc' (did you mean 'min_roc_auc'?)",
        "unknown section 'evaluat' (did you mean 'evaluate'?)",
    ]:
        assert expected in message, (expected, message)
    assert message.startswith("params.yaml has problems:\n- unknown section 'evaluat'")


def test_the_message_format_is_one_block_per_section(repo_root):
    params = default_params(repo_root)
    params["score"]["drift"]["bins"] = "ten"
    params["score"]["drift"]["bin"] = 10
    params["features"] = params.pop("reason_words")
    message = _problems(params)
    assert message.splitlines() == [
        "params.yaml has problems:",
        "- section 'features' is now called 'reason_words': rename it",
        "- section 'score':",
        "  - score.drift.bins: must be a whole number, got 'ten'",
        "  - score.drift.bin: unknown setting (did you mean 'bins'?) (known: bins, warn_psi, flag_psi)",
        "- params.yaml has no 'reason_words' section",
    ]
    with pytest.raises(ConfigError) as caught:
        ScoreConfig.from_params(params)
    assert str(caught.value).startswith("params.yaml, section 'score':\n  - score.drift.bins: must be a whole number")


def test_lightgbm_checks_its_own_parameters_key_by_key(repo_root):
    params = default_params(repo_root)
    params["train_classifier"]["lightgbm"]["learning_rate"] = "abc"
    params["train_classifier"]["lightgbm"]["n_estimator"] = 100
    check_params(params)  # the config leaf knows nothing of LightGBM: the train_classifier stage asks it
    with pytest.raises(ConfigError) as caught:
        check_lightgbm_params(TrainClassifierConfig.from_params(params))
    message = str(caught.value)
    assert message.startswith("params.yaml, section 'train_classifier':")
    assert "train_classifier.lightgbm.learning_rate: 'abc' is refused by LightGBM" in message
    assert "train_classifier.lightgbm.n_estimator: unknown LightGBM parameter (did you mean 'n_estimators'?)" in message


def test_whole_numbers_stay_whole_and_text_is_not_a_number(repo_root):
    params = default_params(repo_root)
    decision = TrainClassifierConfig.from_params(params).decision
    assert isinstance(TrainClassifierConfig.from_params(params).num_boost_round, int)
    params["train_classifier"]["decision"]["contact_cost"] = 2
    assert type(TrainClassifierConfig.from_params(params).decision.contact_cost) is int  # reads as written
    params["train_classifier"]["decision"]["contact_cost"] = "2"
    with pytest.raises(ConfigError, match="decision.contact_cost: must be a number, got '2'"):
        TrainClassifierConfig.from_params(params)
    params["train_classifier"]["decision"]["contact_cost"] = True
    with pytest.raises(ConfigError, match="must be a number, got True"):
        TrainClassifierConfig.from_params(params)
    assert decision.contact_cost == 1.0


def test_cross_field_rules(repo_root):
    params = default_params(repo_root)
    params["train_segmenter"]["features"] = {"numeric": ["orders_last_12m"], "categorical": []}
    params["train_segmenter"]["log1p"] = ["age"]
    params["score"]["drift"]["warn_psi"] = 0.5
    params["data"]["snapshot_month"] = "November"
    message = _problems(params)
    assert "log1p: ['age'] are not numeric segmentation features" in message
    params["train_segmenter"]["log1p"] = "auto"
    assert "log1p" not in _problems(params)  # auto chooses among the named features
    params["train_segmenter"]["features"] = "everything"
    assert "train_segmenter.features: 'everything' is neither 'auto' nor a valid setting" in _problems(params)
    assert "warn_psi (0.5) must be below flag_psi (0.25)" in message
    assert "snapshot_month: must be a month 'YYYY-MM', got 'November'" in message


def test_params_are_read_as_yaml_1_2_like_dvc(tmp_path):
    (tmp_path / "params.yaml").write_text("data:\n  target: yes\n  snapshot_month: 2026-11\nflags:\n  on: 1\n")
    params = load_params(tmp_path / "params.yaml")
    assert params["data"]["target"] == "yes"  # YAML 1.1 (PyYAML) would read True
    assert params["data"]["snapshot_month"] == "2026-11" and params["flags"] == {"on": 1}


@dataclass(frozen=True)
class StageRun:
    returncode: int
    stderr: str


def _stage_program(stage: str, params: dict, folder, monkeypatch, capsys) -> StageRun:
    """Run ``stages.<stage>`` as its program would (``run_stage``), in ``folder`` with ``params`` as params.yaml."""
    import importlib

    import yaml

    from intentseg.foundation.runlog import run_stage

    (folder / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.chdir(folder)
    with pytest.raises(SystemExit) as ended:
        run_stage(importlib.import_module(f"stages.{stage}").main)
    return StageRun(ended.value.code, capsys.readouterr().err)


def test_a_stage_refuses_bad_params_with_one_message_and_no_traceback(tmp_path, repo_root, monkeypatch, capsys):
    params = default_params(repo_root)
    params["split"]["fractions"] = {"train": 0.7, "valid": 0.15, "tset": 0.15}
    result = _stage_program("split", params, tmp_path, monkeypatch, capsys)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "split.fractions.tset: unknown setting (did you mean 'test'?)" in result.stderr


def test_prepare_refuses_params_the_table_cannot_satisfy(tmp_path, repo_root, monkeypatch, capsys):
    from intentseg.data.example_table import EXAMPLE_PARAMS, make_example_table

    make_example_table(300, seed=2).to_csv(tmp_path / "table.csv", index=False)
    params = default_params(repo_root)
    params["data"].update({key[5:]: value for key, value in EXAMPLE_PARAMS.items()})
    params["data"].update(source="table.csv", min_positives=10)
    params["train_segmenter"]["features"] = {"numeric": ["visits_30d", "visits_90d"], "categorical": ["plan"]}
    params["train_segmenter"]["log1p"] = []
    params["train_segmenter"]["profile"]["numeric"] = ["basket_value", "lifetime_value"]
    params["train_segmenter"]["k"] = 400
    result = _stage_program("prepare", params, tmp_path, monkeypatch, capsys)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "train_segmenter.features.numeric: columns ['visits_90d'] are not in the prepared table" in result.stderr
    assert "train_segmenter.profile.numeric: columns ['lifetime_value']" in result.stderr
    assert "train_segmenter.k: 400 segments cannot be fitted on a train split of 210 rows" in result.stderr
    assert not (tmp_path / "data").exists()  # refused before writing anything


def test_the_id_or_target_cannot_be_a_feature(repo_root):
    params = default_params(repo_root)
    params["data"]["categorical"] = ["customer_id"]
    params["data"]["exclude"] = ["purchased_next_30d"]
    message = _problems(params)
    assert "categorical: lists 'customer_id', which is the id_column" in message
    assert "exclude: lists 'purchased_next_30d', which is the target" in message


def test_lightgbm_dataset_level_keys_are_checked_safely():
    from intentseg.classifier.lightgbm_params import lightgbm_param_problems

    assert lightgbm_param_problems({"linear_tree": True, "max_bin": 63, "boosting": "dart", "n_estimators": 50}) == []
    assert lightgbm_param_problems({"max_bin": 1}) == [
        "max_bin: 1 is refused by LightGBM (Check failed: (max_bin) > (1))"
    ]
    assert lightgbm_param_problems({"seed": 3, "metric": "auc"}) == [
        "seed: set by the pipeline; remove it",
        "metric: set by the pipeline; remove it",
    ]

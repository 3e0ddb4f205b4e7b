"""``train_classifier:``: the model type and its parameters, calibration, decision rule, baseline.

LightGBM's own parameters (``lightgbm:``) are a mapping here; their names and values are checked
by LightGBM itself, in :func:`intentseg.classifier.lightgbm_params.lightgbm_param_problems`.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from intentseg.config.base import Key, Number, Section, Settings, Whole, bounded


class CalibrationConfig(Settings):
    method: Literal["auto", "isotonic", "platt"]
    cv_folds: Whole = bounded(2)


class DecisionConfig(Settings):
    rule: Literal["max_f1", "top_fraction", "expected_profit"]
    top_fraction: Number = bounded(0.0, 1.0, low_open=True, high_open=True)
    contact_cost: Number = bounded(0.0, low_open=True)
    margin_per_conversion: Number = bounded(0.0, low_open=True)


class BaselineConfig(Settings):
    C: Number = bounded(0.0, low_open=True)
    max_iter: Whole = bounded(1)


class CrossValidationConfig(Settings):
    """``train_classifier.cross_validation``: when the valid split is too small to choose on."""

    below_valid_positives: Whole = bounded(0)
    folds: Whole = bounded(2)


class TrainClassifierConfig(Section):
    """``train_classifier:``: the model type and its parameters, calibration, decision rule, baseline."""

    name: ClassVar[str] = "train_classifier"

    model: Literal["lightgbm"]
    lightgbm: dict[Key, Any]
    num_boost_round: Whole = bounded(1)
    early_stopping_rounds: Whole = bounded(1)
    log_every: Whole = bounded(0)
    imbalance_candidates: tuple[Literal["none", "scale_pos_weight", "is_unbalance"], ...]
    imbalance_min_gain: Number = bounded(0.0)
    cross_validation: CrossValidationConfig
    calibration: CalibrationConfig
    decision: DecisionConfig
    baseline: BaselineConfig

    def problems(self) -> list[str]:
        options = self.imbalance_candidates
        if not options:
            return ["imbalance_candidates: list at least one option"]
        found = []
        if len(set(options)) < len(options):
            repeated = sorted({option for option in options if options.count(option) > 1})
            found.append(f"imbalance_candidates: each option once; {repeated} listed more than once")
        if {"scale_pos_weight", "is_unbalance"} <= set(options):
            found.append(
                "imbalance_candidates: list one of scale_pos_weight and is_unbalance, not both: LightGBM fits "
                "the same model for them (positives weighted by negatives/positives), so the second fit is wasted"
            )
        return found

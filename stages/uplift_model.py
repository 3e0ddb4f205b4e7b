"""Reading the uplift model the score and compare_targeting stages use (only stages touch disk)."""

from __future__ import annotations

from pathlib import Path

from intentseg.config.paths import PathsConfig
from intentseg.foundation.errors import ModelFileError
from intentseg.foundation.io import read_json
from intentseg.uplift.learners import UpliftLearner


def uplift_model(paths: PathsConfig) -> tuple[UpliftLearner | None, dict]:
    """The uplift model (None when no campaign could be learned from) and the evidence for targeting by it."""
    model_file = read_json(paths.models.uplift)
    learner = UpliftLearner.from_dict(model_file["learner"]) if model_file["learner"] is not None else None
    return learner, model_file["evidence"]


def champion_targeting(paths: PathsConfig) -> tuple[UpliftLearner | None, str]:
    """The uplift model in production (reference/, when its run had one) and the rule its export was chosen by."""
    record, model = Path(paths.reference.champion), Path(paths.reference.uplift)
    rule = read_json(record).get("target_by", "propensity") if record.exists() else "propensity"
    learner = None
    if model.exists() and read_json(model)["learner"] is not None:
        learner = UpliftLearner.from_dict(read_json(model)["learner"])
    if rule != "propensity" and learner is None:
        raise ModelFileError(
            f"{record} says the champion's export targeted by {rule!r}, but {model} holds no uplift model"
        )
    return learner, rule

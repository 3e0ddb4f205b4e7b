"""The evaluate stage's work: both models measured on the held-out test split, and the check sample."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from intentseg.classifier.baseline import LogisticBaseline
from intentseg.classifier.model import PurchaseModel
from intentseg.config.evaluate import EvaluateConfig
from intentseg.config.segmenter import NamingConfig
from intentseg.data.spec import TableSpec
from intentseg.evaluation.classifier import evaluate_classifier
from intentseg.evaluation.predictions import model_predictions
from intentseg.evaluation.result import Evaluation
from intentseg.evaluation.segments import evaluate_segments
from intentseg.foundation.sizing import sized_down
from intentseg.segments.model import SegmentModel
from intentseg.segments.profiles import outcome_columns_of, profile_columns_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvaluationInputs:
    """The fitted models, the splits and the simulator's ground truth (empty for real data)."""

    classifier: PurchaseModel
    baseline: LogisticBaseline
    champion: PurchaseModel | None  # the classifier in production (reference/), compared on the same customers
    segmenter: SegmentModel
    reference: SegmentModel | None
    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    ground_truth: pd.DataFrame
    spec: TableSpec
    snapshots: dict[str, list[str]] = field(default_factory=dict)  # out of time: each part's snapshots
    population: pd.DataFrame | None = (
        None  # today's customers (id and segment features): the test customers' later snapshot
    )


def part_truth(ground_truth: pd.DataFrame, snapshot_column: str | None, snapshots: list[str] | None) -> pd.DataFrame:
    """The ground truth of one split part: the rows of its snapshots when the truth has several (ids repeat)."""
    if snapshot_column is None or snapshot_column not in ground_truth:
        return ground_truth
    return ground_truth[ground_truth[snapshot_column].isin(snapshots or [])].drop(columns=snapshot_column)


@dataclass(frozen=True)
class ModelEvaluation:
    """Both evaluations (plot records in the source file's column names) and the models' check sample."""

    classifier: Evaluation
    segments: Evaluation
    predictions: dict[str, Any]


def _part_truths(inputs: EvaluationInputs) -> dict[str, pd.DataFrame]:
    """The valid and test parts' ground truth."""
    return {
        part: part_truth(inputs.ground_truth, inputs.spec.snapshot_column, inputs.snapshots.get(part))
        for part in ("valid", "test")
    }


def classifier_evaluation_of(inputs: EvaluationInputs, config: EvaluateConfig, seed: int) -> Evaluation:
    """The classifier on the test split against the champion, the baseline and (simulated data) the oracle."""
    truth = _part_truths(inputs)
    return evaluate_classifier(
        inputs.classifier,
        inputs.baseline,
        inputs.valid,
        inputs.test,
        truth["test"],
        config=config,
        seed=seed,
        champion=inputs.champion,
        valid_ground_truth=truth["valid"],
    )


def segment_evaluation_of(
    inputs: EvaluationInputs, config: EvaluateConfig, naming: NamingConfig, seed: int
) -> Evaluation:
    """The segments on the test split: silhouette, k sweep, stability, profiles and migration."""
    return evaluate_segments(
        inputs.segmenter,
        inputs.train,
        inputs.test,
        _part_truths(inputs)["test"],
        inputs.reference,
        profile_columns=profile_columns_of(inputs.segmenter),
        naming=naming,
        config=config.segments,
        bootstrap=config.bootstrap,
        seed=seed,
        outcome_columns=outcome_columns_of(inputs.segmenter),
        id_column=inputs.spec.id_column,
        today=inputs.population,
    )


def evaluate_models(
    inputs: EvaluationInputs, config: EvaluateConfig, naming: NamingConfig, seed: int
) -> ModelEvaluation:
    """The classifier against the champion, baseline and oracle, the segments (silhouette, sweep, stability, profiles)."""
    names = inputs.spec.display_names()
    classifier = classifier_evaluation_of(inputs, config, seed)
    segments = segment_evaluation_of(inputs, config, naming, seed)
    log.info("classifier test metrics: %s", classifier.metrics["test"])
    log.info(
        "segment silhouette %.3f %s, stability ARI %.3f",
        *(segments.metrics[key] for key in ("silhouette", "silhouette_ci", "stability_ari")),
    )
    rows = sized_down("evaluate.check_sample", config.check_sample, len(inputs.test), "test customers")
    predictions = model_predictions(
        inputs.classifier, inputs.baseline, inputs.segmenter, inputs.test, inputs.spec.id_column, rows=rows
    )
    return ModelEvaluation(classifier.with_display_names(names), segments.with_display_names(names), predictions)

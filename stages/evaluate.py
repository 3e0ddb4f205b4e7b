"""evaluate: held-out metrics, details, plot data and figures for the classifier and the segments (test split).

Writes metrics/{classifier,segmenter}.json (what a reviewer compares), their details, plot data,
PNG figures, and the models' predictions on fixed test customers (compared across machines by
`make check`). The marketing report is the separate report stage.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from intentseg.classifier.baseline import LogisticBaseline
from intentseg.classifier.model import PurchaseModel
from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.data import SIMULATOR_SOURCE, DataConfig
from intentseg.config.evaluate import EvaluateConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.segmenter import TrainSegmenterConfig
from intentseg.data.schema import TableSpec
from intentseg.evaluation.classifier import evaluate_classifier
from intentseg.evaluation.predictions import model_predictions
from intentseg.evaluation.result import Evaluation
from intentseg.evaluation.segments import evaluate_segments
from intentseg.io import OutputGroup, read_json, read_parquet, read_text, write_json, write_png
from intentseg.reporting import figures
from intentseg.reporting.wording import target_words, with_display_names
from intentseg.runlog import run_stage, stage_logger, timed
from intentseg.segments.model import SegmentModel
from intentseg.segments.profiles import outcome_columns_of, profile_columns_of
from intentseg.sizing import sized_down


def write_outputs(
    result: Evaluation,
    metrics_path: str,
    details_path: str,
    plot_paths: dict[str, str],
    figure_paths: dict[str, str],
    drawn: dict[str, figures.Figure],
    group: OutputGroup,
) -> None:
    """Metrics, details, plot records and PNG figures of one evaluation (renamed into place with ``group``)."""
    write_json(result.metrics, metrics_path, group=group)
    write_json(result.details, details_path, group=group)
    for name, records in result.plots.items():
        write_json(records, plot_paths[name], group=group)
    for name, figure in drawn.items():
        write_png(figure, figure_paths[name], group)
        figures.close(figure)


def main() -> None:
    params = checked_params()
    config: EvaluateConfig = EvaluateConfig.from_params(params)
    segmenter_config: TrainSegmenterConfig = TrainSegmenterConfig.from_params(params)
    paths, seed = PathsConfig.from_params(params), seed_of(params)
    spec = TableSpec.from_dict(read_json(paths.prepared.spec))
    data: DataConfig = DataConfig.from_params(params)
    positive_label = read_json(paths.metrics["data"]).get("positive_label")
    words = target_words(data.target_description, data.source == SIMULATOR_SOURCE, spec.target, positive_label)
    log = stage_logger("evaluate")

    train, valid, test = (read_parquet(part) for part in (paths.split.train, paths.split.valid, paths.split.test))
    ground_truth = read_parquet(paths.prepared.ground_truth)
    model = PurchaseModel.from_artifacts(
        read_text(paths.models.classifier), read_json(paths.models.classifier_metadata)
    )
    baseline = LogisticBaseline.from_dict(read_json(paths.models.baseline))
    with OutputGroup() as outputs:  # every output of the stage, or none of them
        with timed(log, f"evaluating the classifier on {len(test)} test customers"):
            classifier = evaluate_classifier(model, baseline, valid, test, ground_truth, config, seed)
        classifier = dataclasses.replace(classifier, plots=with_display_names(classifier.plots, spec.display_names()))
        write_outputs(
            classifier,
            paths.metrics["classifier"],
            paths.details["classifier"],
            {name: paths.plots["classifier"][name] for name in classifier.plots},
            paths.figures["classifier"],
            figures.classifier_figures(classifier.plots),
            outputs,
        )
        log.info("classifier test metrics: %s", classifier.metrics["test"])

        segmenter = SegmentModel.from_dict(read_json(paths.models.segmenter))
        reference_path = Path(paths.reference.segmenter)
        reference = SegmentModel.from_dict(read_json(reference_path)) if reference_path.exists() else None
        with timed(log, "evaluating the segments (silhouette, k sweep, bootstrap stability, profiles)"):
            segments = evaluate_segments(
                segmenter,
                train,
                test,
                ground_truth,
                reference,
                profile_columns_of(segmenter),
                segmenter_config.naming,
                config.segments,
                config.bootstrap,
                seed,
                outcome_columns_of(segmenter),
                spec.id_column,
            )
        segments = dataclasses.replace(segments, plots=with_display_names(segments.plots, spec.display_names()))
        write_outputs(
            segments,
            paths.metrics["segmenter"],
            paths.details["segmenter"],
            paths.plots["segments"],
            paths.figures["segments"],
            figures.segment_figures(segments.plots, segments.metrics["k"], words),
            outputs,
        )
        log.info(
            "segment silhouette %.3f %s, stability ARI %.3f",
            segments.metrics["silhouette"],
            segments.metrics["silhouette_ci"],
            segments.metrics["stability_ari"],
        )
        write_json(
            model_predictions(
                model,
                baseline,
                segmenter,
                test,
                spec.id_column,
                sized_down("evaluate.check_sample", config.check_sample, len(test), "test customers"),
            ),
            paths.checks.predictions,
            digits=None,
            group=outputs,
        )


if __name__ == "__main__":
    run_stage(main)

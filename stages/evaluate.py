"""evaluate: held-out metrics, details, plot data and PNG figures of both models (test split), and the
models' predictions on fixed test customers (compared across machines by `make check`)."""

from __future__ import annotations

from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.data import SIMULATOR_SOURCE, DataConfig
from intentseg.config.evaluate import EvaluateConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.segmenter import TrainSegmenterConfig
from intentseg.data.spec import TableSpec
from intentseg.evaluation.run import EvaluationInputs, evaluate_models
from intentseg.foundation.io import OutputGroup, read_json, read_parquet, write_json, write_png
from intentseg.foundation.runlog import run_stage, stage_logger, timed
from intentseg.reporting import figures
from intentseg.reporting.wording import target_words
from stages.classifier_model import baseline_model, champion_model, purchase_model
from stages.segment_model import reference_segments, segment_model


def main() -> None:
    params = checked_params()
    config, data, paths = (section.from_params(params) for section in (EvaluateConfig, DataConfig, PathsConfig))
    spec = TableSpec.from_dict(read_json(paths.prepared.spec))
    inputs = EvaluationInputs(
        classifier=purchase_model(paths),
        baseline=baseline_model(paths),
        champion=champion_model(paths),
        segmenter=segment_model(paths),
        reference=reference_segments(paths),
        **{part: read_parquet(getattr(paths.split, part)) for part in ("train", "valid", "test")},
        ground_truth=read_parquet(paths.prepared.ground_truth),
        spec=spec,
    )
    with timed(stage_logger("evaluate"), f"evaluating both models on {len(inputs.test)} test customers"):
        result = evaluate_models(inputs, config, TrainSegmenterConfig.from_params(params).naming, seed_of(params))

    label = read_json(paths.metrics["data"]).get("positive_label")
    words = target_words(data.target_description, data.source == SIMULATOR_SOURCE, spec.target, label)
    drawn = figures.classifier_figures(result.classifier.plots) | figures.segment_figures(
        result.segments.plots, result.segments.metrics["k"], words
    )
    figure_paths = paths.figures["classifier"] | paths.figures["segments"]
    files = result.classifier.json_files(
        paths.metrics["classifier"], paths.details["classifier"], paths.plots["classifier"]
    )
    files |= result.segments.json_files(paths.metrics["segmenter"], paths.details["segmenter"], paths.plots["segments"])
    with OutputGroup() as outputs:  # every output of the stage, or none of them
        for path, content in files.items():
            write_json(content, path, group=outputs)
        write_json(result.predictions, paths.checks.predictions, digits=None, group=outputs)
        for name, figure in drawn.items():
            write_png(figure, figure_paths[name], outputs)
            figures.close(figure)


if __name__ == "__main__":
    run_stage(main)

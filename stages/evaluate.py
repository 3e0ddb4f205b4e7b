"""evaluate: held-out metrics, details, plot data and PNG figures of both models (test split), and the
models' predictions on fixed test customers (compared across machines by `make check`)."""

from __future__ import annotations

from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.data import DataConfig
from intentseg.config.evaluate import EvaluateConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.segmenter import TrainSegmenterConfig
from intentseg.evaluation.run import evaluate_models
from intentseg.foundation.io import OutputGroup, read_json, write_json, write_png
from intentseg.foundation.runlog import run_stage, stage_logger, timed
from intentseg.reporting import figures
from intentseg.reporting.wording import target_words
from stages.evaluation_inputs import evaluation_inputs


def main() -> None:
    params = checked_params()
    config, data, paths = (section.from_params(params) for section in (EvaluateConfig, DataConfig, PathsConfig))
    inputs = evaluation_inputs(paths)
    spec = inputs.spec
    with timed(stage_logger("evaluate"), f"evaluating both models on {len(inputs.test)} test customers"):
        result = evaluate_models(inputs, config, TrainSegmenterConfig.from_params(params).naming, seed_of(params))

    label = read_json(paths.metrics["data"]).get("positive_label")
    words = target_words(data.target_description, data.simulated, spec.target, label)
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

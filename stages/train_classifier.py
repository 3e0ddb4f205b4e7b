"""train_classifier: the purchase-intent model, calibrated and thresholded on valid, plus the baseline.

Writes the model file (LightGBM's text model), its JSON metadata, the logistic baseline as JSON,
metrics/classifier_train.json (best round, valid ROC-AUC, threshold, choices), the training details
(imbalance comparison, calibration log losses) and the learning-curve plot data.
"""

from __future__ import annotations

from intentseg.classifier.lightgbm_params import check_lightgbm_params
from intentseg.classifier.training import fit_purchase_model, training_review_metrics
from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.config.paths import PathsConfig
from intentseg.data.spec import TableSpec
from intentseg.foundation.io import OutputGroup, read_json, read_parquet, write_json, write_text
from intentseg.foundation.runlog import run_stage, stage_logger, timed


def main() -> None:
    params = checked_params()
    config, paths = TrainClassifierConfig.from_params(params), PathsConfig.from_params(params)
    check_lightgbm_params(config)
    spec = TableSpec.from_dict(read_json(paths.prepared.spec))
    log = stage_logger("train_classifier")

    train, valid = read_parquet(paths.split.train), read_parquet(paths.split.valid)
    with timed(
        log,
        f"fitting a {config.model} model on {len(train)} rows (imbalance options {list(config.imbalance_candidates)})",
    ):
        trained = fit_purchase_model(train, valid, config, seed_of(params), spec.id_column, target=spec.target)
    log.info("chosen: %s", trained.summary)

    text, metadata = trained.model.to_artifacts()
    with OutputGroup() as outputs:  # every output of the stage, or none of them
        write_text(text, paths.models.classifier, outputs)
        write_json(metadata, paths.models.classifier_metadata, digits=None, group=outputs)
        write_json(trained.baseline.to_dict(), paths.models.baseline, digits=None, group=outputs)
        write_json(trained.summary, paths.details["classifier_train"], group=outputs)
        write_json(training_review_metrics(trained.summary), paths.metrics["classifier_train"], group=outputs)
        write_json(trained.learning_curve, paths.plots["classifier"]["learning_curve"], group=outputs)


if __name__ == "__main__":
    run_stage(main)

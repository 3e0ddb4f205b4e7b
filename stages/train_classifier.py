"""train_classifier: LightGBM purchase-intent model, calibrated and thresholded on valid, plus the baseline.

Writes the LightGBM text model, its JSON metadata, the logistic baseline as JSON,
metrics/classifier_train.json (best round, valid ROC-AUC, threshold, choices), the training details
(imbalance comparison, calibration log losses) and the learning-curve plot data.
"""

from __future__ import annotations

from intentseg.config import load_params, section
from intentseg.io import read_parquet, write_json, write_text
from intentseg.runlog import stage_logger, timed
from intentseg.train import fit_purchase_model, training_review_metrics


def main() -> None:
    params = load_params()
    settings, data, paths = section(params, "train_classifier"), section(params, "data"), section(params, "paths")
    log = stage_logger("train_classifier")

    train, valid = read_parquet(paths["split"]["train"]), read_parquet(paths["split"]["valid"])
    with timed(log, f"fitting on {len(train)} rows (imbalance options {settings['imbalance_candidates']})"):
        trained = fit_purchase_model(train, valid, settings, int(params["seed"]), data["id_column"], data["target"])
    log.info("chosen: %s", trained.summary)

    text, metadata = trained.model.to_artifacts()
    write_text(text, paths["models"]["classifier"])
    write_json(metadata, paths["models"]["classifier_metadata"], digits=None)
    write_json(trained.baseline.to_dict(), paths["models"]["baseline"], digits=None)
    write_json(trained.summary, paths["details"]["classifier_train"])
    write_json(training_review_metrics(trained.summary), paths["metrics"]["classifier_train"])
    write_json(trained.learning_curve, paths["plots"]["classifier"]["learning_curve"])


if __name__ == "__main__":
    main()

"""evaluate: held-out metrics, plot data and figures for the purchase classifier (test split only)."""

from __future__ import annotations

from intentseg import figures
from intentseg.assess import evaluate_classifier
from intentseg.baseline import LogisticBaseline
from intentseg.classifier import PurchaseModel
from intentseg.config import load_params, section
from intentseg.io import read_json, read_parquet, read_text, write_json, write_png
from intentseg.runlog import stage_logger, timed


def main() -> None:
    params = load_params()
    settings, paths = section(params, "evaluate"), section(params, "paths")
    log = stage_logger("evaluate")

    model = PurchaseModel.from_artifacts(
        read_text(paths["models"]["classifier"]), read_json(paths["models"]["classifier_metadata"])
    )
    baseline = LogisticBaseline.from_dict(read_json(paths["models"]["baseline"]))
    valid, test = read_parquet(paths["split"]["valid"]), read_parquet(paths["split"]["test"])
    ground_truth = read_parquet(paths["prepared"]["ground_truth"])

    with timed(log, f"evaluating the classifier on {len(test)} test rows"):
        result = evaluate_classifier(model, baseline, valid, test, ground_truth, settings, int(params["seed"]))
    write_json(result.metrics, paths["metrics"]["classifier"])
    for name, records in result.plots.items():
        write_json(records, paths["plots"]["classifier"][name])
    log.info("test metrics: %s", result.metrics["test"])

    with timed(log, "drawing figures"):
        for name, figure in figures.classifier_figures(result.plots).items():
            write_png(figure, paths["figures"]["classifier"][name])
            figures.close(figure)


if __name__ == "__main__":
    main()

"""evaluate: held-out metrics, plot data and figures for the classifier and the segments (test split)."""

from __future__ import annotations

from pathlib import Path

from intentseg import figures
from intentseg.assess import evaluate_classifier
from intentseg.assess_segments import evaluate_segments
from intentseg.baseline import LogisticBaseline
from intentseg.classifier import PurchaseModel
from intentseg.config import load_params, section
from intentseg.evaluation import Evaluation
from intentseg.io import read_json, read_parquet, read_text, write_json, write_png, write_text
from intentseg.report import ReportInputs, build_report, report_figure_links
from intentseg.reproduce import model_predictions
from intentseg.runlog import stage_logger, timed
from intentseg.segmentation import SegmentModel, outcome_columns


def write_outputs(result: Evaluation, metrics_path: str, details_path: str, plot_paths: dict, figure_paths: dict,
                  drawn: dict) -> None:
    """Metrics, details, plot records and PNG figures of one evaluation."""
    write_json(result.metrics, metrics_path)
    write_json(result.details, details_path)
    for name, records in result.plots.items():
        write_json(records, plot_paths[name])
    for name, figure in drawn.items():
        write_png(figure, figure_paths[name])
        figures.close(figure)


def main() -> None:
    params = load_params()
    settings, data, paths = section(params, "evaluate"), section(params, "data"), section(params, "paths")
    segment_settings, seed = section(params, "train_segmenter"), int(params["seed"])
    log = stage_logger("evaluate")

    train, valid, test = (read_parquet(paths["split"][part]) for part in ("train", "valid", "test"))
    ground_truth = read_parquet(paths["prepared"]["ground_truth"])

    model = PurchaseModel.from_artifacts(
        read_text(paths["models"]["classifier"]), read_json(paths["models"]["classifier_metadata"])
    )
    baseline = LogisticBaseline.from_dict(read_json(paths["models"]["baseline"]))
    with timed(log, f"evaluating the classifier on {len(test)} test customers"):
        classifier = evaluate_classifier(model, baseline, valid, test, ground_truth, settings, seed)
    write_outputs(classifier, paths["metrics"]["classifier"], paths["details"]["classifier"],
                  {name: paths["plots"]["classifier"][name] for name in classifier.plots},
                  paths["figures"]["classifier"], figures.classifier_figures(classifier.plots))
    log.info("classifier test metrics: %s", classifier.metrics["test"])

    segmenter = SegmentModel.from_dict(read_json(paths["models"]["segmenter"]))
    reference_path = Path(paths["reference"]["segmenter"])
    reference = SegmentModel.from_dict(read_json(reference_path)) if reference_path.exists() else None
    with timed(log, "evaluating the segments (silhouette, k sweep, bootstrap stability, profiles)"):
        segments = evaluate_segments(segmenter, train, test, ground_truth, reference, segment_settings,
                                     settings["segments"], settings["bootstrap"], seed,
                                     outcome_columns(segment_settings, data["target"]), data["id_column"])
    write_outputs(segments, paths["metrics"]["segmenter"], paths["details"]["segmenter"], paths["plots"]["segments"],
                  paths["figures"]["segments"], figures.segment_figures(segments.plots, segments.metrics["k"]))
    log.info("segment silhouette %.3f %s, stability ARI %.3f", segments.metrics["silhouette"],
             segments.metrics["silhouette_ci"], segments.metrics["stability_ari"])
    write_json(model_predictions(model, baseline, segmenter, test, data["id_column"], int(settings["check_sample"])),
               paths["checks"]["predictions"], digits=None)

    reference_metrics = {name: read_json(Path(paths["reference"]["metrics"]) / Path(path).name)
                         for name, path in paths["metrics"].items()
                         if (Path(paths["reference"]["metrics"]) / Path(path).name).exists()}
    report = build_report(ReportInputs(
        snapshot_month=str(data["snapshot_month"]), data=read_json(paths["metrics"]["data"]),
        classifier=classifier.details, gains=classifier.plots["gains"], calibration=classifier.plots["calibration_test"],
        segments=segments.details, migration=segments.plots["migration"], score=read_json(paths["metrics"]["score"]),
        audience=read_json(paths["plots"]["score"]["audience"]), reference=reference_metrics,
        figures=report_figure_links(paths["report"], paths["figures"]),
    ))
    write_text(report, paths["report"])
    log.info("report written: %s", paths["report"])


if __name__ == "__main__":
    main()

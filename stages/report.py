"""report: the one-page marketing report (reports/report.md) from this run's metrics, details and plot data.

Runs after evaluate and score, so a change to scoring settings reruns scoring and this report,
not the evaluation. Every bar and warning level it quotes comes from params.yaml.
"""

from __future__ import annotations

from pathlib import Path

from intentseg.config.base import section
from intentseg.config.campaign import CampaignConfig
from intentseg.config.check import checked_params
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.config.data import SIMULATOR_SOURCE, DataConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.score import ScoreConfig
from intentseg.data.reading import read_customer_file
from intentseg.data.tracking import refuse_untracked_inputs
from intentseg.evaluation.campaign import campaign_readout
from intentseg.io import OutputGroup, png_bytes, read_json, write_bytes, write_text
from intentseg.reporting import figures
from intentseg.reporting.html import render_html
from intentseg.reporting.report import ReportInputs, build_report, report_figure_links
from intentseg.reporting.wording import target_words
from intentseg.runlog import run_stage, stage_logger


def main() -> None:
    params = checked_params()
    data: DataConfig = DataConfig.from_params(params)
    score: ScoreConfig = ScoreConfig.from_params(params)
    paths = PathsConfig.from_params(params)
    log = stage_logger("report")

    reference_dir = Path(paths.reference.metrics)
    reference = {
        name: read_json(reference_dir / Path(path).name)
        for name, path in paths.metrics.items()
        if (reference_dir / Path(path).name).exists()
    }
    campaign: CampaignConfig = CampaignConfig.from_params(params)
    readout = None
    if campaign.result:
        refuse_untracked_inputs([campaign.result], "report", params, "campaign result")
        readout = campaign_readout(read_customer_file(campaign.result, data.read).frame, campaign.confidence)
    heatmap_figure = figures.segment_decile_figure(read_json(paths.plots["score"]["segment_by_decile"]))
    heatmap = png_bytes(heatmap_figure)  # this stage's own figure: embedded from memory, written with the report
    figures.close(heatmap_figure)
    metrics = {name: read_json(path) for name, path in paths.metrics.items()}
    data_metrics = metrics["data"]
    links = report_figure_links(paths.report, paths.figures)
    simulated = data.source == SIMULATOR_SOURCE
    report = build_report(
        ReportInputs(
            snapshot_month=data.snapshot_month,
            data=data_metrics,
            classifier=read_json(paths.details["classifier"]),
            gains=read_json(paths.plots["classifier"]["gains"]),
            calibration=read_json(paths.plots["classifier"]["calibration_test"]),
            segments=read_json(paths.details["segmenter"]),
            migration=read_json(paths.plots["segments"]["migration"]),
            score=metrics["score"],
            audience=read_json(paths.plots["score"]["audience"]),
            figures=links,
            gates=dict(section(params, "gates")),
            drift_warn_psi=score.drift.warn_psi,
            reference=reference,
            target_description=target_words(
                data.target_description, simulated, data.target, data_metrics.get("positive_label")
            ),
            labelled_scored=not simulated and data.population is None,
            export=read_json(paths.details["score"]),
            metrics=metrics,
            decision=TrainClassifierConfig.from_params(params).decision,
            campaign=readout,
        )
    )
    heatmap_path = paths.figures["score"]["segment_by_decile"]
    images = {
        links[f"{group}_{name}"]: heatmap if path == heatmap_path else Path(path).read_bytes()
        for group, items in paths.figures.items()
        for name, path in items.items()
    }
    page = render_html(report, images, f"Purchase intent and customer segments: {data.snapshot_month}")
    with OutputGroup() as outputs:  # the figure, the report and its page together, or none of them
        write_bytes(heatmap, heatmap_path, outputs)
        write_text(report, paths.report, outputs)
        write_text(page, paths.report_html, outputs)
    log.info("report written: %s and %s", paths.report, paths.report_html)


if __name__ == "__main__":
    run_stage(main)

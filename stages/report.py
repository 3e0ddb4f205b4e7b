"""report: the one-page marketing report (reports/report.md and its self-contained HTML page).

Runs after evaluate and score, so a change to scoring settings reruns scoring and this report,
not the evaluation. Every bar and warning level it quotes comes from params.yaml.
"""

from __future__ import annotations

from intentseg.config.base import section
from intentseg.config.campaign import CampaignConfig
from intentseg.config.check import checked_params
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.config.data import DataConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.score import ScoreConfig
from intentseg.foundation.io import OutputGroup, read_json, write_bytes, write_text
from intentseg.foundation.runlog import run_stage
from intentseg.reference import champion_period
from intentseg.reporting import figures
from intentseg.reporting.html import render_html
from intentseg.reporting.report import ReportInputs, build_report, report_figure_links
from stages.report_inputs import campaign_result, figure_images, reference_metrics, run_files


def main() -> None:
    params = checked_params()
    data, score, campaign, paths = (
        s.from_params(params) for s in (DataConfig, ScoreConfig, CampaignConfig, PathsConfig)
    )
    files = run_files(paths)
    links = report_figure_links(paths.report, paths.figures)
    inputs = ReportInputs.of_run(
        files,
        links,
        reference_metrics(paths),
        campaign_result(params, campaign, data),
        data=data,
        score=score,
        decision=TrainClassifierConfig.from_params(params).decision,
        gates=section(params, "gates"),
        champion_period=champion_period(paths),
    )
    report, heatmap_path = build_report(inputs), paths.figures["score"]["segment_by_decile"]
    heatmap = figures.segment_decile_png(read_json(paths.plots["score"]["segment_by_decile"]))  # this stage's own
    page = render_html(
        report,
        figure_images(paths, links, {heatmap_path: heatmap}),
        f"Purchase intent and customer segments: {data.snapshot_month}",
    )
    with OutputGroup() as outputs:  # the figure, the report and its page together, or none of them
        write_bytes(heatmap, heatmap_path, outputs)
        write_text(report, paths.report, outputs)
        write_text(page, paths.report_html, outputs)


if __name__ == "__main__":
    run_stage(main)

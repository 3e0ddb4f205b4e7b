"""Reading what the report stage needs of a run (only stages touch disk)."""

from __future__ import annotations

from pathlib import Path

from intentseg.config.campaign import CampaignConfig
from intentseg.config.data import DataConfig
from intentseg.config.paths import PathsConfig
from intentseg.data.reading import read_customer_file
from intentseg.data.tracking import refuse_untracked_inputs
from intentseg.evaluation.campaign import campaign_readout
from intentseg.foundation.io import read_json
from intentseg.reporting.report import REPORT_DETAILS, REPORT_PLOTS, RunFiles


def reference_metrics(paths: PathsConfig) -> dict[str, dict]:
    """The accepted run's metrics files (reference/metrics/), by metrics name, for the report's comparison."""
    folder = Path(paths.reference.metrics)
    found = {name: folder / Path(path).name for name, path in paths.metrics.items()}
    return {name: read_json(path) for name, path in found.items() if path.exists()}


def campaign_result(params: dict, campaign: CampaignConfig, data: DataConfig) -> dict | None:
    """The last campaign's readout (``campaign.result``: a DVC-tracked file), or None when none is named."""
    if not campaign.result:
        return None
    refuse_untracked_inputs([campaign.result], "report", params, "campaign result")
    return campaign_readout(read_customer_file(campaign.result, data.read).frame, campaign.confidence)


def figure_images(paths: PathsConfig, links: dict[str, str], drawn: dict[str, bytes]) -> dict[str, bytes]:
    """Every figure's PNG by its link in the report: ``drawn`` (path -> bytes, made in memory), else the file."""
    return {
        links[f"{group}_{name}"]: drawn[path] if path in drawn else Path(path).read_bytes()
        for group, items in paths.figures.items()
        for name, path in items.items()
    }


def run_files(paths: PathsConfig) -> RunFiles:
    """What the report reads of this run: every metrics file, and its details and plot data."""
    return RunFiles(
        metrics={name: read_json(path) for name, path in paths.metrics.items()},
        details={name: read_json(paths.details[name]) for name in REPORT_DETAILS},
        plots={name: read_json(paths.plots[group][plot]) for name, (group, plot) in REPORT_PLOTS.items()},
    )

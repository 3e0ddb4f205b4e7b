"""``paths:``: every file the pipeline reads or writes, written down once (dvc.yaml interpolates them).

Fixed groups are models (``paths.models.classifier``); open-ended groups, whose entries a team may
add to (metrics files, plots, figures), are mappings from a name to a path.
"""

from __future__ import annotations

from typing import ClassVar

from intentseg.config.base import Key, Section, Settings, Text


class PreparedPaths(Settings):
    customers: Text
    population: Text
    ground_truth: Text
    population_truth: Text
    spec: Text


class SnapshotPaths(Settings):
    dir: Text
    manifest: Text
    labelled: Text
    population: Text
    campaign_history: Text


class SplitPaths(Settings):
    train: Text
    valid: Text
    test: Text


class ScoresPaths(Settings):
    scores: Text
    audience: Text
    audience_parquet: Text
    audience_by_segment: Text
    rejects: Text


class LogPaths(Settings):
    score_timings: Text


class ReferencePaths(Settings):
    dir: Text
    segmenter: Text
    classifier: Text
    classifier_metadata: Text
    uplift: Text
    champion: Text
    metrics: Text


class ModelPaths(Settings):
    segmenter: Text
    classifier: Text
    classifier_metadata: Text
    baseline: Text
    uplift: Text


class CampaignPaths(Settings):
    history: Text
    features: Text
    truth: Text


class CheckPaths(Settings):
    predictions: Text


class PathsConfig(Section):
    """``paths:``: the one place every path is written down."""

    name: ClassVar[str] = "paths"

    prepared: PreparedPaths
    raw: Text
    snapshot: SnapshotPaths
    split: SplitPaths
    scores: ScoresPaths
    campaign: CampaignPaths
    logs: LogPaths
    reference: ReferencePaths
    report: Text
    report_html: Text
    models: ModelPaths
    metrics: dict[Key, Text]
    details: dict[Key, Text]
    checks: CheckPaths
    plots: dict[Key, dict[Key, Text]]
    figures: dict[Key, dict[Key, Text]]

"""The score stage's work: a day's scoring job from the models and settings, run by the configured engine.

The engines stream the population file and register their outputs with the caller's output group,
so nothing is in place before the whole run has succeeded. The export, the summary, the details
and the plot tables come back as values; the stage writes them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from intentseg.classifier.explain import FeatureWords
from intentseg.config.classifier import DecisionConfig
from intentseg.config.paths import ScoresPaths
from intentseg.config.reason_words import ReasonWordsConfig
from intentseg.config.score import ScoreConfig
from intentseg.data.spec import TRUE_FALSE, TableSpec
from intentseg.foundation.errors import ConfigError
from intentseg.foundation.io import OutputGroup, iter_parquet_frames
from intentseg.foundation.sizing import sized_down
from intentseg.scoring.drift import DriftMonitor
from intentseg.scoring.execution import ScoredRun, score_locally, score_with_dask
from intentseg.scoring.export import ExportStamp, stamped_scores
from intentseg.scoring.export_files import WrittenExport, written_export
from intentseg.scoring.first_pass import StepTimer
from intentseg.scoring.summaries import audience_plot, drift_plot, score_summary, segment_decile_plot, sleeping_dogs
from intentseg.scoring.types import ScoringJob, ScoringModels, TargetingRule, rule_named
from intentseg.scoring.validation import duplicated_ids

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Population:
    """The file to score: its path, its columns, how many rows, and what its ids say (duplicates, type).

    The ids themselves are not kept through the run (as Arrow text, about 12 bytes an id: 240 MB at 20M)."""

    path: str
    columns: tuple[str, ...]
    rows: int
    duplicate_ids: np.ndarray
    id_dtype: Any

    @classmethod
    def of(cls, path: str, columns: tuple[str, ...], ids: pd.Series) -> Population:
        """The population at ``path`` with its ``columns``, from its id column."""
        return cls(path, columns, len(ids), duplicated_ids(ids), ids.dtype)


def scoring_job(
    population: Population,
    models: ScoringModels,
    spec: TableSpec,
    train: pd.DataFrame,
    config: ScoreConfig,
    *,
    reason_words: ReasonWordsConfig,
    snapshot_month: str,
    targeting: TargetingRule,
) -> ScoringJob:
    """The job every engine runs: the models, the rules, drift measured against ``train``, reasons in words."""
    schema = models.classifier.schema
    top_k = sized_down("score.reasons.top_k", config.reasons.top_k, len(schema.names), "features")
    drift = DriftMonitor(numeric=list(schema.numeric), categorical=list(schema.categorical), bins=config.drift.bins)
    drift.fit(train[schema.names])
    flags = frozenset(column.name for column in spec.columns if column.description == TRUE_FALSE)
    return ScoringJob(
        population.path,
        models,
        spec,
        population.duplicate_ids,
        drift,
        config.reasons.model_copy(update={"top_k": top_k}),
        FeatureWords(dict(reason_words.labels or {}), spec.display_names(), flags),
        population.id_dtype,
        population.columns,
        population.rows,
        snapshot_month,
        targeting,
    )


def targeting_rule(
    config: ScoreConfig, decision: DecisionConfig, evidence: dict[str, Any] | None, *, has_uplift: bool, rows: int
) -> TargetingRule:
    """``score.target_by`` resolved, with why: ``auto`` follows the run's evidence (``models/uplift.json``).

    An uplift rule named in params.yaml without an uplift model is refused, naming the reason there is none.
    """
    reason = (evidence or {}).get("reason", "no uplift model")
    if config.target_by == "auto":
        name = (evidence or {}).get("targeting", "propensity") if has_uplift else "propensity"
        why = f"score.target_by auto: {name}, because {reason}"
    else:
        name = config.target_by
        if name != "propensity" and not has_uplift:
            raise ConfigError(
                f"score.target_by: {name!r} needs an uplift model, and this run has none ({reason}); "
                "use 'propensity' or 'auto'"
            )
        why = f"score.target_by: {name}, as params.yaml sets it"
    return rule_named(name, config, decision, rows, why)


@dataclass(frozen=True)
class ScoringResult:
    """A day's scoring: the engine's run, the audience export (written) and what the stage writes beside them."""

    run: ScoredRun
    stamp: ExportStamp
    export: WrittenExport
    summary: dict[str, Any]
    details: dict[str, Any]  # the export's groups and stamps, the cells protected for spreadsheets, examples
    plots: dict[str, list[dict[str, Any]]]

    def timings(self, engine: str) -> dict[str, Any]:
        """Wall-clock seconds by step (the untracked log): not a DVC output."""
        accumulator = self.run.accumulator
        return {
            "rows_in": accumulator.rows_in,
            "seconds": accumulator.timings,
            "engine": engine,
            "worker_peak_mb": self.run.worker_peak_mb,
        }


def score_day(
    job: ScoringJob, config: ScoreConfig, snapshot_month: str, out: ScoresPaths, outputs: OutputGroup
) -> ScoringResult:
    """Score the population with ``score.engine`` and write the export (both registered with ``outputs``); the
    summary, details and plots."""
    if config.engine == "dask":
        run = score_with_dask(job, config.dask, out, outputs)
    else:
        run = score_locally(job, config.chunk_rows, out, outputs)
    stamp = ExportStamp(config.stamped_date(snapshot_month), snapshot_month)
    with StepTimer(run.accumulator, "export"):
        export = written_export(
            run.members,
            out,
            outputs,
            stamp=stamp,
            id_column=job.spec.id_column,
            top_k=job.reasons.top_k,
            order_by="purchase_probability" if job.targeting.name == "propensity" else "contact_effect",
            control_share=config.control_share,
            per_segment=config.export.per_segment,
        )
    report = job.drift.report(config.drift.warn_psi, config.drift.flag_psi)
    for name in report["flagged"] + report["warned"]:
        state = "FLAGGED" if name in report["flagged"] else "warning"
        log.warning("drift: %s has PSI %.3f (%s)", name, report["psi"][name], state)
    names = job.models.segmenter.name_of()
    summary = score_summary(run.accumulator, run.tables, report)
    details = {
        "export": export.summary,
        "control_share": config.control_share,
        "exploration_share": config.exploration_share,
        "targeting": {"rule": job.targeting.name, "why": job.targeting.why, **sleeping_dogs(run.accumulator, run.plan)},
        "run_date": stamp.run_date,
        "spreadsheet_protected_cells": export.protected,
        "examples": export.examples,
    }
    plots = {
        "audience": audience_plot(run.tables, names),
        "segment_by_decile": segment_decile_plot(run.tables, names),
        "drift": drift_plot(report),
    }
    log.info(
        "scored %d, rejected %d of %d; audience %d (exported %d); time by step %s",
        *(summary[key] for key in ("rows_scored", "rows_rejected", "rows_in", "audience_size", "audience_exported")),
        {step: round(seconds, 2) for step, seconds in run.accumulator.timings.items()},
    )
    return ScoringResult(run, stamp, export, summary, details, plots)


def database_rows(result: ScoringResult, config: ScoreConfig) -> Iterator[pd.DataFrame]:
    """What ``score.sink`` writes: the audience export, or every score stamped with the run date."""
    if config.sink.rows == "audience":
        return iter_parquet_frames(result.export.parquet, config.chunk_rows)
    return stamped_scores(iter_parquet_frames(result.run.pending_scores, config.chunk_rows), result.stamp)

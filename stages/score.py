"""score: daily batch scoring of the whole population (streamed in chunks, or on a Dask cluster).

Every customer gets a calibrated purchase probability, a propensity decile, the audience
flag, a segment and plain-words reasons; rows failing validation go to the rejects file with
their rules. Writes data/scores/ (scores, audience export, rejects: files with score.engine
local, folders of part files with dask), optionally the export to a database table
(score.sink), metrics/score.json, plot data, and wall-clock timings to the (untracked) log.
Nothing is renamed into place, and nothing is committed to the database, unless all of it worked.
"""

from __future__ import annotations

from intentseg.classifier.explain import FeatureWords
from intentseg.classifier.model import PurchaseModel
from intentseg.config.check import checked_params
from intentseg.config.data import DataConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.reason_words import ReasonWordsConfig
from intentseg.config.score import ScoreConfig
from intentseg.data.schema import TRUE_FALSE, TableSpec
from intentseg.io import (
    OutputGroup,
    frames_of,
    iter_parquet_frames,
    parquet_columns,
    read_json,
    read_parquet,
    read_parquet_column,
    read_text,
    write_csv,
    write_csv_folder,
    write_json,
    write_parquet,
)
from intentseg.runlog import run_stage, stage_logger, timed
from intentseg.scoring.drift import DriftMonitor
from intentseg.scoring.engines import score_locally, score_with_dask
from intentseg.scoring.export import (
    ExportStamp,
    audience_export,
    export_examples,
    export_summary,
    per_segment_files,
    stamped_scores,
)
from intentseg.scoring.summaries import audience_plot, drift_plot, score_summary, segment_decile_plot
from intentseg.scoring.types import ScoringJob, load_models
from intentseg.scoring.validation import check_population_columns, duplicated_ids
from intentseg.segments.model import SegmentModel
from intentseg.sizing import sized_down
from intentseg.warehouse.connection import check_database_url
from intentseg.warehouse.sink import write_sink


def main() -> None:
    params = checked_params()
    config: ScoreConfig = ScoreConfig.from_params(params)
    data: DataConfig = DataConfig.from_params(params)
    labels: ReasonWordsConfig = ReasonWordsConfig.from_params(params)
    if config.sink.type == "sql":
        check_database_url("score", "score.sink", config.sink.url)
    paths = PathsConfig.from_params(params)
    log = stage_logger("score")
    out, models_at, population = paths.scores, paths.models, paths.prepared.population

    models = load_models(
        PurchaseModel.from_artifacts(read_text(models_at.classifier), read_json(models_at.classifier_metadata)),
        SegmentModel.from_dict(read_json(models_at.segmenter)),
    )
    spec = TableSpec.from_dict(read_json(paths.prepared.spec)).without_target()
    columns = parquet_columns(population)
    check_population_columns(columns, models, spec.id_column)
    ids = read_parquet_column(population, spec.id_column)
    schema = models.classifier.schema
    reasons = config.reasons.model_copy(
        update={"top_k": sized_down("score.reasons.top_k", config.reasons.top_k, len(schema.names), "features")}
    )
    max_audience = config.max_audience and sized_down("score.max_audience", config.max_audience, len(ids), "customers")
    drift = DriftMonitor(numeric=list(schema.numeric), categorical=list(schema.categorical), bins=config.drift.bins)
    drift.fit(read_parquet(paths.split.train, columns=schema.names))
    flags = frozenset(column.name for column in spec.columns if column.description == TRUE_FALSE)
    words = FeatureWords(dict(labels.labels or {}), spec.display_names(), flags)
    job = ScoringJob(population, models, spec, duplicated_ids(ids), drift, reasons, words, ids.dtype, tuple(columns))
    stamp = ExportStamp(config.stamped_date(data.snapshot_month), data.snapshot_month)

    with OutputGroup() as outputs:  # scores, export, rejects (and the sink's commit) together, or none of them
        with timed(log, f"scoring {len(ids)} customers (engine {config.engine})"):
            if config.engine == "dask":
                run = score_with_dask(job, config.dask, max_audience, out, outputs)
            else:
                run = score_locally(job, config.chunk_rows, max_audience, out, outputs)
        export = audience_export(
            run.tables.exported_members, spec.id_column, reasons.top_k, config.control_share, stamp
        )
        protected = write_csv(export, out.audience, outputs)
        write_parquet(export, out.audience_parquet, outputs)
        write_csv_folder(
            per_segment_files(export) if config.export.per_segment else {}, out.audience_by_segment, outputs
        )
        if protected:
            log.warning(
                "audience CSV: cells a spreadsheet would run as formulas start with an apostrophe %s; the Parquet "
                "twin and the database keep the exact values (docs/scoring.md: CSV files and spreadsheets)",
                protected,
            )
        report = drift.report(config.drift.warn_psi, config.drift.flag_psi)
        for name in report["flagged"] + report["warned"]:
            state = "FLAGGED" if name in report["flagged"] else "warning"
            log.warning("drift: %s has PSI %.3f (%s)", name, report["psi"][name], state)
        accumulator, tables, names = run.accumulator, run.tables, models.segmenter.name_of()
        summary = score_summary(accumulator, tables, report)
        write_json(summary, paths.metrics["score"], group=outputs)
        details = {
            "export": export_summary(export),
            "control_share": config.control_share,
            "run_date": stamp.run_date,
            "spreadsheet_protected_cells": protected,
        }
        write_json(
            {**details, "examples": export_examples(export, spec.id_column)}, paths.details["score"], group=outputs
        )
        write_json(audience_plot(tables, names), paths.plots["score"]["audience"], group=outputs)
        write_json(segment_decile_plot(tables, names), paths.plots["score"]["segment_by_decile"], group=outputs)
        write_json(drift_plot(report), paths.plots["score"]["drift"], group=outputs)
        if config.sink.type == "sql":  # inside the group: a failed write leaves the files and the table as they were
            pending = iter_parquet_frames(run.pending_scores, config.chunk_rows)
            rows = (
                frames_of(export, config.chunk_rows)
                if config.sink.rows == "audience"
                else stamped_scores(pending, stamp)
            )
            with timed(log, f"writing the {config.sink.rows} to table {config.sink.table} ({config.sink.mode})"):
                log.info("%d rows committed to %s", write_sink(config.sink, rows), config.sink.table)

    timings = {"rows_in": accumulator.rows_in, "seconds": accumulator.timings, "engine": config.engine}
    write_json({**timings, "worker_peak_mb": run.worker_peak_mb}, paths.logs.score_timings)
    log.info(
        "scored %d, rejected %d of %d; audience %d (exported %d); time by step %s",
        *(summary[key] for key in ("rows_scored", "rows_rejected", "rows_in", "audience_size", "audience_exported")),
        {step: round(seconds, 2) for step, seconds in accumulator.timings.items()},
    )


if __name__ == "__main__":
    run_stage(main)

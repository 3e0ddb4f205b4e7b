"""score: daily batch scoring of the whole population, streamed in chunks.

Every customer gets a calibrated purchase probability, a propensity decile, the audience
flag, a segment and plain-words reasons; rows failing validation go to the rejects file with
their rules. Writes data/scores/{scores.parquet,audience.csv,rejects.parquet},
metrics/score.json, plot data (audience, segment x decile, drift per feature), and wall-clock
timings to the (untracked) log.
"""

from __future__ import annotations

from pathlib import Path

from intentseg.classifier.explain import FeatureWords
from intentseg.classifier.model import PurchaseModel
from intentseg.config import DataConfig, FeaturesConfig, ScoreConfig, load_params, section, section_config
from intentseg.data.schema import TableSpec
from intentseg.io import (
    OutputGroup,
    ParquetSink,
    atomic_path,
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
from intentseg.scoring.batch import (
    audience_columns,
    audience_plot,
    drift_plot,
    empty_scores,
    finalise_scores,
    load_models,
    score_population,
    score_summary,
    segment_decile_plot,
)
from intentseg.scoring.drift import DriftMonitor
from intentseg.scoring.export import ExportStamp, audience_export, export_examples, export_summary, per_segment_files
from intentseg.scoring.validation import check_population_columns, duplicated_ids, empty_rejects
from intentseg.segments.model import SegmentModel


def main() -> None:
    params = load_params()
    config: ScoreConfig = section_config(params, "score")
    data: DataConfig = section_config(params, "data")
    labels: FeaturesConfig = section_config(params, "features")
    paths = section(params, "paths")
    log = stage_logger("score")
    out, reasons, chunk_rows = paths["scores"], config.reasons, config.chunk_rows

    models = load_models(
        PurchaseModel.from_artifacts(
            read_text(paths["models"]["classifier"]), read_json(paths["models"]["classifier_metadata"])
        ),
        SegmentModel.from_dict(read_json(paths["models"]["segmenter"])),
    )
    spec = TableSpec.from_dict(read_json(paths["prepared"]["spec"])).without_target()
    population = paths["prepared"]["population"]
    columns = parquet_columns(population)
    check_population_columns(columns, models, spec.id_column)
    ids = read_parquet_column(population, spec.id_column)
    schema = models.classifier.schema
    drift = DriftMonitor(numeric=list(schema.numeric), categorical=list(schema.categorical), bins=config.drift.bins)
    drift.fit(read_parquet(paths["split"]["train"], columns=schema.names))

    interim = Path(out["scores"]).with_name(f".{Path(out['scores']).name}.pass1")
    interim_rejects = Path(out["rejects"]).with_name(f".{Path(out['rejects']).name}.pass1")
    try:
        with (
            timed(log, f"pass 1: validating and scoring {len(ids)} customers in chunks of {chunk_rows}"),
            ParquetSink(interim, empty_scores(spec.id_column, ids.dtype, reasons.top_k, False)) as scored,
            ParquetSink(interim_rejects, empty_rejects(columns)) as rejects,
        ):
            accumulator = score_population(
                iter_parquet_frames(population, chunk_rows),
                models,
                spec,
                duplicated_ids(ids),
                drift,
                reasons,
                scored.write,
                rejects.write,
                FeatureWords(dict(labels.labels or {}), spec.display_names()),
            )
        # scores, then the audience export, then rejects are renamed into place once all are written
        with OutputGroup() as outputs:
            with (
                timed(log, "pass 2: deciles, final scores and audience export"),
                ParquetSink(
                    out["scores"], empty_scores(spec.id_column, ids.dtype, reasons.top_k, True), outputs
                ) as final,
            ):
                tables = finalise_scores(
                    iter_parquet_frames(interim, chunk_rows),
                    accumulator,
                    config.max_audience,
                    audience_columns(spec.id_column, reasons.top_k),
                    final.write,
                )
            stamp = ExportStamp(config.stamped_date(data.snapshot_month), data.snapshot_month)
            export = audience_export(
                tables.exported_members, spec.id_column, reasons.top_k, config.control_share, stamp
            )
            write_csv(export, out["audience"], outputs)
            write_parquet(export, out["audience_parquet"], outputs)
            segment_files = per_segment_files(export) if config.export.per_segment else {}
            write_csv_folder(segment_files, out["audience_by_segment"], outputs)
            with atomic_path(out["rejects"], outputs) as rejects_file:
                interim_rejects.replace(rejects_file)
    finally:
        interim.unlink(missing_ok=True)
        interim_rejects.unlink(missing_ok=True)

    report = drift.report(config.drift.warn_psi, config.drift.flag_psi)
    for name in report["flagged"] + report["warned"]:
        log.warning(
            "drift: %s has PSI %.3f (%s)",
            name,
            report["psi"][name],
            "FLAGGED" if name in report["flagged"] else "warning",
        )
    summary = score_summary(accumulator, tables, report)
    names = models.segmenter.name_of()
    write_json(summary, paths["metrics"]["score"])
    export_details = {
        "export": export_summary(export),
        "control_share": config.control_share,
        "run_date": stamp.run_date,
        "examples": export_examples(export, spec.id_column),
    }
    write_json(export_details, paths["details"]["score"])
    write_json(audience_plot(tables, names), paths["plots"]["score"]["audience"])
    write_json(segment_decile_plot(tables, names), paths["plots"]["score"]["segment_by_decile"])
    write_json(drift_plot(report), paths["plots"]["score"]["drift"])
    write_json({"rows_in": accumulator.rows_in, "seconds": accumulator.timings}, paths["logs"]["score_timings"])
    log.info(
        "scored %d, rejected %d of %d; audience %d (exported %d); time by step %s",
        summary["rows_scored"],
        summary["rows_rejected"],
        summary["rows_in"],
        summary["audience_size"],
        summary["audience_exported"],
        {step: round(seconds, 2) for step, seconds in accumulator.timings.items()},
    )


if __name__ == "__main__":
    run_stage(main)

"""score: daily batch scoring of the population (in chunks, or on Dask): probability, decile, audience,
segment and reasons per customer, rejects with their rules; the export, optionally to a database table
(score.sink). Nothing is renamed into place, nor committed to the database, unless all of it worked."""

from __future__ import annotations

from intentseg.config.check import checked_params
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.config.data import DataConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.reason_words import ReasonWordsConfig
from intentseg.config.score import ScoreConfig
from intentseg.data.spec import TableSpec
from intentseg.foundation import io
from intentseg.foundation.runlog import run_stage, stage_logger, timed
from intentseg.scoring.daily import Population, database_rows, score_day, scoring_job, targeting_rule
from intentseg.scoring.types import load_models
from intentseg.scoring.validation import check_population_columns
from intentseg.warehouse.connection import check_database_url
from intentseg.warehouse.export_table import write_export_table
from stages.classifier_model import purchase_model
from stages.segment_model import segment_model
from stages.uplift_model import uplift_model


def main() -> None:
    params = checked_params()
    config, data, paths = (section.from_params(params) for section in (ScoreConfig, DataConfig, PathsConfig))
    check_database_url("score", "score.sink", config.sink.url if config.sink.type == "sql" else None)
    uplift, evidence = uplift_model(paths)  # the uplift model (None before a campaign) and the evidence for it
    models = load_models(purchase_model(paths), segment_model(paths), uplift)
    spec = TableSpec.from_dict(io.read_json(paths.prepared.spec)).without_target()
    check_population_columns(columns := io.parquet_columns(paths.prepared.population), models, spec.id_column)
    population = Population.of(
        paths.prepared.population, tuple(columns), io.read_parquet_column(paths.prepared.population, spec.id_column)
    )
    train = io.read_parquet(paths.split.train, columns=models.classifier.schema.names)
    decision = TrainClassifierConfig.from_params(params).decision
    rule = targeting_rule(config, decision, evidence, has_uplift=uplift is not None, rows=population.rows)
    stage_logger("score").info("targeting: %s", rule.why)
    words, month = ReasonWordsConfig.from_params(params), data.snapshot_month
    job = scoring_job(population, models, spec, train, config, reason_words=words, snapshot_month=month, targeting=rule)
    with io.OutputGroup() as outputs:  # scores, export, rejects (and the sink's commit) together, or none of them
        with timed(stage_logger("score"), f"scoring {job.rows} customers (engine {config.engine})"):
            result = score_day(job, config, data.snapshot_month, paths.scores, outputs)  # scores and the export
        io.write_json(result.summary, paths.metrics["score"], group=outputs)
        io.write_json(result.details, paths.details["score"], group=outputs)
        for name, records in result.plots.items():
            io.write_json(records, paths.plots["score"][name], group=outputs)
        if config.sink.type == "sql":  # inside the group: a failed write leaves the files and the table as they were
            write_export_table(config.sink, database_rows(result, config))
    io.write_json(result.timings(config.engine), paths.logs.score_timings)


if __name__ == "__main__":
    run_stage(main)

"""prepare: produce the customer tables, validate them against the data contract, write Parquet.

Checks every section of params.yaml first (a misspelt or impossible setting stops here, before
any work). Reads the source (the simulator, a CSV/Parquet file named by data.source, or SQL queries
snapshotted to Parquet under data/snapshot/ first), writes the snapshot manifest, the labelled table, the scoring population, the ground truth (simulator only; empty otherwise)
and the table spec under data/prepared/, metrics/data.json (what a reviewer compares) and the
data details (missing rates by group, inferred columns, simulator ceilings).
"""

from __future__ import annotations

from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.data import SIMULATOR_SOURCE, SQL_SOURCE, DataConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.segmenter import TrainSegmenterConfig
from intentseg.config.split import SplitConfig
from intentseg.data.reading import in_id_order, read_customer_file
from intentseg.data.references import table_fit_problems
from intentseg.data.sources import data_review_metrics, load_customer_data, source_manifest, summarise_data
from intentseg.data.split import check_class_counts
from intentseg.data.tracking import refuse_untracked_inputs
from intentseg.errors import ConfigError
from intentseg.io import OutputGroup, file_sha256, write_json, write_parquet
from intentseg.runlog import run_stage, stage_logger, timed
from intentseg.warehouse.connection import check_database_url
from intentseg.warehouse.snapshot import snapshot_source


def main() -> None:
    params = checked_params()
    config, paths = DataConfig.from_params(params), PathsConfig.from_params(params)
    if config.source == SQL_SOURCE:
        check_database_url("data", "data.sql", config.sql.url)
    log = stage_logger("prepare")
    files = [name for name in (config.source, config.population) if name and name not in (SIMULATOR_SOURCE, SQL_SOURCE)]
    refuse_untracked_inputs(files, "prepare", params, "data source")  # a source DVC does not track goes stale

    snapshot = paths.snapshot
    if config.source == SQL_SOURCE:
        with timed(log, "snapshotting the SQL queries (data.sql)"):
            read = snapshot_source(config.sql, {"labelled": snapshot.labelled, "population": snapshot.population})
    else:
        read = {
            name: {"path": file, "sha256": file_sha256(file)} for name, file in zip(("labelled", "population"), files)
        }
    with timed(log, f"loading and validating source '{config.source}' ({config.snapshot_month})"):
        labelled_file, population_file = (read.get(name, {}).get("path") for name in ("labelled", "population"))
        table = read_customer_file(labelled_file, config.read) if labelled_file else None
        population = read_customer_file(population_file, config.read) if population_file else None
        if config.source == SQL_SOURCE:  # a query's row order is not defined: sort by id
            table, population = (in_id_order(raw, config.id_column) if raw else None for raw in (table, population))
        data = load_customer_data(config, seed_of(params), table, population)
    segmenter: TrainSegmenterConfig = TrainSegmenterConfig.from_params(params)
    fractions = SplitConfig.from_params(params).fractions
    train_rows = int(len(data.labelled) * fractions.train)
    check_class_counts(data.labelled[data.spec.target].to_numpy(), fractions.as_dict())  # split's rule, checked now
    problems = table_fit_problems(segmenter, config.source, data.spec, train_rows)
    if problems:
        raise ConfigError("params.yaml does not fit the table:\n" + "\n".join(problems))
    log.info(
        "labelled table: %d rows x %d features (%d numeric, %d categorical); population: %d rows",
        len(data.labelled),
        len(data.spec.columns),
        len(data.spec.numeric_features),
        len(data.spec.categorical_features),
        len(data.population),
    )

    summary = summarise_data(data)
    with timed(log, "writing prepared tables"), OutputGroup() as outputs:  # every output, or none of them
        write_parquet(data.labelled, paths.prepared.customers, outputs)
        write_parquet(data.population, paths.prepared.population, outputs)
        write_parquet(data.ground_truth, paths.prepared.ground_truth, outputs)
        write_json(data.spec.to_dict(), paths.prepared.spec, digits=None, group=outputs)
        manifest = source_manifest(config, seed_of(params), data, read)
        write_json(manifest, snapshot.manifest, digits=None, group=outputs)
        write_json(summary, paths.details["data"], group=outputs)
        write_json(data_review_metrics(summary), paths.metrics["data"], group=outputs)
    log.info("positive rate %.4f; missing rates %s", summary["positive_rate"], summary["missing_rate"])


if __name__ == "__main__":
    run_stage(main)

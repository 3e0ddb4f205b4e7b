"""prepare: the customer tables from the source (the simulator, a CSV/Parquet file, or SQL queries
snapshotted to data/snapshot/ first), validated by the data contract: the labelled table, the population,
the ground truth (simulator only) and the spec under data/prepared/, the manifest, metrics and details.
"""

from __future__ import annotations

from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.data import SQL_SOURCE, DataConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.segmenter import TrainSegmenterConfig
from intentseg.config.split import SplitConfig
from intentseg.data.preparation import prepare_customers, source_files
from intentseg.data.reading import read_customer_file
from intentseg.data.tracking import refuse_untracked_inputs
from intentseg.foundation.io import OutputGroup, file_sha256, write_json, write_parquet
from intentseg.foundation.runlog import run_stage, stage_logger, timed
from intentseg.warehouse.connection import check_database_url
from intentseg.warehouse.snapshot import snapshot_source


def main() -> None:
    params = checked_params()
    config, paths = DataConfig.from_params(params), PathsConfig.from_params(params)
    check_database_url("data", "data.sql", config.sql.url if config.source == SQL_SOURCE else None)
    files = source_files(config)
    refuse_untracked_inputs(files, "prepare", params, "data source")  # a source DVC does not track goes stale
    log = stage_logger("prepare")
    if config.source == SQL_SOURCE:
        with timed(log, "snapshotting the SQL queries (data.sql)"):
            names = ("labelled", "population", "campaign_history")  # the queries of data.sql, by snapshot
            targets = {name: getattr(paths.snapshot, name) for name in names}
            read = snapshot_source(config.sql, targets)
    else:
        read = {
            name: {"path": file, "sha256": file_sha256(file)} for name, file in zip(("labelled", "population"), files)
        }
    with timed(log, f"loading and validating source '{config.source}' ({config.snapshot_month})"):
        found = (read.get(name, {}).get("path") for name in ("labelled", "population"))
        tables = tuple(read_customer_file(file, config.read) if file else None for file in found)
        split, segmenter = SplitConfig.from_params(params), TrainSegmenterConfig.from_params(params)
        prepared = prepare_customers(config, seed_of(params), tables, read, segmenter=segmenter, split=split)

    data = prepared.data
    with timed(log, "writing prepared tables"), OutputGroup() as outputs:  # every output, or none of them
        write_parquet(data.labelled, paths.prepared.customers, outputs)
        write_parquet(data.population, paths.prepared.population, outputs)
        write_parquet(data.ground_truth, paths.prepared.ground_truth, outputs)
        write_parquet(data.population_truth, paths.prepared.population_truth, outputs)
        write_json(data.spec.to_dict(), paths.prepared.spec, digits=None, group=outputs)
        write_json(prepared.manifest, paths.snapshot.manifest, digits=None, group=outputs)
        write_json(prepared.summary, paths.details["data"], group=outputs)
        write_json(prepared.review_metrics, paths.metrics["data"], group=outputs)


if __name__ == "__main__":
    run_stage(main)

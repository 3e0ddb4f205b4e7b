"""prepare: produce the customer tables, validate them against the data contract, write Parquet.

Checks every section of params.yaml first (a misspelt or impossible setting stops here, before
any work). Reads the source (the simulator, or a CSV/Parquet file named by data.source), writes
the labelled table, the scoring population, the ground truth (simulator only; empty otherwise)
and the table spec under data/prepared/, metrics/data.json (what a reviewer compares) and the
data details (missing rates by group, inferred columns, simulator ceilings).
"""

from __future__ import annotations

from intentseg.checks.gates import GATES
from intentseg.config import (
    SIMULATOR_SOURCE,
    DataConfig,
    TrainSegmenterConfig,
    load_params,
    section,
    section_config,
    seed_of,
    validate_all,
)
from intentseg.data.reading import read_customer_file
from intentseg.data.references import table_fit_problems
from intentseg.data.sources import data_review_metrics, load_customer_data, summarise_data
from intentseg.data.tracking import refuse_untracked_inputs
from intentseg.errors import ConfigError
from intentseg.io import write_json, write_parquet
from intentseg.runlog import run_stage, stage_logger, timed


def main() -> None:
    params = load_params()
    validate_all(params, tuple(GATES))
    config: DataConfig = section_config(params, "data")
    paths = section(params, "paths")
    log = stage_logger("prepare")
    files = [name for name in (config.source, config.population) if name and name != SIMULATOR_SOURCE]
    refuse_untracked_inputs(files, "prepare", params, "data source")  # a source DVC does not track goes stale

    with timed(log, f"loading and validating source '{config.source}' ({config.snapshot_month})"):
        table = None if config.source == SIMULATOR_SOURCE else read_customer_file(config.source, config.read)
        population = read_customer_file(config.population, config.read) if config.population else None
        data = load_customer_data(config, seed_of(params), table, population)
    segmenter: TrainSegmenterConfig = section_config(params, "train_segmenter")
    train_rows = int(len(data.labelled) * section_config(params, "split").fractions.train)
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

    with timed(log, "writing prepared tables"):
        write_parquet(data.labelled, paths["prepared"]["customers"])
        write_parquet(data.population, paths["prepared"]["population"])
        write_parquet(data.ground_truth, paths["prepared"]["ground_truth"])
        write_json(data.spec.to_dict(), paths["prepared"]["spec"], digits=None)

    summary = summarise_data(data)
    write_json(summary, paths["details"]["data"])
    write_json(data_review_metrics(summary), paths["metrics"]["data"])
    log.info("positive rate %.4f; missing rates %s", summary["positive_rate"], summary["missing_rate"])


if __name__ == "__main__":
    run_stage(main)

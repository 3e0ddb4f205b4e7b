"""prepare: produce the customer tables, validate them against the data contract, write Parquet.

Writes the labelled table, the scoring population and the ground truth (simulator only)
under data/prepared/, and metrics/data.json.
"""

from __future__ import annotations

from intentseg.config import load_params, section
from intentseg.dataset import load_customer_data, summarise_data
from intentseg.io import write_json, write_parquet
from intentseg.runlog import stage_logger, timed


def main() -> None:
    params = load_params()
    data_params, paths = section(params, "data"), section(params, "paths")
    log = stage_logger("prepare")

    with timed(log, f"loading and validating source '{data_params['source']}' ({data_params['snapshot_month']})"):
        data = load_customer_data(data_params, seed=int(params["seed"]))
    log.info("labelled table: %d rows x %d features; population: %d rows",
             len(data.labelled), len(data.spec.columns), len(data.population))

    with timed(log, "writing prepared tables"):
        write_parquet(data.labelled, paths["prepared"]["customers"])
        write_parquet(data.population, paths["prepared"]["population"])
        write_parquet(data.ground_truth, paths["prepared"]["ground_truth"])

    summary = summarise_data(data)
    write_json(summary, paths["metrics"]["data"])
    log.info("positive rate %.4f; missing rates %s", summary["positive_rate"], summary["missing_rate"])


if __name__ == "__main__":
    main()

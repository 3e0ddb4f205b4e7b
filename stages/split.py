"""split: stratified, deterministic train/valid/test split of the labelled table."""

from __future__ import annotations

from intentseg.config import load_params, section
from intentseg.io import read_parquet, write_json, write_parquet
from intentseg.runlog import stage_logger, timed
from intentseg.split import stratified_split, summarise_split


def main() -> None:
    params = load_params()
    split_params, paths = section(params, "split"), section(params, "paths")
    log = stage_logger("split")

    target = section(params, "data")["target"]
    customers = read_parquet(paths["prepared"]["customers"])
    with timed(log, f"splitting {len(customers)} rows {split_params['fractions']}"):
        parts = stratified_split(customers, target, split_params["fractions"], seed=int(params["seed"]))

    for name, part in parts.items():
        write_parquet(part, paths["split"][name])
    summary = summarise_split(parts)
    write_json(summary, paths["metrics"]["split"])
    log.info("split summary: %s", summary)


if __name__ == "__main__":
    main()

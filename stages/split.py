"""split: the labelled table into train/valid/test: out of time for several snapshots, else stratified."""

from __future__ import annotations

from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.paths import PathsConfig
from intentseg.config.split import SplitConfig
from intentseg.data.spec import TableSpec
from intentseg.data.split import split_labelled, summarise_split
from intentseg.foundation.io import OutputGroup, read_json, read_parquet, write_json, write_parquet
from intentseg.foundation.runlog import run_stage, stage_logger, timed


def main() -> None:
    params = checked_params()
    config, paths = SplitConfig.from_params(params), PathsConfig.from_params(params)
    spec = TableSpec.from_dict(read_json(paths.prepared.spec))
    log = stage_logger("split")

    customers = read_parquet(paths.prepared.customers)
    with timed(log, f"splitting {len(customers)} rows {config.fractions.as_dict()}"):
        result = split_labelled(
            customers,
            spec.target,
            config.fractions.as_dict(),
            seed=seed_of(params),
            id_column=spec.id_column,
            snapshot_column=spec.snapshot_column,
            train_snapshots=config.train_snapshots,
        )

    summary = summarise_split(result)
    with OutputGroup() as outputs:  # every output of the stage, or none of them
        for name, part in result.parts.items():
            write_parquet(part, getattr(paths.split, name), outputs)
        write_json(summary, paths.metrics["split"], group=outputs)
    log.info("%s split: %s", result.kind.replace("_", "-"), summary)


if __name__ == "__main__":
    run_stage(main)

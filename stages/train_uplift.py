"""train_uplift: the effect of a contact per customer, learned from last month's randomised campaign.

Fits each learner of ``uplift.learners`` on the history's train customers, keeps the best Qini on
valid, measures it on test (Qini, uplift among the top shares, effect calibration, with bootstrap
intervals; against the truth on the simulator) and states the evidence for uplift targeting.
Writes models/uplift.json, metrics/uplift.json, reports/details/uplift.json and the Qini plot data.
"""

from __future__ import annotations

from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.paths import PathsConfig
from intentseg.config.uplift import UpliftConfig
from intentseg.data.spec import TableSpec
from intentseg.foundation.io import OutputGroup, read_json, read_parquet, write_json
from intentseg.foundation.runlog import run_stage, stage_logger, timed
from intentseg.uplift.training import fit_uplift


def main() -> None:
    params = checked_params()
    config, paths = UpliftConfig.from_params(params), PathsConfig.from_params(params)
    spec, log = TableSpec.from_dict(read_json(paths.prepared.spec)), stage_logger("train_uplift")
    history, features, truth = (
        read_parquet(path) for path in (paths.campaign.history, paths.campaign.features, paths.campaign.truth)
    )
    with timed(
        log, f"learning the effect of a contact from {len(history)} randomised customers ({', '.join(config.learners)})"
    ):
        result = fit_uplift(history, features, truth, config, id_column=spec.id_column, seed=seed_of(params))
    evidence = result.summary["evidence"]
    log.info("targeting by %s: %s", evidence["targeting"], evidence["reason"])
    with OutputGroup() as outputs:  # every output, or none
        write_json(result.model_file(), paths.models.uplift, digits=None, group=outputs)
        write_json(result.review_metrics(), paths.metrics["uplift"], group=outputs)
        write_json(result.details, paths.details["uplift"], group=outputs)
        write_json(result.curves, paths.plots["uplift"]["qini"], group=outputs)


if __name__ == "__main__":
    run_stage(main)

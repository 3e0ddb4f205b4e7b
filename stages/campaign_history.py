"""campaign_history: last month's campaign, the randomised customers the uplift model learns from.

``uplift.history``: a campaign tool's file, or (``sql``) prepare's snapshot of ``data.sql.history_query``, joined with
the labelled features; ``auto``: with a simulated source and a champion, the champion's export of its month sent in
the simulated world (intentseg.scoring.campaign_history); else none, and the log says why."""

from __future__ import annotations

from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.config.data import DataConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.score import ScoreConfig
from intentseg.config.uplift import UpliftConfig
from intentseg.data.reading import read_customer_file
from intentseg.data.sources import simulated_population
from intentseg.data.spec import TableSpec
from intentseg.data.tracking import refuse_untracked_inputs
from intentseg.foundation.io import OutputGroup, read_json, read_parquet, write_parquet
from intentseg.foundation.runlog import run_stage, stage_logger, timed
from intentseg.reference import champion_period
from intentseg.scoring.campaign_history import history_from_file, history_unavailable, no_history, simulated_campaign
from intentseg.scoring.types import rule_named
from stages.classifier_model import champion_model
from stages.uplift_model import champion_targeting


def main() -> None:
    params = checked_params()
    data, score, uplift, paths = (s.from_params(params) for s in (DataConfig, ScoreConfig, UpliftConfig, PathsConfig))
    spec, log = TableSpec.from_dict(read_json(paths.prepared.spec)), stage_logger("campaign_history")
    champion, period = champion_model(paths), champion_period(paths)
    if file := uplift.history_file or (paths.snapshot.campaign_history if uplift.history_from_sql else None):
        refuse_untracked_inputs([file], "campaign_history", params, "campaign history")  # a tool's export, or SQL's
        history = history_from_file(
            read_customer_file(file, data.read).frame, read_parquet(paths.prepared.customers),
            id_column=spec.id_column, snapshot_column=spec.snapshot_column, target=spec.target,
        )  # fmt: skip
    elif reason := history_unavailable(uplift, data, champion is not None, period):
        log.info("no campaign history: %s", reason)
        history = no_history(spec.id_column)
    else:
        with timed(log, f"sending the champion's export of {period} in the simulated world"):
            population, truth = simulated_population(data, seed_of(params), period)
            uplift_then, target_by = champion_targeting(paths)
            rule = rule_named(target_by, score, TrainClassifierConfig.from_params(params).decision, len(population))
            history = simulated_campaign(
                champion, population, truth, id_column=spec.id_column, month=period,
                control_share=score.control_share, rule=rule, uplift=uplift_then, seed=seed_of(params),
            )  # fmt: skip
    log.info("%s randomised customers, %s contacted", len(history.history), int(history.history["contacted"].sum()))
    with OutputGroup() as outputs:  # all three, or none
        for part in ("history", "features", "truth"):  # each table to its path of the same name
            write_parquet(getattr(history, part), getattr(paths.campaign, part), outputs)


if __name__ == "__main__":
    run_stage(main)

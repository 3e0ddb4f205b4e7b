"""compare_targeting: who to contact, by propensity or by uplift, at today's budget; last month's campaign read out.

Writes metrics/targeting.json and reports/details/targeting.json (docs/scoring.md: targeting by
what a contact changes). Without an uplift model (no campaign history yet) both say why.
"""

from __future__ import annotations

from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.uplift import UpliftConfig
from intentseg.data.spec import TableSpec
from intentseg.evaluation.targeting import LastCampaign, targeting_evaluation, todays_population
from intentseg.foundation.io import OutputGroup, read_json, read_parquet, write_json
from intentseg.foundation.runlog import run_stage, stage_logger, timed
from intentseg.uplift.learners import UpliftLearner
from stages.classifier_model import purchase_model
from stages.segment_model import segment_model


def main() -> None:
    params = checked_params()
    config, paths = UpliftConfig.from_params(params), PathsConfig.from_params(params)
    decision = TrainClassifierConfig.from_params(params).decision
    spec, log = TableSpec.from_dict(read_json(paths.prepared.spec)), stage_logger("compare_targeting")
    model_file, today, campaign = read_json(paths.models.uplift), None, None
    if model_file["learner"] is not None:
        with timed(log, "reading today's scores and last month's campaign"):
            today = todays_population(
                read_parquet(paths.scores.scores, columns=[spec.id_column, "purchase_probability"]),
                read_parquet(paths.scores.audience_parquet, columns=[spec.id_column, "sample"]),
                read_parquet(paths.prepared.population),
                read_parquet(paths.prepared.population_truth),
                spec.id_column,
            )
            campaign = LastCampaign(
                read_parquet(paths.campaign.history), read_parquet(paths.campaign.features),
                UpliftLearner.from_dict(model_file["learner"]), purchase_model(paths), segment_model(paths),
            )  # fmt: skip
    with timed(log, "comparing propensity and uplift targeting at today's budget"):
        metrics, details = targeting_evaluation(
            today,
            campaign,
            decision,
            config,
            id_column=spec.id_column,
            seed=seed_of(params),
            evidence=model_file["evidence"],
        )
    with OutputGroup() as outputs:  # both, or neither
        write_json(metrics, paths.metrics["targeting"], group=outputs)
        write_json(details, paths.details["targeting"], group=outputs)


if __name__ == "__main__":
    run_stage(main)

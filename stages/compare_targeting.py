"""compare_targeting: who to contact, by propensity or by uplift, at today's budget; last month's campaign read out.

Writes metrics/targeting.json and reports/details/targeting.json (docs/scoring.md: targeting by
what a contact changes; the readout per rule uses the models in production then, in reference/).
Without an uplift model (no campaign history yet) both say why.
"""

from __future__ import annotations

from intentseg.config.base import seed_of
from intentseg.config.check import checked_params
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.config.paths import PathsConfig
from intentseg.config.score import ScoreConfig
from intentseg.config.uplift import UpliftConfig
from intentseg.data.spec import TableSpec
from intentseg.evaluation.targeting import LastCampaign, ProductionModels, targeting_evaluation, todays_population
from intentseg.foundation.io import OutputGroup, read_json, read_parquet, write_json
from intentseg.foundation.runlog import run_stage, stage_logger, timed
from intentseg.scoring.types import rule_named
from stages.classifier_model import champion_model, purchase_model
from stages.segment_model import segment_model
from stages.uplift_model import champion_targeting, uplift_model


def main() -> None:
    params = checked_params()
    config, paths = UpliftConfig.from_params(params), PathsConfig.from_params(params)
    decision, score = TrainClassifierConfig.from_params(params).decision, ScoreConfig.from_params(params)
    spec, log = TableSpec.from_dict(read_json(paths.prepared.spec)), stage_logger("compare_targeting")
    (uplift, evidence), today, campaign = uplift_model(paths), None, None
    if uplift is not None:
        with timed(log, "reading today's scores and last month's campaign"):
            today = todays_population(
                read_parquet(paths.scores.scores, columns=[spec.id_column, "purchase_probability", "contact_effect"]),
                read_parquet(paths.prepared.population_truth),
                spec.id_column,
            )
            champion = champion_model(paths)  # the models in production then decide each rule's customers
            production = ProductionModels(champion, *champion_targeting(paths)) if champion else None
            campaign = LastCampaign(
                read_parquet(paths.campaign.history), read_parquet(paths.campaign.features),
                uplift, purchase_model(paths), segment_model(paths), production,
            )  # fmt: skip
    with timed(log, "comparing propensity and uplift targeting at today's budget"):
        rule = rule_named("propensity", score, decision, len(today.ids) if today else 0)
        metrics, details = targeting_evaluation(
            today, campaign, rule, config, id_column=spec.id_column, seed=seed_of(params), evidence=evidence
        )
    with OutputGroup() as outputs:  # both, or neither
        write_json(metrics, paths.metrics["targeting"], group=outputs)
        write_json(details, paths.details["targeting"], group=outputs)


if __name__ == "__main__":
    run_stage(main)

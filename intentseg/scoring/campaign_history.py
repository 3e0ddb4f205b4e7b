"""Last month's campaign, simulated: the champion's export of its month, sent, and who then bought.

In the simulator's world (docs/simulator.md) the campaign of month ``P`` is what the model then in
production (the champion, promoted after the run of ``P``) exported: its audience with the control
group and the exploration sample (:mod:`intentseg.uplift.design`), drawn exactly as the score stage
draws them. Every randomised customer then converts with their true probability, plus their true
effect when contacted (a draw of its own stream). The history holds what a campaign tool returns
(id, month, contacted, randomised, stratum, converted); the features are those customers' as the
champion scored them; the truth (true probability and effect) is for evaluation only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from intentseg.classifier.model import PurchaseModel
from intentseg.config.data import SIMULATOR_SOURCE, DataConfig
from intentseg.config.uplift import UpliftConfig
from intentseg.data.sampling import table_rng
from intentseg.scoring.second_pass import AudienceCap, audience_of, rank_deciles
from intentseg.scoring.types import TargetingRule
from intentseg.uplift.design import assign_contacts, exploration_draws, explored_rows
from intentseg.uplift.learners import UpliftLearner

HISTORY_COLUMNS = ("month", "contacted", "randomised", "stratum", "contact_probability", "converted")
TRUTH_COLUMNS = ("true_probability", "true_effect")


@dataclass(frozen=True)
class CampaignHistory:
    """A campaign's randomised customers: what the tool returns, their features then, and (simulated) the truth."""

    history: pd.DataFrame
    features: pd.DataFrame
    truth: pd.DataFrame

    @property
    def months(self) -> list[str]:
        return sorted(self.history["month"].astype(str).unique())


def history_unavailable(config: UpliftConfig, data: DataConfig, has_champion: bool, period: str | None) -> str | None:
    """Why no campaign history can be had for this run, or None when the champion's campaign can be simulated."""
    if config.history == "none":
        return "uplift.history is none"
    if data.source != SIMULATOR_SOURCE:
        return (
            f"data.source is {data.source!r}: the campaign history is simulated for the simulator source only "
            "(a panel's or a table's history is not read yet)"
        )
    if not has_champion or period is None:
        return (
            "no champion in reference/ (run `make promote` after a run): no campaign of this repository to learn from"
        )
    if period >= data.snapshot_month:
        return f"the champion's month {period} is not before the run month {data.snapshot_month}: its outcomes are not known yet"
    return None


def no_history(id_column: str) -> CampaignHistory:
    """An empty history (no campaign yet): the columns, no rows."""
    history = pd.DataFrame(
        {id_column: pd.Series(dtype="object"), **{c: pd.Series(dtype="float64") for c in HISTORY_COLUMNS}}
    )
    history = history.astype({"month": "object", "stratum": "object", "randomised": "bool", "contacted": "int8"})
    history["converted"] = history["converted"].astype("int8")
    truth = pd.DataFrame(
        {id_column: pd.Series(dtype="object"), **{c: pd.Series(dtype="float64") for c in TRUTH_COLUMNS}}
    )
    features = pd.DataFrame({id_column: pd.Series(dtype="object")})
    return CampaignHistory(history, features, truth)


def simulated_campaign(
    champion: PurchaseModel,
    population: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    id_column: str,
    month: str,
    control_share: float,
    rule: TargetingRule,
    uplift: UpliftLearner | None,
    seed: int,
) -> CampaignHistory:
    """The campaign the champion's export of ``month`` started, with outcomes drawn from ``truth``.

    ``population`` is the month's prepared population and ``truth`` its ground truth (same rows, same
    order); ``rule`` is how the champion's run chose its audience, with ``uplift`` its uplift model.
    """
    if not population[id_column].reset_index(drop=True).equals(truth[id_column].reset_index(drop=True)):
        raise ValueError("the population and its truth must hold the same customers in the same order")
    ids = population[id_column].astype(str).reset_index(drop=True)
    probability = champion.purchase_probability(population)
    deciles = rank_deciles(probability)
    effect = uplift.predict(population) if uplift is not None else None
    audience, order = audience_of(rule, probability, champion.decision.select(probability), effect)
    targeted = AudienceCap(order[audience], rule.max_audience).select(order, audience)
    explored = explored_rows(exploration_draws(ids, month), deciles, rule.exploration_share)
    plan = assign_contacts(ids, deciles, targeted, explored, month=month, control_share=control_share)
    true_probability = truth["true_probability"].to_numpy(dtype=float)
    true_effect = truth["true_effect"].to_numpy(dtype=float)
    chance = np.clip(true_probability + true_effect * plan["contacted"].to_numpy(), 0.0, 1.0)
    converted = (table_rng(seed, month, len(ids), "campaign").random(len(ids)) < chance).astype(np.int8)
    rows = plan["randomised"].to_numpy()
    history = plan.assign(**{id_column: ids, "month": month, "converted": converted})[[id_column, *HISTORY_COLUMNS]]
    features = population.reset_index(drop=True).assign(**{id_column: ids})[[id_column, *champion.schema.names]]
    kept_truth = pd.DataFrame({id_column: ids, "true_probability": true_probability, "true_effect": true_effect})
    return CampaignHistory(
        history[rows].reset_index(drop=True),
        features[rows].reset_index(drop=True),
        kept_truth[rows].reset_index(drop=True),
    )

"""Who to contact: propensity against uplift targeting at the same budget, and last month's campaign read out.

The budget is the propensity audience: the ``B`` customers the classifier's decision rule picks today
(at most ``score.max_audience``). Each rule picks customers of today's population exactly as the
score stage would (:func:`intentseg.scoring.second_pass.audience_of`):

* **propensity**: the decision rule's customers (today's audience under ``score.target_by: propensity``);
* **uplift**: the ``B`` largest predicted effects of a contact, never a customer predicted to be put
  off by it (a predicted sleeping dog, effect below zero);
* **uplift_profit**: everyone whose predicted effect times the margin of a conversion exceeds the
  cost of a contact (``train_classifier.decision``'s margin and cost); its own budget.

**Expected incremental buyers** of each rule are measured without the model's own word for it: the
held-out customers of the history's exploration sample (a random sample of every propensity decile,
half contacted, none used in training) are ranked by each rule's score, and the contacted minus
held-out conversion rate among the rule's top share of them, times the rule's customers, estimates
the buyers the rule adds, with a bootstrap interval. On the simulator, the **true incremental
buyers** are the sum of the true effects of the customers each rule picks today.

The **readout** of last month's campaign is model-free: contacted against held-out conversion, with
Newcombe's interval, in each sample (audience, exploration) and in each segment; and per targeting
rule, among the exploration customers each rule picked with the models then in production.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from intentseg.classifier.model import PurchaseModel
from intentseg.config.uplift import UpliftConfig
from intentseg.evaluation.campaign import newcombe_interval
from intentseg.scoring.second_pass import AudienceCap, audience_of
from intentseg.scoring.types import TargetingRule
from intentseg.segments.model import SegmentModel
from intentseg.uplift.design import EXPLORATION
from intentseg.uplift.learners import UpliftLearner
from intentseg.uplift.metrics import RandomisedOutcomes, uplift_evaluation, uplift_key
from intentseg.uplift.training import held_out_rows

RULES = ("propensity", "uplift", "uplift_profit")


@dataclass(frozen=True)
class TodaysPopulation:
    """Today's scored customers: ids, purchase probabilities, predicted effects of a contact (as the score
    stage wrote them) and, simulated, true effects."""

    ids: pd.Series
    probability: np.ndarray
    effect: np.ndarray
    true_effect: np.ndarray | None  # simulator only


@dataclass(frozen=True)
class ProductionModels:
    """The models in production when the campaign's export was made (reference/): which customers each rule
    then picked, and the rule the export was chosen by."""

    classifier: PurchaseModel
    uplift: UpliftLearner | None
    rule: str


@dataclass(frozen=True)
class LastCampaign:
    """The campaign history (randomised customers), their features then, the models that judge them, and
    (when a champion is stored) the models in production then."""

    history: pd.DataFrame
    features: pd.DataFrame
    uplift: UpliftLearner
    classifier: PurchaseModel
    segmenter: SegmentModel
    production: ProductionModels | None = None


def _selections(
    today: TodaysPopulation, effect: np.ndarray, campaign: LastCampaign, rule: TargetingRule
) -> dict[str, np.ndarray]:
    """Each rule's customers today, chosen as the score stage chooses them (the cap included)."""
    decided = campaign.classifier.decision.select(today.probability)
    chosen = {}
    for name in RULES:
        audience, order = audience_of(dataclasses.replace(rule, name=name), today.probability, decided, effect)
        chosen[name] = AudienceCap(order[audience], rule.max_audience).select(order, audience)
    return chosen


def _measured_incremental(
    campaign: LastCampaign, rows: np.ndarray, scores: dict[str, np.ndarray], shares: dict[str, float],
    *, config: UpliftConfig, seed: int,
) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Each rule's uplift among its top share of the held-out exploration customers, with its interval."""
    history = campaign.history[rows]
    measured = {}
    for rule, score in scores.items():
        outcomes = RandomisedOutcomes(
            score, *(history[c].to_numpy(dtype=float) for c in ("converted", "contacted", "contact_probability"))
        )
        share = min(max(shares[rule], 1e-9), 1.0)
        figure = uplift_evaluation(outcomes, (share,), config.resamples, config.confidence, seed)[uplift_key(share)]
        measured[rule] = figure
    return measured


def compare_targeting(
    today: TodaysPopulation,
    campaign: LastCampaign,
    rule: TargetingRule,
    config: UpliftConfig,
    *,
    id_column: str,
    seed: int,
) -> dict[str, Any]:
    """The rules side by side at today's budget: customers, expected and (simulator) true incremental buyers.

    ``rule`` carries the cap, margin and cost the score stage applies (its name is not used).
    """
    chosen = _selections(today, today.effect, campaign, rule)
    held_out = held_out_rows(campaign.history, id_column, config, seed)
    explored = held_out & campaign.history["stratum"].astype(str).str.startswith(EXPLORATION).to_numpy()
    features = campaign.features[explored]
    scores = {
        "propensity": campaign.classifier.purchase_probability(features),
        "uplift": campaign.uplift.predict(features),
    }
    scores["uplift_profit"] = scores["uplift"]
    population = len(today.ids)
    shares = {rule: mask.sum() / max(population, 1) for rule, mask in chosen.items()}
    measured = _measured_incremental(campaign, explored, scores, shares, config=config, seed=seed)
    rules = {}
    for rule in RULES:
        customers, figure = int(chosen[rule].sum()), measured[rule]
        low, high = figure["interval"]
        rules[rule] = {
            "customers": customers,
            "expected_incremental": figure["value"] * customers,
            "low": None if low is None else low * customers,
            "high": None if high is None else high * customers,
            **(
                {"true_incremental": float(today.true_effect[chosen[rule]].sum())}
                if today.true_effect is not None
                else {}
            ),
        }
    propensity, uplift = chosen["propensity"], chosen["uplift"]
    hurt = today.effect < 0
    return {
        "budget": int(propensity.sum()),
        "population": population,
        "evaluated_on": {"held_out_exploration_customers": int(explored.sum())},
        "rules": rules,
        "audience_changed_share": float((propensity & ~uplift).sum() / max(propensity.sum(), 1)),
        "sleeping_dogs": {
            "predicted": int(hurt.sum()),
            "in_propensity_audience": int((hurt & propensity).sum()),
            **(
                {"true_in_propensity_audience": int(((today.true_effect < 0) & propensity).sum())}
                if today.true_effect is not None
                else {}
            ),
        },
    }


def campaign_readout_by_group(campaign: LastCampaign, confidence: float) -> list[dict[str, Any]]:
    """Realised uplift of last month's campaign per sample and per segment (contacted vs held out)."""
    history = campaign.history.assign(segment_id=campaign.segmenter.assign(campaign.features))
    history["sample"] = np.where(history["stratum"].astype(str).str.startswith(EXPLORATION), "exploration", "audience")
    names = campaign.segmenter.name_of()
    rows = []
    for (sample, segment), group in history.groupby(["sample", "segment_id"], sort=True):
        row = _uplift_row(group["contacted"].to_numpy() == 1, group["converted"].to_numpy(), confidence)
        if row is not None:
            rows.append(
                {"sample": sample, "segment_id": int(segment), "segment": names.get(int(segment), str(segment)), **row}
            )
    return rows


def _uplift_row(contacted: np.ndarray, converted: np.ndarray, confidence: float) -> dict[str, Any] | None:
    """Contacted against held-out conversion of one group, with Newcombe's interval (None without both groups)."""
    n1, n2 = int(contacted.sum()), int((~contacted).sum())
    if n1 == 0 or n2 == 0:
        return None
    x1, x2 = int(converted[contacted].sum()), int(converted[~contacted].sum())
    low, high = newcombe_interval(x1, n1, x2, n2, confidence)
    return {
        "contacted": n1,
        "held_out": n2,
        "contacted_rate": x1 / n1,
        "held_out_rate": x2 / n2,
        "uplift": x1 / n1 - x2 / n2,
        "low": low,
        "high": high,
    }


def campaign_readout_by_rule(campaign: LastCampaign, rule: TargetingRule, confidence: float) -> list[dict[str, Any]]:
    """Realised uplift of last month's campaign per targeting rule, from its exploration sample.

    The exploration sample is a random share of every propensity decile, half contacted: among its
    customers, those a rule picked with the models then in production are a random sample of the rule's
    audience, so their contacted against held-out conversion is what the rule realised (no model's word
    in the outcome). ``everyone`` is contacting at random. The rules are applied as the score stage
    applies them, without the cap (a count of the whole population); the rule the export was chosen by is
    marked. Without the models then in production (no champion stored), nothing.
    """
    production = campaign.production
    explored = campaign.history["stratum"].astype(str).str.startswith(EXPLORATION).to_numpy()
    if production is None or not explored.any():
        return []
    features = campaign.features[explored]
    probability = production.classifier.purchase_probability(features)
    decided = production.classifier.decision.select(probability)
    effect = production.uplift.predict(features) if production.uplift is not None else None
    picked = {"everyone": np.ones(len(features), dtype=bool)}
    for name in RULES:
        if name == "propensity" or effect is not None:
            uncapped = dataclasses.replace(rule, name=name, max_audience=None)
            picked[name] = audience_of(uncapped, probability, decided, effect)[0]
    contacted = campaign.history["contacted"].to_numpy()[explored] == 1
    converted = campaign.history["converted"].to_numpy()[explored]
    rows = []
    for name, chosen in picked.items():
        row = _uplift_row(contacted[chosen], converted[chosen], confidence)
        if row is not None:
            rows.append({"rule": name, "used": name == production.rule, "share": float(chosen.mean()), **row})
    return rows


def todays_population(scores: pd.DataFrame, truth: pd.DataFrame, id_column: str) -> TodaysPopulation:
    """Today's scored customers (the scores' rows, with the effects the score stage predicted) and, simulated,
    their true effects."""
    ids = scores[id_column].astype(str).reset_index(drop=True)
    true_effect = None
    if len(truth) and "true_effect" in truth:
        true_effect = truth.set_index(truth[id_column].astype(str))["true_effect"].reindex(ids).to_numpy(dtype=float)
    return TodaysPopulation(
        ids=ids,
        probability=scores["purchase_probability"].to_numpy(dtype=float),
        effect=scores["contact_effect"].to_numpy(dtype=float),
        true_effect=true_effect,
    )


def targeting_evaluation(
    today: TodaysPopulation | None, campaign: LastCampaign | None, rule: TargetingRule, config: UpliftConfig,
    *, id_column: str, seed: int, evidence: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Metrics (small) and details of the comparison and the readout; without an uplift model, why not."""
    if today is None or campaign is None:
        return {"targeting": evidence["targeting"]}, {"evidence": evidence}
    comparison = compare_targeting(today, campaign, rule, config, id_column=id_column, seed=seed)
    by_rule = campaign_readout_by_rule(campaign, rule, config.confidence)
    details = {
        **comparison,
        "evidence": evidence,
        "readout": campaign_readout_by_group(campaign, config.confidence),
        "readout_by_rule": by_rule,
    }
    return _review_metrics(comparison, evidence, by_rule), details


def _realised(by_rule: list[dict[str, Any]]) -> dict[str, float]:
    """Last month's realised uplift for the review: contacting at random, and the rule the export used."""
    realised = {}
    for row in by_rule:
        if row["rule"] == "everyone":
            realised["at_random"] = row["uplift"]
        if row["used"]:
            realised["rule_used"] = row["uplift"]
    return realised


def _review_metrics(
    comparison: dict[str, Any], evidence: dict[str, Any], by_rule: list[dict[str, Any]]
) -> dict[str, Any]:
    """``metrics/targeting.json``: the budget, both rules' incremental buyers, the audience that changes, and
    the realised uplift of last month's campaign at random and under the rule its export used."""
    buyers = {
        rule: {
            "expected": comparison["rules"][rule]["expected_incremental"],
            **(
                {"true": comparison["rules"][rule]["true_incremental"]}
                if "true_incremental" in comparison["rules"][rule]
                else {}
            ),
        }
        for rule in ("propensity", "uplift")
    }
    return {
        "budget": comparison["budget"],
        "incremental_buyers": buyers,
        "audience_changed_share": comparison["audience_changed_share"],
        "targeting": evidence["targeting"],
        **({"realised_uplift": realised} if (realised := _realised(by_rule)) else {}),
    }

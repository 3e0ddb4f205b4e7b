"""Last month's campaign, simulated: the champion's export of its month, sent, and who then bought.

In the simulated world (the simulator or its panel: docs/simulator.md) the campaign of month ``P`` is
what the model then in production (the champion, promoted after the run of ``P``) exported: its audience
with the control group and the exploration sample (:mod:`intentseg.uplift.design`), drawn exactly as the
score stage draws them. Every randomised customer then converts with their true probability, plus their
true effect when contacted (a draw of its own stream). The history holds what a campaign tool returns
(id, month, contacted, randomised, stratum, converted); the features are those customers' as the
champion scored them; the truth (true probability and effect) is for evaluation only."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from intentseg.classifier.model import PurchaseModel
from intentseg.config.data import PANEL_SOURCE, DataConfig
from intentseg.config.uplift import UpliftConfig
from intentseg.data.panel_tables import closed_by
from intentseg.data.sampling import table_rng
from intentseg.evaluation.campaign import yes_no
from intentseg.foundation.errors import DataContractError
from intentseg.scoring.second_pass import AudienceCap, audience_of, rank_deciles
from intentseg.scoring.types import TargetingRule
from intentseg.uplift.design import assign_contacts, contact_shares, exploration_draws, explored_rows
from intentseg.uplift.learners import UpliftLearner

log = logging.getLogger(__name__)
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
    if config.history_file is not None or config.history_from_sql:
        return None
    if not data.simulated:
        return (
            f"data.source is {data.source!r}: the campaign history is simulated for the simulator and the panel only; "
            "set uplift.history to a campaign tool's file (or sql) to learn from a real campaign"
        )
    if not has_champion or period is None:
        return (
            "no champion in reference/ (run `make promote` after a run): no campaign of this repository to learn from"
        )
    if period >= data.snapshot_month or (data.source == PANEL_SOURCE and not closed_by(period, data.snapshot_month)):
        return (
            f"the champion's month {period} has not closed by the end of the run month {data.snapshot_month}: "
            "its outcomes are not known yet"
        )
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


HISTORY_FILE_COLUMNS = ("month", "contacted", "randomised", "converted")


def _months(values: pd.Series) -> pd.Series:
    """``YYYY-MM`` per row from a month or an ISO date (text or datetime); a clear error naming bad rows."""
    if pd.api.types.is_datetime64_any_dtype(values):
        month = values.dt.strftime("%Y-%m").astype("string")
    else:
        text = values.astype("string").str.strip()
        month = text.str.extract(r"^(\d{4}-(?:0[1-9]|1[0-2]))(?:-\d{2}.*)?$", expand=False)
    bad = month.isna()
    if bad.any():
        examples = ", ".join(f"row {row}: {values.iloc[row]!r}" for row in np.flatnonzero(bad.to_numpy())[:5])
        raise DataContractError(
            f"campaign history column 'month': rule 'a month YYYY-MM or a date YYYY-MM-DD' broken by "
            f"{int(bad.sum())} row(s); e.g. {examples}"
        )
    return month.astype(object)


def history_from_file(
    frame: pd.DataFrame, labelled: pd.DataFrame, *, id_column: str, snapshot_column: str | None, target: str
) -> CampaignHistory:
    """A campaign tool's history (id, month, contacted, randomised, converted; optionally stratum) joined
    with the labelled table's features of the same customers at that month.

    With ``snapshot_column`` a customer's features are those of the labelled row of the same month;
    without, the labelled table is one snapshot and customers are matched by id. The contact
    probability is the contacted share of each month's (and stratum's) randomised customers.
    """
    needed = [id_column, *HISTORY_FILE_COLUMNS]
    missing = [name for name in needed if name not in frame.columns]
    if missing:
        raise DataContractError(
            f"the campaign history needs columns {needed} (and optionally 'stratum'); missing {missing}, "
            f"found {list(frame.columns)[:20]}"
        )
    history = pd.DataFrame({id_column: frame[id_column].astype("string").str.strip().astype(object)})
    history["month"] = _months(frame["month"].reset_index(drop=True))
    for name in ("contacted", "randomised", "converted"):
        history[name] = yes_no(frame[name].reset_index(drop=True)).to_numpy()
    history["randomised"] = history["randomised"].astype(bool)
    history["stratum"] = frame["stratum"].astype("string").to_numpy() if "stratum" in frame.columns else None
    keys = [id_column, "month"]
    twice = history.duplicated(keys, keep=False)
    if twice.any():
        examples = history.loc[twice, keys].head(5).to_dict("records")
        raise DataContractError(
            f"campaign history: rule 'one row per customer and month' broken by {int(twice.sum())} row(s); e.g. {examples}"
        )
    history["contact_probability"] = contact_shares(history)
    rows = labelled.drop(columns=[target], errors="ignore").assign(**{id_column: labelled[id_column].astype(str)})
    on = [id_column]
    if snapshot_column is not None:
        rows, on = rows.assign(month=rows.pop(snapshot_column).astype(str).str[:7]), [id_column, "month"]
    joined = history.merge(rows, on=on, how="inner")
    if joined.empty:
        raise DataContractError(
            f"campaign history: none of its {len(history)} customers is in the labelled table"
            + (" at the same month" if snapshot_column else "")
            + f" (ids such as {history[id_column].head(3).tolist()}): their features are needed to learn from them"
        )
    dropped = len(history) - len(joined)
    if dropped:
        log.warning(
            "campaign history: %d of %d customers are not in the labelled table and are left out", dropped, len(history)
        )
    features = joined[[id_column, *(c for c in rows.columns if c not in (id_column, "month"))]]
    truth = pd.DataFrame({id_column: joined[id_column], "true_probability": np.nan, "true_effect": np.nan}).iloc[:0]
    return CampaignHistory(
        joined[[id_column, *HISTORY_COLUMNS]].reset_index(drop=True), features.reset_index(drop=True), truth
    )

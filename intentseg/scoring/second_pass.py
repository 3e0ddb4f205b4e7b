"""Pass 2 of batch scoring: what needs the whole day: deciles, the targeting rule's audience, exploration, and the
reasons of the customers exported."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from intentseg.classifier.explain import FeatureWords
from intentseg.config.score import ReasonsConfig
from intentseg.scoring.first_pass import StepTimer, reason_columns, timed_chunks
from intentseg.scoring.types import FinalChunk, FinalTables, ScoreAccumulator, ScoringModels, TargetingRule
from intentseg.uplift.design import explored_rows

Sink = Callable[[pd.DataFrame], None]


def rank_deciles(probabilities: np.ndarray) -> np.ndarray:
    """Propensity decile by rank: 1 for the top 10% of today's probabilities, ..., 10 for the bottom 10%.

    Ranks, not thresholds, so deciles hold equal shares even when many customers tie;
    ties are broken by row order, which keeps the result independent of the chunk size.
    """
    order = np.argsort(-np.asarray(probabilities), kind="stable")
    deciles = np.empty(len(order), dtype=np.int8)
    deciles[order] = 1 + (np.arange(len(order)) * 10 // max(len(order), 1))
    return deciles


class AudienceCap:
    """Selects at most ``limit`` audience members, highest probabilities first (ties in stream order)."""

    def __init__(self, audience_probabilities: np.ndarray, limit: int | None) -> None:
        self.limit = limit
        if limit is None or len(audience_probabilities) <= limit:
            self.cutoff, self.ties_left = -np.inf, np.inf
        else:
            self.cutoff = float(np.sort(audience_probabilities)[::-1][limit - 1])
            self.ties_left = limit - int(np.sum(audience_probabilities > self.cutoff))

    def select(self, probability: np.ndarray, in_audience: np.ndarray) -> np.ndarray:
        """Which of these audience rows to export."""
        chosen = in_audience & (probability > self.cutoff)
        ties = np.flatnonzero(in_audience & (probability == self.cutoff))
        if len(ties) and self.ties_left > 0:
            take = ties[: int(min(self.ties_left, len(ties)))]
            chosen[take] = True
            self.ties_left -= len(take)
        return chosen


@dataclass(frozen=True)
class Explainer:
    """What pass 2 needs to write reasons: the models, the reason settings and the words."""

    models: ScoringModels
    reasons: ReasonsConfig
    words: FeatureWords | None


@dataclass(frozen=True)
class RowPlan:
    """Pass 2's decisions for scored rows, in stream order: deciles, the rule's audience, the export."""

    deciles: np.ndarray
    effect_deciles: np.ndarray | None
    in_audience: np.ndarray  # the targeting rule's audience (before the cap)
    targeted: np.ndarray  # the audience the export takes
    explored: np.ndarray  # the exploration sample

    def explained(self, scope: str) -> np.ndarray:
        """The rows whose reasons are written: everyone, or the export (the audience it takes and exploration)."""
        return np.ones(len(self.deciles), dtype=bool) if scope == "everyone" else self.targeted | self.explored

    def rows(self, start: int, stop: int) -> RowPlan:
        """The plan of rows ``start`` to ``stop``."""
        part = slice(start, stop)
        effect = None if self.effect_deciles is None else self.effect_deciles[part]
        return RowPlan(self.deciles[part], effect, self.in_audience[part], self.targeted[part], self.explored[part])


def finalise_chunk(
    chunk: pd.DataFrame, features: pd.DataFrame, plan: RowPlan, explainer: Explainer, audience_columns: list[str]
) -> FinalChunk:
    """Add this chunk's deciles, the rule's audience and the reasons (``features``: the rows the plan explains,
    as scored: :func:`~intentseg.scoring.first_pass.rows_to_explain`); count segment x decile and the audience;
    collect the exported members (ids as text, as the export writes them)."""
    chunk = chunk.copy()
    chunk["in_audience"] = plan.in_audience
    chunk.insert(2, "propensity_decile", plan.deciles)
    if plan.effect_deciles is not None:
        chunk.insert(int(chunk.columns.get_loc("contact_effect")) + 1, "effect_decile", plan.effect_deciles)
    explained = plan.explained(explainer.reasons.scope)
    at = int(chunk.columns.get_loc("classifier_version"))
    for offset, (name, column) in enumerate(
        reason_columns(features, explainer.models, explained, explainer.reasons, explainer.words).items()
    ):
        chunk.insert(at + offset, name, column)
    members = chunk.assign(targeted=plan.targeted, explored=plan.explored)
    counts = pd.crosstab(chunk["segment_id"], chunk["propensity_decile"]).reindex(columns=range(1, 11), fill_value=0)
    in_audience = members[plan.in_audience].assign(exported=plan.targeted[plan.in_audience])
    stats = in_audience.groupby("segment_id").agg(
        audience_size=("purchase_probability", "size"),
        expected_conversions=("purchase_probability", "sum"),
        exported=("exported", "sum"),
    )
    exported = members.loc[plan.targeted | plan.explored, audience_columns]
    return FinalChunk(chunk, counts, stats, exported.astype({audience_columns[0]: str}))


def combine_final(parts: Iterable[FinalChunk], plan: RowPlan) -> FinalTables:
    """The aggregates of all chunks, in stream order (``plan``: the whole day's)."""
    deciles = pd.DataFrame(0, index=pd.Index([], name="segment_id"), columns=range(1, 11))
    audience = pd.DataFrame(
        0.0, index=pd.Index([], name="segment_id"), columns=["audience_size", "expected_conversions", "exported"]
    )
    for part in parts:
        deciles = deciles.add(part.segment_by_decile, fill_value=0)
        audience = audience.add(part.audience_by_segment, fill_value=0)
    return FinalTables(deciles.astype(int).sort_index(), audience.sort_index(), int(plan.targeted.sum()))


def audience_of(
    rule: TargetingRule, probability: np.ndarray, decided: np.ndarray, effect: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The rule's audience (before the cap) and the score the cap ranks it by.

    ``decided`` is the classifier's decision rule. ``uplift`` takes as many customers as propensity
    targeting would contact (after the cap), the largest predicted effects, never a predicted sleeping
    dog (effect below zero); ``uplift_profit`` everyone whose effect times the margin exceeds the cost.
    """
    if rule.name == "propensity":
        return decided, probability
    if effect is None:
        raise ValueError(f"targeting rule {rule.name!r} needs the predicted effects of an uplift model")
    if rule.name == "uplift":
        budget = int(AudienceCap(probability[decided], rule.max_audience).select(probability, decided).sum())
        chosen = np.zeros(len(effect), dtype=bool)
        top = np.argsort(-effect, kind="stable")[:budget]
        chosen[top[effect[top] > 0]] = True
        return chosen, effect
    if rule.name == "uplift_profit":
        return effect * rule.margin > rule.cost, effect
    raise ValueError(f"unknown targeting rule {rule.name!r}")


def plan_rows(accumulator: ScoreAccumulator, rule: TargetingRule) -> RowPlan:
    """Pass 2's plan from the whole day's pass 1: deciles, the rule's audience, the export, exploration.

    Under an uplift rule the accumulator's audience size and expected conversions become the rule's.
    """
    probability, effect = accumulator.all_probabilities(), accumulator.all_effects()
    deciles = rank_deciles(probability)
    audience, order = audience_of(rule, probability, accumulator.all_audience_flags(), effect)
    targeted = AudienceCap(order[audience], rule.max_audience).select(order, audience)
    explored = explored_rows(accumulator.all_exploration_draws(), deciles, rule.exploration_share)
    if rule.name != "propensity":
        accumulator.audience_size = int(audience.sum())
        accumulator.expected_conversions = float(probability[audience].sum())
    return RowPlan(deciles, None if effect is None else rank_deciles(effect), audience, targeted, explored)


def aligned(frames: Iterable[pd.DataFrame]) -> Callable[[int], pd.DataFrame]:
    """``take(n)``: the next ``n`` rows of a stream of frames, whatever the frames' sizes (no rows: an empty frame)."""
    iterator, buffer = iter(frames), []
    held = 0

    def take(n: int) -> pd.DataFrame:
        nonlocal held
        if n == 0:
            return pd.DataFrame()
        while held < n:
            frame = next(iterator)
            buffer.append(frame)
            held += len(frame)
        joined = pd.concat(buffer, ignore_index=True) if len(buffer) > 1 else buffer[0].reset_index(drop=True)
        buffer.clear()
        rest = joined.iloc[n:]
        if len(rest):
            buffer.append(rest)
        held = len(rest)
        return joined.iloc[:n]

    return take


def finalise_scores(
    interim: Iterable[pd.DataFrame],
    features: Iterable[pd.DataFrame],
    accumulator: ScoreAccumulator,
    plan: RowPlan,
    explainer: Explainer,
    *,
    audience_columns: list[str],
    scores_sink: Sink,
    members_sink: Sink,
) -> FinalTables:
    """Pass 2 by :func:`plan_rows`' plan: deciles, the rule's audience, reasons for the exported; the final
    scores to ``scores_sink``, the exported members to ``members_sink`` (both in stream order, chunk by chunk).
    ``features`` are the rows the plan explains, as pass 1 scored them, in the same order (any chunks:
    :func:`~intentseg.scoring.first_pass.rows_to_explain`)."""
    take = aligned(features)
    explained = plan.explained(explainer.reasons.scope)
    offset = 0
    parts: list[FinalChunk] = []
    for chunk in timed_chunks(interim, accumulator, "read"):
        with StepTimer(accumulator, "reasons"):
            rows = plan.rows(offset, offset + len(chunk))
            features_of_chunk = take(int(explained[offset : offset + len(chunk)].sum()))
            part = finalise_chunk(chunk, features_of_chunk, rows, explainer, audience_columns)
        offset += len(chunk)
        with StepTimer(accumulator, "write"):
            scores_sink(part.scores)
            members_sink(part.exported_members)
        parts.append(part.aggregates())
    return combine_final(parts, plan)

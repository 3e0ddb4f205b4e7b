"""Pass 2 of batch scoring: propensity deciles (they need the whole day's distribution) and the audience."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from intentseg.scoring.first_pass import StepTimer, timed_chunks
from intentseg.scoring.types import FinalChunk, FinalTables, ScoreAccumulator
from intentseg.uplift.design import explored_rows

Sink = Callable[[pd.DataFrame], None]


@dataclass(frozen=True)
class ExportRule:
    """Who pass 2 exports: the audience (at most ``max_audience``) and the exploration sample's share."""

    max_audience: int | None
    exploration_share: float


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


def finalise_chunk(
    chunk: pd.DataFrame,
    deciles: np.ndarray,
    exported_audience: np.ndarray,
    explored: np.ndarray,
    audience_columns: list[str],
) -> FinalChunk:
    """Add this chunk's propensity deciles; count segment x decile and the audience.

    ``exported_audience`` says, for each of the chunk's audience rows in order, whether the export
    takes it; ``explored`` marks the chunk's rows in the exploration sample (exported too).
    """
    exported = np.zeros(len(chunk), dtype=bool)
    exported[chunk["in_audience"].to_numpy()] = exported_audience
    chunk = chunk.copy()
    chunk.insert(2, "propensity_decile", deciles)
    members = chunk.assign(targeted=exported, explored=np.asarray(explored, dtype=bool))
    counts = pd.crosstab(chunk["segment_id"], chunk["propensity_decile"]).reindex(columns=range(1, 11), fill_value=0)
    in_audience = chunk[chunk["in_audience"]].assign(exported=exported[chunk["in_audience"].to_numpy()])
    stats = in_audience.groupby("segment_id").agg(
        audience_size=("purchase_probability", "size"),
        expected_conversions=("purchase_probability", "sum"),
        exported=("exported", "sum"),
    )
    return FinalChunk(chunk, counts, stats, members.loc[exported | members["explored"], audience_columns])


def combine_final(parts: Iterable[FinalChunk | FinalTables], audience_columns: list[str]) -> FinalTables:
    """The aggregates of all chunks (or of partial results), in stream order."""
    deciles = pd.DataFrame(0, index=pd.Index([], name="segment_id"), columns=range(1, 11))
    audience = pd.DataFrame(
        0.0, index=pd.Index([], name="segment_id"), columns=["audience_size", "expected_conversions", "exported"]
    )
    members: list[pd.DataFrame] = []
    for part in parts:
        deciles = deciles.add(part.segment_by_decile, fill_value=0)
        audience = audience.add(part.audience_by_segment, fill_value=0)
        members.append(part.exported_members)
    exported = pd.concat(members, ignore_index=True) if members else pd.DataFrame(columns=audience_columns)
    targeted = int(exported["targeted"].sum()) if len(exported) else 0
    return FinalTables(deciles.astype(int).sort_index(), audience.sort_index(), targeted, exported)


def exported_rows(accumulator: ScoreAccumulator, max_audience: int | None) -> np.ndarray:
    """Which audience rows (in stream order) the export takes: all, or the ``max_audience`` most likely."""
    audience = np.concatenate(accumulator.audience_probabilities) if accumulator.audience_probabilities else np.zeros(0)
    return AudienceCap(audience, max_audience).select(audience, np.ones(len(audience), dtype=bool))


def finalise_scores(
    interim: Iterable[pd.DataFrame],
    accumulator: ScoreAccumulator,
    export: ExportRule,
    audience_columns: list[str],
    scores_sink: Sink,
) -> FinalTables:
    """Pass 2: add deciles, write final scores, and collect the (capped) audience and the exploration sample."""
    deciles_by_row = rank_deciles(accumulator.all_probabilities())
    exported_by_audience_row = exported_rows(accumulator, export.max_audience)
    explored_by_row = explored_rows(accumulator.all_exploration_draws(), deciles_by_row, export.exploration_share)
    offset = audience_offset = 0
    parts: list[FinalChunk] = []
    for chunk in timed_chunks(interim, accumulator, "read"):
        audience_rows = int(chunk["in_audience"].sum())
        exported = exported_by_audience_row[audience_offset : audience_offset + audience_rows]
        rows = slice(offset, offset + len(chunk))
        part = finalise_chunk(chunk, deciles_by_row[rows], exported, explored_by_row[rows], audience_columns)
        offset, audience_offset = offset + len(chunk), audience_offset + audience_rows
        with StepTimer(accumulator, "write"):
            scores_sink(part.scores)
        parts.append(dataclasses.replace(part, scores=part.scores.iloc[:0]))
    return combine_final(parts, audience_columns)

"""Daily batch scoring: validate, score, segment and explain a population streamed in chunks.

Nothing is lost: every input row is either scored or rejected with the rules it broke
(``rows_in == rows_scored + rows_rejected``). Work happens in two passes over chunks:
pass 1 validates and scores (probabilities, audience, segments, reasons, drift counts);
pass 2 adds propensity deciles, which need the whole day's distribution, and exports the
audience. Both passes take iterables of DataFrames and write through sink callables, so
memory stays flat as the population grows; the caller owns the files.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from intentseg.classifier.explain import FeatureWords, contributions, drivers_from_contributions
from intentseg.classifier.model import PurchaseModel
from intentseg.config import ReasonsConfig
from intentseg.data.schema import TableSpec
from intentseg.scoring.drift import DriftMonitor
from intentseg.scoring.export import member_columns
from intentseg.scoring.validation import REJECT_COLUMN, numeric_view, row_problems
from intentseg.segments.model import SegmentModel

log = logging.getLogger(__name__)
Sink = Callable[[pd.DataFrame], None]


@dataclass(frozen=True)
class ScoringModels:
    """The two models a scoring run applies, and their version tags."""

    classifier: PurchaseModel
    segmenter: SegmentModel
    classifier_version: str
    segmenter_version: str


@dataclass(frozen=True)
class ScoringJob:
    """What scoring a population needs: its file, the models, the rules (sent once to each Dask worker)."""

    population: str
    models: ScoringModels
    spec: TableSpec
    duplicate_ids: np.ndarray
    drift: DriftMonitor
    reasons: ReasonsConfig
    words: FeatureWords | None
    id_dtype: object
    columns: tuple[str, ...]


def audience_columns(id_column: str, top_k: int) -> list[str]:
    """Scored columns the audience export takes (see :mod:`intentseg.scoring.export` for the rest)."""
    return [*member_columns(id_column, top_k), "classifier_version", "segmenter_version"]


def load_models(classifier: PurchaseModel, segmenter: SegmentModel) -> ScoringModels:
    """Bundle the models with their version tags."""
    return ScoringModels(classifier, segmenter, classifier.version, segmenter.version)


def empty_scores(id_column: str, id_dtype: Any, top_k: int, with_decile: bool) -> pd.DataFrame:
    """A zero-row scores frame with the columns and types of pass 1 (or 2), for a day with no valid rows."""
    deciles = {"propensity_decile": pd.Series(dtype="int8")} if with_decile else {}
    return pd.DataFrame(
        {
            id_column: pd.Series(dtype=id_dtype),
            "purchase_probability": pd.Series(dtype="float64"),
            **deciles,
            "in_audience": pd.Series(dtype="bool"),
            "segment_id": pd.Series(dtype="int16"),
            "segment_name": pd.Series(dtype="string"),
            **{f"reason_{i + 1}": pd.Series(dtype="string") for i in range(top_k)},
            "classifier_version": pd.Series(dtype="string"),
            "segmenter_version": pd.Series(dtype="string"),
        }
    )


@dataclass
class ScoreAccumulator:
    """What pass 1 learns across chunks: counts, audience, probabilities, timings."""

    rows_in: int = 0
    rows_scored: int = 0
    rows_rejected: int = 0
    audience_size: int = 0
    expected_conversions: float = 0.0
    rejects_by_rule: Counter = field(default_factory=Counter)
    probabilities: list[np.ndarray] = field(default_factory=list)
    audience_probabilities: list[np.ndarray] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def clock(self, step: str, seconds: float) -> None:
        """Add time spent in a step."""
        self.timings[step] = self.timings.get(step, 0.0) + seconds

    def all_probabilities(self) -> np.ndarray:
        return np.concatenate(self.probabilities) if self.probabilities else np.zeros(0)


class _Timer:
    def __init__(self, accumulator: ScoreAccumulator, step: str) -> None:
        self.accumulator, self.step = accumulator, step

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.accumulator.clock(self.step, time.perf_counter() - self.start)


def timed_chunks(chunks: Iterable[pd.DataFrame], accumulator: ScoreAccumulator, step: str) -> Iterator[pd.DataFrame]:
    """Pass chunks through, adding the time spent producing them (reading) to ``step``."""
    iterator = iter(chunks)
    while True:
        with _Timer(accumulator, step):
            chunk = next(iterator, None)
        if chunk is None:
            return
        yield chunk


def score_chunk(
    frame: pd.DataFrame,
    models: ScoringModels,
    id_column: str,
    reasons: ReasonsConfig,
    accumulator: ScoreAccumulator,
    words: FeatureWords | None = None,
) -> pd.DataFrame:
    """Probabilities, audience flag, segment and reasons (in the words of ``words``) for valid rows."""
    with _Timer(accumulator, "predict"):
        probability = models.classifier.purchase_probability(frame)
        in_audience = models.classifier.decision.select(probability)
    with _Timer(accumulator, "segment"):
        segment_ids = models.segmenter.assign(frame)
        position = np.full(max(models.segmenter.segment_ids) + 1, -1)
        position[list(models.segmenter.segment_ids)] = np.arange(len(models.segmenter.segment_ids))
        name_codes = position[segment_ids]
    scored = pd.DataFrame(
        {
            id_column: frame[id_column].to_numpy(),
            "purchase_probability": probability,
            "in_audience": in_audience,
            "segment_id": segment_ids.astype(np.int16),
            "segment_name": pd.Categorical.from_codes(name_codes, categories=list(models.segmenter.names)),
        }
    )
    with _Timer(accumulator, "reasons"):
        explained = np.flatnonzero(np.ones(len(frame), dtype=bool) if reasons.scope == "everyone" else in_audience)
        subset = frame.iloc[explained]
        drivers = (
            drivers_from_contributions(
                contributions(models.classifier, subset, reasons.method),
                subset,
                models.classifier.schema.names,
                reasons.top_k,
                words,
            )
            if len(subset)
            else pd.DataFrame(columns=[f"reason_{i + 1}" for i in range(reasons.top_k)])
        )
    for column in drivers.columns:
        text = np.full(len(frame), None, dtype=object)
        text[explained] = drivers[column].to_numpy()
        scored[column] = pd.array(text, dtype="string")
    scored["classifier_version"] = models.classifier_version
    scored["segmenter_version"] = models.segmenter_version
    return scored


def score_population(
    chunks: Iterable[pd.DataFrame],
    models: ScoringModels,
    spec: TableSpec,
    duplicate_ids: np.ndarray,
    drift: DriftMonitor,
    reasons: ReasonsConfig,
    scored_sink: Sink,
    rejects_sink: Sink,
    words: FeatureWords | None = None,
) -> ScoreAccumulator:
    """Pass 1: validate and score every chunk; rejected rows go to ``rejects_sink`` with their rules.

    Reasons read in the words of ``words`` (the feature dictionary and the source file's names).
    """
    accumulator = ScoreAccumulator()
    for chunk in timed_chunks(chunks, accumulator, "read"):
        chunk = chunk.reset_index(drop=True)
        accumulator.rows_in += len(chunk)
        with _Timer(accumulator, "validate"):
            problems = row_problems(chunk, spec, duplicate_ids)
            bad = problems != ""
        if bad.any():
            rejected = chunk[bad].astype("object").where(chunk[bad].notna(), None).astype("string")
            rejected[REJECT_COLUMN] = pd.array(problems[bad], dtype="string")
            accumulator.rows_rejected += int(bad.sum())
            for rules in problems[bad]:
                accumulator.rejects_by_rule.update(rule.split(" (")[0].split(" [")[0] for rule in rules.split("; "))
            with _Timer(accumulator, "write"):
                rejects_sink(rejected)
        valid = numeric_view(chunk[~bad], spec)
        if len(valid) == 0:
            continue
        drift.update(valid)
        scored = score_chunk(valid, models, spec.id_column, reasons, accumulator, words)
        accumulator.rows_scored += len(scored)
        probability = scored["purchase_probability"].to_numpy()
        accumulator.probabilities.append(probability)
        audience = scored["in_audience"].to_numpy()
        accumulator.audience_size += int(audience.sum())
        accumulator.expected_conversions += float(probability[audience].sum())
        accumulator.audience_probabilities.append(probability[audience])
        with _Timer(accumulator, "write"):
            scored_sink(scored)
        log.info(
            "scored %d of %d rows read so far (%d rejected)",
            accumulator.rows_scored,
            accumulator.rows_in,
            accumulator.rows_rejected,
        )
    return accumulator


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
class FinalTables:
    """Pass-2 aggregates: segment x decile counts, the audience per segment, and the exported members."""

    segment_by_decile: pd.DataFrame
    audience_by_segment: pd.DataFrame
    audience_exported: int
    exported_members: pd.DataFrame


@dataclass(frozen=True)
class FinalChunk:
    """Pass 2 of one chunk: its final scores and its share of the aggregates of :class:`FinalTables`."""

    scores: pd.DataFrame
    segment_by_decile: pd.DataFrame
    audience_by_segment: pd.DataFrame
    exported_members: pd.DataFrame


def finalise_chunk(
    chunk: pd.DataFrame, deciles: np.ndarray, exported_audience: np.ndarray, audience_columns: list[str]
) -> FinalChunk:
    """Add this chunk's propensity deciles; count segment x decile and the audience.

    ``exported_audience`` says, for each of the chunk's audience rows in order, whether the export takes it.
    """
    exported = np.zeros(len(chunk), dtype=bool)
    exported[chunk["in_audience"].to_numpy()] = exported_audience
    chunk = chunk.copy()
    chunk.insert(2, "propensity_decile", deciles)
    counts = pd.crosstab(chunk["segment_id"], chunk["propensity_decile"]).reindex(columns=range(1, 11), fill_value=0)
    in_audience = chunk[chunk["in_audience"]].assign(exported=exported[chunk["in_audience"].to_numpy()])
    stats = in_audience.groupby("segment_id").agg(
        audience_size=("purchase_probability", "size"),
        expected_conversions=("purchase_probability", "sum"),
        exported=("exported", "sum"),
    )
    return FinalChunk(chunk, counts, stats, chunk.loc[exported, audience_columns])


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
    return FinalTables(deciles.astype(int).sort_index(), audience.sort_index(), len(exported), exported)


def exported_rows(accumulator: ScoreAccumulator, max_audience: int | None) -> np.ndarray:
    """Which audience rows (in stream order) the export takes: all, or the ``max_audience`` most likely."""
    audience = np.concatenate(accumulator.audience_probabilities) if accumulator.audience_probabilities else np.zeros(0)
    return AudienceCap(audience, max_audience).select(audience, np.ones(len(audience), dtype=bool))


def finalise_scores(
    interim: Iterable[pd.DataFrame],
    accumulator: ScoreAccumulator,
    max_audience: int | None,
    audience_columns: list[str],
    scores_sink: Sink,
) -> FinalTables:
    """Pass 2: add deciles, write final scores, and collect the (capped) audience for the export."""
    deciles_by_row = rank_deciles(accumulator.all_probabilities())
    exported_by_audience_row = exported_rows(accumulator, max_audience)
    offset = audience_offset = 0
    parts: list[FinalChunk] = []
    for chunk in timed_chunks(interim, accumulator, "read"):
        audience_rows = int(chunk["in_audience"].sum())
        exported = exported_by_audience_row[audience_offset : audience_offset + audience_rows]
        part = finalise_chunk(chunk, deciles_by_row[offset : offset + len(chunk)], exported, audience_columns)
        offset, audience_offset = offset + len(chunk), audience_offset + audience_rows
        with _Timer(accumulator, "write"):
            scores_sink(part.scores)
        parts.append(dataclasses.replace(part, scores=part.scores.iloc[:0]))
    return combine_final(parts, audience_columns)


def score_summary(accumulator: ScoreAccumulator, tables: FinalTables, drift: dict[str, Any]) -> dict[str, Any]:
    """The ``metrics/score.json`` summary: counts and the drift verdict (no timings: they differ run to run).

    Tables (segment x decile, PSI per feature) are plot data: see :func:`segment_decile_plot`
    and :func:`drift_plot`.
    """
    return {
        "rows_in": accumulator.rows_in,
        "rows_scored": accumulator.rows_scored,
        "rows_rejected": accumulator.rows_rejected,
        "rejects_by_rule": dict(sorted(accumulator.rejects_by_rule.items())),
        "audience_size": accumulator.audience_size,
        "audience_exported": tables.audience_exported,
        "expected_conversions": accumulator.expected_conversions,
        "drift": {key: drift[key] for key in ("max_psi", "worst_feature", "flagged", "warned")},
    }


def segment_decile_plot(tables: FinalTables, names: dict[int, str]) -> list[dict[str, Any]]:
    """Plot records: customers per (segment, propensity decile)."""
    return [
        {"segment": f"{segment}: {names.get(segment, '?')}", "decile": int(decile), "count": int(count)}
        for segment, row in tables.segment_by_decile.iterrows()
        for decile, count in row.items()
    ]


def drift_plot(drift: dict[str, Any]) -> list[dict[str, Any]]:
    """Plot records: population stability index per feature, largest first."""
    return [
        {"feature": name, "psi": value}
        for name, value in sorted(drift["psi"].items(), key=lambda item: (-item[1], item[0]))
    ]


def audience_plot(tables: FinalTables, names: dict[int, str]) -> list[dict[str, Any]]:
    """Plot records: audience size and expected conversions per segment."""
    return [
        {
            "segment": f"{segment}: {names.get(segment, '?')}",
            "audience_size": int(row["audience_size"]),
            "expected_conversions": float(row["expected_conversions"]),
            "exported": int(row["exported"]),
        }
        for segment, row in tables.audience_by_segment.iterrows()
    ]

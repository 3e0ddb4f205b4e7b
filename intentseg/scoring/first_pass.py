"""Pass 1 of batch scoring: validate, score and segment each chunk; count for the audience and drift.

Nothing is lost: every input row is either scored or rejected with the rules it broke
(``rows_in == rows_scored + rows_rejected``). Chunks come from an iterable and leave through sink
callables, so memory stays flat as the population grows; the caller owns the files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from intentseg.classifier.explain import FeatureWords, contributions, drivers_from_contributions
from intentseg.config.score import ReasonsConfig
from intentseg.data.spec import TableSpec
from intentseg.scoring.drift import DriftMonitor
from intentseg.scoring.types import ScoreAccumulator, ScoringModels
from intentseg.scoring.validation import REJECT_COLUMN, numeric_view, row_problems
from intentseg.uplift.design import exploration_draws

log = logging.getLogger(__name__)
Sink = Callable[[pd.DataFrame], None]


class StepTimer:
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
        with StepTimer(accumulator, step):
            chunk = next(iterator, None)
        if chunk is None:
            return
        yield chunk


def score_chunk(
    frame: pd.DataFrame, models: ScoringModels, id_column: str, accumulator: ScoreAccumulator
) -> pd.DataFrame:
    """Probability, the decision rule's audience flag, segment and (with an uplift model) the predicted
    effect of a contact for valid rows. Reasons come in pass 2, for the customers exported. A sample of the
    chunk is scored by LightGBM too: a compiled forest that disagrees stops the run."""
    with StepTimer(accumulator, "check"):
        models.classifier.engine.check_compiled(frame)
        if models.uplift is not None:
            models.uplift.check_compiled(frame)
    with StepTimer(accumulator, "predict"):
        probability = models.classifier.purchase_probability(frame)
        in_audience = models.classifier.decision.select(probability)
    effect = {}
    if models.uplift is not None:
        with StepTimer(accumulator, "uplift"):
            effect = {"contact_effect": models.uplift.predict(frame)}
    with StepTimer(accumulator, "segment"):
        segment_ids = models.segmenter.assign(frame)
        position = np.full(max(models.segmenter.segment_ids) + 1, -1)
        position[list(models.segmenter.segment_ids)] = np.arange(len(models.segmenter.segment_ids))
        name_codes = position[segment_ids]
    scored = pd.DataFrame(
        {
            id_column: frame[id_column].to_numpy(),
            "purchase_probability": probability,
            **effect,
            "in_audience": in_audience,
            "segment_id": segment_ids.astype(np.int16),
            "segment_name": pd.Categorical.from_codes(name_codes, categories=list(models.segmenter.names)),
        }
    )
    scored["classifier_version"] = models.classifier_version
    scored["segmenter_version"] = models.segmenter_version
    return scored


def reason_columns(
    frame: pd.DataFrame,
    models: ScoringModels,
    explained: np.ndarray,
    reasons: ReasonsConfig,
    words: FeatureWords | None,
) -> dict[str, pd.arrays.StringArray]:
    """``reason_1..k`` for the rows flagged ``explained`` (missing elsewhere), in the words of ``words``."""
    rows = np.flatnonzero(explained)
    subset = frame.iloc[rows]
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
    columns = {}
    for column in drivers.columns:
        text = np.full(len(frame), None, dtype=object)
        text[rows] = drivers[column].to_numpy()
        columns[column] = pd.array(text, dtype="string")
    return columns


def valid_rows(chunks: Iterable[pd.DataFrame], spec: TableSpec, duplicate_ids: np.ndarray) -> Iterator[pd.DataFrame]:
    """The valid rows of each chunk as pass 1 scored them (numeric features as float64), in stream order."""
    for chunk in chunks:
        chunk = chunk.reset_index(drop=True)
        valid = chunk[row_problems(chunk, spec, duplicate_ids) == ""]
        if len(valid):
            yield numeric_view(valid, spec)


def score_population(
    chunks: Iterable[pd.DataFrame],
    models: ScoringModels,
    spec: TableSpec,
    duplicate_ids: np.ndarray,
    drift: DriftMonitor,
    *,
    scored_sink: Sink,
    rejects_sink: Sink,
    month: str,
) -> ScoreAccumulator:
    """Pass 1: validate and score every chunk; rejected rows go to ``rejects_sink`` with their rules."""
    accumulator = ScoreAccumulator()
    for chunk in timed_chunks(chunks, accumulator, "read"):
        chunk = chunk.reset_index(drop=True)
        accumulator.rows_in += len(chunk)
        with StepTimer(accumulator, "validate"):
            problems = row_problems(chunk, spec, duplicate_ids)
            bad = problems != ""
        if bad.any():
            rejected = chunk[bad].astype("object").where(chunk[bad].notna(), None).astype("string")
            rejected[REJECT_COLUMN] = pd.array(problems[bad], dtype="string")
            accumulator.rows_rejected += int(bad.sum())
            for rules in problems[bad]:
                accumulator.rejects_by_rule.update(rule.split(" (")[0].split(" [")[0] for rule in rules.split("; "))
            with StepTimer(accumulator, "write"):
                rejects_sink(rejected)
        valid = numeric_view(chunk[~bad], spec)
        if len(valid) == 0:
            continue
        drift.update(valid)
        scored = score_chunk(valid, models, spec.id_column, accumulator)
        accumulator.rows_scored += len(scored)
        probability = scored["purchase_probability"].to_numpy()
        accumulator.probabilities.append(probability)
        audience = scored["in_audience"].to_numpy()
        accumulator.audience_size += int(audience.sum())
        accumulator.expected_conversions += float(probability[audience].sum())
        accumulator.audience_probabilities.append(probability[audience])
        accumulator.audience_flags.append(audience)
        if "contact_effect" in scored:
            accumulator.effects.append(scored["contact_effect"].to_numpy())
        accumulator.exploration_draws.append(exploration_draws(scored[spec.id_column], month))
        with StepTimer(accumulator, "write"):
            scored_sink(scored)
        log.info(
            "scored %d of %d rows read so far (%d rejected)",
            accumulator.rows_scored,
            accumulator.rows_in,
            accumulator.rows_rejected,
        )
    return accumulator

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
import pyarrow as pa

from intentseg.classifier.compiled_forest import CHECK_ROWS
from intentseg.classifier.explain import FeatureWords, contributions, drivers_from_contributions
from intentseg.config.score import ReasonsConfig
from intentseg.data.spec import TableSpec
from intentseg.scoring.drift import DriftMonitor
from intentseg.scoring.types import ScoreAccumulator, ScoringModels
from intentseg.scoring.validation import REJECT_COLUMN, numeric_view, row_problems
from intentseg.uplift.design import exploration_draws

log = logging.getLogger(__name__)
Sink = Callable[[pd.DataFrame], None]
CHECK_BATCH_ROWS = 4096  # sampled rows compared with LightGBM in one call (it costs about four calls of 256 rows)


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


class CompiledCheck:
    """The compiled forests against LightGBM's own predict on the first :data:`CHECK_ROWS` rows of every chunk,
    gathered and compared :data:`CHECK_BATCH_ROWS` rows at a time (a call has a fixed cost, LightGBM's pandas
    conversion and the model frame: 4,096 rows cost about four calls of 256). A disagreement stops the run at the end of pass 1 at the latest, before
    pass 2 writes the final scores, so nothing is published."""

    def __init__(self, models: ScoringModels, accumulator: ScoreAccumulator) -> None:
        self.models, self.accumulator = models, accumulator
        self.held: list[pd.DataFrame] = []

    def add(self, frame: pd.DataFrame) -> None:
        """Hold the chunk's sample (a copy: not the chunk); compare when enough rows are held."""
        self.held.append(frame.iloc[:CHECK_ROWS].copy())
        if sum(len(sample) for sample in self.held) >= CHECK_BATCH_ROWS:
            self.compare()

    def compare(self) -> None:
        """Compare the held rows (the classifier, then every uplift booster) and let them go."""
        if not self.held:
            return
        with StepTimer(self.accumulator, "check"):
            sample = pd.concat(self.held, ignore_index=True) if len(self.held) > 1 else self.held[0]
            self.held = []
            self.models.classifier.engine.check_compiled(sample)
            if self.models.uplift is not None:
                self.models.uplift.check_compiled(sample)


def score_chunk(
    frame: pd.DataFrame, models: ScoringModels, id_column: str, accumulator: ScoreAccumulator
) -> pd.DataFrame:
    """Probability, the decision rule's audience flag, segment and (with an uplift model) the predicted
    effect of a contact for valid rows. Reasons come in pass 2, for the customers exported. (Pass 1 checks a
    sample of every chunk against LightGBM: :class:`CompiledCheck`.)"""
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
    subset: pd.DataFrame,
    models: ScoringModels,
    explained: np.ndarray,
    reasons: ReasonsConfig,
    words: FeatureWords | None,
) -> dict[str, pd.arrays.StringArray]:
    """``reason_1..k`` for the rows flagged ``explained`` (missing elsewhere), in the words of ``words``;
    ``subset``: the features of those rows, in order."""
    rows = np.flatnonzero(explained)
    if len(subset) != len(rows):
        raise ValueError(f"{len(subset)} rows of features for {len(rows)} rows to explain")
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
    position = np.full(len(explained), -1)
    position[rows] = np.arange(len(rows))
    where = pa.array(position, mask=position < 0)  # each row's reason among the explained rows' (none: missing)
    return {
        column: pd.arrays.ArrowStringArray(
            pa.array(drivers[column].to_numpy(dtype=object), type=pa.string(), from_pandas=True).take(where)
        )
        for column in drivers.columns
    }


def rows_to_explain(
    chunks: Iterable[pd.DataFrame], spec: TableSpec, valid_flags: Iterable[np.ndarray], explained: np.ndarray
) -> Iterator[pd.DataFrame]:
    """The rows pass 2 explains, as pass 1 scored them (numeric features as float64), in stream order.

    ``valid_flags``: each chunk's valid rows (pass 1's, the same chunks); ``explained``: which of the scored rows
    (the valid ones, in stream order) the plan explains. Rows not explained are never converted."""
    offset = 0
    for chunk, valid in zip(chunks, valid_flags, strict=True):
        scored = np.flatnonzero(valid)
        wanted = scored[explained[offset : offset + len(scored)]]
        offset += len(scored)
        if len(wanted):
            yield numeric_view(chunk.iloc[wanted].reset_index(drop=True), spec)


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
    """Pass 1: validate and score every chunk; rejected rows go to ``rejects_sink`` with their rules. A sample of
    every chunk is scored by LightGBM too (:class:`CompiledCheck`): a compiled forest that disagrees stops the run."""
    accumulator = ScoreAccumulator()
    check = CompiledCheck(models, accumulator)
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
        accumulator.valid_flags.append(~bad)
        valid = numeric_view(chunk[~bad], spec)
        if len(valid) == 0:
            continue
        drift.update(valid)
        check.add(valid)
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
    check.compare()
    return accumulator

"""What batch scoring passes around: the models, the job, the running counts and the final tables."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from intentseg.classifier.explain import FeatureWords
from intentseg.classifier.model import PurchaseModel
from intentseg.config.classifier import DecisionConfig
from intentseg.config.score import ReasonsConfig, ScoreConfig
from intentseg.data.spec import TableSpec
from intentseg.foundation.sizing import sized_down
from intentseg.scoring.drift import DriftMonitor
from intentseg.scoring.export import member_columns
from intentseg.segments.model import SegmentModel
from intentseg.uplift.learners import UpliftLearner


@dataclass(frozen=True)
class ScoringModels:
    """The models a scoring run applies (the uplift model when there is one), and their version tags."""

    classifier: PurchaseModel
    segmenter: SegmentModel
    classifier_version: str
    segmenter_version: str
    uplift: UpliftLearner | None = None


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
    rows: int  # customers in the population file
    snapshot_month: str  # keys the exploration draw (a new month, a new sample)
    targeting: TargetingRule  # who the export's audience is (score.target_by, resolved)


@dataclass(frozen=True)
class TargetingRule:
    """Who the export's audience is: ``propensity`` (the decision rule), ``uplift`` (as many customers, the
    largest predicted effects) or ``uplift_profit`` (predicted effect x margin above the contact cost),
    at most ``max_audience``; and the exploration sample's share."""

    name: str
    max_audience: int | None
    exploration_share: float
    margin: float = 0.0
    cost: float = 0.0
    why: str = ""  # how score.target_by came to this rule, in words


def rule_named(name: str, score: ScoreConfig, decision: DecisionConfig, rows: int, why: str = "") -> TargetingRule:
    """The targeting rule ``name`` with this run's cap (sized to ``rows`` customers), exploration share,
    and the decision rule's margin and contact cost."""
    max_audience = score.max_audience and sized_down("score.max_audience", score.max_audience, rows, "customers")
    margin, cost = decision.margin_per_conversion, decision.contact_cost
    return TargetingRule(name, max_audience, score.exploration_share, margin, cost, why)


def audience_columns(id_column: str, top_k: int, with_effect: bool = False) -> list[str]:
    """Scored columns the audience export takes (see :mod:`intentseg.scoring.export` for the rest)."""
    versions = ["classifier_version", "segmenter_version", "targeted", "explored"]
    return [*member_columns(id_column, top_k, with_effect), *versions]


def load_models(
    classifier: PurchaseModel, segmenter: SegmentModel, uplift: UpliftLearner | None = None
) -> ScoringModels:
    """Bundle the models with their version tags."""
    return ScoringModels(classifier, segmenter, classifier.version, segmenter.version, uplift)


def empty_scores(id_column: str, id_dtype: Any, top_k: int, *, final: bool, with_effect: bool = False) -> pd.DataFrame:
    """A zero-row scores frame with the columns and types of pass 1 (or, ``final``, pass 2), for a day with
    no valid rows. Pass 2 adds the deciles and the reasons."""
    deciles = {"propensity_decile": pd.Series(dtype="int8")} if final else {}
    effect = {"contact_effect": pd.Series(dtype="float64")} if with_effect else {}
    effect_deciles = {"effect_decile": pd.Series(dtype="int8")} if with_effect and final else {}
    reasons = {f"reason_{i + 1}": pd.Series(dtype="string") for i in range(top_k)} if final else {}
    return pd.DataFrame(
        {
            id_column: pd.Series(dtype=id_dtype),
            "purchase_probability": pd.Series(dtype="float64"),
            **deciles,
            **effect,
            **effect_deciles,
            "in_audience": pd.Series(dtype="bool"),
            "segment_id": pd.Series(dtype="int16"),
            "segment_name": pd.Series(dtype="string"),
            **reasons,
            "classifier_version": pd.Series(dtype="string"),
            "segmenter_version": pd.Series(dtype="string"),
        }
    )


def empty_members(id_column: str, top_k: int, with_effect: bool = False) -> pd.DataFrame:
    """A zero-row frame of pass 2's exported members (:func:`audience_columns`, ids as text), for a day without."""
    scores = empty_scores(id_column, str, top_k, final=True, with_effect=with_effect)
    members = scores.assign(targeted=pd.Series(dtype="bool"), explored=pd.Series(dtype="bool"))
    return members[audience_columns(id_column, top_k, with_effect)]


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
    audience_flags: list[np.ndarray] = field(default_factory=list)
    effects: list[np.ndarray] = field(default_factory=list)
    exploration_draws: list[np.ndarray] = field(default_factory=list)
    valid_flags: list[np.ndarray] = field(default_factory=list)  # each chunk's valid rows (pass 2 reads them again)
    timings: dict[str, float] = field(default_factory=dict)

    def clock(self, step: str, seconds: float) -> None:
        """Add time spent in a step."""
        self.timings[step] = self.timings.get(step, 0.0) + seconds

    def all_probabilities(self) -> np.ndarray:
        return _joined(self.probabilities, np.zeros(0))

    def all_exploration_draws(self) -> np.ndarray:
        return _joined(self.exploration_draws, np.zeros(0))

    def all_audience_flags(self) -> np.ndarray:
        return _joined(self.audience_flags, np.zeros(0, dtype=bool))

    def all_effects(self) -> np.ndarray | None:
        """Every scored row's predicted effect of a contact, or None without an uplift model."""
        return _joined(self.effects, None)


def _joined(parts: list[np.ndarray], empty: np.ndarray | None) -> np.ndarray | None:
    """The chunks' arrays as one (``empty`` without chunks), kept as the list's only item: joined once, not a new
    copy on every call while the chunks' arrays stay alive too (8 bytes a customer each, at 20M 160 MB). Read
    only: callers share it."""
    if len(parts) > 1:
        parts[:] = [np.concatenate(parts)]
    return parts[0] if parts else empty


@dataclass(frozen=True)
class FinalTables:
    """Pass-2 aggregates: segment x decile counts, the audience per segment, and how many of the audience the
    export takes (``audience_exported``). The exported members themselves (that audience, ``targeted``, and the
    exploration sample, ``explored``) went to pass 2's members sink."""

    segment_by_decile: pd.DataFrame
    audience_by_segment: pd.DataFrame
    audience_exported: int


@dataclass(frozen=True)
class FinalChunk:
    """Pass 2 of one chunk: its final scores and its share of the aggregates of :class:`FinalTables`."""

    scores: pd.DataFrame
    segment_by_decile: pd.DataFrame
    audience_by_segment: pd.DataFrame
    exported_members: pd.DataFrame

    def aggregates(self) -> FinalChunk:
        """The aggregates alone, once the scores and the members are written: not zero-row slices of them, which
        would keep every chunk's columns alive to the end of the run (about 1 KB per exported customer at 5M)."""
        return dataclasses.replace(self, scores=pd.DataFrame(), exported_members=pd.DataFrame())

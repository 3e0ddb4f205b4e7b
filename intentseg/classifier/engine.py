"""The seam for classifier types: what scoring, explaining and evaluation need from any trained model.

A model type (LightGBM today, :mod:`intentseg.classifier.lightgbm_model`) provides

* an engine (:class:`ScoringEngine`): uncalibrated scores, per-feature contributions, and a text
  serialisation (never pickle), rebuilt by the type's ``from_text``;
* a trainer (:data:`Trainer`): fits the engine on train, with the valid split for early stopping
  or model selection, from ``train_classifier`` settings.

Both are registered by name in :mod:`intentseg.classifier.registry`; ``train_classifier.model`` in
``params.yaml`` picks one. Calibration, the decision rule, scoring, reason codes and evaluation
only use this interface (docs/architecture.md: adding a model type).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from intentseg.classifier.features import FeatureSchema

if TYPE_CHECKING:
    from intentseg.config.classifier import TrainClassifierConfig


class ScoringEngine(Protocol):
    """A trained classifier of some type, frozen for scoring."""

    kind: str  # the name under which the type is registered (stored in the model metadata)
    schema: FeatureSchema
    exact_method: str  # contribution method used for global importance (e.g. TreeSHAP)
    fast_method: str  # contribution method fast enough for daily reasons on everyone

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        """Uncalibrated purchase scores in [0, 1]."""

    def contributions(self, frame: pd.DataFrame, method: str) -> np.ndarray:
        """Per-customer contributions (log-odds), one column per feature in ``schema.names`` order."""

    def check_compiled(self, frame: pd.DataFrame) -> float:
        """How far a compiled fast path's raw scores are from the model library's own on the rows of ``frame`` (a
        sample; 0.0 for a type without one); raises a project error beyond tolerance, so nothing is published."""

    def to_text(self) -> str:
        """The model file's text."""


@dataclass
class TrainedEngine:
    """What a trainer returns: the engine, a summary of its choices, and the valid score per round (if any)."""

    engine: ScoringEngine
    summary: dict[str, Any]
    valid_history: list[float] = field(default_factory=list)


class Trainer(Protocol):
    """Fits a model type. Without a valid set (None, None) it fits exactly ``num_boost_round`` rounds of
    its single imbalance candidate (a refit)."""

    def __call__(
        self,
        config: TrainClassifierConfig,
        features: pd.DataFrame,
        labels: np.ndarray,
        valid_features: pd.DataFrame | None,
        valid_labels: np.ndarray | None,
        *,
        seed: int,
    ) -> TrainedEngine: ...

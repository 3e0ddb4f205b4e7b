"""The purchase model scoring applies: an engine of any registered type, calibrated and thresholded.

:class:`PurchaseModel` bundles what scoring needs (engine, calibration map, decision rule) and
round-trips through two text files: the engine's model file (for LightGBM its text model) and a
JSON metadata file. No pickle: loading never executes code from a file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from intentseg.classifier.calibration import ProbabilityCalibrator
from intentseg.classifier.decision import DecisionRule
from intentseg.classifier.engine import ScoringEngine
from intentseg.classifier.features import FeatureSchema
from intentseg.foundation.errors import ModelFileError

METADATA_FORMAT = "intentseg.classifier/2"
RESERVED_KEYS = {"format", "model_type", "model_sha256", "features", "calibration", "decision"}


@dataclass
class PurchaseModel:
    """Everything scoring needs: the engine, calibration and the decision rule."""

    engine: ScoringEngine
    calibrator: ProbabilityCalibrator
    decision: DecisionRule
    info: dict[str, Any]

    @property
    def schema(self) -> FeatureSchema:
        """The features the model was trained on."""
        return self.engine.schema

    def raw_score(self, frame: pd.DataFrame) -> np.ndarray:
        """Uncalibrated model scores."""
        return self.engine.raw_score(frame)

    def purchase_probability(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of buying in the next 30 days."""
        return self.calibrator.transform(self.raw_score(frame))

    def contributions(self, frame: pd.DataFrame, method: str | None = None) -> np.ndarray:
        """Per-customer contributions (log-odds), one column per feature; the engine's exact method by default."""
        return self.engine.contributions(frame, method or self.engine.exact_method)

    @property
    def fingerprint(self) -> str:
        """Feature fingerprint: the column contract of this model."""
        return self.schema.fingerprint

    @property
    def version(self) -> str:
        """Short SHA-256 of the model file: tags every score it produces."""
        return hashlib.sha256(self.engine.to_text().encode()).hexdigest()[:12]

    def to_artifacts(self) -> tuple[str, dict[str, Any]]:
        """The engine's model file and its JSON metadata."""
        text = self.engine.to_text()
        metadata = {
            "format": METADATA_FORMAT,
            "model_type": self.engine.kind,
            "model_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "features": self.schema.to_dict(),
            "calibration": self.calibrator.to_dict(),
            "decision": self.decision.to_dict(),
            **self.info,
        }
        return text, metadata

    @classmethod
    def from_artifacts(cls, text: str, metadata: dict[str, Any]) -> PurchaseModel:
        """Rebuild from :meth:`to_artifacts`; refuses files edited by hand, mismatched or of an unknown type."""
        from intentseg.classifier.registry import ENGINES

        if metadata.get("format") != METADATA_FORMAT:
            raise ModelFileError(
                f"classifier metadata format must be {METADATA_FORMAT!r}, got {metadata.get('format')!r}"
            )
        if metadata.get("model_type") not in ENGINES:
            raise ModelFileError(
                f"unknown classifier type {metadata.get('model_type')!r} (known: {', '.join(ENGINES)})"
            )
        if hashlib.sha256(text.encode()).hexdigest() != metadata.get("model_sha256"):
            raise ModelFileError("the classifier text model does not match the checksum in its metadata")
        engine = ENGINES[metadata["model_type"]].from_text(text, FeatureSchema.from_dict(metadata["features"]))
        info = {key: value for key, value in metadata.items() if key not in RESERVED_KEYS}
        decision = DecisionRule(**metadata["decision"])
        return cls(engine, ProbabilityCalibrator.from_dict(metadata["calibration"]), decision, info)

"""Reading the fitted models the evaluate and score stages share (only stages touch disk)."""

from __future__ import annotations

from pathlib import Path

from intentseg.classifier.model import PurchaseModel
from intentseg.config.paths import PathsConfig
from intentseg.io import read_json, read_text
from intentseg.segments.model import SegmentModel


def purchase_model(paths: PathsConfig) -> PurchaseModel:
    """The fitted classifier: LightGBM's text model and its JSON metadata."""
    return PurchaseModel.from_artifacts(read_text(paths.models.classifier), read_json(paths.models.classifier_metadata))


def segment_model(paths: PathsConfig) -> SegmentModel:
    """The fitted segmentation."""
    return SegmentModel.from_dict(read_json(paths.models.segmenter))


def reference_segments(paths: PathsConfig) -> SegmentModel | None:
    """The accepted segmentation new fits align to, when there is one (reference/)."""
    path = Path(paths.reference.segmenter)
    return SegmentModel.from_dict(read_json(path)) if path.exists() else None

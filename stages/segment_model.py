"""Reading the fitted segmentation and the accepted reference (only stages touch disk)."""

from __future__ import annotations

from pathlib import Path

from intentseg.config.paths import PathsConfig
from intentseg.foundation.io import read_json
from intentseg.segments.model import SegmentModel


def segment_model(paths: PathsConfig) -> SegmentModel:
    """The fitted segmentation."""
    return SegmentModel.from_dict(read_json(paths.models.segmenter))


def reference_segments(paths: PathsConfig) -> SegmentModel | None:
    """The accepted segmentation new fits align to, when there is one (reference/)."""
    path = Path(paths.reference.segmenter)
    return SegmentModel.from_dict(read_json(path)) if path.exists() else None

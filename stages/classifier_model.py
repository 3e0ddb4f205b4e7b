"""Reading the fitted classifiers (new, baseline, champion) the evaluate and score stages use (only stages touch disk)."""

from __future__ import annotations

from pathlib import Path

from intentseg.classifier.baseline import LogisticBaseline
from intentseg.classifier.model import PurchaseModel
from intentseg.config.paths import PathsConfig
from intentseg.foundation.errors import ModelFileError
from intentseg.foundation.io import read_json, read_text


def purchase_model(paths: PathsConfig) -> PurchaseModel:
    """The fitted classifier: LightGBM's text model and its JSON metadata."""
    return PurchaseModel.from_artifacts(read_text(paths.models.classifier), read_json(paths.models.classifier_metadata))


def baseline_model(paths: PathsConfig) -> LogisticBaseline:
    """The logistic baseline the evaluate stage compares with."""
    return LogisticBaseline.from_dict(read_json(paths.models.baseline))


def champion_model(paths: PathsConfig) -> PurchaseModel | None:
    """The classifier in production (``make promote`` put it in reference/), or None before the first promotion."""
    text, metadata = Path(paths.reference.classifier), Path(paths.reference.classifier_metadata)
    if not text.exists() and not metadata.exists():
        return None
    if not (text.exists() and metadata.exists()):
        present, absent = (text, metadata) if text.exists() else (metadata, text)
        raise ModelFileError(f"the champion is incomplete: {present} exists but {absent} does not (run `make promote`)")
    return PurchaseModel.from_artifacts(read_text(text), read_json(metadata))

"""Reading the fitted classifier the evaluate and score stages share (only stages touch disk)."""

from __future__ import annotations

from intentseg.classifier.model import PurchaseModel
from intentseg.config.paths import PathsConfig
from intentseg.foundation.io import read_json, read_text


def purchase_model(paths: PathsConfig) -> PurchaseModel:
    """The fitted classifier: LightGBM's text model and its JSON metadata."""
    return PurchaseModel.from_artifacts(read_text(paths.models.classifier), read_json(paths.models.classifier_metadata))

"""Classifier types by name (``train_classifier.model`` in params.yaml): their engine and trainer."""

from __future__ import annotations

from intentseg.classifier.engine import Trainer
from intentseg.classifier.lightgbm_model import LightGBMEngine, fit_lightgbm

ENGINES = {"lightgbm": LightGBMEngine}
TRAINERS: dict[str, Trainer] = {"lightgbm": fit_lightgbm}

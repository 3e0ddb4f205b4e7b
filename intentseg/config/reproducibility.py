"""``reproducibility:``: how closely ``make check`` requires a rerun to match the committed results."""

from __future__ import annotations

from typing import ClassVar

from intentseg.config.base import Number, Section, bounded


class ReproducibilityConfig(Section):
    """``reproducibility:``: relative and absolute tolerances for metrics and for model predictions."""

    name: ClassVar[str] = "reproducibility"

    metrics_relative: Number = bounded(0.0)
    metrics_absolute: Number = bounded(0.0)
    predictions_relative: Number = bounded(0.0)
    predictions_absolute: Number = bounded(0.0)

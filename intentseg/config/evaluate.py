"""``evaluate:``: held-out measurement settings (the evaluate stage)."""

from __future__ import annotations

from typing import ClassVar

from intentseg.config.base import Number, Section, Settings, Whole, bounded


class BootstrapConfig(Settings):
    resamples: Whole = bounded(2)
    confidence: Number = bounded(0.0, 1.0, low_open=True, high_open=True)


class SegmentEvaluationConfig(Settings):
    silhouette_samples: Whole = bounded(1)
    silhouette_sample_size: Whole = bounded(2)
    sweep_k: tuple[Whole, ...]
    sweep_sample_size: Whole = bounded(2)
    sweep_n_init: Whole = bounded(1)
    stability_resamples: Whole = bounded(2)
    notable_move_share: Number = bounded(0.0, 1.0, low_open=True)

    def problems(self) -> list[str]:
        small = [k for k in self.sweep_k if k < 2]
        return [f"sweep_k: every k must be at least 2, got {small}"] if small or not self.sweep_k else []


class EvaluateConfig(Section):
    """``evaluate:``: held-out measurement settings."""

    name: ClassVar[str] = "evaluate"

    importance_sample: Whole = bounded(1)
    reason_agreement_sample: Whole = bounded(1)
    calibration_bins: Whole = bounded(2)
    plot_top_terms: Whole = bounded(1)
    bootstrap: BootstrapConfig
    check_sample: Whole = bounded(1)
    segments: SegmentEvaluationConfig

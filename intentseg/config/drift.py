"""``score.drift:``: how the score stage measures drift of the population against the train split."""

from __future__ import annotations

from intentseg.config.base import Number, Settings, Whole, bounded


class DriftConfig(Settings):
    bins: Whole = bounded(2)
    warn_psi: Number = bounded(0.0, low_open=True)
    flag_psi: Number = bounded(0.0, low_open=True)

    def problems(self) -> list[str]:
        if self.warn_psi < self.flag_psi:
            return []
        return [f"warn_psi ({self.warn_psi}) must be below flag_psi ({self.flag_psi})"]

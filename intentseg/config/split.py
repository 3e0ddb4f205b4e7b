"""``split:``: the train/valid/test fractions, and how many snapshots train an out-of-time split."""

from __future__ import annotations

from typing import ClassVar

from intentseg.config.base import Number, Section, Settings, Whole, bounded


class SplitFractions(Settings):
    train: Number = bounded(0.0, 1.0, low_open=True, high_open=True)
    valid: Number = bounded(0.0, 1.0, low_open=True, high_open=True)
    test: Number = bounded(0.0, 1.0, low_open=True, high_open=True)

    def problems(self) -> list[str]:
        total = self.train + self.valid + self.test
        return [] if abs(total - 1.0) < 1e-9 else [f"train + valid + test must be 1, got {total:g}"]

    def as_dict(self) -> dict[str, float]:
        return {"train": self.train, "valid": self.valid, "test": self.test}


class SplitConfig(Section):
    """``split:``: stratified train/valid/test fractions."""

    name: ClassVar[str] = "split"

    fractions: SplitFractions
    train_snapshots: Whole | None = bounded(1)

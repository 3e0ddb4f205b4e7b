"""``uplift:``: learning what a contact changes from last month's randomised campaign (issue 23)."""

from __future__ import annotations

from typing import ClassVar, Literal

from intentseg.config.base import Number, Section, Settings, Text, Whole, bounded, suggest

LEARNER_KINDS = ("two_model", "x_learner", "class_transformation")


class UpliftLightGBMConfig(Settings):
    num_boost_round: Whole = bounded(1)
    learning_rate: Number = bounded(0.0, 1.0, low_open=True)
    num_leaves: Whole = bounded(2)
    min_data_in_leaf: Whole = bounded(1)
    num_threads: Whole = bounded(1)


class UpliftConfig(Section):
    """``uplift:``: the campaign history's source, the learners compared, how they are measured.

    ``history``: ``auto`` (simulated from the champion's export, simulator source), ``none``, or a
    campaign tool's file (CSV or Parquet under data/raw/: id, month, contacted, randomised, converted).
    """

    name: ClassVar[str] = "uplift"

    history: Text
    learners: tuple[Literal["two_model", "x_learner", "class_transformation"], ...]
    test_share: Number = bounded(0.0, 1.0, low_open=True, high_open=True)
    valid_share: Number = bounded(0.0, 1.0, low_open=True, high_open=True)
    lightgbm: UpliftLightGBMConfig
    fractions: tuple[Number, ...]
    resamples: Whole = bounded(2)
    confidence: Number = bounded(0.0, 1.0, low_open=True, high_open=True)

    @property
    def history_file(self) -> str | None:
        """The history file named by ``history``, or None for ``auto`` and ``none``."""
        return None if self.history in ("auto", "none") else self.history

    def problems(self) -> list[str]:
        found = []
        if self.history_file is not None and "." not in self.history.rsplit("/", 1)[-1]:
            found.append(
                f"history: 'auto', 'none' or a campaign tool's history file (.csv or .parquet under data/raw/), "
                f"got {self.history!r}{suggest(self.history, ('auto', 'none'))}"
            )
        if not self.learners or len(set(self.learners)) != len(self.learners):
            found.append(f"learners: one or more of {list(LEARNER_KINDS)}, each once; got {list(self.learners)}")
        if any(not 0 < fraction <= 1 for fraction in self.fractions) or not self.fractions:
            found.append(f"fractions: shares of customers in (0, 1], got {list(self.fractions)}")
        return found

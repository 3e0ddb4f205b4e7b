"""``uplift:``: learning what a contact changes from last month's randomised campaign (issue 23)."""

from __future__ import annotations

from typing import ClassVar, Literal

from intentseg.config.base import Number, Section, Settings, Text, Whole, bounded, suggest
from intentseg.config.data import SQL_SOURCE, DataConfig

LEARNER_KINDS = ("two_model", "x_learner", "class_transformation")
HISTORY_KEYWORDS = ("auto", "none", "sql")  # the values of ``history`` that name no file


class UpliftLightGBMConfig(Settings):
    num_boost_round: Whole = bounded(1)
    learning_rate: Number = bounded(0.0, 1.0, low_open=True)
    num_leaves: Whole = bounded(2)
    min_data_in_leaf: Whole = bounded(1)
    num_threads: Whole = bounded(1)


class UpliftConfig(Section):
    """``uplift:``: the campaign history's source, the learners compared, how they are measured.

    ``history``: ``auto`` (simulated from the champion's export, simulator sources), ``none``, a
    campaign tool's file (CSV or Parquet under data/raw/: id, month, contacted, randomised, converted),
    or ``sql``: the same columns from ``data.sql.history_query``, snapshotted by prepare.
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
        return None if self.history in HISTORY_KEYWORDS else self.history

    @property
    def history_from_sql(self) -> bool:
        """Whether the history is the snapshot of ``data.sql.history_query``."""
        return self.history == "sql"

    def problems(self) -> list[str]:
        found = []
        if self.history_file is not None and "." not in self.history.rsplit("/", 1)[-1]:
            found.append(
                f"history: 'auto', 'none', 'sql' or a campaign tool's history file (.csv or .parquet under "
                f"data/raw/), got {self.history!r}{suggest(self.history, HISTORY_KEYWORDS)}"
            )
        if not self.learners or len(set(self.learners)) != len(self.learners):
            found.append(f"learners: one or more of {list(LEARNER_KINDS)}, each once; got {list(self.learners)}")
        if any(not 0 < fraction <= 1 for fraction in self.fractions) or not self.fractions:
            found.append(f"fractions: shares of customers in (0, 1], got {list(self.fractions)}")
        return found


def history_source_problems(uplift: UpliftConfig, data: DataConfig) -> list[str]:
    """``uplift.history: sql`` reads ``data.sql.history_query``'s snapshot: source sql, with that query set."""
    if not uplift.history_from_sql:
        return []
    if data.source != SQL_SOURCE:
        return [
            f"uplift.history is 'sql', which reads data.sql.history_query: it needs data.source sql, got {data.source!r}"
        ]
    if not (data.sql.history_query or "").strip():
        return ["uplift.history is 'sql': set data.sql.history_query, the SELECT of the campaign tool's history"]
    return []

"""The snapshot column of a labelled table of several snapshots: each row's snapshot date, read strictly.

A snapshot is a date (any format :func:`~intentseg.data.columns.detect_date_format` reads, or
``data.date_format``) or a month ``YYYY-MM``, which stands for its first day. The prepared table
holds it as ``YYYY-MM-DD`` text; the split stage reads it and drops it, so it is never a feature.
"""

from __future__ import annotations

import pandas as pd

from intentseg.config.data import MONTH
from intentseg.data.columns import date_values, detect_date_format, text_values
from intentseg.foundation.errors import DataContractError


def snapshot_dates(values: pd.Series, date_format: str | None) -> pd.Series:
    """Each row's snapshot as a day (months as their first day); refuses missing or unreadable values."""
    text = text_values(values).reset_index(drop=True)
    if text.dropna().str.fullmatch(MONTH).all() and text.notna().any():
        dates = pd.to_datetime(text, format="%Y-%m", errors="coerce")
    else:
        dates = date_values(values.reset_index(drop=True), detect_date_format(values, date_format).format)
    bad = dates.isna()
    if bad.any():
        examples = ", ".join(f"row {row}: {text[row]!r}" for row in bad[bad].index[:5])
        raise DataContractError(
            f"data.snapshot_column {values.name!r}: rule 'a date or YYYY-MM' broken by {int(bad.sum())} row(s); "
            f"e.g. {examples}. Every labelled row needs its snapshot"
        )
    return dates.dt.normalize()


def snapshot_text(dates: pd.Series) -> pd.Series:
    """Snapshot days as ``YYYY-MM-DD`` text, the prepared table's form."""
    return dates.dt.strftime("%Y-%m-%d").astype(object)

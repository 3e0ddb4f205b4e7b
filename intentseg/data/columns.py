"""Column conversions for customer tables as they come: ids, labels, numbers with stray tokens,
integer-coded levels, dates, and names a model library accepts.

Each function takes a raw column (text from a CSV, or any Parquet dtype flavour) and returns it
in one canonical form, so that training and scoring see the same values whatever the file.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from intentseg.foundation.errors import DataContractError

MAX_MISSING_TOKENS = 5  # a numeric column may have at most this many distinct non-number texts ...
MIN_NUMBER_SHARE = 0.5  # ... and at least this share of its present values must be numbers
SURELY_NUMERIC_SHARE = 0.95  # a column this much numbers is numeric whatever else it holds (the rest is reported)
ABSURD_MAGNITUDE = 1e15  # no count, amount or duration in a customer table is this large
LABEL_PAIRS = (("1", "0"), ("yes", "no"), ("y", "n"), ("true", "false"), ("t", "f"), ("1", "-1"))
DATE_SHAPE = re.compile(
    r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2}|UTC)?", re.IGNORECASE
)
# Tried in order; the first that reads the most values wins (ISO first, then day-first, then month-first).
DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d",
    "ISO8601",
    "%d-%m-%Y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y",
    "%m/%d/%Y",
    "%m-%d-%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%y",
)
DATE_SAMPLE = 1000
MODEL_SAFE_NAME = re.compile(r"[A-Za-z0-9_]+")


def text_values(values: pd.Series) -> pd.Series:
    """Any column as stripped text (object dtype, NaN for missing): ``4.0`` -> ``"4"``, ``True`` -> ``"true"``."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype("object")
    if pd.api.types.is_bool_dtype(values):
        out = values.astype("object").map({True: "true", False: "false"})
    elif pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.strftime("%Y-%m-%d %H:%M:%S").astype("object")
    elif pd.api.types.is_integer_dtype(values):
        out = values.astype("object").map(lambda value: str(int(value)), na_action="ignore")
    elif pd.api.types.is_float_dtype(values):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        integral = np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) < 2**53)
        text = np.where(integral, np.where(integral, numbers, 0).astype(np.int64).astype(str), numbers.astype(str))
        out = pd.Series(text, index=values.index, dtype="object").where(~np.isnan(numbers))
    else:
        out = values.astype("object").map(lambda value: str(value).strip(), na_action="ignore")
    return out.where(out.notna() & (out != ""), np.nan).astype("object")


CURRENCY = re.compile(r"^[\$€£¥]\s*|\s*[\$€£¥]$|^(USD|EUR|GBP)\s+|\s+(USD|EUR|GBP)$")
GROUPED = {".": re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$"), ",": re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$")}


def parse_numbers(text: pd.Series, decimal: str = ".") -> pd.Series:
    """Text to float64 (NaN where it is not a number), as spreadsheets write numbers.

    ``decimal=','`` reads ``1,5`` as 1.5; thousands separators (``1,234.5``, or ``1.234,5`` with a
    decimal comma), a currency sign (``$1,200``, ``12 €``) and percentages (``12%`` is 0.12) are read.
    """
    text = text.astype("object").where(text.notna(), None).astype("string").str.strip()
    text = text.str.replace(CURRENCY, "", regex=True)
    percent = text.str.endswith("%").fillna(False)
    text = text.where(~percent, text.str.rstrip("%").str.strip())
    grouped = text.str.fullmatch(GROUPED[decimal]).fillna(False)
    separator = "," if decimal == "." else "."
    text = text.where(~grouped, text.str.replace(separator, "", regex=False))
    if decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text.astype("object").where(text.notna(), None), errors="coerce").astype("float64")
    return numbers.where(~percent, numbers / 100).astype("float64")


def non_number_tokens(values: pd.Series, decimal: str = ".") -> Counter[str]:
    """The present values of a column that are not numbers, with their counts."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return Counter()
    return _tokens_of(text_values(values), decimal)


def _tokens_of(text: pd.Series, decimal: str) -> Counter[str]:
    """The present values of a column already as text that are not numbers, with their counts."""
    numbers = parse_numbers(text, decimal)
    return Counter(text[text.notna() & numbers.isna()].tolist())


def looks_numeric(values: pd.Series, decimal: str = ".") -> bool:
    """Numbers; text that is nearly all numbers; or mostly numbers with a few distinct stray tokens (``unknown``)."""
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return True  # numbers; or true/false, which read as 1/0
    text = text_values(values)
    present = int(text.notna().sum())
    if present == 0:
        return False
    tokens = _tokens_of(text, decimal)
    numbers = present - sum(tokens.values())
    if numbers >= SURELY_NUMERIC_SHARE * present:
        return True
    return numbers >= MIN_NUMBER_SHARE * present and len(tokens) <= MAX_MISSING_TOKENS


def number_values(values: pd.Series, decimal: str, missing_tokens: tuple[str, ...]) -> pd.Series:
    """A numeric column as float64 with ``missing_tokens`` as NaN; other non-numbers stay as text.

    A column with any other non-number is returned as text (object dtype): in a labelled table
    the data contract reports them; in a scoring population their rows are rejected.
    """
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values):
        return pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=values.index)
    text = text_values(values)
    text = text.where(~text.isin(missing_tokens), np.nan)
    numbers = parse_numbers(text, decimal)
    if (text.notna() & numbers.isna()).any():
        return text
    return numbers


def true_false_numbers(values: pd.Series) -> pd.Series:
    """1.0 for true/TRUE/yes-like true, 0.0 for false, NaN for missing; other values kept as text."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    text = text_values(values)
    mapped = text.str.lower().map({"true": 1.0, "false": 0.0})
    if (text.notna() & mapped.isna()).any():
        return text.where(mapped.isna(), mapped)
    return mapped.astype("float64")


def is_true_false(values: pd.Series) -> bool:
    """A boolean column, or text holding only true/false in any case."""
    if pd.api.types.is_bool_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        return False
    present = text_values(values).dropna().str.lower()
    return len(present) > 0 and present.isin(["true", "false"]).all()


def distinct_texts(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each value's code into the distinct texts of the column (``str`` of each present value; ``3`` and
    ``3.0`` apart), in order of first appearance, -1 for a missing value: for work done once per distinct
    value, not per row. A categorical column converts its categories, not its rows (the same result)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return _distinct_category_texts(values)
    text = values.astype("object")
    return pd.factorize(np.where(text.notna().to_numpy(), text.astype(str).to_numpy(), None))


def _distinct_category_texts(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """:func:`distinct_texts` of a categorical column: the present categories by first appearance, their texts
    factorized (categories of the same text, as 3 and "3", become one), then looked up by each row's code."""
    codes = values.cat.codes.to_numpy()
    _, appearing = pd.factorize(codes)  # the codes in order of first appearance (-1, missing, among them)
    order = appearing[appearing >= 0]
    category_texts = pd.Series(values.cat.categories[order], dtype="object").astype(str).to_numpy()
    text_codes, texts = pd.factorize(category_texts)
    lookup = np.full(len(values.cat.categories), -1, dtype=np.int64)
    lookup[order] = text_codes
    return np.where(codes >= 0, lookup[codes], -1), texts


def canonical_levels(values: pd.Series) -> pd.Series:
    """Category levels as canonical text: ``2``, ``2.0`` and ``"2"`` are all ``"2"``; blanks are missing."""
    text = text_values(values)
    unique = text.dropna().unique()
    numbers = pd.to_numeric(pd.Series(unique, dtype="object"), errors="coerce").to_numpy(dtype=float)
    canonical = {}
    for level, number in zip(unique, numbers):
        if np.isfinite(number) and number == round(number) and abs(number) < 2**53:
            canonical[level] = str(int(number))
        elif np.isfinite(number):
            canonical[level] = repr(float(number))
        else:
            canonical[level] = level
    return text.map(canonical, na_action="ignore").astype("object")


# ---------------------------------------------------------------- dates


def is_date_column(values: pd.Series) -> bool:
    """A datetime column, or text shaped like dates (``2024-03-01``, ``01-03-2024``, ``1/3/2024 10:00``)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    sample = text_values(values).dropna().head(DATE_SAMPLE)
    return len(sample) > 0 and sample.map(lambda text: bool(DATE_SHAPE.fullmatch(text))).mean() >= 0.9


@dataclass(frozen=True)
class DateFormat:
    """The format a date column was read with, and whether another format read it equally well."""

    format: str
    ambiguous_with: str | None = None


def detect_date_format(values: pd.Series, configured: str | None) -> DateFormat:
    """The format reading the most of a sample of the column (``configured`` when set)."""
    if configured:
        return DateFormat(configured)
    sample = text_values(values).dropna().head(DATE_SAMPLE)
    shares = {fmt: _parse_dates(sample, fmt).notna().mean() for fmt in DATE_FORMATS}
    best = max(shares.values())
    if best < 0.9:
        raise DataContractError(
            f"column {values.name!r}: looks like dates but no common format reads it (e.g. "
            f"{sample.head(3).tolist()}); set data.date_format (e.g. '%d/%m/%Y') or list the column under data.exclude"
        )
    winners = [fmt for fmt, share in shares.items() if share == best]
    day_first = [fmt for fmt in winners if fmt.startswith("%d")]
    month_first = [fmt for fmt in winners if fmt.startswith("%m")]
    if day_first and month_first:
        return DateFormat(day_first[0], ambiguous_with=month_first[0])
    return DateFormat(winners[0])


def _parse_dates(text: pd.Series, fmt: str) -> pd.Series:
    parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    return parsed.dt.tz_localize(None)


def date_values(values: pd.Series, fmt: str) -> pd.Series:
    """Dates as tz-naive UTC datetimes (NaT where the format does not read the value)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is not None:
            return values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values
    return _parse_dates(text_values(values), fmt)


def days_since(dates: pd.Series, snapshot: pd.Timestamp) -> pd.Series:
    """Days from each date to the snapshot date (fractional for times of day; negative after it)."""
    return ((snapshot - dates) / pd.Timedelta(days=1)).astype("float64")


# ---------------------------------------------------------------- names


def model_safe_name(name: str) -> str:
    """``name`` with every character LightGBM (or a file format) may refuse replaced by ``_``."""
    if MODEL_SAFE_NAME.fullmatch(name):
        return name
    safe = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")
    return safe or "column"


# ---------------------------------------------------------------- labels


@dataclass(frozen=True)
class LabelMapping:
    """Which label value means 1, which means 0, and whether it was configured or recognised."""

    positive: str
    negative: str
    origin: str  # "configured" | "recognised"

    def describe(self) -> str:
        return f"{self.positive!r} -> 1, {self.negative!r} -> 0 ({self.origin})"


def _counts_text(counts: pd.Series) -> str:
    return ", ".join(f"{value!r} ({count})" for value, count in counts.items())


def label_mapping(values: pd.Series, positive_label: str | None) -> LabelMapping:
    """The mapping of a label column's two values to 1/0; a clear error for anything else."""
    name = values.name
    text = canonical_levels(values).str.lower()
    counts = text.value_counts(dropna=False)
    counts.index = ["<missing>" if pd.isna(value) else value for value in counts.index]
    if text.isna().any():
        raise DataContractError(
            f"column {name!r}: rule 'label_present' broken: {int(text.isna().sum())} row(s) have no label; "
            f"values: {_counts_text(counts)}. Remove the unlabelled rows (score them as the population instead)"
        )
    present = [str(value) for value in counts.index]
    if positive_label is not None:
        positive = canonical_levels(pd.Series([positive_label])).str.lower().iloc[0]
        others = [value for value in present if value != positive]
        if positive not in present or len(others) != 1:
            raise DataContractError(
                f"column {name!r}: rule 'two_classes' broken: data.positive_label is {positive_label!r}, so the "
                f"column must hold it and one other value; values: {_counts_text(counts)}"
            )
        return LabelMapping(positive, others[0], "configured")
    if len(present) == 1:
        raise DataContractError(f"column {name!r}: rule 'two_classes' broken: every label is {present[0]!r}")
    for positive, negative in LABEL_PAIRS:
        if set(present) == {positive, negative}:
            return LabelMapping(positive, negative, "recognised")
    raise DataContractError(
        f"column {name!r}: rule 'binary_label' broken: values {_counts_text(counts)} are not a recognised pair "
        f"(1/0, yes/no, y/n, true/false, 1/-1); set data.positive_label to the value that means a purchase"
        + ("" if len(present) == 2 else " (and keep exactly two values)")
    )


def label_numbers(values: pd.Series, mapping: LabelMapping) -> pd.Series:
    """The label column as int8 0/1 under ``mapping``."""
    text = canonical_levels(values).str.lower()
    return (text == mapping.positive).astype("int8")

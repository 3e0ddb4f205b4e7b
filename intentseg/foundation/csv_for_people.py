"""The one CSV format for people: spreadsheet-safe text, pandas' bytes (docs/scoring.md: CSV files and spreadsheets).

:func:`write_csv_rows` writes a frame as UTF-8 with CRLF line ends, floats to 6 decimals, no index, every text
cell and column name a spreadsheet would run as a formula protected (:func:`spreadsheet_safe`); the atomic
writers of :mod:`intentseg.foundation.io` call it on a temporary file.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pa_compute

# CSV for people (docs/scoring.md: CSV files and spreadsheets): a text cell a spreadsheet would run as a
# formula gets a leading apostrophe; numbers, and text that is a plain number, stay as they are.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_QUOTED = '[,"\r\n]'  # a cell holding one of these is quoted by the csv module (QUOTE_MINIMAL)
BATCH_ROWS = 100_000  # rows formatted and written at a time


def spreadsheet_text(values: pd.Series) -> tuple[pd.Series, int]:
    """Text values with a leading apostrophe where a spreadsheet would read a formula; how many were changed.

    A categorical column is checked by its categories first (a handful, not every row); the plain-number test
    (a regular expression) runs only on the cells that start like a formula."""
    if isinstance(values.dtype, pd.CategoricalDtype) and not _formula_starts(values.cat.categories.to_series()).any():
        return values, 0
    text = values.astype("string")
    risky = _formula_starts(text).to_numpy().copy()
    if risky.any():
        risky[risky] = ~text[risky].str.fullmatch(PLAIN_NUMBER.pattern).fillna(False).to_numpy(dtype=bool)
    if not risky.any():
        return values, 0
    protected = values.astype("object").copy()
    protected[risky] = ("'" + text[risky].astype(str)).to_numpy()
    return protected, int(risky.sum())


def _formula_starts(values: pd.Series) -> pd.Series:
    """Which values' text starts with a character a spreadsheet reads as the start of a formula (missing: no)."""
    return values.astype("string").str[:1].isin(FORMULA_STARTS).fillna(False).astype(bool)


def spreadsheet_safe(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """``frame`` with every text cell and column name that would start a formula protected (see above).

    Returns the frame to write and, per column (``<header>`` for the column names), how many cells changed.
    """
    changed: dict[str, int] = {}
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            values, count = spreadsheet_text(values)
            if count:
                changed[str(name)] = count
        columns[name] = values
    safe = pd.DataFrame(columns, index=frame.index)
    header, count = spreadsheet_text(pd.Series([str(name) for name in frame.columns], dtype="object"))
    if count:
        changed["<header>"] = count
        safe.columns = list(header)
    return safe, changed


def write_csv_rows(frame: pd.DataFrame, path: Path) -> dict[str, int]:
    """The one CSV format for people: UTF-8, RFC 4180 line ends (CRLF), floats to 6 decimals, no index,
    :func:`spreadsheet_safe`. Returns the protected cells per column.

    Rows are formatted and written :data:`BATCH_ROWS` at a time, so the text is never held whole."""
    if frame.shape[1] < 2 or isinstance(frame.columns, pd.MultiIndex):  # a lone empty cell is quoted; header rows
        safe, changed = spreadsheet_safe(frame)
        _with_six_decimals(safe).to_csv(path, index=False, encoding="utf-8", lineterminator="\r\n")
        return changed
    with CsvRowWriter(path, list(frame.columns)) as writer:
        for start in range(0, len(frame), BATCH_ROWS):
            writer.write(frame.iloc[start : start + BATCH_ROWS])
    return writer.protected


class CsvRowWriter:
    """:func:`write_csv_rows` for rows that come in batches (two columns or more, one header row): the header
    when opened, each batch as it comes; ``protected`` counts the protected cells per column so far."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self.path, self.columns = path, columns
        self.cells: dict[str, int] = {}
        self.header_cells = 0

    @property
    def protected(self) -> dict[str, int]:
        """The protected cells per column, in column order, then ``<header>`` (as :func:`spreadsheet_safe` counts)."""
        cells = {str(name): self.cells[str(name)] for name in self.columns if str(name) in self.cells}
        return {**cells, "<header>": self.header_cells} if self.header_cells else cells

    def __enter__(self) -> CsvRowWriter:
        header, self.header_cells = spreadsheet_text(pd.Series([str(name) for name in self.columns], dtype="object"))
        line = io.StringIO()
        csv.writer(line, lineterminator="\r\n").writerow(list(header))  # pandas' header
        self.handle = open(self.path, "wb")  # noqa: SIM115 (closed by __exit__)
        self.handle.write(line.getvalue().encode("utf-8"))
        return self

    def write(self, frame: pd.DataFrame) -> pa.Array | None:
        """Append ``frame``'s rows (the columns given when opened, in that order); returns each row's line as
        written (None when pandas wrote them), for :meth:`write_lines` of another file of the same columns."""
        safe, changed = spreadsheet_safe(frame)
        for column, count in changed.items():
            if column != "<header>":
                self.cells[column] = self.cells.get(column, 0) + count
        batch = _with_six_decimals(safe)
        lines = _csv_lines(batch)
        if lines is None:  # a column Arrow does not write as pandas does: pandas writes these rows
            batch.to_csv(self.handle, header=False, index=False, encoding="utf-8", lineterminator="\r\n")
        else:
            self.write_lines(lines)
        return lines

    def write_lines(self, lines: pa.Array) -> None:
        """Append rows already formatted by :meth:`write` (a file of the same columns: the same lines)."""
        self.handle.write(_line_bytes(lines))

    def __exit__(self, *exc: object) -> None:
        self.handle.close()


def _with_six_decimals(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its float columns as :func:`six_decimals` text (a copy: ``frame`` is untouched)."""
    frame = frame.copy(deep=False)
    for position in range(frame.shape[1]):  # isetitem puts a new array in place
        if pd.api.types.is_float_dtype(frame.iloc[:, position]):
            frame.isetitem(position, six_decimals(frame.iloc[:, position]))
    return frame


def _csv_lines(frame: pd.DataFrame) -> pa.Array | None:
    """Each row of ``frame`` as pandas' ``to_csv`` writes it (the csv module's minimal quoting: a cell holding a
    comma, a quote or a line break is quoted, its quotes doubled; CRLF line ends), built column by column with
    Arrow's string kernels, several times faster. None when a column is neither integer nor text: then pandas
    writes it."""
    cells = []
    for position in range(frame.shape[1]):
        text = _csv_cells(frame.iloc[:, position])
        if text is None:
            return None
        cells.append(pa_compute.fill_null(text, _text("")))
    rows = pa_compute.binary_join_element_wise(*cells, _text(","))
    return pa_compute.binary_join_element_wise(rows, _text(""), _text("\r\n"))


def _line_bytes(lines: pa.Array) -> pa.Buffer:
    """The lines' bytes, one after another (their data buffer, without a copy)."""
    if len(lines) == 0:
        return pa.py_buffer(b"")
    offsets = np.frombuffer(lines.buffers()[1], np.int64, len(lines) + 1, lines.offset * 8)
    return lines.buffers()[2][offsets[0] : offsets[-1]]


def _csv_cells(values: pd.Series) -> pa.Array | None:
    """A column's cells as pandas writes them (missing: null), quoted where needed; None for other columns."""
    if pd.api.types.is_integer_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return pa_compute.cast(pa.array(values, from_pandas=True), pa.large_string())
    if isinstance(values.dtype, pd.CategoricalDtype):
        if pd.api.types.infer_dtype(values.cat.categories, skipna=True) != "string":
            return None  # categories of numbers or dates: pandas' own text
        text = pa.array(values.astype("object"), type=pa.large_string(), from_pandas=True)
    elif isinstance(values.dtype, pd.StringDtype) or (
        pd.api.types.is_object_dtype(values) and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")
    ):
        try:  # Arrow text is taken as it is (no conversion row by row)
            text = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # text UTF-8 cannot encode: pandas' own error
            return None
        text = pa_compute.cast(text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text, pa.large_string())
    else:
        return None  # booleans, dates, objects that are not text: pandas' own text
    quoted = pa_compute.match_substring_regex(text, _QUOTED)
    if not pa_compute.any(quoted).as_py():
        return text
    quote = _text('"')
    doubled = pa_compute.replace_substring(text, '"', '""')
    return pa_compute.if_else(quoted, pa_compute.binary_join_element_wise(quote, doubled, quote, _text("")), text)


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def six_decimals(values: pd.Series) -> np.ndarray:
    """A float column as ``to_csv(float_format="%.6f")`` writes it, missing values empty (the same text, tested),
    formatted in one list comprehension: several times faster than pandas' formatter, value by value."""
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    text = np.array([f"{number:.6f}" for number in numbers.tolist()], dtype=object)
    text[np.isnan(numbers)] = ""
    return text

"""Reading and writing pipeline artefacts, always atomically.

Every writer goes through :func:`atomic_path`: the content is written to a temporary
file beside the target and renamed over it only once complete, so a run killed halfway
leaves the previous file or none, never a partial file that looks complete.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import json
import logging
import math
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from intentseg.foundation.csv_for_people import write_csv_rows

log = logging.getLogger(__name__)

ROW_GROUP_ROWS = 100_000  # Parquet row groups: the units a Dask partition is made of (score.dask.partition_rows)
_UMASK = os.umask(0)
os.umask(_UMASK)


def temporary_beside(target: Path) -> Path:
    """A new temporary file beside ``target``, after removing those a killed run left behind."""
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{glob.escape(target.name)}.*.tmp"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    os.chmod(temporary, 0o666 & ~_UMASK)  # mkstemp makes it private; outputs get the usual permissions
    return Path(temporary)


def temporary_folder_beside(target: Path) -> Path:
    """A new, empty temporary folder beside ``target``, named as :func:`temporary_beside` names files (so the next
    run removes one a killed run left behind)."""
    temporary = temporary_beside(target)
    temporary.unlink()
    temporary.mkdir()
    return temporary


RENAMED_INTO_PLACE: list[Path] = []
"""Outputs this process has renamed into place (hidden interim files excepted): what an interrupt leaves."""


def _rename(temporary: Path, target: Path) -> None:
    if not target.name.startswith("."):
        RENAMED_INTO_PLACE.append(target)
    if target.is_dir():  # a folder output (or a file replacing one): the old one goes, then the new one moves in
        shutil.rmtree(target)
    elif temporary.is_dir() and target.exists():  # a folder replacing a file (e.g. another scoring engine)
        target.unlink()
    os.replace(temporary, target)


def write_csv_folder(
    frames: dict[str, pd.DataFrame], folder: str | os.PathLike[str], group: OutputGroup
) -> dict[str, int]:
    """Write ``{file name: frame}`` as CSV files for people (:func:`spreadsheet_safe`) in one folder, replacing
    the folder with the ``group``; returns the protected cells per column over all files."""
    target = Path(folder)
    temporary = temporary_beside(target)
    temporary.unlink()
    temporary.mkdir()
    changed: dict[str, int] = {}
    try:
        for name, frame in frames.items():
            for column, count in write_csv_rows(frame, temporary / name).items():
                changed[column] = changed.get(column, 0) + count
        if not frames:
            (temporary / "README.txt").write_text("No per-segment files: score.export.per_segment is false.\n")
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    group.add(temporary, target)
    return changed


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], group: OutputGroup | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left untouched. With a
    ``group``, the rename waits for the group's commit (outputs that must appear together).
    """
    target = Path(path)
    temporary = temporary_beside(target)
    try:
        yield temporary
        if group is not None:
            group.add(temporary, target)
        else:
            _rename(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


class OutputGroup:
    """Outputs that appear together or not at all: renamed one after another once all are written.

    Use as a context manager around the writers (``atomic_path(..., group=...)``, the sinks'
    ``group``). On an error every temporary file is removed and no output of the group changes.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []

    def add(self, temporary: Path, target: Path) -> None:
        """Register a finished temporary file for renaming over ``target`` at commit."""
        self._pending.append((temporary, target))

    def __enter__(self) -> OutputGroup:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            try:  # an interrupt waits until every output of the group is in place
                for temporary, target in self._pending:
                    _rename(temporary, target)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        else:
            for temporary, _ in self._pending:
                if temporary.is_dir():
                    shutil.rmtree(temporary, ignore_errors=True)
                with contextlib.suppress(FileNotFoundError):
                    os.remove(temporary)
        self._pending.clear()


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str], group: OutputGroup | None = None) -> None:
    """Write a frame to Parquet (no index, zstd) atomically (as part of ``group``, if given)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with atomic_path(path, group) as temporary:
        pq.write_table(table, temporary, compression="zstd", row_group_size=ROW_GROUP_ROWS)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], group: OutputGroup | None = None) -> dict[str, int]:
    """Write a frame as UTF-8 CSV for people (no index, floats to 6 decimals, :func:`spreadsheet_safe`) atomically.

    Returns the protected cells per column (empty when nothing could be read as a formula), and logs them.
    """
    with atomic_path(path, group) as temporary:
        protected = write_csv_rows(frame, temporary)
    warn_protected(path, protected)
    return protected


def warn_protected(path: str | os.PathLike[str], protected: dict[str, int]) -> None:
    """Log the cells of a CSV for people that were protected for spreadsheets (nothing when there are none)."""
    if protected:
        log.warning(
            "%s: cells a spreadsheet would run as formulas start with an apostrophe %s; Parquet and the database "
            "keep the exact values (docs/scoring.md: CSV files and spreadsheets)",
            path,
            protected,
        )


def read_parquet(path: str | os.PathLike[str], columns: list[str] | None = None) -> pd.DataFrame:
    """Read a Parquet file written by :func:`write_parquet`."""
    return pd.read_parquet(path, columns=columns)


def round_floats(value: Any, digits: int = 4) -> Any:
    """Round every float in a nested structure, so noise does not look like change in diffs."""
    if isinstance(value, float):
        return round(value, digits) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: round_floats(item, digits) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [round_floats(item, digits) for item in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return round_floats(value.item(), digits)
    return value


def write_json(
    data: Any, path: str | os.PathLike[str], digits: int | None = 4, group: OutputGroup | None = None
) -> None:
    """Write JSON atomically, keys in insertion order, trailing newline.

    Floats are rounded to ``digits`` (metrics: so noise does not look like change);
    ``digits=None`` keeps full precision (model files).
    """
    payload = round_floats(data, digits) if digits is not None else data
    text = json.dumps(payload, indent=2, allow_nan=False) + "\n"
    with atomic_path(path, group) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_text(text: str, path: str | os.PathLike[str], group: OutputGroup | None = None) -> None:
    """Write a text file atomically (as part of ``group``, if given)."""
    with atomic_path(path, group) as temporary:
        temporary.write_text(text, encoding="utf-8")


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a text file."""
    return Path(path).read_text(encoding="utf-8")


def png_bytes(figure: Any) -> bytes:
    """A matplotlib figure as PNG bytes, without run-dependent metadata."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def write_bytes(content: bytes, path: str | os.PathLike[str], group: OutputGroup | None = None) -> None:
    """Write a binary file atomically (as part of ``group``, if given)."""
    with atomic_path(path, group) as temporary:
        temporary.write_bytes(content)


def write_png(figure: Any, path: str | os.PathLike[str], group: OutputGroup | None = None) -> None:
    """Save a matplotlib figure as PNG atomically, without run-dependent metadata."""
    write_bytes(png_bytes(figure), path, group)


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def iter_parquet_frames(
    path: str | os.PathLike[str], batch_rows: int, columns: list[str] | None = None
) -> Iterator[pd.DataFrame]:
    """Stream a Parquet file (or a folder of part files, in name order) as DataFrames of at most ``batch_rows`` rows."""
    files = sorted(Path(path).glob("*.parquet")) if Path(path).is_dir() else [Path(path)]
    for file in files:
        for batch in streamed_parquet(file).iter_batches(batch_size=batch_rows, columns=columns):
            yield batch.to_pandas()


def streamed_parquet(path: str | os.PathLike[str]) -> pq.ParquetFile:
    """A Parquet file to read row group after row group in flat memory: pyarrow's pre-buffering (its default)
    keeps every row group it has read until the file is closed, about 33 bytes a customer of the population,
    and was slower here (1.9 against 1.1 s for 5M rows)."""
    return pq.ParquetFile(path, pre_buffer=False)


def parquet_columns(path: str | os.PathLike[str]) -> list[str]:
    """Column names of a Parquet file, without reading its data."""
    return list(pq.ParquetFile(path).schema_arrow.names)


def read_parquet_column(path: str | os.PathLike[str], column: str) -> pd.Series:
    """One column of a Parquet file."""
    return pq.read_table(path, columns=[column]).column(column).to_pandas()


class ParquetAppender:
    """Write DataFrames one after another into one Parquet file, atomically.

    Use as a context manager: the file appears under its name only when the block ends
    without error. The first frame fixes the schema; ``empty`` (a zero-row frame with the
    right dtypes) is written when no frame came.
    """

    def __init__(self, path: str | os.PathLike[str], empty: pd.DataFrame, group: OutputGroup | None = None) -> None:
        self.path = path
        self.group = group
        self.empty = empty
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self.rows = 0

    def __enter__(self) -> ParquetAppender:
        self._context = atomic_path(self.path, self.group)
        self._temporary = self._context.__enter__()
        return self

    @property
    def pending_path(self) -> Path:
        """Where the content is until it is renamed into place (with a group: until the group commits)."""
        return self._temporary

    def write(self, frame: pd.DataFrame) -> None:
        """Append a frame (same columns as the first one)."""
        table = pa.Table.from_pandas(frame, schema=self._schema, preserve_index=False)
        if self._writer is None:
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self._temporary, self._schema, compression="zstd")
        self._writer.write_table(table)
        self.rows += len(frame)

    def __exit__(self, exc_type, exc, traceback) -> bool | None:
        try:
            if exc_type is None and self._writer is None:
                self.write(self.empty)
        finally:
            if self._writer is not None:
                self._writer.close()
        return self._context.__exit__(exc_type, exc, traceback)


def frames_of(frame: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    """A frame in slices of at most ``rows`` rows (at least one slice, so an empty export still makes a table)."""
    for start in range(0, max(len(frame), 1), rows):
        yield frame.iloc[start : start + rows]

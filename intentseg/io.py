"""Reading and writing pipeline artefacts, always atomically.

Every writer goes through :func:`atomic_path`: the content is written to a temporary
file beside the target and renamed over it only once complete, so a run killed halfway
leaves the previous file or none, never a partial file that looks complete.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    On any exception the temporary file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a frame to Parquet (no index, zstd) atomically."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary, compression="zstd")


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


def write_json(data: Any, path: str | os.PathLike[str], digits: int | None = 4) -> None:
    """Write JSON atomically, keys in insertion order, trailing newline.

    Floats are rounded to ``digits`` (metrics: so noise does not look like change);
    ``digits=None`` keeps full precision (model files).
    """
    payload = round_floats(data, digits) if digits is not None else data
    text = json.dumps(payload, indent=2, allow_nan=False) + "\n"
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def write_text(text: str, path: str | os.PathLike[str]) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a text file."""
    return Path(path).read_text(encoding="utf-8")


def write_png(figure: Any, path: str | os.PathLike[str]) -> None:
    """Save a matplotlib figure as PNG atomically, without run-dependent metadata."""
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))

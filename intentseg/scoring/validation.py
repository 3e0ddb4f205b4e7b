"""Row validation for scoring: every row is either scored or rejected with the rules it broke.

Rules: id present and unique; numeric features of a numeric type, finite and not absurdly large
(as in the labelled table), within the contract's range, and present where the contract forbids
missing values. Unseen category levels are not a
problem: the models treat them as missing. The population's columns must match the models'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numba
import numpy as np
import pandas as pd
import pyarrow as pa

from intentseg.data.columns import ABSURD_MAGNITUDE
from intentseg.data.spec import TableSpec
from intentseg.foundation.errors import FeatureMismatchError

if TYPE_CHECKING:
    from intentseg.scoring.types import ScoringModels

REJECT_COLUMN = "reject_rules"


def check_population_columns(columns: list[str], models: ScoringModels, id_column: str) -> None:
    """Refuse a population whose columns do not match the models' fingerprints, naming the differences."""
    missing_classifier = [name for name in models.classifier.schema.names if name not in columns]
    missing_segmenter = [name for name in models.segmenter.features if name not in columns]
    problems = []
    if id_column not in columns:
        problems.append(f"id column {id_column!r} is missing")
    if missing_classifier:
        problems.append(
            f"classifier (fingerprint {models.classifier.fingerprint[:12]}) needs missing columns {missing_classifier}"
        )
    if missing_segmenter:
        problems.append(
            f"segmenter (fingerprint {models.segmenter.fingerprint[:12]}) needs missing columns {missing_segmenter}"
        )
    if problems:
        raise FeatureMismatchError("the scoring population does not match the model files: " + "; ".join(problems))


def duplicated_ids(ids: pd.Series) -> np.ndarray:
    """Ids that occur more than once (all their rows are rejected: which one is right is unknown).

    Numbers and Arrow text are sorted as 8-byte keys (the number, or a 64-bit hash of the text), and only the
    rows whose key repeats are compared exactly: a hash table of every id took 760 MB and 2.7 s for 5M text ids."""
    keys = _sort_keys(ids)
    if keys is None:  # Python objects: a hash table of the distinct ids
        return _repeated(ids)
    rows = np.flatnonzero(ids.notna().to_numpy())
    keys = keys[rows]
    order = np.argsort(keys, kind="stable")
    repeats = np.flatnonzero(keys[order[1:]] == keys[order[:-1]])
    candidates = np.unique(np.concatenate([order[repeats], order[repeats + 1]]))
    return _repeated(ids.iloc[rows[candidates]])


def _repeated(ids: pd.Series) -> np.ndarray:
    """The ids that occur more than once, sorted (one hashing pass; a missing id is not an id)."""
    codes, distinct = pd.factorize(ids)
    counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
    return np.sort(np.asarray(distinct[counts > 1]))


def _sort_keys(ids: pd.Series) -> np.ndarray | None:
    """An 8-byte key per id (equal ids, equal keys): the number itself, or the FNV-1a hash of the text's UTF-8
    bytes; None for other ids (Python objects). Missing ids get any key (the caller leaves them out)."""
    if pd.api.types.is_numeric_dtype(ids) and not pd.api.types.is_bool_dtype(ids):
        return ids.to_numpy(dtype=np.float64 if pd.api.types.is_float_dtype(ids) else np.int64, na_value=0)
    if not isinstance(ids.dtype, pd.StringDtype):
        return None
    text = pa.array(ids.array)  # Arrow text as it is (text stored by Python: converted once)
    parts = []
    for chunk in text.chunks if isinstance(text, pa.ChunkedArray) else [text]:  # offsets and bytes, not copied
        wide = pa.types.is_large_string(chunk.type)
        offsets = np.frombuffer(chunk.buffers()[1], np.int64 if wide else np.int32)[chunk.offset :][: len(chunk) + 1]
        data = chunk.buffers()[2]
        parts.append(_text_hashes(offsets, np.frombuffer(data, np.uint8) if data else np.zeros(0, np.uint8)))
    return np.concatenate(parts) if parts else np.zeros(0, np.uint64)


@numba.njit(cache=True)
def _text_hashes(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """FNV-1a (64 bits) of each text's UTF-8 bytes."""
    hashes = np.empty(len(offsets) - 1, dtype=np.uint64)
    for row in range(len(hashes)):
        value = np.uint64(14695981039346656037)
        for position in range(offsets[row], offsets[row + 1]):
            value = (value ^ np.uint64(data[position])) * np.uint64(1099511628211)
        hashes[row] = value
    return hashes


def _note(problems: np.ndarray, mask: np.ndarray, rule: str, values: pd.Series | None = None) -> None:
    """Append ``rule`` (with the offending value, if given) to the problems of the masked rows."""
    for row in np.flatnonzero(mask):
        text = rule if values is None else f"{rule} ({values.iloc[row]!r})"
        problems[row] = text if not problems[row] else f"{problems[row]}; {text}"


def row_problems(chunk: pd.DataFrame, spec: TableSpec, duplicate_ids: np.ndarray) -> np.ndarray:
    """For each row, the rules it breaks joined by "; " ("" for a valid row).

    Rules: id present and unique; numeric features of a numeric type, finite, within the
    contract's range, and present where the contract forbids missing values; categorical
    features present where required. Unseen category levels are not a problem: the models
    treat them as missing. Offending values are quoted; only failing rows are formatted.
    """
    problems = np.full(len(chunk), "", dtype=object)
    ids = chunk[spec.id_column]
    _note(problems, ids.isna().to_numpy(), f"{spec.id_column}: missing")
    _note(problems, ids.isin(duplicate_ids).to_numpy(), f"{spec.id_column}: duplicate id", ids)
    for column in spec.columns:
        values = chunk[column.name]
        present = values.notna().to_numpy()
        if column.kind == "numeric":
            numeric_type = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
            numbers = (values if numeric_type else pd.to_numeric(values, errors="coerce")).to_numpy(
                dtype=float, na_value=np.nan
            )
            _note(problems, present & np.isnan(numbers), f"{column.name}: not a number", values)
            _note(problems, np.isinf(numbers), f"{column.name}: not finite", values)
            with np.errstate(invalid="ignore"):
                absurd = np.isfinite(numbers) & (np.abs(numbers) > ABSURD_MAGNITUDE)
            _note(problems, absurd, f"{column.name}: beyond {ABSURD_MAGNITUDE:g} in size", values)
            low = -np.inf if column.minimum is None else column.minimum
            high = np.inf if column.maximum is None else column.maximum
            with np.errstate(invalid="ignore"):
                out_of_range = np.isfinite(numbers) & ((numbers < low) | (numbers > high))
            _note(problems, out_of_range, f"{column.name}: outside [{column.minimum}, {column.maximum}]", values)
        if not column.nullable:
            _note(problems, ~present, f"{column.name}: missing (required)")
    return problems


def numeric_view(chunk: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Valid rows with numeric features as float64 (they may arrive as text from a CSV source)."""
    out = chunk.copy()
    for name in spec.numeric_features:
        if not pd.api.types.is_numeric_dtype(out[name]):
            out[name] = pd.to_numeric(out[name], errors="coerce")
        out[name] = out[name].astype("float64")
    return out


def empty_rejects(columns: list[str]) -> pd.DataFrame:
    """A zero-row rejects frame: every input column as text, plus the broken rules."""
    return pd.DataFrame({name: pd.Series(dtype="string") for name in [*columns, REJECT_COLUMN]})

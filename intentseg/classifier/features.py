"""The model-facing feature schema: feature names, kinds, category levels and a fingerprint.

Models store a :class:`FeatureSchema` learned from their training frame. At predict time
:meth:`FeatureSchema.model_frame` refuses frames with other columns (naming them) and
maps categorical values onto the training levels: a level never seen in training becomes
missing, never an error.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from intentseg.data.columns import canonical_levels
from intentseg.foundation.errors import FeatureMismatchError, ModelFileError


@dataclass(frozen=True)
class FeatureSchema:
    """Feature names in model order, their kinds, and the training levels of categoricals."""

    numeric: tuple[str, ...]
    categorical: dict[str, tuple[str, ...]]

    @property
    def names(self) -> list[str]:
        """All features in model order: numerics first, then categoricals."""
        return [*self.numeric, *self.categorical]

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the feature names and kinds (not the levels): the column contract."""
        payload = json.dumps({"numeric": list(self.numeric), "categorical": list(self.categorical)})
        return hashlib.sha256(payload.encode()).hexdigest()

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> FeatureSchema:
        """Learn the schema from a training frame: categoricals are category/string columns.

        Levels are those observed in the frame, in the order of the column's categories.
        """
        numeric, categorical = [], {}
        for name in frame.columns:
            if name in exclude:
                continue
            column = frame[name]
            if isinstance(column.dtype, pd.CategoricalDtype):
                observed = set(column.dropna().unique())
                categorical[name] = tuple(str(level) for level in column.cat.categories if level in observed)
            elif pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                numeric.append(name)
            else:
                categorical[name] = tuple(sorted(column.dropna().astype(str).unique()))
        return cls(numeric=tuple(numeric), categorical=categorical)

    def check_columns(self, frame: pd.DataFrame) -> None:
        """Raise :class:`FeatureMismatchError` naming missing features and features of the wrong kind."""
        missing = [name for name in self.names if name not in frame.columns]
        wrong_kind = [
            name for name in self.numeric if name in frame.columns and not pd.api.types.is_numeric_dtype(frame[name])
        ]
        if missing or wrong_kind:
            parts = []
            if missing:
                parts.append(f"missing feature columns: {missing}")
            if wrong_kind:
                parts.append(f"numeric features with non-numeric values: {wrong_kind}")
            raise FeatureMismatchError(
                f"frame does not match the model's features (fingerprint {self.fingerprint[:12]}): " + "; ".join(parts)
            )

    def model_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame's features in model order and types; levels as canonical text, unseen ones missing."""
        self.check_columns(frame)
        out = {name: frame[name].to_numpy(dtype=np.float64, na_value=np.nan) for name in self.numeric}
        for name, levels in self.categorical.items():
            codes, unseen = level_codes(frame[name], levels)
            if unseen:  # 2, 2.0 or " 2" for the level "2": canonical text first
                codes, _ = level_codes(canonical_levels(frame[name]), levels)
            out[name] = pd.Categorical.from_codes(codes, categories=list(levels))
        return pd.DataFrame(out, index=frame.index)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored in model metadata)."""
        return {
            "numeric": list(self.numeric),
            "categorical": {name: list(levels) for name, levels in self.categorical.items()},
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureSchema:
        """Rebuild from :meth:`to_dict`; refuses metadata whose fingerprint does not match its features."""
        schema = cls(
            numeric=tuple(data["numeric"]),
            categorical={name: tuple(levels) for name, levels in data["categorical"].items()},
        )
        if data.get("fingerprint") != schema.fingerprint:
            raise ModelFileError(
                f"feature fingerprint {str(data.get('fingerprint'))[:12]} in the model metadata does not match "
                f"its feature list ({schema.fingerprint[:12]}): the file was edited or corrupted"
            )
        return schema


def level_codes(values: pd.Series, levels: tuple[str, ...]) -> tuple[np.ndarray, bool]:
    """Each value's position in ``levels`` (-1: missing or not a level), and whether a present value is not a
    level. Each distinct value is looked up once (a column of 1.2M has a handful); a categorical column's
    distinct values are its categories (its codes are not converted row by row)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
        present = np.bincount(codes[codes >= 0], minlength=len(uniques)) > 0  # unused categories are not values
    else:
        codes, uniques = pd.factorize(values.astype("object"))
        present = np.ones(len(uniques), np.bool_)
    position = pd.Index(list(levels), dtype="object").get_indexer(pd.Index(uniques, dtype="object"))
    return np.append(position, -1)[codes], bool((position[present] < 0).any())


def frame_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's content (values and column names), independent of file encoding."""
    digest = hashlib.sha256()
    digest.update(json.dumps(list(map(str, frame.columns))).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()

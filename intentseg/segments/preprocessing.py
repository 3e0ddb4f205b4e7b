"""Preprocessing of mixed customer data for K-Prototypes.

Numerics: a signed ``log1p`` (``sign(x) * log1p(|x|)``, the plain ``log1p`` for non-negative values)
for heavy-tailed columns, so a negative value (a debt, a refund) is never merged with zero;
clipping at training quantiles
(outliers would otherwise own their own prototypes), median imputation, then standard or
robust scaling, so that one unit of squared distance means the same on every column.
Categoricals: integer codes over the training levels plus an explicit ``missing`` level;
a level never seen in training gets code -1, which matches no prototype's mode.
One-hot encoding is not used: it would turn one categorical mismatch into a squared
Euclidean distance of 2 spread over many near-empty columns, weighting columns by their
number of levels; K-Prototypes counts a mismatch once, weighted by ``gamma``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

MISSING_LEVEL = "missing"
SCALINGS = ("standard", "robust")


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """``sign(x) * log1p(|x|)``: log1p for non-negative values, mirrored for negative ones (NaN kept)."""
    return np.sign(values) * np.log1p(np.abs(values))


def text_codes(column: pd.Series, levels: list[str]) -> np.ndarray:
    """Each value's position among ``levels`` by its text (a missing value reads :data:`MISSING_LEVEL`), -1
    for text that is not a level.

    A categorical column is looked up once per category, not once per customer (the same codes, tested
    against :func:`text_codes_row_by_row`); levels that repeat a text go row by row, which refuses them.
    """
    position = {level: code for code, level in enumerate(levels)}
    if not isinstance(column.dtype, pd.CategoricalDtype) or len(position) < len(levels):
        return text_codes_row_by_row(column, levels)
    table = [position.get(str(level), -1) for level in column.cat.categories]
    table.append(position.get(MISSING_LEVEL, -1))  # the code -1 of a missing value takes the last entry
    return np.asarray(table, dtype=np.int64)[column.cat.codes.to_numpy()]


def text_codes_row_by_row(column: pd.Series, levels: list[str]) -> np.ndarray:
    """:func:`text_codes` through every value's text: the definition, and the way for columns of text."""
    text = column.astype("object").where(column.notna(), MISSING_LEVEL).astype(str)
    return np.asarray(pd.Categorical(text.where(text.isin(levels)), categories=levels).codes, dtype=np.int64)


class SegmentPreprocessor(TransformerMixin, BaseEstimator):
    """Turns a customer frame into (scaled numeric, categorical code) arrays (a scikit-learn transformer)."""

    def __init__(
        self,
        *,
        numeric: list[str],
        categorical: list[str],
        log1p: list[str],
        clip_quantiles: tuple[float, float],
        scaling: str,
    ) -> None:
        self.numeric = numeric
        self.categorical = categorical
        self.log1p = log1p
        self.clip_quantiles = clip_quantiles
        self.scaling = scaling

    def _raw_numeric(self, frame: pd.DataFrame) -> np.ndarray:
        """Numeric columns after the log transform, before clipping (NaN kept)."""
        if not self.numeric:
            return np.empty((len(frame), 0))
        values = np.column_stack([frame[name].to_numpy(dtype=float, na_value=np.nan) for name in self.numeric])
        logged = [index for index, name in enumerate(self.numeric) if name in set(self.log1p or [])]
        values[:, logged] = signed_log1p(values[:, logged])
        return values

    def fit(self, frame: pd.DataFrame) -> SegmentPreprocessor:
        """Learn clip bounds, medians, scaling and levels from training customers."""
        unknown = sorted(set(self.log1p or []) - set(self.numeric))
        if unknown:
            raise ValueError(f"log1p columns {unknown} are not among the numeric segmentation features")
        if self.scaling not in SCALINGS:
            raise ValueError(f"scaling must be one of {SCALINGS}, got {self.scaling!r}")
        values = self._raw_numeric(frame)
        all_missing = [name for index, name in enumerate(self.numeric) if np.isnan(values[:, index]).all()]
        if all_missing:
            raise ValueError(f"segmentation features {all_missing} are missing for every customer")
        low, high = self.clip_quantiles
        self.lower_ = np.nanquantile(values, low, axis=0)
        self.upper_ = np.nanquantile(values, high, axis=0)
        clipped = np.clip(values, self.lower_, self.upper_)
        self.median_ = np.nanmedian(clipped, axis=0)
        imputed = np.where(np.isnan(clipped), self.median_, clipped)
        if self.scaling == "standard":
            self.center_, spread = imputed.mean(axis=0), imputed.std(axis=0)
        else:
            self.center_ = np.median(imputed, axis=0)
            spread = np.subtract(*np.percentile(imputed, [75, 25], axis=0))
        self.scale_ = np.where(spread > 0, spread, 1.0)
        self.levels_ = {name: self._levels(frame[name]) for name in self.categorical}
        return self

    @staticmethod
    def _levels(column: pd.Series) -> list[str]:
        """The column's levels as text (a categorical's in its order, the categories some customer has;
        else sorted), then :data:`MISSING_LEVEL`. A value that reads ``missing`` is that level (it reads
        the same), so the levels never repeat."""
        if isinstance(column.dtype, pd.CategoricalDtype):
            codes = column.cat.codes.to_numpy()
            used = np.zeros(len(column.cat.categories), dtype=bool)
            used[codes[codes >= 0]] = True  # by the codes, not by every customer's value as text
            observed = {str(level) for level in column.cat.categories[used]}
            levels = [str(level) for level in column.cat.categories if str(level) in observed]
        else:
            levels = sorted(column.dropna().astype(str).unique())
        return [*(level for level in levels if level != MISSING_LEVEL), MISSING_LEVEL]

    def transform_numeric(self, values: np.ndarray) -> np.ndarray:
        """Clip, impute and scale already log-transformed numeric values."""
        clipped = np.clip(values, self.lower_, self.upper_)
        return (np.where(np.isnan(clipped), self.median_, clipped) - self.center_) / self.scale_

    def transform(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(scaled numerics, categorical codes) for any customers; unseen levels get code -1."""
        check_is_fitted(self, "levels_")
        numeric = self.transform_numeric(self._raw_numeric(frame))
        codes = np.empty((len(frame), len(self.categorical)), dtype=np.int64)
        for index, name in enumerate(self.categorical):
            codes[:, index] = text_codes(frame[name], self.levels_[name])
        return numeric, codes

    def to_original_units(self, scaled: np.ndarray) -> np.ndarray:
        """Scaled numeric prototypes back in the columns' own units (undo scaling and log1p)."""
        values = np.asarray(scaled) * self.scale_ + self.center_
        logged = [index for index, name in enumerate(self.numeric) if name in set(self.log1p or [])]
        values[:, logged] = np.sign(values[:, logged]) * np.expm1(np.abs(values[:, logged]))
        return values

    def from_original_units(self, original: np.ndarray) -> np.ndarray:
        """Prototypes given in the columns' own units, in this preprocessor's scaled space."""
        values = np.array(original, dtype=float)
        logged = [index for index, name in enumerate(self.numeric) if name in set(self.log1p or [])]
        values[:, logged] = signed_log1p(values[:, logged])
        return self.transform_numeric(values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready preprocessing parameters."""
        return {
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "log1p": list(self.log1p or []),
            "clip_quantiles": list(self.clip_quantiles),
            "scaling": self.scaling,
            "lower": self.lower_.tolist(),
            "upper": self.upper_.tolist(),
            "median": self.median_.tolist(),
            "center": self.center_.tolist(),
            "scale": self.scale_.tolist(),
            "levels": self.levels_,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SegmentPreprocessor:
        """Rebuild a fitted preprocessor from :meth:`to_dict`."""
        prep = cls(
            numeric=data["numeric"],
            categorical=data["categorical"],
            log1p=data["log1p"],
            clip_quantiles=tuple(data["clip_quantiles"]),
            scaling=data["scaling"],
        )
        for key in ("lower", "upper", "median", "center", "scale"):
            setattr(prep, f"{key}_", np.asarray(data[key], dtype=float))
        prep.levels_ = {name: list(levels) for name, levels in data["levels"].items()}
        return prep

"""Reason codes: each customer's top drivers of purchase probability, in plain words.

A driver reads like ``last visited 2 days ago: raises the chance``: the feature and the
customer's value in the words of the feature dictionary (``reason_words.labels`` in params.yaml;
``days since last visit: 2`` for a column without a label), and whether it pushes the
probability up or down; drivers are ranked by absolute
contribution (log-odds). Contributions come from the model's engine: for LightGBM exact TreeSHAP
or the much faster path attribution (:mod:`intentseg.classifier.lightgbm_model`); ``evaluate``
reports their agreement on a test sample every run (``reports/details/classifier.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from intentseg.classifier.model import PurchaseModel
from intentseg.data.column_words import ColumnWords, column_words, shown_name
from intentseg.data.columns import distinct_texts

MISSING_TEXT = "missing"
EFFECT = {1: "raises the chance", -1: "lowers the chance", 0: "no effect"}


@dataclass(frozen=True)
class FeatureWords:
    """The feature dictionary: a template with ``{value}`` per column, and the source file's names.

    A template is looked up by the feature's name or its name in the source file; a column
    without one reads in the words of :mod:`intentseg.data.column_words` (the same step that
    names segments): ``3 visits in the last 30 days``, ``with the app``, ``plan: pro``. Category
    values show with spaces for underscores; a missing value reads ``<name in words>: unknown``.
    ``flags``: the columns that were true/false in the source.
    """

    templates: dict[str, str] = field(default_factory=dict)
    display_names: dict[str, str] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()

    def column(self, name: str) -> ColumnWords:
        """The column's words and kind (its source file name)."""
        words = column_words(shown_name(name, self.display_names))
        return replace(words, kind="flag") if name in self.flags else words

    def words(self, name: str) -> str:
        """The column's name in words (its source file name, split, abbreviations spelled out)."""
        return self.column(name).words

    def template(self, name: str) -> str | None:
        """The column's template, if the dictionary has one."""
        return self.templates.get(name, self.templates.get(self.display_names.get(name, name)))

    def phrases(self, name: str, values: pd.Series) -> np.ndarray:
        """Each value as a phrase about the customer (only the cited values; each distinct one formatted once)."""
        codes, distinct = self.phrase_codes(name, values)
        return distinct[codes]

    def phrase_codes(self, name: str, values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """Each value's code into the distinct phrases, and those phrases, each formatted once: numbers by their
        bits, other values by their text, missing ones apart."""
        numeric = pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype)
        if numeric:
            codes, distinct = pd.factorize(values.to_numpy(dtype=float, na_value=np.nan).view(np.int64))
            return codes, self._each_phrase(name, pd.Series(distinct.view(np.float64)), numeric)
        codes, texts = distinct_texts(values)
        missing = pd.Series([*texts, None], dtype="object")  # the last phrase: a missing value's
        return np.where(codes < 0, len(texts), codes), self._each_phrase(name, missing, numeric)

    def _each_phrase(self, name: str, values: pd.Series, numeric: bool) -> np.ndarray:
        """Each value as a phrase, one at a time."""
        template = self.template(name)
        if template is None and numeric:
            column = self.column(name)
            numbers = values.to_numpy(dtype=float, na_value=np.nan)
            return np.array(
                [
                    column.value_phrase(number) if np.isfinite(number) else f"{column.words}: unknown"
                    for number in numbers
                ],
                dtype=object,
            )
        if template is None:
            return np.array([f"{self.words(name)}: {text}" for text in format_values(values)], dtype=object)
        out = np.empty(len(values), dtype=object)
        for index, value in enumerate(values.to_numpy(dtype=object)):
            if pd.isna(value):
                out[index] = f"{self.words(name)}: unknown"
            elif numeric:
                out[index] = template.format(value=float(value))
            else:
                out[index] = template.format(value=str(value).replace("_", " "))
        return out


def format_values(values: pd.Series) -> np.ndarray:
    """Customer values as short text: integers without decimals, other numbers to 2 decimals."""
    if isinstance(values.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(values):
        return values.astype("object").where(values.notna(), MISSING_TEXT).astype(str).to_numpy()
    numbers = values.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(numbers)
    whole = finite & (np.round(numbers) == numbers)
    text = np.full(len(numbers), MISSING_TEXT, dtype=object)
    text[whole] = numbers[whole].astype(np.int64).astype(str)
    fractional = finite & ~whole
    text[fractional] = np.char.mod("%.2f", numbers[fractional])
    return text


def drivers_from_contributions(
    contributions: np.ndarray,
    frame: pd.DataFrame,
    feature_names: list[str],
    top_k: int = 3,
    words: FeatureWords | None = None,
) -> pd.DataFrame:
    """Top ``top_k`` drivers per row as ``reason_1..k`` text columns, in the words of ``words``.

    Only the values actually cited are formatted (``top_k`` per row, not every feature).
    """
    words = words or FeatureWords()
    top_k = min(top_k, len(feature_names))
    magnitude = np.abs(contributions)
    candidates = (
        np.argpartition(-magnitude, top_k - 1, axis=1)[:, :top_k]
        if top_k < len(feature_names)
        else np.tile(np.arange(len(feature_names)), (len(frame), 1))
    )
    ranking = np.argsort(-np.take_along_axis(magnitude, candidates, axis=1), axis=1, kind="stable")
    order = np.take_along_axis(candidates, ranking, axis=1)
    rows = np.arange(len(frame))
    reasons = {}
    for rank in range(top_k):
        feature_index = order[:, rank]
        chosen = contributions[rows, feature_index]
        text = np.empty(len(frame), dtype=object)
        for index in np.unique(feature_index):
            selected = np.flatnonzero(feature_index == index)
            name = feature_names[index]
            codes, phrases = words.phrase_codes(name, frame[name].iloc[selected])
            signs = np.sign(chosen[selected]).astype(int)
            pairs, pair_of_row = np.unique(codes * 3 + signs + 1, return_inverse=True)  # each (phrase, sign) once
            said = np.array([f"{phrases[pair // 3]}: {EFFECT[pair % 3 - 1]}" for pair in pairs], dtype=object)
            text[selected] = said[pair_of_row]
        reasons[f"reason_{rank + 1}"] = text
    return pd.DataFrame(reasons, index=frame.index)


def contributions(model: PurchaseModel, frame: pd.DataFrame, method: str | None = None) -> np.ndarray:
    """Per-customer contributions (log-odds), one column per model feature (the engine's exact method by default)."""
    return model.contributions(frame, method)


def reason_codes(
    model: PurchaseModel,
    frame: pd.DataFrame,
    top_k: int = 3,
    method: str | None = None,
    words: FeatureWords | None = None,
) -> pd.DataFrame:
    """Plain-words top drivers for every customer in ``frame`` (``words``: the feature dictionary)."""
    return drivers_from_contributions(contributions(model, frame, method), frame, model.schema.names, top_k, words)


def method_agreement(exact: np.ndarray, approximate: np.ndarray, top_k: int = 3) -> dict[str, float]:
    """How well approximate contributions reproduce exact ones' drivers.

    ``top1_agreement``: same strongest driver; ``topk_overlap``: share of the top-k drivers
    in common; ``sign_agreement``: same direction on the approximate top-k drivers.
    """
    exact_top = np.argsort(-np.abs(exact), axis=1, kind="stable")[:, :top_k]
    approximate_top = np.argsort(-np.abs(approximate), axis=1, kind="stable")[:, :top_k]
    overlap = [len(set(a) & set(b)) / top_k for a, b in zip(exact_top, approximate_top)]
    signs = np.sign(np.take_along_axis(exact, approximate_top, 1)) == np.sign(
        np.take_along_axis(approximate, approximate_top, 1)
    )
    return {
        "top1_agreement": float(np.mean(exact_top[:, 0] == approximate_top[:, 0])),
        f"top{top_k}_overlap": float(np.mean(overlap)),
        "sign_agreement": float(np.mean(signs)),
    }


def global_importance(contributions: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    """Mean absolute contribution per feature, largest first."""
    table = pd.DataFrame({"feature": feature_names, "mean_abs_contribution": np.abs(contributions).mean(axis=0)})
    return table.sort_values("mean_abs_contribution", ascending=False, kind="stable").reset_index(drop=True)

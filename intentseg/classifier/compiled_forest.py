"""LightGBM's trees compiled with numba: the same raw scores as ``Booster.predict``, faster, in one pass with reasons.

The text model is the source of truth. :class:`CompiledForest` reads its trees into flat arrays
(split feature, threshold, decision type, children, leaf values, the bitsets of categorical splits).
Numba kernels, compiled once per machine (numba's cache) and shared by every model, score them: the
bit-vector walk of :mod:`intentseg.classifier.bitvector_forest` (after QuickScorer, tree by tree over
blocks of customers) when every tree has at most 64 leaves, else the plain walk below, node by node.
Both take LightGBM 4's own decisions (``Tree::NumericalDecision`` and ``CategoricalDecision``), on
values as LightGBM's predictor reads them (magnitudes up to 1e-35 are 0):

* numerical: a missing value is 0 unless the split's missing type is NaN; a value the split treats
  as missing (NaN for type NaN, |x| <= 1e-35 for type Zero) goes to the default side; otherwise
  left when ``x <= threshold``;
* categorical: NaN or a negative code goes right; left when the code's bit is set in the split's
  bitset.

Leaf values are added tree by tree in LightGBM's order, in double precision, so raw scores are
equal to LightGBM's to the last bit (tested on hostile tables in the fast tier; the score stage
checks a sample of every chunk against LightGBM and stops on any difference, :func:`check_sample`).
The output transform is LightGBM's too (``binary sigmoid:k``: ``1 / (1 + exp(-k x))``; ``regression``:
none). A model the kernel does not cover (linear trees, several trees per iteration, another
objective) is predicted by LightGBM, with a log line. Path attribution (Saabas) is the same walk,
adding each tree's per-leaf credit table row to the customer's contributions (:meth:`contributions`).
"""

from __future__ import annotations

import json
import logging
import math

import lightgbm as lgb
import numba
import numpy as np
import pandas as pd

from intentseg.classifier.bitvector_forest import (
    BLOCK_ROWS,
    CATEGORICAL,
    DEFAULT_LEFT,
    MISSING_NAN,
    MISSING_ZERO,
    ZERO,
    BitvectorTables,
    FlatTrees,
    leaf_sums,
    tables_by_bit,
)
from intentseg.foundation.errors import ProjectError

log = logging.getLogger(__name__)
CHECK_ROWS = 256  # rows of every scored chunk whose raw scores are compared with LightGBM's (scoring.first_pass)
TOLERANCE = 1e-9  # the largest raw-score difference from LightGBM accepted (in practice: none)
_BLOCK = 256  # rows the plain walk takes together, tree by tree (their features stay in cache)


class ForestMismatchError(ProjectError):
    """The compiled forest's scores differ from LightGBM's on a checked sample: nothing is published."""


class UnsupportedModel(ValueError):
    """A text model the compiled kernel does not cover (LightGBM predicts it instead)."""


def _tree_blocks(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """The model's header and its trees, each as ``key=value`` fields."""
    head, _, rest = text.partition("\nTree=")
    header = dict(line.split("=", 1) for line in head.splitlines() if "=" in line)
    trees = []
    for block in ("Tree=" + rest).split("\nTree=") if rest else []:
        body = block.split("\n\n", 1)[0]
        trees.append(dict(line.split("=", 1) for line in body.splitlines()[1:] if "=" in line))
    return header, trees


def _numbers(tree: dict[str, str], key: str, dtype: type) -> np.ndarray:
    return np.array(tree[key].split(), dtype=dtype) if tree.get(key, "").strip() else np.zeros(0, dtype=dtype)


def _transform(objective: str) -> float:
    """The sigmoid's scale of a binary objective, or 0.0 for an identity output (regression)."""
    name, *options = objective.split()
    if name == "binary":
        scale = [float(option.split(":")[1]) for option in options if option.startswith("sigmoid:")]
        return scale[0] if scale else 1.0
    if name in ("regression", "regression_l2", "l2", "mean_squared_error", "mse"):
        return 0.0
    raise UnsupportedModel(f"objective {objective!r}")


def _pandas_categorical(text: str) -> list[list] | None:
    """The category lists LightGBM stored with a model trained on a pandas frame (its codes at predict time)."""
    marker = "\npandas_categorical:"
    if marker not in text:
        return None
    return json.loads(text.split(marker, 1)[1].splitlines()[0])


class CompiledForest:
    """A LightGBM text model's trees as flat arrays, walked by a numba kernel (see the module docstring)."""

    def __init__(self, text: str) -> None:
        header, trees = _tree_blocks(text)
        if int(header.get("num_tree_per_iteration", "1")) != 1 or not trees:
            raise UnsupportedModel("several trees per iteration, or no tree")
        if any(tree.get("is_linear", "0") != "0" for tree in trees):
            raise UnsupportedModel("linear trees")
        self.sigmoid = _transform(header.get("objective", ""))
        self.feature_names = header.get("feature_names", "").split()
        self.categories = _pandas_categorical(text)
        splits = max(int(tree["num_leaves"]) - 1 for tree in trees) or 1
        leaves = max(int(tree["num_leaves"]) for tree in trees)
        shape = (len(trees), splits)
        self.feature, self.threshold = np.zeros(shape, np.int32), np.zeros(shape)
        self.decision = np.zeros(shape, np.uint8)
        self.left, self.right = np.full(shape, -1, np.int32), np.full(shape, -1, np.int32)
        self.leaf_value = np.zeros((len(trees), leaves))
        self.bitset_start, self.bitset_words = np.zeros(shape, np.int32), np.zeros(shape, np.int32)
        self.splits = np.array([int(tree["num_leaves"]) - 1 for tree in trees], np.int32)
        words: list[np.ndarray] = []
        offset = 0
        for index, tree in enumerate(trees):
            values = _numbers(tree, "leaf_value", float)
            self.leaf_value[index, : len(values)] = values
            count = int(self.splits[index])
            if count == 0:  # a single leaf: the root's children stay -1 (~0, leaf 0)
                continue
            self.feature[index, :count] = _numbers(tree, "split_feature", np.int32)
            self.threshold[index, :count] = _numbers(tree, "threshold", float)
            self.decision[index, :count] = _numbers(tree, "decision_type", np.uint8)
            self.left[index, :count] = _numbers(tree, "left_child", np.int32)
            self.right[index, :count] = _numbers(tree, "right_child", np.int32)
            bounds, bits = _numbers(tree, "cat_boundaries", np.int64), _numbers(tree, "cat_threshold", np.uint32)
            categorical = np.flatnonzero(self.decision[index, :count] & CATEGORICAL)
            cat_index = self.threshold[index, categorical].astype(np.int64)
            self.bitset_start[index, categorical] = offset + bounds[cat_index]
            self.bitset_words[index, categorical] = bounds[cat_index + 1] - bounds[cat_index]
            words.append(bits)
            offset += len(bits)
        self.words = np.concatenate([*words, np.zeros(1, np.uint32)])
        self.bitvectors = BitvectorTables.build(
            FlatTrees(self.splits, self.feature, self.threshold, self.decision, self.left, self.right,
                      self.bitset_start, self.bitset_words, self.words, len(self.feature_names))
        )  # fmt: skip  # None: the plain walk (a tree of more than 64 leaves, or very wide categories)

    @classmethod
    def of(cls, booster: lgb.Booster) -> CompiledForest | None:
        """The booster's compiled forest, or None (logged) when the kernel does not cover the model."""
        try:
            return cls(booster.model_to_string())
        except UnsupportedModel as reason:
            log.info("scoring with LightGBM's own predict: the compiled forest does not cover %s", reason)
            return None

    def matrix(self, model_frame: pd.DataFrame) -> np.ndarray:
        """The frame as LightGBM reads it: float64 in column order, categories as LightGBM's codes (missing: NaN),
        values of magnitude up to 1e-35 as 0 (LightGBM's predictor keeps only larger values of a row).

        Column-major: each column is written in one pass (the walk reads a block of rows, in cache either way).
        """
        if len(model_frame.columns) != len(self.feature_names):  # as LightGBM refuses it (the walk reads by position)
            raise ValueError(
                f"the frame has {len(model_frame.columns)} columns, the model {len(self.feature_names)} features"
            )
        out = np.empty((len(model_frame), len(model_frame.columns)), order="F")
        position = 0
        for index, name in enumerate(model_frame.columns):
            values = model_frame[name]
            if isinstance(values.dtype, pd.CategoricalDtype):
                known = self.categories[position] if self.categories is not None else None
                position += 1
                if known is not None and list(values.cat.categories) != list(known):
                    values = values.cat.set_categories(known)
                codes = values.cat.codes.to_numpy()
                out[:, index] = np.where(codes < 0, np.nan, codes)
            else:
                _copy_as_lightgbm_reads(values.to_numpy(dtype=np.float64, na_value=np.nan), out[:, index])
        return out

    def _arrays(self) -> tuple[np.ndarray, ...]:
        return (
            self.feature, self.threshold, self.decision, self.left, self.right, self.leaf_value,
            self.bitset_start, self.bitset_words, self.words,
        )  # fmt: skip

    def raw_score(self, model_frame: pd.DataFrame) -> np.ndarray:
        """LightGBM's raw score (``predict(raw_score=True)``) of every row: its leaf values, added tree by tree."""
        return self._leaf_sums(model_frame, self.leaf_value[:, :, np.newaxis])[:, 0]

    def predict(self, model_frame: pd.DataFrame) -> np.ndarray:
        """LightGBM's ``predict``: the raw score through the objective's transform."""
        raw = self.raw_score(model_frame)
        return _sigmoid(raw, self.sigmoid) if self.sigmoid else raw

    def contributions(self, model_frame: pd.DataFrame, tables: np.ndarray) -> np.ndarray:
        """(rows, features): the sum over trees of ``tables[tree, leaf]`` at each row's leaf (path attribution)."""
        return self._leaf_sums(model_frame, tables)

    def _leaf_sums(self, model_frame: pd.DataFrame, tables: np.ndarray) -> np.ndarray:
        """(rows, width): the sum over trees of ``tables[tree, leaf]`` (trees, leaves, width) at each row's leaf."""
        if self.bitvectors is not None:
            by_bit = tables_by_bit(tables, self.bitvectors.leaf_of_bit)
            return leaf_sums(self.matrix(model_frame), self.bitvectors, by_bit, BLOCK_ROWS)
        return _leaf_sums(self.matrix(model_frame), self._arrays(), tables)


def check_sample(forest: CompiledForest, booster: lgb.Booster, sample: pd.DataFrame, what: str) -> float:
    """The largest raw-score difference from LightGBM on ``sample`` (a model frame; scoring takes the first
    :data:`CHECK_ROWS` rows of every chunk); stops the run (:class:`ForestMismatchError`) above :data:`TOLERANCE`."""
    if sample.empty:
        return 0.0
    difference = np.abs(forest.raw_score(sample) - booster.predict(sample, raw_score=True))
    worst = np.where(np.isnan(difference), np.inf, difference)  # a NaN on one side only is a difference too
    row = int(np.argmax(worst))
    if worst[row] > TOLERANCE:
        raise ForestMismatchError(
            f"{what}: the compiled forest's raw score differs from LightGBM's by {worst[row]:.3g} (more than "
            f"{TOLERANCE:g}) at sample row {row}; nothing is published. Report it, and score with LightGBM meanwhile"
        )
    return float(worst[row])


@numba.njit(cache=True, inline="always")
def _leaf(X, row, tree, forest):
    """The leaf row ``row`` of ``X`` reaches in ``tree`` of ``forest`` (:meth:`CompiledForest._arrays`): LightGBM's decisions."""
    feature, threshold, decision, left, right, _, bitset_start, bitset_words, words = forest
    node = 0  # a single-leaf tree's root has both children -1: any decision there reaches leaf 0
    while node >= 0:
        kind = decision[tree, node]
        value = X[row, feature[tree, node]]
        if kind & CATEGORICAL:
            go_left = False
            if not math.isnan(value):
                code = int(value)
                if code >= 0 and (code >> 5) < bitset_words[tree, node]:
                    go_left = (words[bitset_start[tree, node] + (code >> 5)] >> (code & 31)) & 1 == 1
        else:
            missing = (kind >> 2) & 3
            if math.isnan(value) and missing != MISSING_NAN:
                value = 0.0
            if (missing == MISSING_ZERO and -ZERO <= value <= ZERO) or (missing == MISSING_NAN and math.isnan(value)):
                go_left = (kind & DEFAULT_LEFT) != 0
            else:
                go_left = value <= threshold[tree, node]
        node = left[tree, node] if go_left else right[tree, node]
    return ~node


@numba.njit(parallel=True, cache=True)
def _leaf_sums(X, forest, tables):
    """The plain walk's :func:`~intentseg.classifier.bitvector_forest.leaf_sums`."""
    rows, trees, columns = X.shape[0], forest[0].shape[0], tables.shape[2]
    out = np.zeros((rows, columns))
    for block in numba.prange((rows + _BLOCK - 1) // _BLOCK):
        start, stop = block * _BLOCK, min(rows, (block + 1) * _BLOCK)
        for tree in range(trees):  # LightGBM's order, and PathAttribution's
            for i in range(start, stop):
                leaf = _leaf(X, i, tree, forest)
                for column in range(columns):
                    out[i, column] += tables[tree, leaf, column]
    return out


@numba.njit(cache=True)
def _copy_as_lightgbm_reads(column, out):
    """``out[:] = column``, values of magnitude up to 1e-35 as 0 (LightGBM's predictor stores them as zeros)."""
    for i in range(column.shape[0]):
        value = column[i]
        out[i] = 0.0 if -ZERO <= value <= ZERO else value


@numba.njit(cache=True)
def _sigmoid(raw, scale):
    """LightGBM's binary output, ``1 / (1 + exp(-scale x))``, with the C library's ``exp`` as LightGBM calls it."""
    out = np.empty_like(raw)
    for i in range(raw.shape[0]):
        out[i] = 1.0 / (1.0 + math.exp(-scale * raw[i]))
    return out

"""The compiled forest's fast walk: leaf bit vectors per tree, over a block of customers at a time, with LightGBM's rules.

After QuickScorer (Lucchese et al., SIGIR 2015): each tree of at most 64 leaves keeps one 64-bit word
per customer, a bit per leaf numbered left to right, all set at the start. A split the customer's
value sends *right* makes every leaf of its left subtree unreachable: the word is ANDed with a mask
clearing them. Once every split of the tree is applied, the lowest set bit is the exit leaf. No
branch depends on a customer's value, so nothing is mispredicted.

The walk takes a block of customers (:data:`BLOCK_ROWS`) and the trees one after another; within a
tree, every split is applied to the whole block in one loop over its customers, which the compiler
turns into vector instructions (a compare and an AND for 4 or 8 customers at a time, with AVX2 or
AVX-512). The block's words and values stay in the core's cache. Each split has a rule
(:class:`BitvectorTables`), LightGBM 4's own decisions on values as its predictor reads them:

* numerical, a missing value going left (``NAN_LEFT``): right when ``value > threshold``;
* numerical, a missing value going right (``NAN_RIGHT``): right unless ``value <= threshold``, false for
  NaN. A missing value goes right at a split of missing type NaN or Zero whose default side is right,
  and at a split of type None whose threshold is below 0 (LightGBM reads the value as 0 there);
* missing type Zero (``ZERO_LEFT``, ``ZERO_RIGHT``): NaN and values of magnitude up to 1e-35 take the
  default side, other values compare with the threshold;
* categorical: LightGBM's code is the value truncated; a code the split's bitset does not contain
  goes right, and so do NaN, negative codes and codes beyond every bitset of the feature. Each
  categorical split has a table row per code holding the word's AND (its mask, or all ones).

The leaf each word points to is LightGBM's leaf number through ``leaf_of_bit``; :func:`leaf_sums` adds
a table row per exit leaf tree by tree in LightGBM's order (the leaf values: the raw score, equal to the
plain walk's to the last bit; the credit tables: path attribution). The exit leaf's bit is never
cleared: the splits whose left subtree holds it are on its path, where the value went left. Were a
word ever empty, it would read a row of zeros (in bounds), and the score stage's sample check would
stop the run. A model with a tree of more than 64 leaves, or whose categorical tables would exceed
:data:`MAX_CATEGORICAL_ENTRIES`, is walked plainly instead (:meth:`BitvectorTables.build` returns None).
``trailing_zeros`` is numba's own intrinsic (LLVM ``cttz``), from its ``unsafe`` module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numba
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

MAX_LEAVES = 64  # one 64-bit word per tree
MAX_CATEGORICAL_ENTRIES = 16_000_000  # (categorical split, code) entries: 128 MB at most
BLOCK_ROWS = 256  # customers walked together (256 to 1024 within 10% of the best, 64 1.4x slower; docs/scoring.md)
_ALL = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
ZERO = 1e-35  # LightGBM's kZeroThreshold: values of this magnitude or less are read as 0
CATEGORICAL, DEFAULT_LEFT = 1, 2  # LightGBM's decision_type bits; the missing type is in bits 2-3
MISSING_ZERO, MISSING_NAN = 1, 2
NAN_LEFT, NAN_RIGHT, ZERO_LEFT, ZERO_RIGHT, CATEGORY = 0, 1, 2, 3, 4  # a split's rule in the tables


@dataclass(frozen=True)
class FlatTrees:
    """The plain walk's arrays that the tables are built from (see :class:`~intentseg.classifier.compiled_forest.CompiledForest`)."""

    splits: np.ndarray  # (trees,) splits per tree (0: a single leaf)
    feature: np.ndarray
    threshold: np.ndarray
    decision: np.ndarray
    left: np.ndarray
    right: np.ndarray
    bitset_start: np.ndarray
    bitset_words: np.ndarray
    words: np.ndarray
    features: int


class BitvectorTables(NamedTuple):
    """Every split, tree by tree (``tree_start``), with its rule, feature, threshold and left-subtree mask;
    per categorical split the first row of its AND per code (``category_and``); each tree's bit-to-leaf map."""

    tree_start: np.ndarray  # (trees + 1,) the first split of each tree
    rule: np.ndarray  # NAN_LEFT, NAN_RIGHT, ZERO_LEFT, ZERO_RIGHT or CATEGORY
    feature: np.ndarray
    threshold: np.ndarray
    mask: np.ndarray  # the AND clearing the split's left subtree
    category_start: np.ndarray  # a categorical split's first entry in category_and (else 0)
    category_and: np.ndarray  # per categorical split and code 0..codes: the mask, or all ones where it goes left
    codes: np.ndarray  # (features,) codes tabulated per categorical feature (0: none); code ``codes``: beyond
    leaf_of_bit: np.ndarray  # (trees, 64) LightGBM's leaf of each bit

    @classmethod
    def build(cls, trees: FlatTrees) -> BitvectorTables | None:
        """The tables of ``trees``, or None when a tree has more than 64 leaves or the categories are too wide."""
        if int(trees.splits.max(initial=0)) + 1 > MAX_LEAVES:
            return None
        codes = _categorical_codes(trees)
        if codes is None:
            return None
        columns: list[list] = [[] for _ in range(5)]  # rule, feature, threshold, mask, category_start
        category_and: list[np.ndarray] = []
        tree_start = np.zeros(len(trees.splits) + 1, np.int64)
        leaf_of_bit = np.zeros((len(trees.splits), MAX_LEAVES), np.int32)
        entries = 0
        for tree in range(len(trees.splits)):
            if trees.splits[tree]:  # a single leaf has no split: its word stays full, bit 0 is leaf 0
                order, subtree = _leaf_ranges(trees.left[tree], trees.right[tree])
                leaf_of_bit[tree, : len(order)] = order
                for node, (start, stop) in subtree.items():
                    rule, feature, mask = _rule(trees, tree, node), int(trees.feature[tree, node]), _mask(start, stop)
                    row = [rule, feature, float(trees.threshold[tree, node]), mask, entries if rule == CATEGORY else 0]
                    for column, value in zip(columns, row, strict=True):
                        column.append(value)
                    if rule == CATEGORY:
                        category_and.append(_category_row(trees, tree, node, int(codes[feature]), mask))
                        entries += int(codes[feature]) + 1
            tree_start[tree + 1] = len(columns[0])
        rule, feature, threshold, mask, category_start = columns
        return cls(
            tree_start, np.array(rule, np.uint8), np.array(feature, np.int64), np.array(threshold, np.float64),
            np.array(mask, np.uint64), np.array(category_start, np.int64),
            np.concatenate([*category_and, np.full(1, _ALL)]), codes, leaf_of_bit,
        )  # fmt: skip


def _leaf_ranges(left: np.ndarray, right: np.ndarray) -> tuple[list[int], dict[int, tuple[int, int]]]:
    """One tree's leaves left to right, and each split's left subtree as a range of those positions."""
    order: list[int] = []
    subtree: dict[int, tuple[int, int]] = {}
    stack: list[tuple[int, bool]] = [(0, False)]
    starts: dict[int, int] = {}
    while stack:  # in order, without recursion (LightGBM's trees may be deep)
        node, left_done = stack.pop()
        if node < 0:
            order.append(~node)
        elif not left_done:
            starts[node] = len(order)
            stack.append((node, True))
            stack.append((int(left[node]), False))
        else:
            subtree[node] = (starts[node], len(order))
            stack.append((int(right[node]), False))
    return order, subtree


def _mask(start: int, stop: int) -> np.uint64:
    return np.uint64(~(((1 << (stop - start)) - 1) << start) & 0xFFFF_FFFF_FFFF_FFFF)


def _rule(trees: FlatTrees, tree: int, node: int) -> int:
    """The split's rule: categorical, missing type Zero by default side, or where a missing value goes."""
    kind = int(trees.decision[tree, node])
    if kind & CATEGORICAL:
        return CATEGORY
    missing_type, default_right = (kind >> 2) & 3, not kind & DEFAULT_LEFT
    if missing_type == MISSING_ZERO:
        return ZERO_RIGHT if default_right else ZERO_LEFT
    if missing_type == MISSING_NAN:
        return NAN_RIGHT if default_right else NAN_LEFT
    return NAN_RIGHT if float(trees.threshold[tree, node]) < 0.0 else NAN_LEFT  # type None: a missing value is 0


def _categorical_codes(trees: FlatTrees) -> np.ndarray | None:
    """Per feature, the codes its categorical splits' bitsets can hold (0: not categorical), or None when the
    tables would exceed :data:`MAX_CATEGORICAL_ENTRIES`."""
    codes = np.zeros(trees.features, np.int64)
    in_tree = np.arange(trees.decision.shape[1]) < trees.splits[:, np.newaxis]
    tree, node = np.nonzero((trees.decision & CATEGORICAL).astype(bool) & in_tree)
    feature = trees.feature[tree, node]
    np.maximum.at(codes, feature, 32 * trees.bitset_words[tree, node].astype(np.int64))
    return None if int((codes[feature] + 1).sum()) > MAX_CATEGORICAL_ENTRIES else codes


def _category_row(trees: FlatTrees, tree: int, node: int, codes: int, mask: np.uint64) -> np.ndarray:
    """A categorical split's AND per code 0..codes-1, then for a code beyond (NaN, negative, too large): all
    ones where the code's bit is set (it goes left), the split's mask elsewhere."""
    start, count = int(trees.bitset_start[tree, node]), int(trees.bitset_words[tree, node])
    goes_left = np.zeros(codes + 1, np.bool_)
    bits = np.unpackbits(trees.words[start : start + count].view(np.uint8), bitorder="little").astype(np.bool_)
    goes_left[: len(bits)] = bits
    return np.where(goes_left, _ALL, mask).astype(np.uint64)


@numba.njit(cache=True, inline="always")
def _apply(tables, split, values, codes, word):
    """AND ``word`` (one per customer of the block) with the split's mask wherever the customer goes right."""
    rule, feature = tables.rule[split], tables.feature[split]
    threshold, mask = tables.threshold[split], tables.mask[split]
    if rule == NAN_LEFT:  # NaN compares false: it stays left
        for r in range(word.shape[0]):
            word[r] &= mask if values[feature, r] > threshold else _ALL
    elif rule == NAN_RIGHT:  # NaN compares false: it goes right
        for r in range(word.shape[0]):
            word[r] &= _ALL if values[feature, r] <= threshold else mask
    elif rule == CATEGORY:
        start = tables.category_start[split]
        for r in range(word.shape[0]):
            word[r] &= tables.category_and[start + codes[feature, r]]
    else:  # missing type Zero: NaN and zero take the default side
        default = mask if rule == ZERO_RIGHT else _ALL
        for r in range(word.shape[0]):
            value = values[feature, r]
            zero = math.isnan(value) or -ZERO <= value <= ZERO
            word[r] &= default if zero else (mask if value > threshold else _ALL)


@numba.njit(cache=True, inline="always")
def _load_block(X, start, tables, values, codes):
    """The block's rows of ``X`` as (features, rows), and the categorical features' codes (beyond: ``codes``)."""
    count = values.shape[1]
    for feature in range(X.shape[1]):
        tabulated = tables.codes[feature]
        for r in range(count):
            value = X[start + r, feature]
            values[feature, r] = value
            if tabulated > 0:  # LightGBM's code is the value truncated (NaN, negative, too large: beyond)
                codes[feature, r] = int(value) if (not math.isnan(value)) and -1.0 < value < tabulated else tabulated


def tables_by_bit(leaf_tables: np.ndarray, leaf_of_bit: np.ndarray) -> np.ndarray:
    """``by_bit[tree, bit]``: the row of ``leaf_tables`` (trees, leaves, width) of the leaf the bit stands for; the
    row after the last leaf, zeros, for an empty word. So a customer's exit costs one look-up per tree. Built by
    numpy, not in the kernel, where it took 2 of the kernel's 9 s of compilation (once per machine)."""
    trees, leaves, width = leaf_tables.shape
    by_bit = np.zeros((trees, leaves + 1, width))
    by_bit[:, :leaves] = np.take_along_axis(leaf_tables, leaf_of_bit[:, :leaves, np.newaxis].astype(np.int64), axis=1)
    return by_bit


@numba.njit(parallel=True, cache=True)
def leaf_sums(X, tables, by_bit, block):
    """(rows, width): per row, the sum over trees of ``by_bit[tree, exit bit]`` (:func:`tables_by_bit`), tree by
    tree (LightGBM's order): the raw score with the leaf values as tables (width 1), path attribution with the
    credit tables."""
    rows, trees, leaves, width = X.shape[0], by_bit.shape[0], by_bit.shape[1] - 1, by_bit.shape[2]
    out = np.empty((rows, width))
    for chunk in numba.prange((rows + block - 1) // block):
        start = chunk * block
        count = min(rows, start + block) - start
        values = np.empty((X.shape[1], count))
        codes = np.zeros((X.shape[1], count), np.int64)
        _load_block(X, start, tables, values, codes)
        word = np.empty(count, np.uint64)
        total = np.zeros((count, width))
        for tree in range(trees):
            word[:] = _ALL
            for split in range(tables.tree_start[tree], tables.tree_start[tree + 1]):
                _apply(tables, split, values, codes, word)
            if width == 1:  # the raw score: one add per customer (the loop below costs a third more)
                for r in range(count):
                    total[r, 0] += by_bit[tree, min(np.int64(trailing_zeros(word[r])), leaves), 0]
            else:
                for r in range(count):
                    bit = min(np.int64(trailing_zeros(word[r])), leaves)
                    for column in range(width):
                        total[r, column] += by_bit[tree, bit, column]
        out[start : start + count] = total
    return out

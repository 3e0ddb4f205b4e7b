"""The compiled forest's fast walk: QuickScorer's bit vectors, with LightGBM's missing-value and categorical rules.

Lucchese et al. (SIGIR 2015). Each tree of at most 64 leaves keeps one 64-bit word per customer, a bit
per leaf numbered left to right, all set at the start. A split the customer's value sends *right*
makes every leaf of its left subtree unreachable: the word is ANDed with a mask clearing them. Once
every such split is applied, the lowest set bit is the exit leaf (no branch of the walk is taken
per tree, so nothing is mispredicted).

The splits are visited feature by feature, not tree by tree:

* numerical splits of a feature are sorted by threshold; a value goes right at exactly the splits
  with ``value > threshold``, a prefix of that order, so the scan stops at the first split it does
  not pass;
* a missing value (NaN) goes right at the splits listed for it: those of missing type NaN or Zero
  whose default side is right, and those of type None whose threshold is below 0 (LightGBM reads
  the value as 0 there);
* a value LightGBM treats as zero (|x| <= 1e-35) on a feature with splits of missing type Zero
  takes each such split's default side, and compares with the others' thresholds;
* categorical splits are tabulated per code: the code's list holds the splits whose bitset does not
  contain it; one more list per feature, for NaN, negative codes and codes beyond every bitset,
  holds them all.

The leaf each word points to is LightGBM's leaf number through ``leaf_of_bit``; :func:`leaf_sums` adds
a table row per exit leaf tree by tree in LightGBM's order (the leaf values: the raw score, equal to the
plain walk's to the last bit; the credit tables: path attribution). The exit leaf's bit is never
cleared: the splits whose left subtree holds it are on its path, where the value went left. Were a
word ever empty, the 65th column keeps the look-up in bounds, and the score stage's sample check
stops the run. A model with a
tree of more than 64 leaves, or whose categorical tables would exceed :data:`MAX_CATEGORICAL_ENTRIES`,
is walked plainly instead (:meth:`BitvectorTables.build` returns None). ``trailing_zeros`` is numba's
own intrinsic (LLVM ``cttz``), from its ``unsafe`` module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numba.cpython.unsafe.numbers import trailing_zeros

MAX_LEAVES = 64  # one 64-bit word per tree
MAX_CATEGORICAL_ENTRIES = 16_000_000  # (code, split) pairs in the categorical tables: about 200 MB at most
_ALL = np.uint64(0xFFFF_FFFF_FFFF_FFFF)
ZERO = 1e-35  # LightGBM's kZeroThreshold: values of this magnitude or less are read as 0
CATEGORICAL, DEFAULT_LEFT = 1, 2  # LightGBM's decision_type bits; the missing type is in bits 2-3
MISSING_ZERO, MISSING_NAN = 1, 2


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


def _csr(lists: list[list[tuple]], columns: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Offsets and column arrays of lists of equal-width tuples (one list per key)."""
    offsets = np.zeros(len(lists) + 1, np.int64)
    offsets[1:] = np.cumsum([len(entries) for entries in lists])
    flat = [entry for entries in lists for entry in entries]
    return offsets, [np.array([entry[i] for entry in flat]) for i in range(columns)]


@dataclass(frozen=True)
class BitvectorTables:
    """The per-feature split lists the kernel scans, and the map from each word's bit to LightGBM's leaf."""

    arrays: tuple[np.ndarray, ...]

    @classmethod
    def build(cls, trees: FlatTrees) -> BitvectorTables | None:
        """The tables of ``trees``, or None when a tree has more than 64 leaves or the categories are too wide."""
        if int(trees.splits.max(initial=0)) + 1 > MAX_LEAVES:
            return None
        numerical, missing, categorical, leaf_of_bit = _split_lists(trees)
        tables = _categorical_tables(trees, categorical)
        if tables is None:
            return None
        numerical_offsets, (threshold, tree_of, mask, zero_type, zero_right) = _csr(numerical, 5)
        missing_offsets, (missing_tree, missing_mask) = _csr(missing, 2)
        has_zero_type = np.array([any(entry[3] for entry in entries) for entries in numerical], np.bool_)
        arrays = (
            numerical_offsets, threshold.astype(np.float64), tree_of.astype(np.int32), mask.astype(np.uint64),
            zero_type.astype(np.bool_), zero_right.astype(np.bool_), has_zero_type,
            missing_offsets, missing_tree.astype(np.int32), missing_mask.astype(np.uint64),
            *tables, leaf_of_bit,
        )  # fmt: skip
        return cls(arrays)


def _split_lists(trees: FlatTrees) -> tuple[list[list[tuple]], list[list[tuple]], list[tuple], np.ndarray]:
    """Per feature: its numerical splits by threshold (threshold, tree, mask, type Zero, default right) and the
    splits a missing value goes right at (tree, mask); the categorical splits (feature, tree, mask, split); and
    each tree's map from bit to leaf."""
    numerical: list[list[tuple]] = [[] for _ in range(trees.features)]
    missing: list[list[tuple]] = [[] for _ in range(trees.features)]
    categorical: list[tuple] = []
    leaf_of_bit = np.zeros((len(trees.splits), MAX_LEAVES + 1), np.int32)  # + 1: an empty word's trailing_zeros
    for tree in np.flatnonzero(trees.splits):  # a single leaf has no split: its word stays full, bit 0 is leaf 0
        order, subtree = _leaf_ranges(trees.left[tree], trees.right[tree])
        leaf_of_bit[tree, : len(order)] = order
        for node, (start, stop) in subtree.items():
            kind, feature = int(trees.decision[tree, node]), int(trees.feature[tree, node])
            mask, default_left = _mask(start, stop), bool(kind & DEFAULT_LEFT)
            if kind & CATEGORICAL:
                categorical.append((feature, tree, mask, node))
                continue
            threshold, missing_type = float(trees.threshold[tree, node]), (kind >> 2) & 3
            numerical[feature].append((threshold, tree, mask, missing_type == MISSING_ZERO, not default_left))
            read_as_zero = missing_type not in (MISSING_ZERO, MISSING_NAN)  # type None: a missing value is 0
            if (threshold < 0.0) if read_as_zero else not default_left:  # a missing value goes right here
                missing[feature].append((tree, mask))
    for entries in numerical:
        entries.sort(key=lambda entry: entry[0])
    return numerical, missing, categorical, leaf_of_bit


def _categorical_tables(trees: FlatTrees, splits: list[tuple]) -> tuple[np.ndarray, ...] | None:
    """Per categorical feature and code, the splits the code goes right at (CSR), or None when too wide."""
    codes_of = np.zeros(trees.features, np.int64)  # codes tabulated per feature; one more list after them
    first_list = np.zeros(trees.features, np.int64)
    lists: list[list[tuple]] = []
    by_feature: dict[int, list[tuple[int, np.uint64, int]]] = {}
    for feature, tree, mask, node in splits:
        by_feature.setdefault(feature, []).append((tree, mask, node))
    for feature, entries in by_feature.items():  # codes up to the widest bitset of the feature's splits
        codes_of[feature] = 32 * max(int(trees.bitset_words[tree, node]) for tree, _, node in entries)
    if sum((codes_of[feature] + 1) * len(entries) for feature, entries in by_feature.items()) > MAX_CATEGORICAL_ENTRIES:
        return None
    for feature, entries in sorted(by_feature.items()):
        codes = int(codes_of[feature])
        first_list[feature] = len(lists)
        goes_left = np.zeros((codes + 1, len(entries)), np.bool_)  # the last row: missing or beyond every bitset
        for column, (tree, _, node) in enumerate(entries):
            start, count = int(trees.bitset_start[tree, node]), int(trees.bitset_words[tree, node])
            bits = np.unpackbits(trees.words[start : start + count].view(np.uint8), bitorder="little")
            goes_left[: len(bits), column] = bits.astype(np.bool_)
        for row in goes_left:
            lists.append([entries[column][:2] for column in np.flatnonzero(~row)])
    offsets, (tree_of, mask) = _csr(lists, 2)
    return (codes_of, first_list, offsets, tree_of.astype(np.int32), mask.astype(np.uint64))


@numba.njit(cache=True, inline="always")
def _words(X, row, tables, words):
    """Fill ``words`` (one per tree) with row ``row``'s reachable leaves once every split is applied."""
    (offsets, threshold, tree_of, mask, zero_type, zero_right, has_zero_type, missing_offsets, missing_tree,
     missing_mask, codes_of, first_list, category_offsets, category_tree, category_mask, _) = tables  # fmt: skip
    words[:] = _ALL
    for feature in range(offsets.shape[0] - 1):
        value = X[row, feature]
        if math.isnan(value):
            for j in range(missing_offsets[feature], missing_offsets[feature + 1]):
                words[missing_tree[j]] &= missing_mask[j]
        elif has_zero_type[feature] and -ZERO <= value <= ZERO:
            for j in range(offsets[feature], offsets[feature + 1]):
                if zero_right[j] if zero_type[j] else value > threshold[j]:
                    words[tree_of[j]] &= mask[j]
        else:
            j, stop = offsets[feature], offsets[feature + 1]
            while j < stop and value > threshold[j]:
                words[tree_of[j]] &= mask[j]
                j += 1
        codes = codes_of[feature]
        if codes > 0:  # a categorical feature: LightGBM's code is the value truncated (NaN, negative: none)
            code = int(value) if (not math.isnan(value)) and -1.0 < value < codes else codes
            tabulated = first_list[feature] + code
            for j in range(category_offsets[tabulated], category_offsets[tabulated + 1]):
                words[category_tree[j]] &= category_mask[j]


@numba.njit(parallel=True, cache=True)
def leaf_sums(X, tables, leaf_tables, block):
    """(rows, width): per row, the sum over trees of ``leaf_tables[tree, exit leaf]``, tree by tree (LightGBM's
    order): the raw score with the leaf values as tables (width 1), path attribution with the credit tables."""
    rows, trees, width, leaf_of_bit = X.shape[0], leaf_tables.shape[0], leaf_tables.shape[2], tables[-1]
    out = np.zeros((rows, width))
    for chunk in numba.prange((rows + block - 1) // block):
        words = np.empty(trees, np.uint64)
        for row in range(chunk * block, min(rows, (chunk + 1) * block)):
            _words(X, row, tables, words)
            for tree in range(trees):
                leaf = leaf_of_bit[tree, trailing_zeros(words[tree])]
                for column in range(width):
                    out[row, column] += leaf_tables[tree, leaf, column]
    return out

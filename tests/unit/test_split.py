"""The split: stratified, complete, disjoint and deterministic."""

from __future__ import annotations

import pytest

from intentseg.data.shopsphere import shopsphere_spec
from intentseg.data.split import SplitResult, stratified_split, summarise_split

SPEC = shopsphere_spec()
FRACTIONS = {"train": 0.7, "valid": 0.15, "test": 0.15}


def test_parts_are_disjoint_complete_and_stratified(small_table):
    table = small_table.features
    parts = stratified_split(table, SPEC.target, FRACTIONS, seed=1)
    ids = [set(part[SPEC.id_column]) for part in parts.values()]
    assert sum(len(i) for i in ids) == len(table) and set.union(*ids) == set(table[SPEC.id_column])
    summary = summarise_split(SplitResult(parts, "random"))
    for name, fraction in FRACTIONS.items():
        assert summary[name]["rows"] == pytest.approx(fraction * len(table), abs=2)
        assert parts[name][SPEC.target].mean() == pytest.approx(table[SPEC.target].mean(), abs=0.002)


def test_deterministic_and_seed_dependent(small_table):
    table = small_table.features
    first = stratified_split(table, SPEC.target, FRACTIONS, seed=1)
    again = stratified_split(table, SPEC.target, FRACTIONS, seed=1)
    other = stratified_split(table, SPEC.target, FRACTIONS, seed=2)
    assert first["test"].equals(again["test"])
    assert not first["test"][SPEC.id_column].equals(other["test"][SPEC.id_column])


def test_rows_keep_their_order(small_table):
    parts = stratified_split(small_table.features, SPEC.target, FRACTIONS, seed=1)
    assert parts["train"][SPEC.id_column].is_monotonic_increasing


@pytest.mark.parametrize(
    "fractions",
    [
        {"train": 0.7, "valid": 0.2, "test": 0.2},
        {"train": 0.7, "valid": 0.3},
        {"train": 1.0, "valid": 0.0, "test": 0.0},
    ],
)
def test_bad_fractions_are_refused(small_table, fractions):
    with pytest.raises(ValueError, match="fractions"):
        stratified_split(small_table.features, SPEC.target, fractions, seed=1)

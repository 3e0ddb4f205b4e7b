"""The data contract: each rule broken on a tiny frame gives a clear error naming column and rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.data.contract import validate_table, with_levels
from intentseg.data.shopsphere import shopsphere_spec
from intentseg.data.simulator import simulate_customers
from intentseg.foundation.errors import DataContractError

SPEC = shopsphere_spec()


@pytest.fixture()
def tiny() -> pd.DataFrame:
    return simulate_customers(12, seed=11, snapshot_month="2026-11").features.copy()


def _error(frame: pd.DataFrame, spec=SPEC) -> str:
    with pytest.raises(DataContractError) as caught:
        validate_table(frame, spec)
    return str(caught.value)


def test_valid_table_passes_in_canonical_types(tiny):
    out = validate_table(tiny, SPEC)
    assert list(out.columns) == [SPEC.id_column, *SPEC.feature_names, SPEC.target]
    assert all(out[c].dtype == "float64" for c in SPEC.numeric_features)
    for column in SPEC.categorical_features:
        assert isinstance(out[column].dtype, pd.CategoricalDtype)
        assert list(out[column].cat.categories) == list(SPEC.column(column).categories)
    assert out[SPEC.target].dtype == "int8"


def test_accepts_strings_for_categoricals_and_ints_for_numerics(tiny):
    loose = tiny.astype({c: object for c in SPEC.categorical_features})
    out = validate_table(loose, SPEC)
    assert out["region"].isna().sum() == tiny["region"].isna().sum()


def test_extra_columns_are_dropped(tiny):
    tiny["note"] = "x"
    assert "note" not in validate_table(tiny, SPEC)


def test_missing_column(tiny):
    message = _error(tiny.drop(columns=["tenure_days"]))
    assert "column 'tenure_days'" in message and "column_in_dataframe" in message


def test_wrong_type_names_value_and_row(tiny):
    tiny["cart_add_rate"] = tiny["cart_add_rate"].astype(object)
    tiny.loc[5, "cart_add_rate"] = "abc"
    message = _error(tiny)
    assert "column 'cart_add_rate'" in message and "coerce_dtype" in message and "row 5: 'abc'" in message
    assert "TypeError" not in message


def test_out_of_range_lists_examples(tiny):
    tiny.loc[3, "age"] = 250
    tiny.loc[7, "age"] = -1
    message = _error(tiny)
    assert "column 'age'" in message and "in_range(18, 100)" in message
    assert "row 3: 250.0" in message and "row 7: -1.0" in message


def test_rate_above_one(tiny):
    tiny.loc[2, "email_open_rate"] = 1.2
    assert "column 'email_open_rate'" in _error(tiny)


def test_negative_count(tiny):
    tiny.loc[1, "orders_last_12m"] = -3
    message = _error(tiny)
    assert "column 'orders_last_12m'" in message and "greater_than_or_equal_to(0.0)" in message


def test_unknown_category(tiny):
    tiny["region"] = tiny["region"].astype(object)
    tiny.loc[4, "region"] = "mars"
    message = _error(tiny)
    assert "column 'region'" in message and "isin" in message and "row 4: 'mars'" in message


def test_duplicate_ids(tiny):
    tiny.loc[6, SPEC.id_column] = tiny.loc[8, SPEC.id_column]
    message = _error(tiny)
    assert f"column '{SPEC.id_column}'" in message and "field_uniqueness" in message


def test_non_binary_target(tiny):
    tiny[SPEC.target] = tiny[SPEC.target].astype("int64")
    tiny.loc[9, SPEC.target] = 2
    message = _error(tiny)
    assert f"column '{SPEC.target}'" in message and "isin([0, 1])" in message and "row 9: 2" in message


def test_missing_value_where_not_allowed(tiny):
    tiny.loc[0, "tenure_days"] = np.nan
    message = _error(tiny)
    assert "column 'tenure_days'" in message and "not_nullable" in message


def test_many_failures_reported_at_once_with_at_most_five_examples(tiny):
    tiny.loc[:, "age"] = 500
    tiny.loc[0, "refund_rate"] = -0.5
    message = _error(tiny)
    age_line = next(line for line in message.splitlines() if "'age'" in line)
    assert "broken by 12 row(s)" in age_line and age_line.count("row ") == 5
    assert "column 'refund_rate'" in message


def test_empty_table():
    empty = simulate_customers(5, seed=1, snapshot_month="2026-11").features.iloc[:0]
    with pytest.raises(DataContractError, match="empty"):
        validate_table(empty, SPEC)


def test_population_contract_needs_no_target(tiny):
    population = tiny.drop(columns=[SPEC.target])
    out = validate_table(population, SPEC.without_target())
    assert SPEC.target not in out
    assert "column_in_dataframe" in _error(population)


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(pd.Categorical(["b", None, "z", "a", "b"], categories=["z", "b", "a", "unused"])),
        pd.Series(pd.Categorical(["b", "a", None], categories=["b", "a"], ordered=True)),
        pd.Series(pd.Categorical([1, 2, None], categories=[2, 1])),  # numbers never match text levels
        pd.Series(["b", None, "z", "a"], dtype="object"),
        pd.Series(["b", None, "z", "a"], dtype="str"),
    ],
)
def test_levels_set_by_categories_equal_the_row_by_row_definition(values):
    """A categorical is recoded by its categories; the result is what converting every row's value gives."""
    levels = ["a", "b", "c"]
    expected = pd.Categorical(values.astype("object").where(values.notna()), categories=levels)
    got = with_levels(values, levels)
    assert got.dtype == expected.dtype and not got.ordered
    np.testing.assert_array_equal(got.codes, expected.codes)

"""Customer tables from files: inference, real-world shapes, and the bad-input matrix of prepare."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from intentseg.data.example_table import EXAMPLE_PARAMS, make_example_table
from intentseg.data.sources import load_customer_data, population_for
from intentseg.data.tables import OTHER_LEVEL, leakage_suspects, prepare_table
from intentseg.errors import DataContractError
from tests.conftest import config_of


@pytest.fixture(scope="module")
def data_params(repo_root) -> dict:
    params = yaml.safe_load((repo_root / "params.yaml").read_text())["data"]
    return {**params, **{key[5:]: value for key, value in EXAMPLE_PARAMS.items() if key.startswith("data.")}}


@pytest.fixture()
def table() -> pd.DataFrame:
    return make_example_table(3000, seed=1)


def failure(table: pd.DataFrame, data_params: dict) -> str:
    with pytest.raises(DataContractError) as caught:
        load_customer_data(config_of("data", data_params), 1, table)
    return str(caught.value)


def test_inference_and_real_world_shapes(table, data_params):
    prepared = prepare_table(table, config_of("data", data_params))
    spec = prepared.spec
    assert spec.id_column == "member_no" and spec.target == "converted"
    assert set(spec.numeric_features) == {"visits_30d", "basket_value", "has_app", "days_inactive"}
    assert set(spec.categorical_features) == {"store_id", "plan", "city"}  # store_id declared, despite integers
    assert prepared.notes["converted_true_false"] == ["has_app"]
    assert set(prepared.table["has_app"].unique()) == {0.0, 1.0}
    assert prepared.notes["dropped_constant"] == ["country"] and "country" not in prepared.table
    assert "signup_date" not in prepared.table  # excluded in params
    assert prepared.notes["lumped_levels"]["city"] > 100 and OTHER_LEVEL in spec.column("city").categories
    assert len(spec.column("city").categories) <= data_params["max_levels"] + 1
    assert prepared.notes["inferred"]["plan"] == "categorical"


def test_date_columns_are_refused_with_a_suggestion(table, data_params):
    message = failure(table, {**data_params, "exclude": None})
    assert "signup_date" in message and "days_since_" in message


def test_text_dates_are_detected(table, data_params):
    table["last_login"] = table["signup_date"].dt.strftime("%Y-%m-%d")
    assert "last_login" in failure(table, data_params)


def test_valid_table_loads_and_population_is_converted(table, data_params):
    data = load_customer_data(config_of("data", data_params), 1, table)
    assert len(data.labelled) == 3000 and data.labelled["converted"].dtype == "int8"
    assert data.ground_truth.empty and len(data.population) == 3000
    assert "converted" not in data.population and set(data.population["has_app"].unique()) <= {0.0, 1.0}
    assert set(data.population["city"].dropna()) <= set(data.spec.column("city").categories)


@pytest.mark.parametrize(
    "case,mutate,expected",
    [
        ("missing column", lambda t: t.drop(columns=["store_id"]), ["column 'store_id'", "column_in_dataframe"]),
        (
            "wrong type",
            lambda t: t.assign(visits_30d=t["visits_30d"].astype(object).where(t.index != 7, "lots")),
            ["column 'visits_30d'", "coerce_dtype", "row 7: 'lots'"],
        ),
        (
            "duplicate ids",
            lambda t: t.assign(member_no=t["member_no"].where(t.index != 5, t["member_no"][6])),
            ["column 'member_no'", "field_uniqueness", "row 5", "row 6"],
        ),
        (
            "non-binary target",
            lambda t: t.assign(converted=t["converted"].where(t.index != 9, 3)),
            ["column 'converted'", "isin([0, 1])", "row 9: 3"],
        ),
        ("single-class target", lambda t: t.assign(converted=0), ["column 'converted'", "two_classes"]),
        ("all-missing column", lambda t: t.assign(basket_value=np.nan), ["column 'basket_value'", "not_all_missing"]),
        ("empty table", lambda t: t.iloc[:0], ["empty"]),
        (
            "too few positives",
            lambda t: t.assign(converted=(t.index < 20).astype(int)),
            ["column 'converted'", "enough_positives", "20 positive labels", "at least 60"],
        ),
    ],
)
def test_bad_input_matrix(table, data_params, case, mutate, expected):
    message = failure(mutate(table), data_params)
    for text in expected:
        assert text in message, f"{case}: {text!r} not in {message!r}"


def test_out_of_range_values_with_configured_ranges(table, data_params):
    table.loc[[2, 4], "days_inactive"] = [-5, 999]
    message = failure(table, {**data_params, "ranges": {"days_inactive": [0, 365]}})
    assert "column 'days_inactive'" in message and "in_range(0, 365)" in message and "row 2: -5" in message


def test_every_failure_is_reported_at_once(table, data_params):
    table.loc[3, "converted"] = 7
    table.loc[8, "member_no"] = table.loc[9, "member_no"]
    message = failure(table.assign(basket_value=np.nan), data_params)
    assert all(text in message for text in ("'converted'", "'member_no'", "'basket_value'"))


def test_leakage_suspicion_is_reported(table, data_params):
    leaky = table.assign(refund_after_purchase=table["converted"] * 10.0)
    data = load_customer_data(config_of("data", data_params), 1, leaky)
    assert "refund_after_purchase" in data.notes["leakage_suspects"]
    assert leakage_suspects(data.labelled, data.spec, 0.98).keys() == {"refund_after_purchase"}


def test_population_needs_the_model_columns(table, data_params):
    data = load_customer_data(config_of("data", data_params), 1, table)
    with pytest.raises(DataContractError, match="'plan'"):
        population_for(table.drop(columns=["plan", "converted"]), data.spec.without_target(), data.notes)

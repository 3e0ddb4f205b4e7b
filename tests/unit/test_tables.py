"""Customer tables from files: inference, real-world shapes, and the bad-input matrix of prepare.

Tables go through a real file (CSV unless a case says otherwise) and :func:`read_customer_file`,
as in the prepare stage.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.data.example_table import EXAMPLE_PARAMS, make_example_table
from intentseg.data.leakage import leakage_suspects
from intentseg.data.reading import RawTable, read_customer_file
from intentseg.data.recipe import OTHER_LEVEL
from intentseg.data.sources import CustomerData, load_customer_data
from intentseg.data.tables import population_table, prepare_table
from intentseg.foundation.errors import DataContractError
from tests.conftest import config_of, default_params


@pytest.fixture(scope="module")
def data_params(repo_root) -> dict:
    params = default_params(repo_root)["data"]
    return {**params, **{key[5:]: value for key, value in EXAMPLE_PARAMS.items() if key.startswith("data.")}}


@pytest.fixture()
def table() -> pd.DataFrame:
    return make_example_table(1500, seed=1)


def raw_of(frame: pd.DataFrame, folder, name: str = "table.csv", **to_csv) -> RawTable:
    """``frame`` written to a file and read back as prepare reads it."""
    path = folder / name
    if name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, **to_csv)
    return read_customer_file(str(path), config_of("data", default_params()["data"]).read)


def load(frame: pd.DataFrame, params: dict, folder, **to_csv) -> CustomerData:
    return load_customer_data(config_of("data", params), 1, raw_of(frame, folder, **to_csv))


def failure(frame: pd.DataFrame, params: dict, folder, **to_csv) -> str:
    with pytest.raises(DataContractError) as caught:
        load(frame, params, folder, **to_csv)
    return str(caught.value)


def test_inference_and_real_world_shapes(table, data_params, tmp_path):
    prepared = prepare_table(raw_of(table, tmp_path), config_of("data", data_params))
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
    assert prepared.notes["target_mapping"] == {"positive": "1", "negative": "0", "origin": "recognised"}


def test_dates_become_days_since_the_snapshot(table, data_params, tmp_path):
    table["last_login"] = table["signup_date"].dt.strftime("%d-%m-%Y")
    data = load(table, {**data_params, "exclude": None}, tmp_path)
    assert {"days_since_signup_date", "days_since_last_login"} <= set(data.spec.numeric_features)
    latest = table["signup_date"].max()
    assert data.notes["snapshot_date"] == latest.strftime("%Y-%m-%d")
    expected = (latest - table["signup_date"]).dt.days.astype(float).to_numpy()
    assert np.array_equal(data.labelled["days_since_last_login"].to_numpy(), expected)
    assert data.notes["dates"]["last_login"]["format"] == "%d-%m-%Y"
    assert data.spec.column("days_since_last_login").display_name == "last_login"
    fixed = load(table, {**data_params, "exclude": None, "snapshot_date": "2030-01-01"}, tmp_path)
    assert fixed.notes["snapshot_date"] == "2030-01-01"
    assert fixed.labelled["days_since_signup_date"].min() > 365


@pytest.mark.parametrize(
    "written,fmt",
    [
        ("%Y-%m-%d", "%Y-%m-%d"),
        ("%d/%m/%Y", "%d/%m/%Y"),
        ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S"),
        ("%m/%d/%Y", "%m/%d/%Y"),
    ],
)
def test_common_date_formats_are_recognised(table, data_params, tmp_path, written, fmt):
    table["seen"] = table["signup_date"].dt.strftime(written)
    data = load(table, data_params, tmp_path)
    assert data.notes["dates"]["seen"]["format"] == fmt
    assert data.labelled["days_since_seen"].notna().all()


def test_ambiguous_dates_follow_date_format(table, data_params, tmp_path):
    table = table.iloc[:1500].copy()
    table["seen"] = [f"0{1 + i % 9}/0{1 + i % 7}/2024" for i in range(len(table))]  # day and month both <= 12
    data = load(table, data_params, tmp_path)
    assert data.notes["dates"]["seen"] == {
        "feature": "days_since_seen",
        "format": "%d/%m/%Y",
        "ambiguous_with": "%m/%d/%Y",
    }
    month_first = load(table, {**data_params, "date_format": "%m/%d/%Y"}, tmp_path)
    assert month_first.notes["dates"]["seen"]["format"] == "%m/%d/%Y"
    assert not np.array_equal(month_first.labelled["days_since_seen"], data.labelled["days_since_seen"])


def test_ids_are_text_exactly_as_written(table, data_params, tmp_path):
    table["member_no"] = [f"{10**16 + i * 7919:017d}" for i in range(len(table))]
    table.loc[0, "member_no"] = "00042"
    data = load(table, data_params, tmp_path)
    assert data.labelled["member_no"].tolist()[:2] == ["00042", table.loc[1, "member_no"]]
    assert data.population["member_no"].tolist() == table["member_no"].tolist()
    blank = table.copy()
    blank.loc[5, "member_no"] = ""
    message = failure(blank, data_params, tmp_path)
    assert "member_no" in message and "row 5" in message and "field_uniqueness" not in message


def test_parquet_ids_and_dtype_flavours(table, data_params, tmp_path):
    frame = table.drop(columns=["signup_date"]).copy()
    frame["member_no"] = pd.array(np.arange(len(frame)) + 10**16, dtype="Int64")
    frame["visits_30d"] = pd.array(frame["visits_30d"], dtype="Int64")
    frame.loc[3, "visits_30d"] = pd.NA
    frame["plan"] = frame["plan"].astype("category")
    frame["store_id"] = frame["store_id"].astype("float64")
    frame.loc[4, "store_id"] = np.nan
    frame["city"] = frame["city"].astype("string[pyarrow]")
    frame["seen"] = pd.to_datetime("2024-01-01", utc=True) + pd.to_timedelta(np.arange(len(frame)) % 50, unit="D")
    params = {**data_params, "exclude": None}
    data = load_customer_data(config_of("data", params), 1, raw_of(frame, tmp_path, "t.parquet"))
    assert data.labelled["member_no"].iloc[0] == str(10**16)
    assert np.isnan(data.labelled["visits_30d"].iloc[3]) and data.labelled["visits_30d"].dtype == "float64"
    assert set(data.spec.column("store_id").categories) == {str(i) for i in range(1, 9)}
    assert pd.isna(data.labelled["store_id"].iloc[4])
    assert "days_since_seen" in data.spec.numeric_features


def test_numbers_with_stray_tokens_stay_numbers(table, data_params, tmp_path, caplog):
    table["basket_value"] = table["basket_value"].astype(object)
    table.loc[:40, "basket_value"] = "unknown"
    table.loc[41:45, "basket_value"] = "-"
    data = load(table, data_params, tmp_path)
    assert data.labelled["basket_value"].dtype == "float64"
    assert data.notes["missing_tokens"]["basket_value"] == {"-": 5, "unknown": 41}
    assert "41 value(s) 'unknown' are not numbers" in caplog.text


def test_integer_coded_levels_are_canonical(table, data_params, tmp_path):
    table["store_id"] = table["store_id"].astype(object)
    table.loc[0, "store_id"], table.loc[1, "store_id"], table.loc[2, "store_id"] = "2.0", " 2", ""
    data = load(table, data_params, tmp_path)
    assert data.labelled["store_id"].iloc[0] == data.labelled["store_id"].iloc[1] == "2"
    assert pd.isna(data.labelled["store_id"].iloc[2]) and "2.0" not in data.spec.column("store_id").categories


def test_awkward_names_are_sanitised_and_output_names_kept_apart(table, data_params, tmp_path):
    renamed = table.rename(columns={"visits_30d": "visits (30d) [n]", "basket_value": "purchase_probability"})
    data = load(renamed, data_params, tmp_path)
    assert "visits_30d_n" in data.spec.numeric_features and "purchase_probability_input" in data.labelled
    assert data.spec.column("visits_30d_n").display_name == "visits (30d) [n]"
    assert data.labelled["purchase_probability_input"].notna().sum() > 0.9 * len(renamed)  # values kept
    assert data.notes["renamed"]["purchase_probability"] == "purchase_probability_input"


def test_no_id_column_numbers_the_rows(table, data_params, tmp_path):
    data = load(table.drop(columns=["member_no"]), {**data_params, "id_column": None}, tmp_path)
    assert data.spec.id_column == "row_id" and data.labelled["row_id"].tolist()[:3] == ["1", "2", "3"]
    assert data.population["row_id"].tolist() == data.labelled["row_id"].tolist()


@pytest.mark.parametrize(
    "values,positive,expected",
    [
        (["yes", "no"], None, "yes"),
        (["Y", "N"], None, "y"),
        (["TRUE", "FALSE"], None, "true"),
        (["1", "-1"], None, "1"),
        (["purchased", "not purchased"], "purchased", "purchased"),
        (["2", "1"], 2, "2"),
    ],
)
def test_label_values_are_mapped(table, data_params, tmp_path, values, positive, expected):
    table["converted"] = np.where(table["converted"] == 1, values[0], values[1])
    data = load(table, {**data_params, "positive_label": positive}, tmp_path)
    assert data.notes["target_mapping"]["positive"] == expected
    assert data.labelled["converted"].mean() == pytest.approx((table["converted"] == values[0]).mean())


@pytest.mark.parametrize(
    "case,mutate,expected",
    [
        ("missing column", lambda t: t.drop(columns=["store_id"]), ["column 'store_id'", "data.categorical", "found"]),
        (
            "junk in a numeric column",
            lambda t: t.assign(
                visits_30d=t["visits_30d"].astype(object).where(t.index % 50 != 7, "x" + t.index.astype(str))
            ),
            ["column 'visits_30d'", "coerce_dtype", "row 7: 'x7'"],
        ),
        (
            "duplicate ids",
            lambda t: t.assign(member_no=t["member_no"].where(t.index != 5, t["member_no"][6])),
            ["column 'member_no'", "field_uniqueness", "row 5", "row 6"],
        ),
        (
            "third label value",
            lambda t: t.assign(converted=t["converted"].where(t.index != 9, 3)),
            ["column 'converted'", "'3' (1)", "'0' (", "'1' ("],
        ),
        (
            "missing labels",
            lambda t: t.assign(converted=t["converted"].astype(object).where(t.index > 3, "")),
            ["column 'converted'", "4 row(s) have no label", "'<missing>' (4)"],
        ),
        (
            "unknown label pair",
            lambda t: t.assign(converted=np.where(t["converted"] == 1, "buy", "skip")),
            ["'buy'", "'skip'", "data.positive_label"],
        ),
        ("single-class target", lambda t: t.assign(converted=0), ["column 'converted'", "two_classes"]),
        ("all-missing column", lambda t: t.assign(basket_value=np.nan), ["column 'basket_value'", "not_all_missing"]),
        (
            "too few of a class",
            lambda t: t.assign(converted=(t.index < 20).astype(int)),
            ["column 'converted'", "enough_rows_per_class", "20 positive", "at least 60"],
        ),
        (
            "infinite and absurd values",
            lambda t: t.assign(
                basket_value=np.where(t.index == 3, np.inf, np.where(t.index == 4, 1e308, t["basket_value"]))
            ),
            ["column 'basket_value'", "rule 'finite'", "row 3: inf", "row 4: 1e+308"],
        ),
    ],
)
def test_bad_input_matrix(table, data_params, tmp_path, case, mutate, expected):
    message = failure(mutate(table), data_params, tmp_path)
    assert "Traceback" not in message
    for text in expected:
        assert text in message, f"{case}: {text!r} not in {message!r}"


def test_out_of_range_values_with_configured_ranges(table, data_params, tmp_path):
    table.loc[[2, 4], "days_inactive"] = [-5, 999]
    message = failure(table, {**data_params, "ranges": {"days_inactive": [0, 365]}}, tmp_path)
    assert "column 'days_inactive'" in message and "in_range(0, 365)" in message and "row 2: -5" in message


def test_every_failure_is_reported_at_once(table, data_params, tmp_path):
    table.loc[3, "converted"] = 7
    table.loc[8, "member_no"] = table.loc[9, "member_no"]
    message = failure(table.assign(basket_value=np.nan), data_params, tmp_path)
    assert all(text in message for text in ("'converted'", "'member_no'", "'basket_value'"))


def test_leakage_suspicion_is_reported(table, data_params, tmp_path):
    leaky = table.assign(refund_after_purchase=table["converted"] * 10.0)
    data = load(leaky, data_params, tmp_path)
    assert "refund_after_purchase" in data.notes["leakage_suspects"]
    assert leakage_suspects(data.labelled, data.spec, 0.98).keys() == {"refund_after_purchase"}


def test_population_needs_the_model_columns(table, data_params, tmp_path):
    config = config_of("data", data_params)
    prepared = prepare_table(raw_of(table, tmp_path), config)
    population = raw_of(table.drop(columns=["plan", "converted"]), tmp_path, "population.csv")
    with pytest.raises(DataContractError, match="'plan'"):
        population_table(population, prepared.recipe, prepared.spec.without_target())


def test_population_is_converted_like_the_labelled_table(table, data_params, tmp_path):
    table["store_id"] = table["store_id"].astype(object)
    table.loc[0, "store_id"] = "3.0"
    data = load(table, data_params, tmp_path)
    assert data.population["store_id"].iloc[0] == "3" and "converted" not in data.population
    assert set(data.population["has_app"].unique()) <= {0.0, 1.0}
    assert set(data.population["city"].dropna()) <= set(data.spec.column("city").categories)


def test_a_separate_population_with_float_codes_and_blanks_scores_like_training(table, data_params, tmp_path):
    population = table.drop(columns=["converted"]).copy()
    population["store_id"] = population["store_id"].astype(float)
    population.loc[:4, "store_id"] = np.nan  # five blanks
    config = config_of("data", data_params)
    raw = raw_of(table, tmp_path)
    data = load_customer_data(config, 1, raw, raw_of(population, tmp_path, "population.parquet"))
    codes = data.population["store_id"]
    assert codes.iloc[:5].isna().all() and codes.iloc[5:].tolist() == table["store_id"].iloc[5:].astype(str).tolist()
    assert set(codes.dropna()) <= set(data.spec.column("store_id").categories)

"""Reading files as teams export them: dialects, encodings, compression, Parquet, and clear refusals."""

from __future__ import annotations

import gzip
import zipfile

import numpy as np
import pandas as pd
import pytest

from intentseg.data.reading import read_customer_file, sniff_delimiter
from intentseg.data.sources import load_customer_data
from intentseg.data.tracking import untracked_sources
from intentseg.foundation.errors import DataContractError
from tests.conftest import config_of, default_params

ROWS = "id;name;amount\n007;Zoë;1,5\n008;Ångström;2,25\n"


@pytest.fixture(scope="module")
def read_config():
    return config_of("data", default_params()["data"]).read


def with_read(**read):
    params = default_params()["data"]
    return config_of("data", {**params, "read": {**params["read"], **read}}).read


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_delimiters_and_encodings_are_sniffed(tmp_path, read_config, delimiter, encoding):
    text = ROWS.replace(";", delimiter) if delimiter != "," else ROWS.replace(",", ".").replace(";", ",")
    (tmp_path / "t.csv").write_bytes(text.encode(encoding))
    raw = read_customer_file(str(tmp_path / "t.csv"), read_config)
    assert raw.delimiter == delimiter and list(raw.frame.columns) == ["id", "name", "amount"]
    assert raw.frame["id"].tolist() == ["007", "008"] and raw.frame["name"].tolist() == ["Zoë", "Ångström"]
    assert raw.decimal == ("," if delimiter == ";" else ".")


def test_overrides_decide_what_sniffing_cannot(tmp_path):
    (tmp_path / "t.csv").write_bytes("a:b\n1:2\n".encode("cp1252"))
    raw = read_customer_file(str(tmp_path / "t.csv"), with_read(sep=":", encoding="cp1252", na_values=["?"]))
    assert list(raw.frame.columns) == ["a", "b"]
    with pytest.raises(DataContractError, match="not valid utf-8"):
        (tmp_path / "bad.csv").write_bytes("a,b\nZoë,1\n".encode("cp1252"))
        read_customer_file(str(tmp_path / "bad.csv"), with_read(encoding="utf-8"))


def test_sniffing_respects_quotes():
    assert sniff_delimiter('a;b\n"x, y";2\n"z, w";3\n') == ";"


def test_compressed_csv_and_parquet(tmp_path, read_config):
    frame = pd.DataFrame({"id": ["01", "02"], "x": ["1", "2"]})
    with gzip.open(tmp_path / "t.csv.gz", "wt") as handle:
        frame.to_csv(handle, index=False)
    with zipfile.ZipFile(tmp_path / "t.csv.zip", "w") as archive:
        archive.writestr("t.csv", frame.to_csv(index=False))
    frame.to_parquet(tmp_path / "t.parquet")
    for name in ("t.csv.gz", "t.csv.zip", "t.parquet"):
        assert read_customer_file(str(tmp_path / name), read_config).frame["id"].tolist() == ["01", "02"], name


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("t.xlsx", b"PK..", "not supported; supported: .csv"),
        ("t.json", b"{}", "not supported"),
        ("t.csv", b"", "is empty (0 bytes)"),
        ("t.csv", b"\n\n", "is empty"),
        ("t.csv", b"id,amount\n", "has a header (2 columns) but no rows"),
        ("t.csv", b"id,amount,id\n1,2,3\n", "duplicate column names ['id']"),
        ("t.parquet", b"not parquet", "not a readable Parquet file"),
        ("missing.csv", None, "does not exist"),
    ],
)
def test_unreadable_files_get_one_clear_message(tmp_path, read_config, name, content, expected):
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(DataContractError, match=expected.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        read_customer_file(str(tmp_path / name), read_config)


def test_a_missing_column_message_lists_what_was_found_and_how(tmp_path, read_config):
    (tmp_path / "t.csv").write_text("id;amount;bought\n1;2;1\n")
    raw = read_customer_file(str(tmp_path / "t.csv"), with_read(sep=","))
    params = {**default_params()["data"], "source": "t.csv", "id_column": "id", "target": "bought"}
    with pytest.raises(DataContractError) as caught:
        load_customer_data(config_of("data", params), 1, raw)
    message = str(caught.value)
    assert "column 'id' (data.id_column) is not in the table" in message
    assert "'id;amount;bought'" in message and "delimiter ','" in message and "data.read.sep" in message


def test_sources_outside_the_tracked_folder_are_named(tmp_path):
    (tmp_path / "data" / "raw").mkdir(parents=True)
    (tmp_path / "exports").mkdir()
    assert untracked_sources(["data/raw/t.csv"], tmp_path, ["data/raw"]) == []
    assert (
        "add `- exports/t.csv` under stages.prepare.deps"
        in untracked_sources(["exports/t.csv"], tmp_path, ["data/raw"])[0]
    )
    assert untracked_sources(["exports/t.csv"], tmp_path, ["data/raw", "exports/t.csv"]) == []
    assert "outside the repository" in untracked_sources(["/elsewhere/t.csv"], tmp_path, ["data/raw"])[0]


def test_spreadsheet_habits_are_read_as_meant(tmp_path, read_config):
    lines = [" id ; spend ; share ; price ;"]  # spaces around names, a trailing delimiter
    lines += [f"{i};{1000 + i:,}.5;{i % 90}%;${i * 10:,};" for i in range(1, 40)]
    (tmp_path / "t.csv").write_text("\r\n".join(lines) + "\r\n")
    raw = read_customer_file(str(tmp_path / "t.csv"), read_config)
    assert list(raw.frame.columns) == ["id", "spend", "share", "price"] and raw.dropped == ("Unnamed: 4",)
    from intentseg.data.columns import parse_numbers

    assert parse_numbers(raw.frame["spend"]).iloc[0] == 1001.5  # thousands separator
    assert parse_numbers(raw.frame["share"]).iloc[10] == pytest.approx(0.11)  # 11% -> 0.11
    assert parse_numbers(raw.frame["price"]).iloc[199 // 10] == 200.0  # $200
    assert parse_numbers(pd.Series(["1.234,5", "7"]), ",").tolist() == [1234.5, 7.0]


def test_a_written_row_index_is_not_a_feature(tmp_path, read_config):
    pd.DataFrame({"id": ["a", "b", "c"], "x": [1, 2, 3]}).to_csv(tmp_path / "t.csv")  # index written as a column
    raw = read_customer_file(str(tmp_path / "t.csv"), read_config)
    assert list(raw.frame.columns) == ["id", "x"] and raw.dropped == ("Unnamed: 0",)


def test_untracked_inputs_are_refused_only_under_dvc_naming_their_stage(tmp_path, monkeypatch):
    from intentseg.data.tracking import refuse_untracked_inputs

    (tmp_path / "dvc.yaml").write_text("stages:\n  report:\n    deps:\n    - ${paths.raw}\n")
    (tmp_path / "exports").mkdir()
    monkeypatch.chdir(tmp_path)
    params = {"paths": {"raw": "data/raw"}}
    monkeypatch.delenv("DVC_STAGE", raising=False)
    refuse_untracked_inputs(["exports/result.csv"], "report", params, "campaign result")  # by hand: no check
    monkeypatch.setenv("DVC_STAGE", "report")
    refuse_untracked_inputs(["data/raw/result.csv"], "report", params, "campaign result")
    with pytest.raises(DataContractError, match="campaign result 'exports/result.csv' is not a dependency of report"):
        refuse_untracked_inputs(["exports/result.csv"], "report", params, "campaign result")


def test_sql_rows_are_put_in_id_order(tmp_path):
    """A query's rows come in no defined order; prepare sorts them by id so every server gives one run."""
    import pandas as pd

    from intentseg.data.reading import RawTable, in_id_order

    frame = pd.DataFrame({"id": ["b2", None, "a1", "10", "9"], "x": [1, 2, 3, 4, 5]})
    ordered = in_id_order(RawTable(frame, "q"), "id").frame
    assert ordered["id"].tolist()[:4] == ["10", "9", "a1", "b2"] and pd.isna(ordered["id"].iloc[4])
    assert ordered["x"].tolist() == [4, 5, 3, 1, 2] and ordered.index.tolist() == list(range(5))
    assert in_id_order(RawTable(frame, "q"), None).frame is frame


def test_numbers_accept_every_white_space_python_knows():
    """Currency signs and percentages are read around every character str.isspace() knows."""
    from intentseg.data.columns import parse_numbers

    spaces = [chr(code) for code in range(0x3001) if chr(code).isspace()]
    texts = [form.format(s=space) for space in spaces for form in ("{s}$1,200{s}", "USD{s}5", "5{s}€", "{s}12%")]
    expected = [value for _ in spaces for value in (1200.0, 5.0, 5.0, 0.12)]
    assert parse_numbers(pd.Series(texts)).tolist() == pytest.approx(expected)
    assert parse_numbers(pd.Series(["١٢", "1,2345", "$ ", "USD5"])).isna().all()  # not numbers as written


@pytest.mark.parametrize(
    "values",
    [
        pd.Categorical(["b", None, "a", "b", "c"], categories=["z", "c", "b", "a"]),  # unused and reordered levels
        pd.Categorical(np.array([3, "3", None, 2.5, 3, "=1+1"], dtype=object)),  # 3 and "3": one text
        pd.Categorical([1.0, 2.0, np.nan, 1.0]),
        pd.Categorical([None, None], categories=["x"]),
        pd.Categorical([], categories=["x"]),
        pd.Categorical([True, False, True]),
        pd.Categorical(np.random.default_rng(0).integers(0, 300, 2000)),  # more levels than an int8 code holds
    ],
)
def test_distinct_texts_of_a_categorical_are_those_of_its_values_as_objects(values):
    """The categorical path converts the categories, not the rows: the same codes and texts, in the same order."""
    from intentseg.data.columns import distinct_texts

    column = pd.Series(values)
    codes, texts = distinct_texts(column)
    expected_codes, expected_texts = distinct_texts(column.astype("object"))
    np.testing.assert_array_equal(codes, expected_codes)
    assert codes.dtype == expected_codes.dtype and list(texts) == list(expected_texts)

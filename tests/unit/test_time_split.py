"""The out-of-time split of a labelled table with several snapshots, and the random split of one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.data.split import split_labelled
from intentseg.foundation.errors import DataContractError

FRACTIONS = {"train": 0.7, "valid": 0.15, "test": 0.15}


def _history(months: list[str], customers: int = 400, seed: int = 0) -> pd.DataFrame:
    """The same customers at each monthly snapshot, with a label and one feature."""
    rng = np.random.default_rng(seed)
    frames = [
        pd.DataFrame(
            {
                "customer_id": [f"C{i:05d}" for i in range(customers)],
                "snapshot": month,
                "visits": rng.poisson(3, customers),
                "bought": (rng.random(customers) < 0.2).astype(int),
            }
        )
        for month in months
    ]
    return pd.concat(frames, ignore_index=True)


def _split(table: pd.DataFrame, train_snapshots: int | None = None, seed: int = 1):
    return split_labelled(
        table,
        "bought",
        FRACTIONS,
        seed=seed,
        id_column="customer_id",
        snapshot_column="snapshot",
        train_snapshots=train_snapshots,
    )


def test_test_is_the_newest_snapshot_and_training_strictly_earlier():
    table = _history(["2026-07", "2026-08", "2026-09", "2026-10"])
    result = _split(table)
    assert result.kind == "out_of_time"
    assert result.snapshots == {"train": ["2026-07", "2026-08"], "valid": ["2026-09"], "test": ["2026-10"]}
    assert len(result.parts["test"]) == 400 and len(result.parts["valid"]) == 400 and len(result.parts["train"]) == 800
    newest = table[table["snapshot"] == "2026-10"].drop(columns="snapshot").reset_index(drop=True)
    pd.testing.assert_frame_equal(result.parts["test"], newest)
    assert all("snapshot" not in part.columns for part in result.parts.values())  # never a feature


def test_how_many_snapshots_train_is_a_setting():
    table = _history(["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"])
    assert _split(table, train_snapshots=1).snapshots["train"] == ["2026-08"]
    assert _split(table, train_snapshots=2).snapshots["train"] == ["2026-07", "2026-08"]
    assert _split(table).snapshots["train"] == ["2026-06", "2026-07", "2026-08"]


def test_two_snapshots_take_valid_from_the_earlier_one_by_customer():
    table = _history(["2026-09", "2026-10"], customers=1000)
    result = _split(table)
    assert result.snapshots == {"train": ["2026-09"], "valid": ["2026-09"], "test": ["2026-10"]}
    train, valid = result.parts["train"], result.parts["valid"]
    assert len(train) + len(valid) == 1000 and 120 <= len(valid) <= 220  # valid / (train + valid) of the customers
    assert not set(train["customer_id"]) & set(valid["customer_id"])
    assert _split(table, seed=1).parts["valid"].equals(valid) and not _split(table, seed=2).parts["valid"].equals(valid)


def test_one_snapshot_is_split_at_random():
    table = _history(["2026-10"], customers=2000)
    result = _split(table)
    assert result.kind == "random" and result.snapshots == {}
    assert sum(len(part) for part in result.parts.values()) == 2000
    assert all("snapshot" not in part.columns for part in result.parts.values())
    plain = split_labelled(table.drop(columns="snapshot"), "bought", FRACTIONS, seed=1)
    assert plain.kind == "random"
    pd.testing.assert_frame_equal(plain.parts["test"], result.parts["test"])


def test_a_test_snapshot_of_one_label_is_refused_naming_it():
    table = _history(["2026-09", "2026-10"])
    table.loc[table["snapshot"] == "2026-10", "bought"] = 0
    with pytest.raises(DataContractError, match=r"test.*2026-10.*label 1: 0 rows"):
        _split(table)


def test_more_train_snapshots_than_there_are_is_refused():
    with pytest.raises(DataContractError, match=r"split.train_snapshots: 5 is more than the 1 snapshot"):
        _split(_history(["2026-08", "2026-09", "2026-10"]), train_snapshots=5)


def _monthly_file(months: list[str], rows: int = 1500) -> pd.DataFrame:
    """The example table at several monthly snapshots: the same members, a login date per snapshot."""
    from intentseg.data.example_table import make_example_table

    frames = []
    for number, month in enumerate(months):
        frame = make_example_table(rows, seed=10 + number).assign(snapshot=month)
        frame["last_login"] = (
            pd.Timestamp(f"{month}-01") - pd.to_timedelta(frame["days_inactive"], unit="D")
        ).dt.strftime("%Y-%m-%d")
        frames.append(frame.drop(columns=["signup_date"]))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture()
def snapshot_params(repo_root) -> dict:
    from intentseg.data.example_table import EXAMPLE_PARAMS
    from tests.conftest import default_params

    params = default_params(repo_root)["data"]
    params |= {key[5:]: value for key, value in EXAMPLE_PARAMS.items() if key.startswith("data.")}
    return params | {"exclude": None, "snapshot_column": "snapshot"}


def test_a_table_of_snapshots_keeps_each_rows_snapshot_and_counts_dates_to_it(snapshot_params, tmp_path):
    from tests.unit.test_tables import load

    table = _monthly_file(["2026-08", "2026-09", "2026-10"])
    data = load(table, snapshot_params, tmp_path)
    assert data.spec.snapshot_column == "snapshot" and "snapshot" not in data.spec.feature_names
    assert data.labelled["snapshot"].value_counts().to_dict() == {f"2026-{m}-01": 1500 for m in ("08", "09", "10")}
    assert np.array_equal(data.labelled["days_since_last_login"], table["days_inactive"].astype(float))
    assert data.notes["snapshot_date"] == "2026-10-01" and len(data.notes["snapshots"]) == 3
    assert len(data.population) == 1500  # the newest snapshot is today's population
    newest = table[table["snapshot"] == "2026-10"]["days_inactive"].astype(float).to_numpy()
    assert np.array_equal(data.population["days_since_last_login"], newest)


def test_a_customer_twice_in_one_snapshot_or_a_snapshot_unread_is_refused(snapshot_params, tmp_path):
    from tests.unit.test_tables import failure

    table = _monthly_file(["2026-09", "2026-10"], rows=300)
    twice = pd.concat([table, table.iloc[[5]]], ignore_index=True)
    assert "rule 'unique_per_snapshot' broken by 2 row(s); e.g. 'M0000005' at '2026-09-01'" in failure(
        twice, snapshot_params, tmp_path
    )
    table.loc[3, "snapshot"] = "soon"
    message = failure(table, snapshot_params, tmp_path)
    assert "data.snapshot_column 'snapshot'" in message and "row 3: 'soon'" in message


def test_snapshot_settings_are_refused_before_any_work(snapshot_params):
    from intentseg.foundation.errors import ConfigError
    from tests.conftest import config_of

    with pytest.raises(ConfigError, match="the simulator has one snapshot"):
        config_of("data", {**snapshot_params, "source": "simulator"})
    with pytest.raises(ConfigError, match="the panel writes its own"):
        config_of("data", {**snapshot_params, "source": "panel"})
    with pytest.raises(ConfigError, match="'converted' is the target"):
        config_of("data", {**snapshot_params, "snapshot_column": "converted"})

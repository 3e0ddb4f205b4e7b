"""Customer-level segment migration (the same customers at two snapshots) and each split part's ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.evaluation.run import part_truth
from intentseg.segments.quality import customer_migration


def test_moves_are_counted_per_customer_and_the_notable_ones_named():
    then = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2])
    now = np.array([1, 1, 1, 1, 1, 1, 1, 1, 3, 2, 2, 2, 2, 3])
    moved = customer_migration(
        then, now, {1: "platinum members", 2: "lapsed"}, {1: "platinum", 2: "lapsed", 3: "new"}, 0.2
    )
    assert moved["customers"] == 14
    assert moved["share_moved"] == pytest.approx(3 / 14)
    assert moved["notable_moves"] == [
        {
            "from_segment": "2",
            "from_name": "lapsed",
            "to_segment": "3",
            "to_name": "new",
            "share_of_from": 0.25,
            "customers": 1,
        }
    ]  # 1 -> 2 and 1 -> 3 are 10% of segment 1 each: below the 20% asked for
    counts = {(row["from_segment"], row["to_segment"]): row["count"] for row in moved["matrix"]}
    assert counts[("1", "1")] == 8 and counts[("1", "3")] == 1 and counts[("2", "2")] == 3


def test_each_part_gets_the_truth_of_its_own_snapshot():
    truth = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "snapshot_date": ["2026-09-30", "2026-10-31", "2026-10-31"],
            "true_probability": [0.1, 0.7, 0.2],
        }
    )
    test = part_truth(truth, "snapshot_date", ["2026-10-31"])
    assert test.to_dict("list") == {"customer_id": ["a", "b"], "true_probability": [0.7, 0.2]}
    assert part_truth(truth, None, None) is truth  # one snapshot: ids are unique already


def test_only_a_later_snapshot_of_the_same_customers_counts_as_moving(fitted_segments, small_splits):
    from intentseg.evaluation.segments import _customers_moved

    model = fitted_segments[0]
    test = small_splits["test"].assign(customer_id=lambda frame: frame["customer_id"].astype(str))
    moved = lambda today: _customers_moved(model, model, test, today, id_column="customer_id", min_share=0.1)  # noqa: E731
    assert moved(None) is None
    assert moved(test.assign(customer_id="x" + test["customer_id"])) is None  # nobody in both
    assert moved(test) is None  # today's rows are the test rows: nothing moved in time
    later = test.copy()
    lapsed = later.index[: len(later) // 4]
    later.loc[lapsed, "days_since_last_order"] = 365
    later.loc[lapsed, "orders_last_12m"] = 0
    result = moved(later.iloc[::-1])  # in another order, as a population is
    assert result["customers"] == len(test)
    expected = (model.assign(test) != model.assign(later)).mean()
    assert result["share_moved"] == pytest.approx(expected) and expected > 0

"""The customer panel's invariants, on a small world: stable ids, labels that show next month, no feature
from after its snapshot, acquisition and churn, and the one history a later run extends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from intentseg.data.contract import validate_table
from intentseg.data.panel import month_index, registered_by, snapshot_day
from intentseg.data.panel_features import ordered_after, snapshot_features
from intentseg.data.panel_tables import SNAPSHOT_COLUMN, closed_months, history_start, panel_world, simulate_panel
from intentseg.data.shopsphere import ID_COLUMN, TARGET, consistency_violations, shopsphere_spec
from intentseg.data.spec import TableSpec
from intentseg.foundation.errors import ConfigError

SEED, SIZE, LABELLED = 42, 2000, 700


@pytest.fixture(scope="module")
def panel():
    return simulate_panel(SEED, "2026-11", LABELLED, SIZE, 3)


@pytest.fixture(scope="module")
def world():
    return panel_world(SEED, SIZE, "2026-11", history_start("2026-08"))


def _spec() -> TableSpec:
    import dataclasses

    return dataclasses.replace(shopsphere_spec(), snapshot_column=SNAPSHOT_COLUMN)


def test_tables_have_the_seed_shape_and_keep_its_rules(panel):
    assert panel.snapshots == ["2026-08", "2026-09", "2026-10"]
    assert sorted(panel.labelled[SNAPSHOT_COLUMN].unique()) == ["2026-08-31", "2026-09-30", "2026-10-31"]
    assert len(panel.population) == SIZE  # population_size customers registered at the end of 2026-11
    validate_table(panel.labelled, _spec(), name="labelled")
    validate_table(panel.population, _spec().without_target(), name="population")
    assert len(shopsphere_spec().feature_names) == 36
    assert set(consistency_violations(panel.labelled).values()) == {0}
    assert set(consistency_violations(panel.population).values()) == {0}
    assert not panel.labelled.duplicated([ID_COLUMN, SNAPSHOT_COLUMN]).any()


def test_a_customer_keeps_its_id_and_profile_from_month_to_month(panel):
    table = panel.labelled
    both = table[table.duplicated(ID_COLUMN, keep=False)].sort_values([ID_COLUMN, SNAPSHOT_COLUMN])
    assert both[ID_COLUMN].nunique() > 50  # the months' samples overlap
    for column in ("acquisition_channel", "region", "city_tier", "device_type"):
        values = both.groupby(ID_COLUMN, observed=True)[column].nunique(dropna=False)
        assert (values == 1).all(), column
    day = (pd.to_datetime(both[SNAPSHOT_COLUMN]) - pd.Timestamp("2026-01-01")).dt.days
    signup = both["tenure_days"] - day  # tenure advances exactly with the calendar: one sign-up day per customer
    assert (signup.groupby(both[ID_COLUMN]).nunique() == 1).all()


def test_the_label_is_an_order_that_the_next_snapshot_shows(world):
    october, november = snapshot_day("2026-10"), snapshot_day("2026-11")  # November has 30 days: the window
    rows = np.arange(registered_by(SIZE, october))
    label = ordered_after(world.events, october, rows, len(world.customers))
    later = snapshot_features(world.customers, world.events, november, rows)
    seen = (later["days_since_last_order"] < november - october) & (later["orders_last_90d"] > 0)
    assert 0.1 < label.mean() < 0.3
    np.testing.assert_array_equal(label.astype(bool), seen.to_numpy())


def test_no_feature_comes_from_after_its_snapshot(world):
    day = snapshot_day("2026-09")
    rows = np.arange(registered_by(SIZE, day))
    full = snapshot_features(world.customers, world.events, day, rows)
    known_then = snapshot_features(world.customers, world.events.truncated(day), day, rows)
    pd.testing.assert_frame_equal(full, known_then)
    assert (world.events.truncated(day).sessions["day"] <= day).all()


def test_customers_join_and_go_quiet(world):
    months = [month_index(month) for month in ("2026-09", "2026-10")]
    september, october = (world.path.quiet[month] for month in months)
    registered = world.customers.signup_day < snapshot_day("2026-09")
    assert registered_by(SIZE, snapshot_day("2026-10")) > registered_by(SIZE, snapshot_day("2026-09"))
    went_quiet = (october & ~september)[registered].sum() / (~september)[registered].sum()
    came_back = (~october & september)[registered].sum() / september[registered].sum()
    assert 0.005 < went_quiet < 0.06 and 0.0 < came_back < 0.1
    quiet_rows = np.flatnonzero(october & registered)
    later = snapshot_features(world.customers, world.events, snapshot_day("2026-10"), quiet_rows)
    assert later["sessions_last_30d"].mean() < 1.0  # quiet customers barely visit


def test_a_later_run_extends_the_same_history(panel):
    earlier = simulate_panel(SEED, "2026-10", LABELLED, SIZE, 3)
    shared = "2026-09-30"
    pd.testing.assert_frame_equal(
        earlier.labelled[earlier.labelled[SNAPSHOT_COLUMN] == shared].reset_index(drop=True),
        panel.labelled[panel.labelled[SNAPSHOT_COLUMN] == shared].reset_index(drop=True),
    )
    truth = [table.ground_truth[table.ground_truth[SNAPSHOT_COLUMN] == shared] for table in (earlier, panel)]
    pd.testing.assert_frame_equal(*(frame.reset_index(drop=True) for frame in truth))


def test_labels_come_only_from_closed_months():
    assert closed_months("2026-11", 2) == ["2026-09", "2026-10"]
    assert closed_months("2026-03", 1) == ["2026-02"]  # February 28 + 30 days is March 30
    assert closed_months("2026-02", 1) == ["2025-12"]  # January 31 + 30 days is past February
    with pytest.raises(ConfigError, match="history starts 2023-01"):
        closed_months("2024-03", 3)


def test_the_ground_truth_is_kept_apart(panel):
    assert not {"true_probability", "true_archetype"} & set(panel.labelled.columns)
    keys = panel.labelled[[ID_COLUMN, SNAPSHOT_COLUMN]]
    merged = keys.merge(panel.ground_truth, on=[ID_COLUMN, SNAPSHOT_COLUMN], how="left")
    assert merged["true_probability"].between(0, 1).all()
    assert TARGET in panel.labelled and TARGET not in panel.population


def test_a_visit_browses_a_favourite_or_any_category_evenly():
    from intentseg.data.panel_events import _category

    favourites = np.tile([0, 1], (80_000, 1))
    shares = np.bincount(_category(np.random.default_rng(0), favourites, (0.55, 0.25)), minlength=8) / 80_000
    expected = np.array([0.55, 0.25, 0, 0, 0, 0, 0, 0]) + 0.2 / 8
    np.testing.assert_allclose(shares, expected, atol=0.006)


def test_last_months_campaign_population_is_the_panel_as_it_was_with_its_truth(panel):
    """The customers registered at 2026-10 as the labelled rows of 2026-10 show them, and the true effect of a
    contact (the simulator's effect rules, mean +2.5 points, sleeping dogs put off)."""
    from intentseg.data.contact_effect import MEAN_EFFECT
    from intentseg.data.panel_tables import panel_population_at

    features, truth = panel_population_at(SEED, SIZE, "2026-11", 3, "2026-10")
    assert len(features) == len(truth) == registered_by(SIZE, snapshot_day("2026-10")) < len(panel.population)
    assert features[ID_COLUMN].tolist() == truth[ID_COLUMN].tolist()
    labelled = panel.labelled[panel.labelled[SNAPSHOT_COLUMN] == "2026-10-31"].drop(columns=[TARGET, SNAPSHOT_COLUMN])
    same = features.set_index(ID_COLUMN).loc[labelled[ID_COLUMN], labelled.columns.drop(ID_COLUMN)]
    pd.testing.assert_frame_equal(same.reset_index(), labelled.reset_index(drop=True), check_names=False)
    known = panel.ground_truth[panel.ground_truth[SNAPSHOT_COLUMN] == "2026-10-31"]
    expected = known.set_index(ID_COLUMN)["true_probability"]
    assert np.allclose(truth.set_index(ID_COLUMN).loc[expected.index, "true_probability"], expected, rtol=0, atol=1e-12)
    effect = truth["true_effect"].to_numpy()
    assert np.isfinite(effect).all() and effect.mean() == pytest.approx(MEAN_EFFECT, abs=1e-6)
    assert 0.01 < (effect < 0).mean() < 0.12  # sleeping dogs
    with pytest.raises(ValueError, match="has not closed"):
        panel_population_at(SEED, SIZE, "2026-11", 3, "2026-11")

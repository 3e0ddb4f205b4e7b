"""The panel as the pipeline's tables: labelled monthly snapshots whose outcome has closed, today's population.

At run month ``M`` the population is every customer registered at the end of ``M`` (its snapshot,
no label), and the labelled table holds ``n_labelled`` customers drawn at each of the newest
``snapshots`` months whose 30-day outcome has closed by then (``M - 1`` and earlier: the month before
a February is not closed at its end). Each labelled row carries its snapshot day in
``SNAPSHOT_COLUMN``; the ground truth (true probability, true archetype) is kept apart, keyed by id
and snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from intentseg.data.contact_effect import true_contact_effect
from intentseg.data.panel import (
    EFFECT_STREAM,
    HISTORY_MONTHS,
    OUTCOME_DAYS,
    SAMPLE_STREAM,
    WITHIN_WINDOW,
    LatentPath,
    PanelCustomers,
    Rates,
    World,
    calendar_date,
    customer_rates,
    latent_path,
    month_index,
    month_name,
    panel_customers,
    registered_by,
    snapshot_day,
    true_archetypes,
    true_probability,
)
from intentseg.data.panel_events import PanelEvents, panel_events
from intentseg.data.panel_features import masked_in_warmup, ordered_after, snapshot_features
from intentseg.data.shopsphere import ID_COLUMN, TARGET, season_for
from intentseg.foundation.errors import ConfigError

SNAPSHOT_COLUMN = "snapshot_date"


@dataclass(frozen=True)
class SimulatedPanel:
    """The labelled snapshots, today's population and the ground truth of the labelled rows."""

    labelled: pd.DataFrame
    population: pd.DataFrame
    ground_truth: pd.DataFrame
    snapshots: list[str]  # the labelled months, oldest first


def closed_months(newest_month: str, snapshots: int) -> list[str]:
    """The newest ``snapshots`` months before ``newest_month`` whose 30-day outcome closed by its end."""
    index = month_index(newest_month) - 1
    while not closed_by(month_name(index), newest_month):
        index -= 1
    months = [month_name(at) for at in range(index - snapshots + 1, index + 1)]
    if month_index(history_start(months[0])) < 0:
        earliest = month_name(HISTORY_MONTHS + 1 + snapshots)
        raise ConfigError(
            f"data.snapshot_month {newest_month!r}: the panel's history starts {month_name(0)}, so "
            f"{snapshots} labelled month(s) with 12 months of history each need a snapshot month of {earliest} or later"
        )
    return months


def closed_by(month: str, run_month: str) -> bool:
    """Whether the 30-day outcome of the snapshot of ``month`` is known at the end of ``run_month``."""
    return snapshot_day(month) + OUTCOME_DAYS <= snapshot_day(run_month)


def _ongoing_log_miss(events: PanelEvents, day: int, size: int) -> np.ndarray:
    """Per customer, the log chance that no episode in progress at the end of ``day`` ends in an order in time."""
    e = events.episodes
    now = day + 1
    ongoing = (e["start"] < now) & (e["end"] > now)
    return np.bincount(
        e["customer"][ongoing], weights=np.log1p(-e["conversion"][ongoing] * WITHIN_WINDOW), minlength=size
    )


@dataclass(frozen=True)
class PanelWorld:
    """Everything behind the tables: the customers registered today, their rates, latent path and events."""

    customers: PanelCustomers
    rates: Rates
    path: LatentPath
    events: PanelEvents


def panel_world(seed: int, population_size: int, newest_month: str, first_month: str) -> PanelWorld:
    """The world up to the end of ``newest_month``, with events from ``first_month`` on."""
    today, world = snapshot_day(newest_month), World(seed, population_size)
    customers = panel_customers(world, registered_by(population_size, today))
    rates = customer_rates(customers)
    path = latent_path(world, customers, rates, month_index(newest_month) + 1)
    history = range(month_index(first_month), month_index(newest_month) + 1)
    events = panel_events(world, customers, rates, path, months=history, last_day=today)
    return PanelWorld(customers=customers, rates=rates, path=path, events=events)


def history_start(first_labelled_month: str) -> str:
    """The first month of events: a year before the first labelled snapshot, and one month to settle."""
    return month_name(month_index(first_labelled_month) - HISTORY_MONTHS - 1)


def simulate_panel(
    seed: int, newest_month: str, n_labelled: int, population_size: int, snapshots: int
) -> SimulatedPanel:
    """The panel's tables at run month ``newest_month`` (see the module docstring)."""
    if snapshots < 1 or n_labelled < 1 or population_size < 1:
        raise ValueError("simulate_panel: snapshots, n_labelled and population_size must be at least 1")
    months = closed_months(newest_month, snapshots)
    world = panel_world(seed, population_size, newest_month, history_start(months[0]))
    customers, path, events = world.customers, world.path, world.events
    today, size = snapshot_day(newest_month), len(customers)

    labelled, truth = [], []
    for month in months:
        day, index = snapshot_day(month), month_index(month)
        present = registered_by(population_size, day)
        sample = World(seed, population_size).stream(SAMPLE_STREAM, index)
        rows = np.sort(sample.choice(present, size=min(n_labelled, present), replace=False))
        table = snapshot_features(customers, events, day, rows)
        table[TARGET] = ordered_after(events, day, rows, size)
        stamp = calendar_date(day).strftime("%Y-%m-%d")
        labelled.append(table.assign(**{SNAPSHOT_COLUMN: stamp}))
        probability = _true_probability_at(world, index, rows)
        truth.append(
            pd.DataFrame(
                {
                    ID_COLUMN: customers.ids[rows],
                    SNAPSHOT_COLUMN: stamp,
                    "true_probability": probability,
                    "true_archetype": true_archetypes(customers, path.quiet[index], day)[rows],
                }
            )
        )
    population = snapshot_features(customers, events, today, np.arange(size))
    return SimulatedPanel(
        labelled=pd.concat(labelled, ignore_index=True),
        population=population,
        ground_truth=pd.concat(truth, ignore_index=True),
        snapshots=months,
    )


def panel_population_at(
    seed: int, population_size: int, run_month: str, snapshots: int, month: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The customers registered at the end of ``month`` (closed by ``run_month``) with their features then, and
    their truth: the true probability of an order in the 30 days after, and the true effect of a contact.

    The world is the one :func:`simulate_panel` builds for ``run_month`` with ``snapshots`` labelled months,
    so a customer's features are those of its labelled row of ``month``. The effect is
    :func:`intentseg.data.contact_effect.true_contact_effect` of the features before the engagement warm-up
    masks them (as in the one-snapshot simulator), on a stream of its own (no other draw moves).
    """
    index = month_index(month)
    if not closed_by(month, run_month):
        raise ValueError(f"panel_population_at: month {month} has not closed by the end of {run_month}")
    world = panel_world(seed, population_size, run_month, history_start(closed_months(run_month, snapshots)[0]))
    day = snapshot_day(month)
    rows = np.arange(registered_by(population_size, day))
    features = snapshot_features(world.customers, world.events, day, rows, warmup=False)
    probability = _true_probability_at(world, index, rows)
    effect = true_contact_effect(features, probability, World(seed, population_size).stream(EFFECT_STREAM, index))
    truth = pd.DataFrame({ID_COLUMN: world.customers.ids[rows], "true_probability": probability, "true_effect": effect})
    return masked_in_warmup(features, day - world.customers.signup_day[rows] + 1), truth


def _true_probability_at(world: PanelWorld, index: int, rows: np.ndarray) -> np.ndarray:
    """The true probability of customers ``rows`` at the snapshot of month ``index`` (next month's intercept)."""
    path = world.path
    return true_probability(
        float(path.intercept[index + 1]),
        world.rates.take(rows),
        path.drift[index, rows].astype(np.float64),
        path.quiet[index, rows],
        _ongoing_log_miss(world.events, snapshot_day(month_name(index)), len(world.customers))[rows],
        promo=season_for(month_name(index + 1)).promo,
    )

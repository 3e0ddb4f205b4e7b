"""ShopSphere as a customer panel: the same customers month after month, from one event history.

Fixed by the panel's issue before any modelling (``docs/simulator.md``, "The customer panel"):

* one world per seed and size: customer ``k`` registers on a fixed day (registrations grow about
  4% a month; ``population_size`` customers are registered at the end of ``REFERENCE_MONTH``),
  with a profile and lasting traits drawn from today's channel mix and archetypes;
* each month some active customers go quiet (a churn hazard that falls with buying and
  engagement) and a few quiet ones come back; a monthly interest drift (AR(1)) moves every rate;
* shopping comes in episodes: one starts at the customer's monthly rate, lasts an exponential
  time (mean ``EPISODE_DAYS``), brings sessions with cart adds, and ends in an order with the
  customer's conversion probability (higher for deal seekers in promotion months); background
  sessions come at the customer's activity rate; weekly e-mails and pushes are opened and
  clicked by engagement; refunds bring support tickets, orders bring reviews;
* the episode rate's intercept is set each month so that 18% of the registered customers are
  expected to order in the next 30 days: the seed's prevalence in every month, with the seasons
  moving behaviour around it.

Every draw of month ``m`` comes from a random stream of its own, keyed by (seed, size, month,
purpose) and taken in customer order, so a later run month extends the same history: the events
up to a month are the same whichever newer month a run ends at. Features are computed from the
events alone (:mod:`intentseg.data.panel_features`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from intentseg.data.sampling import categorical, pick_missing, sigmoid, softmax_choice
from intentseg.data.shopsphere import (
    AGE_MEAN,
    ARCHETYPE_MIX_BY_CHANNEL,
    ARCHETYPES,
    CHANNEL_SHARE,
    CHANNELS,
    DEMOGRAPHIC_MISSING_SHARE,
    TARGET_PREVALENCE,
    TRAIT_MEANS,
    parse_month,
    season_for,
)

# Customer types: the seed's archetypes that are lasting traits. "new_customer" and "lapsing" are
# states a customer passes through (``true_archetypes``), not types.
TYPES = ("loyal_high_spender", "deal_seeker", "window_browser", "steady_regular")
TYPE_ARCHETYPE = np.array([ARCHETYPES.index(name) for name in TYPES])
NEW_CUSTOMER_DAYS = 90  # customers who joined within this many days are "new_customer" in the truth

CHAIN_START = "2023-01"  # day 0; the latent monthly states run from here, events from what a run needs
REFERENCE_MONTH = "2026-11"  # population_size customers are registered at the end of this month
GROWTH_DAYS = 700.0  # registrations grow by e every 700 days (about 4% a month): tenure ~ exponential
MAX_TENURE_DAYS = 3649
OUTCOME_DAYS = 30  # the label: an order in the 30 days after the snapshot
HISTORY_MONTHS = 12  # months of events before the first labelled snapshot: its 12-month window
EPISODE_DAYS = 5.0  # mean length of a shopping episode (exponential, so memoryless)
EPISODE_SESSION_RATE = 0.6  # sessions per episode day, besides its first and its order session
INTEREST_PERSISTENCE = 0.7  # AR(1) coefficient of the monthly interest drift ...
INTEREST_SHOCK = 0.4  # ... and the sd of its monthly shock
QUIET_FACTOR = 0.05  # a quiet customer's rates, relative to active
WINBACK_RATE = 0.02  # monthly chance that a quiet customer becomes active again
BLOCK = 8192  # customers drawn together (a customer's profile depends on its block only)
CALIBRATION_CUSTOMERS = 20_000  # about this many registered customers set each month's intercept

_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(9)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()
WITHIN_WINDOW = 1 - np.exp(-OUTCOME_DAYS / EPISODE_DAYS)  # an ongoing episode ends inside the window
_NEW_EXPOSURE = OUTCOME_DAYS - EPISODE_DAYS * WITHIN_WINDOW  # days of a new episode's chance to end inside


def month_index(month: str) -> int:
    """Months since ``CHAIN_START`` (0 for it)."""
    year, number = parse_month(month)
    start_year, start_number = parse_month(CHAIN_START)
    return (year - start_year) * 12 + number - start_number


def month_name(index: int) -> str:
    """The ``YYYY-MM`` of a month index."""
    return str(pd.Period(CHAIN_START, freq="M") + index)


def month_first_day(index: int) -> int:
    """Day number of the first day of month ``index``."""
    start = pd.Period(CHAIN_START, freq="M").start_time
    return int(((pd.Period(CHAIN_START, freq="M") + index).start_time - start).days)


def snapshot_day(month: str) -> int:
    """Day number of a month's snapshot: its last day (the features see events up to its end)."""
    return month_first_day(month_index(month) + 1) - 1


def calendar_date(day: int) -> pd.Timestamp:
    """The calendar date of a day number."""
    return pd.Period(CHAIN_START, freq="M").start_time + pd.Timedelta(days=int(day))


@dataclass(frozen=True)
class World:
    """Which world: the seed and the number of customers registered at the reference month."""

    seed: int
    population_size: int

    def stream(self, *key: int) -> np.random.Generator:
        """The random stream of one purpose (and month, draw, ...) of this world."""
        return np.random.default_rng(np.random.SeedSequence([int(self.seed), int(self.population_size), 22, *key]))


# Purposes of the random streams (one per kind of draw, so that each is taken in customer order).
_PROFILE, _DRIFT, _QUIET, SAMPLE_STREAM, EFFECT_STREAM = range(5)
_INITIAL = 10_000  # the key of the states before the first month


@dataclass(frozen=True)
class PanelCustomers:
    """Who the customers are, fixed at sign-up (row ``k`` is customer ``k + 1``, in sign-up order)."""

    ids: np.ndarray  # text ids "C0000001", stable over the panel
    signup_day: np.ndarray
    customer_type: np.ndarray  # index into TYPES
    channel: np.ndarray
    age_at_signup: np.ndarray
    region: np.ndarray
    city_tier: np.ndarray
    device: np.ndarray  # main device, chosen at sign-up
    app_preference: np.ndarray  # chance that a session is in the app
    favourite: np.ndarray  # (customer, 2) first and second category
    payment: np.ndarray  # (customer, 2) usual and second payment method
    traits: dict[str, np.ndarray]
    missing: dict[str, np.ndarray]  # profile fields the customer never filled in

    def __len__(self) -> int:
        return len(self.signup_day)


def signup_days(population_size: int, count: int) -> np.ndarray:
    """Sign-up day of customers 1..count: exponential growth, ``population_size`` by the reference month."""
    rank = np.arange(1, count + 1, dtype=np.float64)
    reference = snapshot_day(REFERENCE_MONTH)
    later = rank > population_size  # customers after the first population_size join after the reference month
    days = reference + later + np.floor(GROWTH_DAYS * np.log(rank / population_size))
    return np.maximum(days, reference - MAX_TENURE_DAYS).astype(np.int64)


def registered_by(population_size: int, day: int) -> int:
    """How many customers have signed up by the end of ``day``."""
    reference = snapshot_day(REFERENCE_MONTH)
    estimate = int(np.ceil(population_size * np.exp((day - reference + 1) / GROWTH_DAYS))) + 2
    return int(np.searchsorted(signup_days(population_size, estimate), day, side="right"))


def _profile_block(rng: np.random.Generator, signup: np.ndarray) -> dict[str, np.ndarray]:
    """Profiles and traits of one block of customers with the given sign-up days."""
    n = len(signup)
    channel = categorical(rng, np.broadcast_to(CHANNEL_SHARE, (n, len(CHANNELS))))
    customer_type = categorical(rng, ARCHETYPE_MIX_BY_CHANNEL[:, TYPE_ARCHETYPE][channel])
    archetype = TYPE_ARCHETYPE[customer_type]
    common = rng.normal(size=n)
    loadings = {"activity": 0.45, "buying": 0.35, "spend": 0.0, "price_sensitivity": 0.0, "engagement": 0.3}
    traits = {
        name: TRAIT_MEANS[name][archetype] + weight * common + 0.5 * rng.normal(size=n)
        for name, weight in loadings.items()
    }
    age = np.clip(np.round(rng.normal(AGE_MEAN[archetype], 11.0)), 18, 80)
    region = categorical(rng, np.broadcast_to([0.22, 0.24, 0.18, 0.20, 0.16], (n, 5)))
    tier_score = 0.7 * traits["spend"] + rng.normal(size=n)
    city_tier = np.where(tier_score > 0.35, 0, np.where(tier_score > -0.75, 1, 2))
    months_since_2024 = (signup - snapshot_day("2023-12")) / 30.4
    app_trend = np.clip(0.015 * months_since_2024, -0.5, 1.0)
    activity, young = traits["activity"], (40 - age) / 10
    device = softmax_choice(
        rng,
        np.column_stack(
            [
                0.2 + app_trend + 0.3 * young + 0.35 * activity,
                0.3 + 0.1 * young - 0.2 * activity,
                -0.1 - 0.3 * young,
                -1.4 - 0.1 * young,
            ]
        ),
    )
    app_preference = rng.beta(np.array([8.0, 1.0, 1.0, 2.0])[device], np.array([2.0, 6.0, 9.0, 4.0])[device])
    spend = traits["spend"]
    category_scores = np.column_stack(
        [
            0.3 + 0.3 * spend,
            0.3 + 0.3 * young,
            0.2 - 0.2 * young,
            0.1 + 0.2 * young,
            -0.1 + 0.5 * (customer_type == TYPES.index("steady_regular")),
            -0.2 + np.zeros(n),
            -0.4 - 0.2 * young,
            -0.5 + 0.6 * (customer_type == TYPES.index("deal_seeker")),
        ]
    )
    first = softmax_choice(rng, category_scores)
    second = softmax_choice(rng, np.where(np.eye(8, dtype=bool)[first], -30.0, category_scores))
    payment_scores = np.column_stack(
        [
            0.8 + 0.2 * spend,
            0.5 + np.zeros(n),
            -0.3 + 0.4 * young + 0.8 * (device == 0),
            -1.2 + 0.5 * young + 0.7 * traits["price_sensitivity"],
            -1.0 + 0.9 * (city_tier == 2),
        ]
    )
    usual = softmax_choice(rng, payment_scores)
    other = softmax_choice(rng, np.where(np.eye(5, dtype=bool)[usual], -30.0, payment_scores))
    reference = snapshot_day(REFERENCE_MONTH)
    weights = {
        "age": np.exp(0.8 * (channel == CHANNELS.index("social")) + 0.3 * young),
        "region": np.exp(0.6 * (signup > reference - 120)),
        "city_tier": np.exp(0.5 * (signup > reference - 120) + 0.4 * (customer_type == TYPES.index("window_browser"))),
        "device_type": np.exp(-0.7 * activity),
        "acquisition_channel": np.exp(1.2 * (signup < reference - 900)),  # legacy accounts predate channel tracking
    }
    missing = {column: pick_missing(rng, weights[column], share) for column, share in DEMOGRAPHIC_MISSING_SHARE.items()}
    return {
        "customer_type": customer_type,
        "channel": channel,
        "age_at_signup": age,
        "region": region,
        "city_tier": city_tier,
        "device": device,
        "app_preference": app_preference,
        "favourite": np.column_stack([first, second]),
        "payment": np.column_stack([usual, other]),
        **{f"trait_{name}": values for name, values in traits.items()},
        **{f"missing_{name}": values for name, values in missing.items()},
    }


def panel_customers(world: World, count: int) -> PanelCustomers:
    """Customers 1..count of ``world``, drawn block by block."""
    padded = signup_days(world.population_size, -(-count // BLOCK) * BLOCK)  # whole blocks: a profile
    signup = padded[:count]  # depends on its block only
    blocks = []
    for start in range(0, count, BLOCK):
        block = _profile_block(world.stream(_PROFILE, start // BLOCK), padded[start : start + BLOCK])
        blocks.append({name: values[: count - start] for name, values in block.items()})
    joined = {name: np.concatenate([block[name] for block in blocks]) for name in blocks[0]}
    return PanelCustomers(
        ids=np.char.add("C", np.char.zfill(np.arange(1, count + 1).astype(str), 7)).astype(object),
        signup_day=signup,
        customer_type=joined["customer_type"],
        channel=joined["channel"],
        age_at_signup=joined["age_at_signup"],
        region=joined["region"],
        city_tier=joined["city_tier"],
        device=joined["device"],
        app_preference=joined["app_preference"],
        favourite=joined["favourite"],
        payment=joined["payment"],
        traits={name[6:]: values for name, values in joined.items() if name.startswith("trait_")},
        missing={name[8:]: values for name, values in joined.items() if name.startswith("missing_")},
    )


@dataclass(frozen=True)
class Rates:
    """Per-customer parts of the monthly rates that do not change over time."""

    episode: np.ndarray  # log episode rate per day, without the month's intercept and drift
    background: np.ndarray  # log background sessions per day
    conversion: np.ndarray  # log-odds that an episode ends in an order, outside promotions
    deal_response: np.ndarray  # extra conversion log-odds per unit of promotion
    churn: np.ndarray  # monthly chance of going quiet

    def conversion_in(self, promo: float) -> np.ndarray:
        """The chance that an episode ends in an order, in a month of ``promo``."""
        return sigmoid(self.conversion + promo * self.deal_response)

    def take(self, rows: np.ndarray) -> Rates:
        return Rates(*(values[rows] for values in vars(self).values()))


def customer_rates(customers: PanelCustomers) -> Rates:
    t = customers.traits
    return Rates(
        episode=0.8 * t["buying"] + 0.25 * t["engagement"] + 0.2 * t["activity"],
        background=-2.5 + 0.75 * t["activity"],
        conversion=-0.2 + 0.9 * t["buying"] - 0.3 * t["price_sensitivity"],
        deal_response=0.9 * t["price_sensitivity"],
        churn=sigmoid(-3.6 - 0.5 * t["buying"] - 0.4 * t["engagement"]),
    )


def true_probability(
    intercept: float, rates: Rates, drift: np.ndarray, quiet: np.ndarray, ongoing_log_miss: np.ndarray, *, promo: float
) -> np.ndarray:
    """P(an order in the 30 days after a snapshot | the latent state at it), next month's ``intercept``.

    ``ongoing_log_miss`` is the log chance that no episode in progress ends in an order within the
    window; new episodes come at next month's rate, integrated over its drift shock (Gauss-Hermite)
    and over the churn or win-back step. Next month's rate is taken for the whole window.
    """
    conversion = rates.conversion_in(promo)
    quiet_next = np.where(quiet, 1 - WINBACK_RATE, rates.churn)
    base = intercept + rates.episode + INTEREST_PERSISTENCE * drift
    no_new = np.zeros_like(base)
    for node, weight in zip(_NODES, _WEIGHTS):
        rate = np.exp(base + INTEREST_SHOCK * node) * conversion * _NEW_EXPOSURE
        no_new += weight * ((1 - quiet_next) * np.exp(-rate) + quiet_next * np.exp(-QUIET_FACTOR * rate))
    return 1 - np.exp(ongoing_log_miss) * no_new


@dataclass(frozen=True)
class LatentPath:
    """The monthly latent states: drift and quiet per (month, customer), and each month's intercept."""

    drift: np.ndarray  # (months, customers) float32
    quiet: np.ndarray  # (months, customers) bool
    intercept: np.ndarray  # (months,)


def _prevalence_intercept(
    rates: Rates, drift: np.ndarray, quiet: np.ndarray, ongoing_log_miss: np.ndarray, promo: float
) -> float:
    """The episode-rate intercept at which these customers' mean true probability is the 18% prevalence."""
    if not len(drift):
        return -4.0  # nobody registered yet: any value (no event is drawn)

    def excess(value: float) -> float:
        probability = true_probability(value, rates, drift, quiet, ongoing_log_miss, promo=promo)
        return float(probability.mean() - TARGET_PREVALENCE)

    return float(brentq(excess, -20.0, 5.0, xtol=1e-7))


def latent_path(world: World, customers: PanelCustomers, rates: Rates, months: int) -> LatentPath:
    """Run the monthly states from ``CHAIN_START`` for ``months`` months (customer order, own streams).

    Each month's intercept makes the mean expected prevalence over the customers registered at the
    month before 18% (on every ``stride``-th customer), with the episodes in progress at the month
    boundary taken at their expected number (so the intercepts depend on the states alone).
    """
    n = len(customers)
    stationary = INTEREST_SHOCK / np.sqrt(1 - INTEREST_PERSISTENCE**2)
    drift = np.empty((months, n), dtype=np.float32)
    quiet = np.zeros((months, n), dtype=bool)
    intercept = np.zeros(months)
    stride = max(1, world.population_size // CALIBRATION_CUSTOMERS)
    calibration = np.arange(0, n, stride)
    previous_drift = stationary * world.stream(_DRIFT, _INITIAL).normal(size=n)
    start_day = 0
    months_registered = np.maximum(-customers.signup_day / 30.4, 0)
    settle = 1 - (1 - rates.churn - WINBACK_RATE) ** months_registered
    previous_quiet = world.stream(_QUIET, _INITIAL).random(n) < settle * rates.churn / (rates.churn + WINBACK_RATE)
    previous_quiet &= customers.signup_day < start_day
    previous_intercept = None
    for month in range(months):
        first_day = month_first_day(month)
        registered = customers.signup_day < first_day
        sample = calibration[registered[calibration]]
        season = season_for(month_name(month))
        if previous_intercept is None:
            ongoing = np.zeros(len(sample))
        else:
            previous_promo = season_for(month_name(month - 1)).promo
            expected = np.exp(
                previous_intercept
                + rates.episode[sample]
                + previous_drift[sample]
                + np.log(QUIET_FACTOR) * previous_quiet[sample]
            )
            ongoing = -expected * EPISODE_DAYS * rates.conversion_in(previous_promo)[sample] * WITHIN_WINDOW
        intercept[month] = _prevalence_intercept(
            rates.take(sample), previous_drift[sample], previous_quiet[sample], ongoing, season.promo
        )
        shock = world.stream(_DRIFT, month).normal(size=n)
        drift[month] = INTEREST_PERSISTENCE * previous_drift + INTEREST_SHOCK * shock
        step = world.stream(_QUIET, month).random(n)
        quiet[month] = np.where(previous_quiet, step >= WINBACK_RATE, step < rates.churn) & registered
        previous_drift, previous_quiet, previous_intercept = drift[month], quiet[month], intercept[month]
    return LatentPath(drift=drift, quiet=quiet, intercept=intercept)


def true_archetypes(customers: PanelCustomers, quiet: np.ndarray, day: int) -> np.ndarray:
    """Each customer's archetype at a snapshot: new (joined within 90 days), lapsing (quiet) or its type."""
    names = np.array(ARCHETYPES, dtype=object)
    archetype = names[TYPE_ARCHETYPE[customers.customer_type]]
    archetype = np.where(quiet, "lapsing", archetype)
    return np.where(day - customers.signup_day < NEW_CUSTOMER_DAYS, "new_customer", archetype)

"""The 36 ShopSphere features of panel customers at a snapshot, computed from the events alone.

Every feature reads only events on or before the snapshot day, inside its window (30 days, 90
days, or 12 months, never before sign-up), so recomputing it from the history truncated at the
snapshot gives the same table (tested). The encodings are the seed simulator's
(``docs/simulator.md``): recencies are censored at ``min(tenure_days, 365)``, averages and rates
are 0 without events to average, and payment and category are ``"none"`` without an order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from intentseg.data.panel import PanelCustomers
from intentseg.data.panel_events import N_CATEGORIES, PanelEvents
from intentseg.data.sampling import share
from intentseg.data.shopsphere import (
    CATEGORIES,
    CHANNELS,
    CITY_TIERS,
    DEVICES,
    ENGAGEMENT_WARMUP_DAYS,
    ID_COLUMN,
    MEMBERSHIP_TIERS,
    OBSERVATION_DAYS,
    PAYMENT_METHODS,
    REGIONS,
    shopsphere_spec,
)

TIER_SPEND = (150.0, 400.0, 900.0)  # 12-month spend that earns silver, gold, platinum
POINTS_PER_UNIT = np.array([1.0, 1.25, 1.5, 2.0])  # loyalty points per currency unit, by tier
POINTS_PER_REVIEW, WELCOME_POINTS = 25, 50
_NO_EVENT = -(10**6)


def _within(table: dict[str, np.ndarray], day: int, days: int) -> np.ndarray:
    """Events of the ``days`` days ending with ``day``."""
    age = day - table["day"]
    return (age >= 0) & (age < days)


def _counts(customer: np.ndarray, rows: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(customer, weights=weights, minlength=size)[rows]


def _last_day(customer: np.ndarray, days: np.ndarray, rows: np.ndarray, size: int) -> np.ndarray:
    last = np.full(size, _NO_EVENT, dtype=np.int32)
    np.maximum.at(last, customer, days.astype(np.int32, copy=False))  # same dtypes: numpy's fast path
    return last[rows]


def _mode(customer: np.ndarray, level: np.ndarray, levels: int, rows: np.ndarray, size: int) -> np.ndarray:
    """Each row's most frequent level (the lowest on ties)."""
    table = np.bincount(customer.astype(np.int64) * levels + level, minlength=size * levels).reshape(size, levels)
    return table[rows].argmax(axis=1)


def _recency(last: np.ndarray, day: int, window: np.ndarray) -> np.ndarray:
    """Days since the last event, censored at the window (exactly the window without one)."""
    since = day - last
    return np.where(since < window, since, window)


def snapshot_features(
    customers: PanelCustomers, events: PanelEvents, day: int, rows: np.ndarray, *, warmup: bool = True
) -> pd.DataFrame:
    """The feature table of customers ``rows`` (registered by ``day``) at the end of ``day``; with ``warmup``
    (as every table shows them), engagement is missing in a customer's first 28 days."""
    size = len(customers)
    tenure = day - customers.signup_day[rows] + 1
    if (tenure < 1).any():
        raise ValueError(f"snapshot_features: {int((tenure < 1).sum())} row(s) signed up after day {day}")
    window = np.minimum(tenure, OBSERVATION_DAYS)
    s, o = events.sessions, events.orders
    s90, s30, s365 = _within(s, day, 90), _within(s, day, 30), _within(s, day, OBSERVATION_DAYS)
    o90, o365 = _within(o, day, 90), _within(o, day, OBSERVATION_DAYS)

    sc90 = s["customer"][s90]
    sessions_90 = _counts(sc90, rows, size)
    carts_90 = _counts(sc90, rows, size, s["cart"][s90].astype(np.float64))
    orders_90 = _counts(o["customer"][o90], rows, size)
    categories = s["customer"][s90].astype(np.int64) * N_CATEGORIES + s["category"][s90]
    browsed = np.bincount(categories, minlength=size * N_CATEGORIES).reshape(size, N_CATEGORIES)[rows] > 0
    carted = s365 & s["cart"]

    oc = o["customer"][o365]
    orders_12m = _counts(oc, rows, size)
    spend = np.round(_counts(oc, rows, size, o["value"][o365]), 2)
    has_orders = orders_12m > 0
    payment = np.where(has_orders, _mode(oc, o["payment"][o365], 5, rows, size), PAYMENT_METHODS.index("none"))
    category = np.where(
        has_orders, _mode(oc, o["category"][o365].astype(np.int64), N_CATEGORIES, rows, size), CATEGORIES.index("none")
    )
    reviews = _counts(events.reviews["customer"][_within(events.reviews, day, OBSERVATION_DAYS)], rows, size)
    membership = np.digitize(spend, TIER_SPEND)

    recent = (events.campaign_days <= day) & (day - events.campaign_days < 90)
    codes = events.campaigns[rows][:, recent]
    email = events.campaign_kinds[recent] == "email"
    email_sent = (codes[:, email] >= 1).sum(axis=1)
    push_codes = codes[:, ~email]

    missing = customers.missing
    features = pd.DataFrame(
        {
            ID_COLUMN: customers.ids[rows],
            "age": np.where(
                missing["age"][rows],
                np.nan,
                np.clip(customers.age_at_signup[rows] + np.floor((tenure - 1) / 365.25), 18, 100),
            ),
            "region": pd.Categorical.from_codes(np.where(missing["region"][rows], -1, customers.region[rows]), REGIONS),
            "city_tier": pd.Categorical.from_codes(
                np.where(missing["city_tier"][rows], -1, customers.city_tier[rows]), CITY_TIERS
            ),
            "device_type": pd.Categorical.from_codes(
                np.where(missing["device_type"][rows], -1, customers.device[rows]), DEVICES
            ),
            "acquisition_channel": pd.Categorical.from_codes(
                np.where(missing["acquisition_channel"][rows], -1, customers.channel[rows]), CHANNELS
            ),
            "tenure_days": tenure.astype(np.int64),
            "sessions_last_30d": _counts(s["customer"][s30], rows, size).astype(np.int64),
            "sessions_last_90d": sessions_90.astype(np.int64),
            "avg_session_duration": np.round(share(_counts(sc90, rows, size, s["duration"][s90]), sessions_90), 2),
            "pages_per_session": np.round(share(_counts(sc90, rows, size, s["pages"][s90]), sessions_90), 2),
            "cart_add_rate": np.round(share(carts_90, sessions_90), 4),
            "cart_abandon_rate": np.round(share(carts_90 - orders_90, carts_90), 4),
            "product_views_last_30d": _counts(s["customer"][s30], rows, size, s["views"][s30]).astype(np.int64),
            "searches_last_30d": _counts(s["customer"][s30], rows, size, s["searches"][s30]).astype(np.int64),
            "wishlist_adds_last_30d": _counts(s["customer"][s30], rows, size, s["wishlist"][s30]).astype(np.int64),
            "category_diversity": browsed.sum(axis=1).astype(np.int64),
            "app_session_share": np.round(
                share(_counts(sc90, rows, size, s["app"][s90].astype(float)), sessions_90), 4
            ),
            "days_since_last_cart_add": _recency(
                _last_day(s["customer"][carted], s["day"][carted], rows, size), day, window
            ).astype(np.int64),
            "orders_last_90d": orders_90.astype(np.int64),
            "orders_last_12m": orders_12m.astype(np.int64),
            "avg_order_value": share(spend, orders_12m),
            "total_spend_12m": spend,
            "discount_usage_rate": np.round(share(_counts(oc, rows, size, o["discounted"][o365]), orders_12m), 4),
            "refund_rate": np.round(share(_counts(oc, rows, size, o["refunded"][o365]), orders_12m), 4),
            "days_since_last_order": _recency(_last_day(oc, o["day"][o365], rows, size), day, window).astype(np.int64),
            "avg_items_per_order": np.round(share(_counts(oc, rows, size, o["items"][o365]), orders_12m), 3),
            "preferred_payment_method": pd.Categorical.from_codes(payment, PAYMENT_METHODS),
            "top_category": pd.Categorical.from_codes(category, CATEGORIES),
            "email_open_rate": np.round(share((codes[:, email] >= 2).sum(axis=1), email_sent), 4),
            "email_click_rate": np.round(share((codes[:, email] == 3).sum(axis=1), email_sent), 4),
            "push_click_rate": np.round(share((push_codes == 2).sum(axis=1), (push_codes >= 1).sum(axis=1)), 4),
            "days_since_last_visit": _recency(
                _last_day(s["customer"][s365], s["day"][s365], rows, size), day, window
            ).astype(np.float64),
            "loyalty_points": (
                np.floor(spend * POINTS_PER_UNIT[membership]) + POINTS_PER_REVIEW * reviews + WELCOME_POINTS
            ).astype(np.float64),
            "membership_tier": pd.Categorical.from_codes(membership, MEMBERSHIP_TIERS),
            "support_tickets_90d": _counts(
                events.tickets["customer"][_within(events.tickets, day, 90)], rows, size
            ).astype(np.float64),
            "reviews_written_12m": reviews.astype(np.float64),
        }
    )
    return masked_in_warmup(features, tenure) if warmup else features


def masked_in_warmup(features: pd.DataFrame, tenure: np.ndarray) -> pd.DataFrame:
    """``features`` with engagement missing for customers in their first 28 days (``tenure`` in days, per row)."""
    new = np.asarray(tenure) < ENGAGEMENT_WARMUP_DAYS
    for column in shopsphere_spec().groups["engagement"]:
        features.loc[new, column] = np.nan
    return features


def ordered_after(events: PanelEvents, day: int, rows: np.ndarray, size: int) -> np.ndarray:
    """The label: whether each row orders in the 30 days after ``day`` (needs events up to day + 30)."""
    if events.last_day < day + 30:
        raise ValueError(f"the outcome of day {day} is not closed: events end on day {events.last_day}")
    later = events.orders["day"]
    inside = (later > day) & (later <= day + 30)
    return (_counts(events.orders["customer"][inside], rows, size) > 0).astype(np.int8)

"""ShopSphere's world as the simulator draws it: levels, archetypes, shares, seasons, the table's spec
and its consistency rules (all fixed by the simulator's issue before any modelling)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from intentseg.data.spec import ColumnSpec, TableSpec

ARCHETYPES = (
    "loyal_high_spender",
    "deal_seeker",
    "window_browser",
    "new_customer",
    "lapsing",
    "steady_regular",
)


REGIONS = ("north", "south", "east", "west", "central")


CITY_TIERS = ("tier_1", "tier_2", "tier_3")


DEVICES = ("mobile_app", "mobile_web", "desktop", "tablet")


CHANNELS = ("organic", "paid_search", "social", "referral", "affiliate", "email")


PAYMENT_METHODS = ("card", "paypal", "wallet", "bnpl", "cash_on_delivery", "none")


CATEGORIES = ("electronics", "fashion", "home", "beauty", "grocery", "sports", "books", "toys", "none")


MEMBERSHIP_TIERS = ("basic", "silver", "gold", "platinum")


ID_COLUMN = "customer_id"


TARGET = "purchased_next_30d"


OBSERVATION_DAYS = 365


ENGAGEMENT_WARMUP_DAYS = 28


TARGET_PREVALENCE = 0.18


# Share of values missing per demographic column; tenure_days is never missing.
# Their mean over the six demographic columns is 9%.
DEMOGRAPHIC_MISSING_SHARE = {
    "age": 0.15,
    "region": 0.06,
    "city_tier": 0.10,
    "device_type": 0.08,
    "acquisition_channel": 0.15,
}


CHANNEL_SHARE = np.array([0.30, 0.22, 0.18, 0.10, 0.10, 0.10])


# Rows: acquisition channel; columns: archetype (order of ARCHETYPES).
ARCHETYPE_MIX_BY_CHANNEL = np.array(
    [
        [0.18, 0.12, 0.18, 0.13, 0.16, 0.23],  # organic
        [0.10, 0.20, 0.22, 0.15, 0.13, 0.20],  # paid_search
        [0.06, 0.16, 0.34, 0.16, 0.12, 0.16],  # social
        [0.24, 0.10, 0.12, 0.13, 0.11, 0.30],  # referral
        [0.06, 0.36, 0.16, 0.14, 0.14, 0.14],  # affiliate
        [0.20, 0.22, 0.10, 0.09, 0.18, 0.21],  # email
    ]
)


# Archetype means of the latent traits (order of ARCHETYPES).
TRAIT_MEANS = {
    "activity": np.array([0.9, 0.4, 0.6, 0.1, -0.9, 0.2]),
    "buying": np.array([1.0, 0.3, -1.1, -0.1, -0.7, 0.4]),
    "spend": np.array([0.8, -0.5, 0.0, -0.1, 0.1, 0.0]),
    "price_sensitivity": np.array([-0.3, 1.4, 0.2, 0.2, 0.0, -0.1]),
    "engagement": np.array([0.8, 0.5, 0.0, 0.2, -0.8, 0.1]),
    "recency": np.array([0.7, 0.2, 0.3, 0.6, -1.2, 0.1]),
}


AGE_MEAN = np.array([44.0, 38.0, 31.0, 33.0, 42.0, 40.0])


ARCHETYPE_PROPENSITY = np.array([0.25, 0.0, -0.35, 0.1, -0.3, 0.05])


# Spread (standard deviation) of the true log-odds: sets the task's difficulty (oracle
# ROC-AUC about 0.87 at 18% prevalence) in every month. Fixed before any modelling.
PROPENSITY_LOGODDS_SD = 1.65


@dataclass(frozen=True)
class Season:
    """Month-dependent behaviour shifts derived from the snapshot month."""

    activity: float
    promo: float
    app_trend: float


def parse_month(snapshot_month: str) -> tuple[int, int]:
    """Parse ``YYYY-MM`` into (year, month), with a clear error otherwise."""
    try:
        year_text, month_text = str(snapshot_month).split("-")
        year, month = int(year_text), int(month_text)
    except ValueError:
        raise ValueError(f"snapshot_month must look like 'YYYY-MM', got {snapshot_month!r}") from None
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise ValueError(f"snapshot_month must look like 'YYYY-MM', got {snapshot_month!r}")
    return year, month


def season_for(snapshot_month: str) -> Season:
    """Seasonality of the snapshot month: holiday activity, promotions, app adoption."""
    year, month = parse_month(snapshot_month)
    promo = {11: 1.0, 12: 0.7, 1: 0.3, 7: 0.3}.get(month, 0.0)
    activity = 1.0 + 0.06 * np.cos(2 * np.pi * (month - 12) / 12) + 0.12 * promo
    months_since_2024 = (year - 2024) * 12 + (month - 1)
    app_trend = float(np.clip(0.015 * months_since_2024, -0.5, 1.0))
    return Season(activity=float(activity), promo=promo, app_trend=app_trend)


def shopsphere_spec() -> TableSpec:
    """The ShopSphere customer table: 36 features in four groups, binary target."""
    rate = {"minimum": 0.0, "maximum": 1.0}
    count = {"minimum": 0.0}
    recency = {"minimum": 0.0, "maximum": float(OBSERVATION_DAYS)}
    demo, beh, tra, eng = "demographics", "behavioral", "transactional", "engagement"
    num, cat = "numeric", "categorical"
    columns = (
        ColumnSpec("age", num, demo, 18, 100, description="age in years"),
        ColumnSpec("region", cat, demo, categories=REGIONS),
        ColumnSpec("city_tier", cat, demo, categories=CITY_TIERS),
        ColumnSpec("device_type", cat, demo, categories=DEVICES, description="main device"),
        ColumnSpec("acquisition_channel", cat, demo, categories=CHANNELS),
        ColumnSpec("tenure_days", num, demo, 1, 20 * 365, nullable=False, description="days since sign-up"),
        ColumnSpec("sessions_last_30d", num, beh, nullable=False, **count),
        ColumnSpec("sessions_last_90d", num, beh, nullable=False, **count),
        ColumnSpec("avg_session_duration", num, beh, 0, 24 * 60, nullable=False, description="minutes, last 90d"),
        ColumnSpec("pages_per_session", num, beh, 0, 1000, nullable=False, description="last 90d"),
        ColumnSpec("cart_add_rate", num, beh, nullable=False, description="share of sessions with a cart add", **rate),
        ColumnSpec("cart_abandon_rate", num, beh, nullable=False, description="share of carts not bought", **rate),
        ColumnSpec("product_views_last_30d", num, beh, nullable=False, **count),
        ColumnSpec("searches_last_30d", num, beh, nullable=False, **count),
        ColumnSpec("wishlist_adds_last_30d", num, beh, nullable=False, **count),
        ColumnSpec("category_diversity", num, beh, 0, 8, nullable=False, description="categories browsed, 90d"),
        ColumnSpec("app_session_share", num, beh, nullable=False, **rate),
        ColumnSpec("days_since_last_cart_add", num, beh, nullable=False, description="censored", **recency),
        ColumnSpec("orders_last_90d", num, tra, nullable=False, **count),
        ColumnSpec("orders_last_12m", num, tra, nullable=False, **count),
        ColumnSpec("avg_order_value", num, tra, nullable=False, description="currency units", **count),
        ColumnSpec("total_spend_12m", num, tra, nullable=False, description="currency units", **count),
        ColumnSpec("discount_usage_rate", num, tra, nullable=False, description="share of orders", **rate),
        ColumnSpec("refund_rate", num, tra, nullable=False, description="share of orders", **rate),
        ColumnSpec("days_since_last_order", num, tra, nullable=False, description="censored", **recency),
        ColumnSpec("avg_items_per_order", num, tra, nullable=False, **count),
        ColumnSpec("preferred_payment_method", cat, tra, categories=PAYMENT_METHODS, nullable=False),
        ColumnSpec("top_category", cat, tra, categories=CATEGORIES, nullable=False),
        ColumnSpec("email_open_rate", num, eng, **rate),
        ColumnSpec("email_click_rate", num, eng, **rate),
        ColumnSpec("push_click_rate", num, eng, **rate),
        ColumnSpec("days_since_last_visit", num, eng, **recency),
        ColumnSpec("loyalty_points", num, eng, **count),
        ColumnSpec("membership_tier", cat, eng, categories=MEMBERSHIP_TIERS),
        ColumnSpec("support_tickets_90d", num, eng, **count),
        ColumnSpec("reviews_written_12m", num, eng, **count),
    )
    return TableSpec(id_column=ID_COLUMN, target=TARGET, columns=columns)


def consistency_violations(features: pd.DataFrame) -> dict[str, int]:
    """Count rows breaking each consistency rule of the ShopSphere table (all 0 for valid data)."""
    f = features
    window = np.minimum(f["tenure_days"], OBSERVATION_DAYS)
    no_orders = f["orders_last_12m"] == 0
    rate_columns = [c.name for c in shopsphere_spec().columns if c.maximum == 1.0 and c.minimum == 0.0]
    recencies = ["days_since_last_order", "days_since_last_cart_add", "days_since_last_visit"]
    return {
        "orders_last_90d <= orders_last_12m": int((f["orders_last_90d"] > f["orders_last_12m"]).sum()),
        "sessions_last_30d <= sessions_last_90d": int((f["sessions_last_30d"] > f["sessions_last_90d"]).sum()),
        "total_spend_12m == orders_last_12m * avg_order_value": int(
            ((f["total_spend_12m"] - f["orders_last_12m"] * f["avg_order_value"]).abs() > 0.01).sum()
        ),
        "rates in [0, 1]": int(sum(((f[c] < 0) | (f[c] > 1)).sum() for c in rate_columns)),
        "recency <= min(tenure_days, 365)": int(sum((f[c] > window).sum() for c in recencies)),
        "days_since_last_order == window exactly when no order": int(
            ((f["days_since_last_order"] == window) != no_orders).sum()
        ),
        "no order: averages 0 and payment/category 'none'": int(
            (
                no_orders
                & (
                    (f["avg_order_value"] != 0)
                    | (f["preferred_payment_method"] != "none")
                    | (f["top_category"] != "none")
                )
            ).sum()
        ),
        "orders_last_90d > 0 needs a session in 90d": int(
            ((f["orders_last_90d"] > 0) & (f["sessions_last_90d"] == 0)).sum()
        ),
        "email_click_rate <= email_open_rate": int((f["email_click_rate"] > f["email_open_rate"]).sum()),
        "last order not after last visit": int((f["days_since_last_order"] < f["days_since_last_visit"]).sum()),
    }

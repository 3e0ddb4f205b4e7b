"""Seeded simulator of ShopSphere's customer base: the project's default data source.

The real purchase labels are not public, so the pipeline ships a vectorised generator
whose realism is fixed here, before any modelling (see ``docs/simulator.md``):

* customers come from six latent archetypes whose mix depends on the acquisition
  channel and (through the archetype) on tenure; latent traits overlap across archetypes;
* heavy-tailed counts (negative binomial) and money (log-normal), rates in [0, 1],
  recencies in days, with the consistency rules of :func:`intentseg.data.shopsphere.consistency_violations`;
* the label is drawn from a latent purchase propensity that is a non-linear function
  of behaviour (recency decay, cart intent, frequency, engagement, promo-driven
  discount response, lapse hinge, archetype) calibrated to 18% prevalence; the
  Bernoulli draw is the noise no feature explains;
* demographics are missing not completely at random, engagement is missing for
  customers acquired in the last four weeks;
* ``snapshot_month`` shifts seasonality (activity, promotions) and the device mix.

Explicit encodings for customers without events (no sentinels hidden in the data):

* recency columns (``days_since_last_order``, ``days_since_last_cart_add``) are
  right-censored at the observation window ``min(tenure_days, 365)``: the value equals
  the window exactly when there was no such event in it, and is smaller otherwise;
* per-order and per-session averages and rates are 0 when there was no order or no
  session to average over; ``preferred_payment_method`` and ``top_category`` are
  ``"none"`` for customers without an order in the last 12 months.

Output is a deterministic function of (seed, snapshot month, size, table kind).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from intentseg.data.contact_effect import true_contact_effect
from intentseg.data.sampling import (
    beta_mean,
    categorical,
    customer_ids,
    last_event_day,
    neg_binomial,
    pick_missing,
    share,
    sigmoid,
    softmax_choice,
    table_rng,
)
from intentseg.data.shopsphere import (
    AGE_MEAN,
    ARCHETYPE_MIX_BY_CHANNEL,
    ARCHETYPE_PROPENSITY,
    ARCHETYPES,
    CATEGORIES,
    CHANNEL_SHARE,
    CHANNELS,
    CITY_TIERS,
    DEMOGRAPHIC_MISSING_SHARE,
    DEVICES,
    ENGAGEMENT_WARMUP_DAYS,
    ID_COLUMN,
    MEMBERSHIP_TIERS,
    OBSERVATION_DAYS,
    PAYMENT_METHODS,
    PROPENSITY_LOGODDS_SD,
    REGIONS,
    TARGET,
    TARGET_PREVALENCE,
    TRAIT_MEANS,
    Season,
    season_for,
    shopsphere_spec,
)


@dataclass(frozen=True)
class SimulatedTable:
    """A simulated customer table and its ground truth, kept apart."""

    features: pd.DataFrame
    ground_truth: pd.DataFrame


def simulate_customers(n_rows: int, seed: int, snapshot_month: str, *, labelled: bool = True) -> SimulatedTable:
    """Simulate ``n_rows`` customers of ``snapshot_month``.

    With ``labelled`` the table carries ``purchased_next_30d``; otherwise it is a scoring population
    (no label). The ground truth of both has the true purchase probability and the true effect of a
    contact (:mod:`intentseg.data.contact_effect`).
    """
    if n_rows < 1:
        raise ValueError(f"n_rows must be at least 1, got {n_rows}")
    kind = "labelled" if labelled else "population"
    rng = table_rng(seed, snapshot_month, n_rows, kind)
    season = season_for(snapshot_month)
    n = n_rows

    # --- who the customers are -------------------------------------------------------
    channel = categorical(rng, np.broadcast_to(CHANNEL_SHARE, (n, len(CHANNELS))))
    archetype = categorical(rng, ARCHETYPE_MIX_BY_CHANNEL[channel])
    is_new = archetype == ARCHETYPES.index("new_customer")
    tenure_new = 1 + np.floor(rng.gamma(1.6, 38.0, n))
    tenure_old = 90 + np.floor(np.exp(rng.normal(np.log(480) + 0.25 * (archetype == 0) + 0.2 * (archetype == 4), 0.8)))
    tenure = np.minimum(np.where(is_new, np.minimum(tenure_new, 180), tenure_old), 3650.0)

    common = rng.normal(size=n)
    traits = {
        name: means[archetype] + weight * common + spread * rng.normal(size=n)
        for (name, means), (weight, spread) in zip(
            TRAIT_MEANS.items(),
            [(0.45, 0.55), (0.35, 0.5), (0.0, 0.5), (0.0, 0.6), (0.3, 0.5), (0.3, 0.5)],
        )
    }
    activity, buying, spend = traits["activity"], traits["buying"], traits["spend"]
    price, engagement, recent = traits["price_sensitivity"], traits["engagement"], traits["recency"]

    age = np.clip(np.round(rng.normal(AGE_MEAN[archetype], 11.0)), 18, 85)
    region = categorical(rng, np.broadcast_to([0.22, 0.24, 0.18, 0.20, 0.16], (n, len(REGIONS))))
    tier_score = 0.7 * spend + rng.normal(size=n)
    city_tier = np.where(tier_score > 0.35, 0, np.where(tier_score > -0.75, 1, 2))
    device_scores = np.column_stack(
        [
            0.2 + season.app_trend + 0.03 * (40 - age) + 0.35 * activity,
            0.3 + 0.01 * (40 - age) - 0.2 * activity,
            -0.1 + 0.03 * (age - 40),
            -1.4 + 0.01 * (age - 40) + np.zeros(n),
        ]
    )
    device = softmax_choice(rng, device_scores)

    # --- behaviour: sessions, browsing, carts --------------------------------------
    window = np.minimum(tenure, OBSERVATION_DAYS)
    window_90 = np.minimum(tenure, 90)
    window_30 = np.minimum(tenure, 30)
    session_mean = np.exp(2.2 + 0.75 * activity + 0.25 * recent) * season.activity * window_90 / 90
    sessions_90 = neg_binomial(rng, session_mean, 1.8)
    share_30 = (window_30 / window_90) ** np.exp(-0.55 * recent)
    sessions_30 = rng.binomial(sessions_90, np.clip(share_30, 0, 1))
    has_sessions = sessions_90 > 0

    # Sign-up counts as a visit, so a visit always lies inside the tenure.
    visit_band_lower = np.where(sessions_30 > 0, 0, np.where(has_sessions, np.minimum(30, window_90), 90))
    visit_band_upper = np.where(sessions_30 > 0, window_30, np.where(has_sessions, window_90, window))
    visit_events = np.where(sessions_30 > 0, sessions_30, np.where(has_sessions, sessions_90 - sessions_30, 1))
    days_since_visit = last_event_day(rng, visit_band_lower, visit_band_upper, visit_events)
    days_since_visit = np.where(
        visit_band_upper <= visit_band_lower, np.maximum(window - 1, 0), np.minimum(days_since_visit, window - 1)
    )
    days_since_visit = np.maximum(days_since_visit, 0)

    duration = np.where(
        has_sessions, np.round(np.exp(rng.normal(1.7 + 0.3 * engagement + 0.15 * activity, 0.5)), 2), 0.0
    )
    pages = np.where(
        has_sessions, np.round(1 + np.exp(rng.normal(1.3 + 0.25 * activity - 0.2 * (device == 0), 0.5)), 2), 0.0
    )
    cart_probability = sigmoid(-1.7 + 0.8 * buying + 0.35 * price + 0.25 * season.promo)
    cart_sessions = rng.binomial(sessions_90, cart_probability)
    cart_add_rate = share(cart_sessions, sessions_90)
    abandon_probability = sigmoid(0.9 - 0.9 * buying + 0.35 * price)
    abandoned = rng.binomial(cart_sessions, abandon_probability)
    cart_abandon_rate = share(abandoned, cart_sessions)

    older_cart = (window > 90) & (rng.random(n) < sigmoid(-0.5 + 0.8 * buying))
    cart_lower = np.where(cart_sessions > 0, days_since_visit, 90)
    cart_upper = np.where(cart_sessions > 0, np.maximum(window_90, days_since_visit + 1), window)
    cart_events = np.where(cart_sessions > 0, cart_sessions, older_cart.astype(int))
    last_cart = last_event_day(rng, cart_lower, cart_upper, cart_events)
    last_cart_is_last_visit = (cart_sessions > 0) & (rng.random(n) < cart_add_rate)
    days_since_cart = np.where(last_cart_is_last_visit, days_since_visit, last_cart)
    days_since_cart = np.where(cart_events > 0, np.clip(days_since_cart, days_since_visit, window - 1), window)

    views = np.where(sessions_30 > 0, neg_binomial(rng, sessions_30 * pages * 0.7 + 0.1, 3.0), 0)
    searches = rng.poisson(sessions_30 * np.exp(-0.6 + 0.3 * rng.normal(size=n)))
    wishlist = rng.poisson(sessions_30 * 0.05 * np.exp(0.5 * price + 0.2 * engagement))
    diversity = np.where(
        has_sessions, 1 + rng.binomial(7, sigmoid(-2.0 + 0.35 * np.log1p(sessions_90) + 0.2 * activity)), 0
    )
    app_alpha = np.array([8.0, 1.0, 1.0, 2.0])[device]
    app_beta = np.array([2.0, 6.0, 9.0, 4.0])[device]
    app_share = np.where(has_sessions, np.round(rng.beta(app_alpha, app_beta), 4), 0.0)

    # --- transactions ----------------------------------------------------------------
    order_mean = np.exp(0.85 + 0.9 * buying + 0.3 * activity) * (1 + 0.15 * season.promo) * window / OBSERVATION_DAYS
    orders_total = neg_binomial(rng, order_mean, 1.5)
    base_share = 90 / np.maximum(window, 91)
    recent_share = np.where(
        window <= 90, 1.0, sigmoid(np.log(base_share / (1 - base_share)) + 0.8 * recent + 0.2 * season.promo)
    )
    orders_90 = np.minimum(rng.binomial(orders_total, np.clip(recent_share, 0, 1)), sessions_90)
    orders_older = np.where(window > 90, orders_total - np.minimum(orders_total, orders_90), 0)
    orders_12m = orders_90 + orders_older
    has_orders = orders_12m > 0

    order_lower = np.where(orders_90 > 0, days_since_visit, np.maximum(90, days_since_visit))
    order_upper = np.where(orders_90 > 0, np.maximum(window_90, days_since_visit + 1), window)
    order_events = np.where(orders_90 > 0, orders_90, orders_older)
    days_since_order = last_event_day(rng, order_lower, order_upper, order_events)
    days_since_order = np.where(has_orders, np.clip(days_since_order, days_since_visit, window - 1), window)

    aov_log_mean = np.log(48) + 0.45 * spend - 0.15 * price + 0.15 * (city_tier == 0) + 0.08 * season.promo
    aov_sd = 0.2 + 0.35 / np.sqrt(np.maximum(orders_12m, 1))
    avg_order_value = np.where(has_orders, np.round(np.exp(rng.normal(aov_log_mean, aov_sd)), 2), 0.0)
    total_spend = np.round(orders_12m * avg_order_value, 2)
    discounted = rng.binomial(orders_12m, sigmoid(-1.4 + 1.3 * price + 0.6 * season.promo))
    discount_rate = share(discounted, orders_12m)
    refunded = rng.binomial(orders_12m, sigmoid(-3.0 + 0.3 * price - 0.2 * spend))
    refund_rate = share(refunded, orders_12m)
    items = orders_12m + rng.poisson(orders_12m * np.exp(-0.3 + 0.3 * spend))
    avg_items = np.round(share(items, orders_12m), 3)

    young = (40 - age) / 10
    payment_scores = np.column_stack(
        [
            0.8 + 0.2 * spend,
            0.5 + np.zeros(n),
            -0.3 + 0.4 * young + 0.8 * (device == 0),
            -1.2 + 0.5 * young + 0.7 * price,
            -1.0 + 0.9 * (city_tier == 2),
        ]
    )
    payment = np.where(has_orders, softmax_choice(rng, payment_scores), PAYMENT_METHODS.index("none"))
    category_scores = np.column_stack(
        [
            0.3 + 0.3 * spend,
            0.3 + 0.3 * young,
            0.2 - 0.2 * young,
            0.1 + 0.2 * young,
            -0.1 + 0.5 * (archetype == 5),
            -0.2 + np.zeros(n),
            -0.4 - 0.2 * young,
            -0.5 + 0.6 * (archetype == 1),
        ]
    )
    category = np.where(has_orders, softmax_choice(rng, category_scores), CATEGORIES.index("none"))

    # --- engagement -----------------------------------------------------------------
    email_open = np.round(beta_mean(rng, sigmoid(-0.9 + 0.9 * engagement + 0.1 * season.promo), 6.0), 4)
    email_click = np.round(email_open * beta_mean(rng, sigmoid(-1.6 + 0.6 * engagement + 0.4 * buying), 5.0), 4)
    push_click = np.round(beta_mean(rng, sigmoid(-2.4 + 0.6 * engagement + 1.0 * app_share), 4.0), 4)
    tier_score = np.log1p(total_spend) + 0.25 * np.log1p(tenure / 365) + 0.4 * rng.normal(size=n)
    membership = np.digitize(tier_score, [5.4, 6.3, 7.1])
    points_per_unit = np.array([1.0, 1.25, 1.5, 2.0])[membership]
    loyalty_points = np.floor(total_spend * points_per_unit) + rng.poisson(20 * np.exp(0.5 * engagement))
    tickets = rng.poisson(0.08 + 0.05 * orders_90 + 0.5 * refund_rate * orders_90)
    reviews = rng.poisson(orders_12m * sigmoid(-2.2 + 0.8 * engagement))

    features = pd.DataFrame(
        {
            ID_COLUMN: customer_ids(n, kind),
            "age": age,
            "region": pd.Categorical.from_codes(region, REGIONS),
            "city_tier": pd.Categorical.from_codes(city_tier, CITY_TIERS),
            "device_type": pd.Categorical.from_codes(device, DEVICES),
            "acquisition_channel": pd.Categorical.from_codes(channel, CHANNELS),
            "tenure_days": tenure.astype(np.int64),
            "sessions_last_30d": sessions_30.astype(np.int64),
            "sessions_last_90d": sessions_90.astype(np.int64),
            "avg_session_duration": duration,
            "pages_per_session": pages,
            "cart_add_rate": np.round(cart_add_rate, 4),
            "cart_abandon_rate": np.round(cart_abandon_rate, 4),
            "product_views_last_30d": views.astype(np.int64),
            "searches_last_30d": searches.astype(np.int64),
            "wishlist_adds_last_30d": wishlist.astype(np.int64),
            "category_diversity": diversity.astype(np.int64),
            "app_session_share": app_share,
            "days_since_last_cart_add": days_since_cart.astype(np.int64),
            "orders_last_90d": orders_90.astype(np.int64),
            "orders_last_12m": orders_12m.astype(np.int64),
            "avg_order_value": avg_order_value,
            "total_spend_12m": total_spend,
            "discount_usage_rate": np.round(discount_rate, 4),
            "refund_rate": np.round(refund_rate, 4),
            "days_since_last_order": days_since_order.astype(np.int64),
            "avg_items_per_order": avg_items,
            "preferred_payment_method": pd.Categorical.from_codes(payment, PAYMENT_METHODS),
            "top_category": pd.Categorical.from_codes(category, CATEGORIES),
            "email_open_rate": email_open,
            "email_click_rate": email_click,
            "push_click_rate": push_click,
            "days_since_last_visit": days_since_visit.astype(np.float64),
            "loyalty_points": loyalty_points.astype(np.float64),
            "membership_tier": pd.Categorical.from_codes(membership, MEMBERSHIP_TIERS),
            "support_tickets_90d": tickets.astype(np.float64),
            "reviews_written_12m": reviews.astype(np.float64),
        }
    )

    ground_truth = pd.DataFrame(
        {ID_COLUMN: features[ID_COLUMN], "true_archetype": pd.Categorical.from_codes(archetype, ARCHETYPES)}
    )
    propensity = _purchase_propensity(features, archetype, season)  # no draw: the population's stream is as before
    probability = _calibrate_prevalence(propensity, TARGET_PREVALENCE)
    if labelled:
        features[TARGET] = (rng.random(n) < probability).astype(np.int8)
    ground_truth["true_probability"] = probability
    effect_stream = "contact_effect" if labelled else "population_contact_effect"  # its own stream: no draw above moves
    effect_rng = table_rng(seed, snapshot_month, n_rows, effect_stream)
    ground_truth["true_effect"] = true_contact_effect(features, probability, effect_rng)

    _mask_engagement(features, tenure)
    _mask_demographics(rng, features, archetype)
    return SimulatedTable(features=features, ground_truth=ground_truth)


def _purchase_propensity(features: pd.DataFrame, archetype: np.ndarray, season: Season) -> np.ndarray:
    """Latent log-odds of buying in the next 30 days (before the prevalence intercept).

    Non-linear on purpose: exponential recency decay, cart intent as an interaction of
    add and abandon rates, browsing that only counts with cart activity, a lapse hinge,
    and a discount response that only matters in promotion months.
    """
    f = {name: features[name].to_numpy(dtype=np.float64) for name in shopsphere_spec().numeric_features}
    visit_recency = 1.9 * np.exp(-f["days_since_last_visit"] / 6.0)
    cart_recency = 1.1 * np.exp(-f["days_since_last_cart_add"] / 10.0)
    frequency = 0.5 * np.log1p(f["orders_last_90d"]) + 0.2 * np.log1p(f["orders_last_12m"])
    cart_intent = 1.6 * f["cart_add_rate"] * (1.0 - f["cart_abandon_rate"])
    browsing = 0.45 * np.log1p(f["sessions_last_30d"]) * (f["cart_add_rate"] > 0.2)
    engagement = 1.4 * f["email_click_rate"] + 0.9 * f["push_click_rate"] + 0.15 * np.log1p(f["wishlist_adds_last_30d"])
    discount = (0.3 + 1.3 * season.promo) * f["discount_usage_rate"] * (f["orders_last_12m"] > 1)
    lapse = -0.7 * ((f["days_since_last_order"] > 120) & (f["orders_last_12m"] > 0))
    refunds = -0.6 * f["refund_rate"]
    return (
        visit_recency
        + cart_recency
        + frequency
        + cart_intent
        + browsing
        + engagement
        + discount
        + lapse
        + refunds
        + ARCHETYPE_PROPENSITY[archetype]
    )


def _calibrate_prevalence(propensity: np.ndarray, prevalence: float) -> np.ndarray:
    """True probabilities with log-odds of fixed spread and mean probability ``prevalence``.

    The propensity is standardised and scaled to ``PROPENSITY_LOGODDS_SD`` so that the
    task is equally hard in every month; the intercept is found by bisection.
    """
    standardised = (propensity - propensity.mean()) / max(float(propensity.std()), 1e-12)
    log_odds = PROPENSITY_LOGODDS_SD * standardised
    low, high = -30.0, 30.0
    for _ in range(60):
        intercept = (low + high) / 2
        if sigmoid(log_odds + intercept).mean() > prevalence:
            high = intercept
        else:
            low = intercept
    return sigmoid(log_odds + (low + high) / 2)


def _mask_engagement(features: pd.DataFrame, tenure: np.ndarray) -> None:
    """Engagement scores are only computed after four weeks: missing for newer customers."""
    recent = tenure < ENGAGEMENT_WARMUP_DAYS
    for column in shopsphere_spec().groups["engagement"]:
        features.loc[recent, column] = np.nan


def _mask_demographics(rng: np.random.Generator, features: pd.DataFrame, archetype: np.ndarray) -> None:
    """Demographics missing not at random: younger, social and newer customers skip fields."""
    n = len(features)
    age = features["age"].to_numpy()
    social = (features["acquisition_channel"] == "social").to_numpy()
    short_tenure = features["tenure_days"].to_numpy() < 120
    weights = {
        "age": np.exp(0.8 * social + 0.03 * (40 - age)),
        "region": np.exp(0.6 * short_tenure + np.zeros(n)),
        "city_tier": np.exp(0.5 * short_tenure + 0.4 * (archetype == ARCHETYPES.index("window_browser"))),
        "device_type": np.exp(0.7 * (features["sessions_last_90d"].to_numpy() == 0) + np.zeros(n)),
        # Legacy accounts predate channel tracking.
        "acquisition_channel": np.exp(1.2 * (features["tenure_days"].to_numpy() > 900) + np.zeros(n)),
    }
    masks = {column: pick_missing(rng, weights[column], share) for column, share in DEMOGRAPHIC_MISSING_SHARE.items()}
    for column, mask in masks.items():
        features.loc[mask, column] = np.nan

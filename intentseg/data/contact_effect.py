"""The simulator's true effect of a contact (an e-mail with an offer) on each customer's 30-day purchase.

Ground truth for uplift evaluation (issue 23), fixed here before any uplift model exists and
documented in ``docs/simulator.md``; like the true probability it is never a feature. The effect is
on the probability scale: a contacted customer buys with ``true_probability + true_effect``.

* **Persuadables** respond most: customers who read e-mails (open rate), who buy on deals
  (discount usage, abandoned carts) and who are lapsing (last order 2 to 5 months ago). A contact
  converts a share of those who would not have bought, ``(1 - p) * response``, so the effect is
  largest in the middle of the propensity range.
* **Sure things**, with a cart add in the last days and a high propensity, would buy anyway: their
  response is damped and ``1 - p`` is small.
* **Lost causes**, with no visit in 90 days, hardly respond (a tenth of the response).
* **Sleeping dogs**, customers with several refunds or support tickets, are put off: a quarter of
  their purchase chance is lost when contacted. They are about 5% of customers.

The response scale is solved so that the average effect is :data:`MEAN_EFFECT`; a log-normal
factor (its own random stream) leaves part of the effect unexplained by any feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MEAN_EFFECT = 0.025  # +2.5 points on the 18% base (the band: +2 to +3)
SLEEPING_DOG_LOSS = 0.25  # share of a sleeping dog's purchase chance a contact costs
LOST_CAUSE_DAMPING = 0.1  # response kept by customers without a visit in 90 days
MAX_RESPONSE = 0.9  # at most this share of would-not-buy customers converts
UNEXPLAINED_SD = 0.35  # log-normal spread of the response no feature explains
RESPONSE_COLUMNS = (
    "email_open_rate",
    "discount_usage_rate",
    "cart_abandon_rate",
    "orders_last_12m",
    "days_since_last_order",
    "days_since_last_cart_add",
    "days_since_last_visit",
)


def sleeping_dogs(features: pd.DataFrame) -> np.ndarray:
    """Customers a contact puts off: refunds on at least a quarter of two or more orders, or 3+ tickets."""
    refunds = features["refund_rate"].to_numpy(dtype=float) >= 0.25
    orders = features["orders_last_12m"].to_numpy(dtype=float) >= 2
    tickets = features["support_tickets_90d"].to_numpy(dtype=float) >= 3
    return (refunds & orders) | tickets


def contact_response(features: pd.DataFrame) -> np.ndarray:
    """How strongly each customer responds to an offer e-mail, before scaling (0 for no response).

    ``features`` are the simulator's columns before engagement is masked for new customers.
    """
    column = {name: features[name].to_numpy(dtype=float) for name in RESPONSE_COLUMNS}
    has_orders = column["orders_last_12m"] > 0
    deal = 0.25 + column["discount_usage_rate"] + 0.4 * column["cart_abandon_rate"] * has_orders
    lapsing = np.exp(-0.5 * ((column["days_since_last_order"] - 100.0) / 45.0) ** 2) * has_orders
    sure = np.exp(-column["days_since_last_cart_add"] / 4.0)
    dormant = column["days_since_last_visit"] > 90
    return (
        column["email_open_rate"] * (deal + lapsing) * (1.0 - 0.8 * sure) * np.where(dormant, LOST_CAUSE_DAMPING, 1.0)
    )


def true_contact_effect(
    features: pd.DataFrame, probability: np.ndarray, rng: np.random.Generator, mean_effect: float = MEAN_EFFECT
) -> np.ndarray:
    """Each customer's true effect of a contact on the 30-day purchase probability (mean ``mean_effect``)."""
    probability = np.asarray(probability, dtype=float)
    response = contact_response(features) * np.exp(UNEXPLAINED_SD * rng.normal(size=len(probability)))
    hurt = sleeping_dogs(features)
    loss = -SLEEPING_DOG_LOSS * probability

    def effect(scale: float) -> np.ndarray:
        return np.where(hurt, loss, (1.0 - probability) * np.minimum(scale * response, MAX_RESPONSE))

    low, high = 0.0, 1000.0  # the mean effect grows with the scale: bisection
    for _ in range(60):
        middle = (low + high) / 2
        if effect(middle).mean() > mean_effect:
            high = middle
        else:
            low = middle
    return effect((low + high) / 2)

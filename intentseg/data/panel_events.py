"""The panel's event history, month by month: sessions, orders, e-mails, pushes, tickets and reviews.

Month ``m``'s events come from the latent state of month ``m`` (:mod:`intentseg.data.panel`) and from
random streams keyed by (seed, size, month, purpose, draw), each taken in customer order: the
history up to a month does not depend on how far a run goes. Episodes that start in a month keep
their sessions and order in the days after it; nothing after ``last_day`` (today) is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import count

import numpy as np

from intentseg.data.panel import (
    EPISODE_DAYS,
    EPISODE_SESSION_RATE,
    QUIET_FACTOR,
    LatentPath,
    PanelCustomers,
    Rates,
    World,
    calendar_date,
    month_first_day,
    month_name,
)
from intentseg.data.sampling import sigmoid
from intentseg.data.shopsphere import season_for

_EVENTS = 100  # stream purposes of the event history: 100 + month
EMAIL_WEEKDAY, PUSH_WEEKDAY = 1, 4  # Tuesday e-mails, Friday pushes (Monday = 0)
N_CATEGORIES = 8  # browsable categories (CATEGORIES without "none")

Table = dict[str, np.ndarray]


@dataclass(frozen=True)
class PanelEvents:
    """Every event up to ``last_day``; each table's columns are equal-length arrays (month by month)."""

    last_day: int
    sessions: Table  # customer, day, duration, pages, views, searches, wishlist, cart, app, category
    orders: Table  # customer, day, value, items, discounted, refunded, category, payment
    tickets: Table  # customer, day
    reviews: Table  # customer, day
    campaign_days: np.ndarray  # one per weekly send, e-mails and pushes
    campaign_kinds: np.ndarray  # "email" or "push"
    campaigns: np.ndarray  # (customer, send): 0 not sent, 1 sent, 2 opened (e-mail) or clicked (push), 3 clicked
    episodes: Table  # customer, start, end (continuous days), conversion (its probability), converts

    def truncated(self, day: int) -> PanelEvents:
        """The history as known at the end of ``day``: no event after it (episodes are latent: kept)."""
        cut = {
            name: {key: values[table["day"] <= day] for key, values in table.items()}
            for name, table in (
                ("sessions", self.sessions),
                ("orders", self.orders),
                ("tickets", self.tickets),
                ("reviews", self.reviews),
            )
        }
        sent = self.campaign_days <= day
        return replace(
            self,
            last_day=day,
            campaign_days=self.campaign_days[sent],
            campaign_kinds=self.campaign_kinds[sent],
            campaigns=self.campaigns[:, sent],
            **cut,
        )


def _draws(world: World, month: int) -> Iterator[np.random.Generator]:
    """A fresh stream per draw of a month, in a fixed order."""
    return (world.stream(_EVENTS + month, draw) for draw in count())


def _uniform_times(rng: np.random.Generator, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    return start + rng.random(len(start)) * length


def _category(rng: np.random.Generator, favourite: np.ndarray, shares: tuple[float, float]) -> np.ndarray:
    """The first favourite, the second, or any category, with the given shares for the first two."""
    pick = rng.random(len(favourite))
    favoured = shares[0] + shares[1]
    other = np.minimum(np.floor((pick - favoured) / (1 - favoured) * N_CATEGORIES), N_CATEGORIES - 1)
    return np.where(
        pick < shares[0], favourite[:, 0], np.where(pick < favoured, favourite[:, 1], other.astype(np.int64))
    )


def _month_events(
    world: World,
    customers: PanelCustomers,
    rates: Rates,
    path: LatentPath,
    month: int,
) -> dict[str, Table]:
    """Month ``month``'s episodes, sessions, orders, tickets and reviews (customers in sign-up order)."""
    draws = _draws(world, month)
    first, last = month_first_day(month), month_first_day(month + 1) - 1
    n = int(np.searchsorted(customers.signup_day, last, side="right"))
    season = season_for(month_name(month))
    quiet, drift = path.quiet[month, :n], path.drift[month, :n].astype(np.float64)
    traits = {name: values[:n] for name, values in customers.traits.items()}
    begin = np.maximum(customers.signup_day[:n] + 0.5, first)
    exposure = last + 1 - begin
    asleep = np.log(QUIET_FACTOR) * quiet

    # Episodes: start, length, whether they end in an order, and what they are about.
    episode_rate = np.exp(path.intercept[month] + rates.episode[:n] + drift + asleep)
    episode_customer = np.repeat(np.arange(n), next(draws).poisson(episode_rate * exposure))
    start = _uniform_times(next(draws), begin[episode_customer], exposure[episode_customer])
    end = start + next(draws).exponential(EPISODE_DAYS, len(start))
    conversion = rates.conversion_in(season.promo)[:n][episode_customer]
    converts = next(draws).random(len(start)) < conversion
    topic = _category(next(draws), customers.favourite[episode_customer], (0.6, 0.3))

    # Sessions: background visits, the sign-up visit, and each episode's first, further and order visits.
    background_rate = np.exp(rates.background[:n] + drift + np.log(season.activity) + asleep)
    background = np.repeat(np.arange(n), next(draws).poisson(background_rate * exposure))
    background_time = _uniform_times(next(draws), begin[background], exposure[background])
    joined = np.flatnonzero(customers.signup_day[:n] >= first)
    further = np.repeat(np.arange(len(start)), next(draws).poisson(EPISODE_SESSION_RATE * (end - start)))
    further_time = _uniform_times(next(draws), start[further], (end - start)[further])
    ordered = np.flatnonzero(converts)
    session_customer = np.concatenate(
        [background, joined, episode_customer, episode_customer[further], episode_customer[ordered]]
    )
    time = np.concatenate([background_time, customers.signup_day[joined] + 0.5, start, further_time, end[ordered]])
    kind = np.repeat(np.arange(5), [len(background), len(joined), len(start), len(further), len(ordered)])
    in_episode = kind >= 2
    episode_topic = np.concatenate(
        [np.zeros(len(background) + len(joined), np.int64), topic, topic[further], topic[ordered]]
    )

    t = {name: values[session_customer] for name, values in traits.items()}
    browse_rule = _category(next(draws), customers.favourite[session_customer], (0.55, 0.25))
    browses_topic = in_episode & (next(draws).random(len(time)) < 0.6)
    cart_log_odds = (
        np.where(in_episode, -0.8, -2.4) + 0.5 * t["buying"] + 0.3 * t["price_sensitivity"] + 0.25 * season.promo
    )
    app = next(draws).random(len(time)) < customers.app_preference[session_customer]
    pages = 1 + np.exp(next(draws).normal(1.15 + 0.25 * t["activity"] - 0.2 * app + 0.2 * in_episode, 0.5))
    sessions = {
        "customer": session_customer.astype(np.int32),
        "day": np.floor(time).astype(np.int32),
        "duration": np.round(
            np.exp(next(draws).normal(1.55 + 0.3 * t["engagement"] + 0.15 * t["activity"] + 0.2 * in_episode, 0.55)), 2
        ).astype(np.float32),
        "pages": np.round(pages, 2).astype(np.float32),
        "views": next(draws).poisson(1.1 * pages).astype(np.int32),
        "searches": next(draws).poisson(np.exp(-0.5 + 0.3 * in_episode)).astype(np.int16),
        "wishlist": next(draws).random(len(time))
        < 0.04 * np.exp(0.5 * t["price_sensitivity"] + 0.2 * t["engagement"]) * (1 + 0.5 * in_episode),
        "cart": (kind == 4) | (next(draws).random(len(time)) < sigmoid(cart_log_odds)),
        "app": app,
        "category": np.where(browses_topic, episode_topic, browse_rule).astype(np.int8),
    }

    # Orders, at the end of converting episodes.
    order_customer = episode_customer[ordered]
    o = {name: values[order_customer] for name, values in traits.items()}
    tier_1 = customers.city_tier[order_customer] == 0
    value_log_mean = (
        np.log(48) + 0.45 * o["spend"] - 0.15 * o["price_sensitivity"] + 0.15 * tier_1 + 0.08 * season.promo
    )
    usual_payment = next(draws).random(len(ordered)) < 0.8
    orders = {
        "customer": order_customer.astype(np.int32),
        "day": np.floor(end[ordered]).astype(np.int32),
        "value": np.round(np.exp(next(draws).normal(value_log_mean, 0.45)), 2),
        "items": 1 + next(draws).poisson(np.exp(-1.7 + 0.3 * o["spend"])),
        "discounted": next(draws).random(len(ordered))
        < sigmoid(-1.4 + 1.3 * o["price_sensitivity"] + 0.6 * season.promo),
        "refunded": next(draws).random(len(ordered)) < sigmoid(-3.0 + 0.3 * o["price_sensitivity"] - 0.2 * o["spend"]),
        "category": topic[ordered].astype(np.int8),
        "payment": np.where(usual_payment, customers.payment[order_customer, 0], customers.payment[order_customer, 1]),
    }

    # Support tickets (after refunds, and now and then) and reviews (after orders).
    after_refund = np.flatnonzero(orders["refunded"] & (next(draws).random(len(ordered)) < 0.7))
    other_rate = 0.0018 * np.exp(0.3 * traits["price_sensitivity"])
    other = np.repeat(np.arange(n), next(draws).poisson(other_rate * exposure))
    ticket_time = np.concatenate(
        [
            orders["day"][after_refund] + 1 + np.floor(next(draws).random(len(after_refund)) * 7),
            _uniform_times(next(draws), begin[other], exposure[other]),
        ]
    )
    tickets = {
        "customer": np.concatenate([order_customer[after_refund], other]).astype(np.int32),
        "day": np.floor(ticket_time).astype(np.int32),
    }
    reviewed = np.flatnonzero(next(draws).random(len(ordered)) < sigmoid(-2.0 + 0.8 * o["engagement"]))
    reviews = {
        "customer": order_customer[reviewed].astype(np.int32),
        "day": (orders["day"][reviewed] + 2 + np.floor(next(draws).random(len(reviewed)) * 13)).astype(np.int32),
    }
    episodes = {
        "customer": episode_customer.astype(np.int32),
        "start": start,
        "end": end,
        "conversion": conversion,
        "converts": converts,
    }
    return {"sessions": sessions, "orders": orders, "tickets": tickets, "reviews": reviews, "episodes": episodes}


def _month_campaigns(
    world: World, customers: PanelCustomers, path: LatentPath, month: int, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Month ``month``'s weekly e-mails and pushes: (days, kinds, codes (width, sends))."""
    draws = _draws(world, 1000 + month)
    first, last = month_first_day(month), month_first_day(month + 1) - 1
    season = season_for(month_name(month))
    days = np.arange(first, last + 1)
    weekday = np.array([calendar_date(int(day)).weekday() for day in days])
    sends = days[(weekday == EMAIL_WEEKDAY) | (weekday == PUSH_WEEKDAY)]
    kinds = np.where(np.isin(sends, days[weekday == EMAIL_WEEKDAY]), "email", "push")
    codes = np.zeros((width, len(sends)), dtype=np.uint8, order="F")
    traits = customers.traits
    for column, (day, kind) in enumerate(zip(sends, kinds)):
        n = int(np.searchsorted(customers.signup_day, day, side="right"))
        quiet = path.quiet[month, :n]
        engagement = traits["engagement"][:n] + 0.4 * path.drift[month, :n]  # interest moves attention too
        first_step, second_step = next(draws).random(n), next(draws).random(n)
        if kind == "email":
            opened = first_step < sigmoid(-0.8 + 0.9 * engagement + 0.1 * season.promo - 1.2 * quiet)
            clicked = opened & (second_step < sigmoid(-1.1 + 0.6 * engagement + 0.4 * traits["buying"][:n]))
            codes[:n, column] = 1 + opened + clicked
        else:
            app = customers.app_preference[:n]
            codes[:n, column] = 1 + (first_step < sigmoid(-2.2 + 0.6 * engagement + 1.2 * app - 1.0 * quiet))
    return sends, kinds, codes


def panel_events(
    world: World,
    customers: PanelCustomers,
    rates: Rates,
    path: LatentPath,
    *,
    months: range,
    last_day: int,
) -> PanelEvents:
    """The event history of ``months`` (indices), cut at ``last_day``."""
    parts = []
    for month in months:
        part = _month_events(world, customers, rates, path, month)
        for name in ("sessions", "orders", "tickets", "reviews"):
            keep = part[name]["day"] <= last_day
            part[name] = {key: values[keep] for key, values in part[name].items()}
        parts.append(part)
    tables = {
        name: {key: np.concatenate([part[name][key] for part in parts]) for key in parts[0][name]} for name in parts[0]
    }
    episodes = tables.pop("episodes")
    sends = [_month_campaigns(world, customers, path, month, len(customers)) for month in months]
    days = np.concatenate([send[0] for send in sends])
    sent = days <= last_day
    return PanelEvents(
        last_day=last_day,
        campaign_days=days[sent],
        campaign_kinds=np.concatenate([send[1] for send in sends])[sent],
        campaigns=np.concatenate([send[2] for send in sends], axis=1)[:, sent],
        episodes=episodes,
        **tables,
    )

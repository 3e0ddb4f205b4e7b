"""Column names in plain words, and what kind of quantity a column holds: one step for segment names and reasons.

``visits_30d`` reads "visits in the last 30 days", ``AmtWine`` "amount wine", ``days_since_contact``
"days since contact". The kind (a count, money, a recency, a rate or share, a duration, a true/false
flag, a coded category, a plain number) comes from the name's words first and the values' shape
second, and decides the trait words ("many / few visits", "high / low spend", "recent / lapsed",
"with / without the app") and how a customer's value reads in a reason ("3 visits in the last 30
days"). A dictionary entry (``reason_words.labels``) always comes first where there is one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["count", "money", "recency", "rate", "duration", "flag", "number", "category", "code"]

ABBREVIATIONS = {
    "amt": "amount",
    "avg": "average",
    "qty": "quantity",
    "num": "number",
    "no": "number",
    "nb": "number",
    "cnt": "count",
    "pct": "percent",
    "perc": "percent",
    "txn": "transactions",
    "txns": "transactions",
    "trx": "transactions",
    "rev": "revenue",
    "freq": "frequency",
    "mnt": "amount",
    "mins": "minutes",
    "secs": "seconds",
    "hrs": "hours",
    "yrs": "years",
    "msgs": "messages",
    "prev": "previous",
    "cust": "customer",
    "acct": "account",
    "bal": "balance",
    "dur": "duration",
    "info": "information",
    "admin": "administrative",
    "prod": "product",
}
KEEP_UPPER = {"id", "sms", "vip", "url", "eur", "usd", "gbp", "crm", "os", "pc", "tv", "ltv", "clv", "rfm"}
UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years", "h": "hours"}

TENURE = re.compile(
    r"\bdays since .*\b(customer|join|joined|signup|sign up|registration|registered|created|first|enrol\w*|opened)\b"
)
RECENCY = re.compile(r"\b(days since|since|recency|ago|inactive|inactivity|last seen|days to)\b")
MONEY = re.compile(
    r"\b(spend|spent|spending|amount|revenue|value|price|income|balance|sales|monetary|cost|salary|wage|payment|"
    r"payments|paid|basket|eur|usd|gbp|dollars|euros|ltv|clv|wines|wine|meat|gold|fish|sweet|fruits)\b"
)
COUNT = re.compile(
    r"\b(count|number|visits|sessions|orders|purchases|transactions|clicks|views|pages|items|logins|calls|"
    r"contacts|tickets|reviews|frequency|opens|downloads|deals|returns|complaints|kids?|children|teens?|"
    r"products|searches|adds)\b"
)
RATE = re.compile(r"\b(rates?|ratios?|shares?|percent|percentage|proportion|probability|pct|fractions?)\b")
DURATION = re.compile(r"\b(duration|time|seconds|minutes|hours|length|tenure|age|years|months|weeks)\b")
WINDOW_WORDS = re.compile(r"\s*\bin the last \d+ \w+")
WINDOW = re.compile(r"\b(?:last )?(\d+) ?(d|w|m|y|h|days?|weeks?|months?|years?|hours?)\b")


def split_words(name: str) -> list[str]:
    """``visits_30d`` -> ``['visits', '30d']``; ``PagesViewed`` -> ``['pages', 'viewed']``; ``AmtWine`` too."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(name))
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    spaced = re.sub(r"([A-Za-z])(\d{3,})", r"\1 \2", spaced)
    return [word.lower() for word in re.split(r"[\s_\-./:()\[\]]+", spaced) if word]


def words_of(name: str) -> str:
    """A column name as words: split, abbreviations spelled out, time windows in full ("in the last 30 days")."""
    words = [ABBREVIATIONS.get(word, word) for word in split_words(name)]
    text = " ".join(word.upper() if word in KEEP_UPPER else word for word in words)

    def window(match: re.Match[str]) -> str:
        unit = match.group(2)
        unit = UNITS.get(unit, unit if unit.endswith("s") else unit + "s")
        return f"in the last {match.group(1)} {unit}"

    return WINDOW.sub(window, text).strip() or str(name)


def _is_flag(values: pd.Series) -> bool:
    present = values.dropna()
    return len(present) > 0 and set(np.unique(present.astype(float))) <= {0.0, 1.0}


def _is_code(values: pd.Series) -> bool:
    """Levels that are all numbers (a store id, an operating-system number): codes, not words."""
    levels = values.dropna().astype(str).str.strip().unique()
    return len(levels) > 0 and all(re.fullmatch(r"[-+]?\d+(\.0+)?", level) for level in levels)


def column_kind(name: str, values: pd.Series | None = None, categorical: bool = False) -> Kind:
    """What a column holds, from its name's words, then its values (see the module docstring)."""
    if categorical:
        return "code" if values is not None and _is_code(values) else "category"
    words = words_of(name).lower()
    if values is not None and _is_flag(values) and not COUNT.search(words):
        return "flag"
    if TENURE.search(words) or re.search(r"\btenure\b", words):
        return "duration"
    for kind, pattern in (("recency", RECENCY), ("rate", RATE), ("money", MONEY), ("count", COUNT)):
        if pattern.search(words):
            return kind  # type: ignore[return-value]
    if DURATION.search(words):
        return "duration"
    if values is not None:
        present = pd.to_numeric(values, errors="coerce").dropna()
        if len(present) and present.between(0, 1).all() and not (present == present.round()).all():
            return "rate"
    return "number"


@dataclass(frozen=True)
class ColumnWords:
    """How one column reads: its words, its kind, and the trait words when high and when low."""

    name: str
    words: str
    kind: Kind

    @property
    def noun(self) -> str:
        """The words without a leading has / is / uses (a flag) or number of (a count)."""
        text = re.sub(r"^(has|have|is|uses|owns|with|number of|number|count of|total)\s+", "", self.words)
        if self.kind == "count" and re.search(r"\s(count|number)$", text):  # "visit count" -> "visits"
            text = re.sub(r"\s(count|number)$", "", text)
            text = text if text.endswith("s") else text + "s"
        if self.kind == "money" and text.startswith("amount "):  # "amount wines" -> "wine spend"
            text = re.sub(r"(?<=[a-z]{3})s$", "", text.removeprefix("amount ")) + " spend"
        return text or self.words

    def high_low(self) -> tuple[str, str]:
        """[when high, when low] trait words for a numeric column of this kind."""
        noun = self.noun
        if self.kind == "recency":
            return ("lapsed", "recent")
        if self.kind == "money":
            short = "spend" if re.match(r"(spend|spent|spending)\b", noun) else noun
            return (f"high {short}", f"low {short}")
        if self.kind == "count":
            return (f"many {noun}", f"few {noun}")
        if self.kind == "flag":
            if self.words.startswith("is "):
                return (noun, f"not {noun}")
            thing = f"the {noun}" if re.match(r"(has|have|uses|owns) \S+$", self.words) else noun
            return (f"with {thing}", f"without {thing}")
        if self.kind == "duration":
            if "tenure" in noun or TENURE.search(self.words):
                return ("long-standing", "new")
            if noun == "age" or noun.startswith("age "):
                return ("older", "younger")
            return (f"long {noun}", f"short {noun}")
        return (f"high {noun}", f"low {noun}")

    def value_phrase(self, value: float) -> str:
        """A customer's value of this column in words: ``3 visits in the last 30 days``."""
        if self.kind == "flag":
            return self.high_low()[0] if value >= 0.5 else self.high_low()[1]
        if self.kind == "rate" and 0 <= value <= 1:
            return f"{self.words}: {value:.0%}"
        number = f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}"
        if self.kind == "count":
            return f"{number} {self.noun}"
        if self.kind in ("recency", "duration") and self.words.startswith("days "):
            return f"{number} {self.words}"
        return f"{self.words}: {number}"


def shown_name(feature: str, display_names: dict[str, str]) -> str:
    """The name to put in words: the source file's name, but a date column keeps what prepare made of it
    (``days_since_Joined`` reads "days since joined", not "joined")."""
    shown = display_names.get(feature, feature)
    if feature.startswith("days_since_") and split_words(shown)[:2] != ["days", "since"]:
        return f"days since {shown}"
    return shown


def column_words(name: str, values: pd.Series | None = None, categorical: bool = False) -> ColumnWords:
    """:class:`ColumnWords` of a column (``values``: a sample of it, for the shape of its values)."""
    return ColumnWords(str(name), words_of(name), column_kind(name, values, categorical))

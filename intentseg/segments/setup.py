"""Setting up a segmentation for any table: which features, which transforms, which k, which profile columns.

Every ``auto`` setting of ``train_segmenter`` resolves here, in this order: the data source's preset
(``presets.<source>``: the simulator's business-chosen segmentation), else a choice computed on the
train split. The plan and why it was chosen are recorded in the segment model and the details.

* Features (``auto_features``): numeric columns with few missing values that are not near-constant,
  most varied first, skipping near-duplicates of a chosen column by rank correlation; then
  low-cardinality categoricals, most evenly spread first. Chosen numeric columns more skewed than
  ``log_skewness`` get the signed log1p (negative values stay negative); so do the skewed ones among
  features named in params when ``log1p`` is ``auto``.
* k (``auto_k``): fit each candidate k on a sample of train customers; measure the silhouette,
  the smallest segment's share and bootstrap stability on other train customers (never test);
  among the k meeting the share and stability floors, take the smallest whose silhouette is within
  ``tolerance`` of the best.
* Profile columns: the remaining columns that separate the fitted segments most (share of a
  column's rank variance explained by the segments; Cramér's V for categoricals).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from intentseg.config.segmenter import AutoFeaturesConfig, SegmentFeatures, TrainSegmenterConfig
from intentseg.data.column_words import column_words
from intentseg.foundation.errors import ConfigError
from intentseg.foundation.sizing import sized_down

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmentationPlan:
    """The resolved segmentation settings, and where each came from."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    log1p: tuple[str, ...]
    k: int | None  # None: to be chosen by the k rule once the estimator exists
    profile_numeric: tuple[str, ...] | None  # None: chosen after fitting
    profile_categorical: tuple[str, ...] | None
    outcomes: dict[str, str]
    origin: dict[str, str] = field(default_factory=dict)  # setting -> "configured" | "preset <name>" | "automatic"
    choice: dict[str, str] = field(default_factory=dict)  # column -> why it was kept or skipped (features: auto)


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


BEHAVIOUR_GROUP = re.compile(r"behav|transact|engag|activ|purchas|usage|web|session|order|spend|rfm|loyal", re.I)
BEHAVIOUR_KINDS = {"recency", "money", "count", "rate"}
IDENTIFIER = re.compile(r"(^|[\s_])(id|key|code|uuid|zip|postcode|phone|number)($|[\s_])", re.I)
CODE_WORDS = re.compile(r"\b(type|types|region|system|systems|browser|code|category|class|group|segment|cluster)\b")
CALENDAR = re.compile(r"^(\w+ )?(day|month|year|week|weekday|hour|quarter)( of \w+)?$")


def _describes_behaviour(name: str, kind: str, group: str | None) -> bool:
    """What customers do and spend: by ``data.feature_groups`` when the column has a named group, else by kind."""
    if group and group != "features":
        return bool(BEHAVIOUR_GROUP.search(group))
    return kind in BEHAVIOUR_KINDS or (kind == "duration" and "age" not in name.lower().split())


def _skip_reason(name: str, words: str, values: pd.Series, kind: str) -> str | None:
    """Why a column (``name``, in ``words``) describes no customer behaviour a segment can be named by
    (None: usable)."""
    present = values.dropna()
    if kind == "flag":
        minority = float(min(present.mean(), 1 - present.mean())) if len(present) else 0.0
        if minority < 0.1:
            return f"a near-constant true/false flag ({minority:.0%} of customers on the rarer side)"
    if kind == "code":
        return "integer-coded levels without a dictionary (train_segmenter.naming.categorical): codes are no words"
    words = words.lower()
    if kind in ("number", "category", "rate") and CALENDAR.search(words):
        return "a calendar position (day, month, year ...), not something customers do"
    if _is_numeric(values) and len(present):
        whole = bool((present == present.round()).all())
        distinct = present.nunique()
        consecutive = whole and distinct > 0.95 * len(present) and (present.max() - present.min() + 1) < 1.5 * distinct
        if whole and (consecutive or (IDENTIFIER.search(name) and distinct > 0.5 * len(present))):
            return "an identifier (a different whole number for almost every customer, numbered in sequence)"
        if (
            whole
            and kind == "number"
            and ((distinct <= 20 and present.min() >= 1) or (CODE_WORDS.search(words) and distinct <= 50))
        ):
            return "an integer code (whole-number levels from 1, or a type/region/system name; no count word)"
    return None


KIND_ORDER = ("recency", "count", "money", "rate", "duration", "flag", "number")


def _interleaved_by_kind(candidates: list[tuple[int, str, float, str]]) -> list[str]:
    """Columns in preference order: behaviour first; within it, one of each kind in turn (recency, frequency,
    money, rates ...: what RFM segmentations use), each kind's most varied column first."""
    ordered = []
    for priority in sorted({item[0] for item in candidates}):
        by_kind = {
            kind: [name for _, _, _, name in sorted(item for item in candidates if item[:2] == (priority, kind))]
            for kind in KIND_ORDER
        }
        while any(by_kind.values()):
            for kind in KIND_ORDER:
                if by_kind[kind]:
                    ordered.append(by_kind[kind].pop(0))
    return ordered


def choose_features(
    frame: pd.DataFrame,
    exclude: set[str],
    config: AutoFeaturesConfig,
    display_names: dict[str, str] | None = None,
    groups: dict[str, str] | None = None,
    *,
    dictionary: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Numeric and categorical segmentation features and log1p columns for a table (see the module docstring).

    Columns that describe behaviour (recency, frequency, money, rates, activity; or a behavioural
    ``data.feature_groups`` group) come first; identifiers, integer codes without a dictionary and
    near-constant flags are skipped. Returns the choice with a reason for every column, kept or skipped.
    """
    rows = sized_down("train_segmenter.auto_features.sample_size", config.sample_size, len(frame), "train customers")
    sample = frame.sample(n=rows, random_state=0) if len(frame) else frame
    numeric, categorical, skipped = [], [], {}
    candidates, reasons = [], {}
    for name in frame.columns:
        if name in exclude:
            continue
        values = sample[name]
        shown = (display_names or {}).get(name, name)
        is_categorical = not _is_numeric(values)
        words = column_words(shown, values, is_categorical)
        kind = "category" if name in dictionary and words.kind == "code" else words.kind
        missing = float(values.isna().mean())
        if missing > config.max_missing_share:
            skipped[name] = f"missing for {missing:.0%} of customers"
            continue
        present = values.dropna()
        mode_share = float(present.value_counts(normalize=True).iloc[0]) if len(present) else 1.0
        if mode_share > config.max_mode_share:
            skipped[name] = f"near-constant ({mode_share:.0%} share one value)"
            continue
        reason = _skip_reason(shown, words.words, values, kind)
        if reason:
            skipped[name] = reason
            continue
        behaviour = _describes_behaviour(shown, kind, (groups or {}).get(name))
        reasons[name] = f"{kind} ({words.words}){', behaviour' if behaviour else ''}"
        if not is_categorical:
            candidates.append((0 if behaviour else 1, kind, -(1 - mode_share), name))
        else:
            levels = present.astype(str).value_counts(normalize=True)
            if len(levels) > config.max_levels:
                skipped[name] = f"{len(levels)} levels (more than {config.max_levels})"
                continue
            evenness = float(-(levels * np.log(levels)).sum() / np.log(len(levels))) if len(levels) > 1 else 0.0
            categorical.append((0 if behaviour else 1, -evenness, name))
    ranks = sample[[name for *_, name in candidates]].rank() if candidates else pd.DataFrame()
    for name in _interleaved_by_kind(candidates):
        if len(numeric) >= config.max_numeric:
            skipped[name] = f"not among the first {config.max_numeric} numeric columns (behaviour first, most varied)"
            continue
        correlated = [other for other in numeric if abs(ranks[name].corr(ranks[other])) > config.max_rank_correlation]
        if correlated:
            skipped[name] = f"rank correlation above {config.max_rank_correlation} with {correlated[0]}"
            continue
        numeric.append(name)
    ordered = [name for *_, name in sorted(categorical)]
    categorical = ordered[: config.max_categorical]
    for name in ordered[config.max_categorical :]:
        skipped[name] = f"not among the first {config.max_categorical} categorical columns"
    if not numeric and not categorical:
        raise ConfigError(
            "train_segmenter.features: auto found no usable segmentation feature "
            f"(skipped: {skipped}); list features under train_segmenter.features"
        )
    choice = {name: f"kept: {reasons[name]}" for name in [*numeric, *categorical]}
    choice.update({name: f"skipped: {why}" for name, why in skipped.items()})
    return {
        "numeric": numeric,
        "categorical": categorical,
        "log1p": _skewed_in(sample, numeric, config.log_skewness),
        "skipped": skipped,
        "choice": choice,
    }


def skewed(frame: pd.DataFrame, numeric: list[str] | tuple[str, ...], config: AutoFeaturesConfig) -> list[str]:
    """The ``numeric`` columns more skewed than ``log_skewness`` (they get the signed log1p), in their order,
    measured on ``sample_size`` customers of ``frame``."""
    sample = frame.sample(n=min(config.sample_size, len(frame)), random_state=0) if len(frame) else frame
    return _skewed_in(sample, numeric, config.log_skewness)


def _skewed_in(sample: pd.DataFrame, numeric: list[str] | tuple[str, ...], threshold: float) -> list[str]:
    """The ``numeric`` columns whose skewness on ``sample`` exceeds ``threshold`` in size."""
    return [name for name in numeric if abs(float(sample[name].skew())) > threshold]


def with_table_names(config: TrainSegmenterConfig, resolve: Callable[[str], str]) -> TrainSegmenterConfig:
    """``config`` with every column it names translated by ``resolve`` (source file names to feature names)."""

    def names(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(resolve(name) for name in values)

    features = config.features
    if features != "auto":
        features = SegmentFeatures(numeric=names(features.numeric), categorical=names(features.categorical))
    profile = config.profile
    profile = profile.model_copy(
        update={
            "numeric": profile.numeric if profile.numeric == "auto" else names(profile.numeric),
            "categorical": profile.categorical if profile.categorical == "auto" else names(profile.categorical),
            "outcomes": profile.outcomes
            if profile.outcomes == "auto"
            else {label: resolve(name) for label, name in profile.outcomes.items()},
        }
    )
    log1p = config.log1p if config.log1p == "auto" else names(config.log1p)
    return config.model_copy(update={"features": features, "profile": profile, "log1p": log1p})


def plan_segmentation(
    config: TrainSegmenterConfig,
    source: str,
    train: pd.DataFrame,
    exclude: set[str],
    display_names: dict[str, str] | None = None,
    *,
    groups: dict[str, str] | None = None,
) -> SegmentationPlan:
    """Resolve every ``auto`` setting (preset of ``source``, else computed on ``train``).

    ``display_names`` and ``groups`` (column -> source name, feature group) inform the feature choice.
    """
    preset = config.presets.get(source)
    origin: dict[str, str] = {}
    choice: dict[str, str] = {}
    if config.features != "auto":
        numeric, categorical = config.features.numeric, config.features.categorical
        log1p = tuple(skewed(train, numeric, config.auto_features)) if config.log1p == "auto" else config.log1p
        origin["features"] = "configured"
    elif preset is not None:
        numeric, categorical = preset.features.numeric, preset.features.categorical
        log1p = preset.log1p if config.log1p == "auto" else config.log1p
        origin["features"] = f"preset {source}"
    else:
        chosen = choose_features(
            train, exclude, config.auto_features, display_names, groups, dictionary=frozenset(config.naming.categorical)
        )
        numeric, categorical = tuple(chosen["numeric"]), tuple(chosen["categorical"])
        log1p = tuple(chosen["log1p"]) if config.log1p == "auto" else config.log1p
        origin["features"] = "automatic"
        origin["skipped"] = "; ".join(f"{name}: {why}" for name, why in chosen["skipped"].items())
        choice = chosen["choice"]
    if config.k != "auto":
        k, origin["k"] = config.k, "configured"
    elif preset is not None:
        k, origin["k"] = preset.k, f"preset {source}"
    else:
        k, origin["k"] = None, "automatic"
    profile = config.profile
    profile_numeric = profile.numeric if profile.numeric != "auto" else (preset.profile_numeric if preset else None)
    profile_categorical = (
        profile.categorical if profile.categorical != "auto" else (preset.profile_categorical if preset else None)
    )
    outcomes = profile.outcomes if profile.outcomes != "auto" else (dict(preset.outcomes) if preset else {})
    missing = [
        name
        for name in [*numeric, *categorical, *(profile_numeric or ()), *(profile_categorical or ()), *outcomes.values()]
        if name not in train.columns
    ]
    if missing:
        raise ConfigError(f"train_segmenter: columns {missing} are not in the table (columns: {list(train.columns)})")
    return SegmentationPlan(
        tuple(numeric),
        tuple(categorical),
        tuple(log1p),
        k,
        profile_numeric,
        profile_categorical,
        dict(outcomes),
        origin,
        choice,
    )


def separating_columns(
    frame: pd.DataFrame, segment_ids: np.ndarray, exclude: set[str], count: int
) -> tuple[list[str], list[str]]:
    """The ``count`` columns (not in ``exclude``) whose values differ most between segments."""
    scores = []
    for name in frame.columns:
        if name in exclude:
            continue
        values = frame[name]
        if _is_numeric(values):
            ranks = values.rank().fillna(values.rank().mean())
            total = float(((ranks - ranks.mean()) ** 2).sum())
            between = float(
                sum(len(group) * (group.mean() - ranks.mean()) ** 2 for _, group in ranks.groupby(segment_ids))
            )
            scores.append((between / total if total else 0.0, name, "numeric"))
        else:
            table = pd.crosstab(values.astype("object").fillna("missing"), segment_ids)
            expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.to_numpy().sum()
            chi2 = float(((table.to_numpy() - expected) ** 2 / np.maximum(expected, 1e-12)).sum())
            dof = max(1, min(table.shape) - 1)
            scores.append((float(np.sqrt(chi2 / table.to_numpy().sum() / dof)), name, "categorical"))
    top = sorted(scores, key=lambda item: (-item[0], item[1]))[:count]
    return [name for _, name, kind in top if kind == "numeric"], [
        name for _, name, kind in top if kind == "categorical"
    ]

"""Segment names that a marketer can check against the numbers.

A numeric column is a trait of a segment only when the segment's median sits clearly high or low
in the population (its percentile at or above ``naming.high_percentile``, or at or below
``naming.low_percentile``) and on the same side of the population median, so a segment is never
called "frequent" while its median order count is below the typical customer's. A category is a
trait when it is over-represented (lift at least ``naming.min_lift``) and covers at least
``naming.min_share`` of the segment. Words come from ``params.yaml`` (``naming.numeric``,
``naming.categorical``) or, for other columns, from the column's words and kind
(:mod:`intentseg.data.column_words`): "many / few visits", "high / low spend", "recent / lapsed",
"with / without the app". A coded categorical (levels that are numbers, such as a store id) names a
segment only through a ``naming.categorical`` entry.

A name is at most two numeric traits and a noun from the strongest categorical trait, as a phrase:
words that go before the noun ("New, rarely active customers"), then those that follow it
("Recent customers with many visits"); lead traits are distinct across segments (a segment whose
strongest trait is already another's lead is led by its next one), and so are names. A segment that
bootstrap refits do not reproduce (Jaccard below ``UNSTABLE_JACCARD``) gets no confident name: its
name says it is an unstable group.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from intentseg.config.segmenter import NamingConfig
from intentseg.data.column_words import WINDOW_WORDS, ColumnWords, column_words
from intentseg.segments.model import SegmentModel

UNSTABLE_JACCARD = 0.6  # below it a segment is not reproduced (fpc::clusterboot: at most a "pattern")
STABLE_AGAIN_JACCARD = 0.75  # a segment named unstable keeps that name until refits clearly reproduce it ...
DISSOLVED_JACCARD = 0.5  # ... and a kept confident name gives way once refits clearly dissolve the segment
UNSTABLE_PREFIX = "unstable group of "


def unstable_segments(jaccard: dict[int, float], kept_names: dict[int, str]) -> set[int]:
    """Segments to name as unstable. A new name: Jaccard below ``UNSTABLE_JACCARD``. A kept (reference) name
    changes state only on clear evidence, so it does not flip month to month on a measurement near the
    line: an unstable one stays so below ``STABLE_AGAIN_JACCARD``, a confident one becomes unstable below
    ``DISSOLVED_JACCARD`` (the report still marks every segment below 0.6, from the test split)."""
    unstable = set()
    for segment, value in jaccard.items():
        kept = kept_names.get(segment, "").lower()
        if not kept:
            line = UNSTABLE_JACCARD
        else:
            line = STABLE_AGAIN_JACCARD if kept.startswith(UNSTABLE_PREFIX) else DISSOLVED_JACCARD
        if value < line:
            unstable.add(segment)
    return unstable


@dataclass(frozen=True)
class Trait:
    """One distinctive property of a segment, the words for it, and the numbers behind it."""

    column: str
    phrase: str
    strength: float  # 0..1: how far from the typical customer
    evidence: str  # in plain words, e.g. "median orders in the last 12 months: 2, higher than 58% of customers"
    after_noun: bool = False  # "with many visits" follows the noun; "recent" goes before it


Words = dict[str, ColumnWords]
"""Column -> its words and kind (kept in the segment model: ``column_words_of``)."""


def _words(column: str, words: Words | None) -> ColumnWords:
    return (words or {}).get(column) or column_words(column)


def _label(column: str, words: Words | None = None) -> str:
    return _words(column, words).words


def numeric_words(column: str, naming: NamingConfig, words: Words | None = None) -> tuple[str, str]:
    """[word when high, word when low] for a numeric column: configured, else from its words and kind."""
    if column in naming.numeric:
        return naming.numeric[column]
    high, low = _words(column, words).high_low()
    return WINDOW_WORDS.sub("", high).strip(), WINDOW_WORDS.sub("", low).strip()


def follows_noun(phrase: str) -> bool:
    """Trait words that read after the noun: "customers with many visits", "... without the app"."""
    return phrase.startswith(("many ", "few ", "with ", "without "))


def category_words(column: str, level: str, naming: NamingConfig, words: Words | None = None) -> str | None:
    """The noun phrase for a categorical level: configured, else from the column's words and the level;
    ``None`` for a coded categorical without a ``naming.categorical`` entry (a code is no word)."""
    configured = naming.categorical.get(column, {})
    if level in configured:
        return configured[level]
    if _words(column, words).kind == "code":
        return None
    return f"customers with {_label(column, words)} {level.replace('_', ' ')}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"


def numeric_evidence(column: str, stats: dict[str, Any], words: Words | None = None) -> str:
    """The numbers behind a numeric trait in plain words."""
    percentile = 100 * stats["percentile"]
    relation = f"higher than {percentile:.0f}%" if percentile >= 50 else f"lower than {100 - percentile:.0f}%"
    return f"median {_label(column, words)}: {_number(stats['median'])}, {relation} of customers"


def flag_traits(column: str, stats: dict[str, Any], naming: NamingConfig, words: Words | None) -> list[Trait]:
    """A true/false column as a trait: "with the app" when the segment has it clearly more often than the
    population (lift at least ``min_lift``, and a majority), "without the app" likewise for not having it."""
    share, population = stats["mean"], stats["population_mean"]
    with_words, without_words = numeric_words(column, naming, words)
    traits = []
    for phrase, mine, theirs in ((with_words, share, population), (without_words, 1 - share, 1 - population)):
        if theirs > 0 and mine >= 0.5 and mine / theirs >= naming.min_lift:
            evidence = f"{100 * mine:.0f}% {phrase}, against {100 * theirs:.0f}% of all customers"
            traits.append(Trait(column, phrase, min(1.0, 2 * (mine - theirs)), evidence, follows_noun(phrase)))
    return traits


def segment_traits(
    profile: dict[str, Any], naming: NamingConfig, features: tuple[str, ...] | None = None, words: Words | None = None
) -> tuple[list[Trait], list[Trait]]:
    """The segment's numeric traits and categorical traits, each strongest first.

    Candidates are the segmentation ``features`` (words configured or generated) and the other
    profile columns that have configured words (e.g. tenure: "new"); ``None``: every profile column.
    """

    def namable(column: str) -> bool:
        return features is None or column in features or column in naming.numeric or column in naming.categorical

    numeric = []
    for column, stats in profile["numeric"].items():
        if not namable(column):
            continue
        percentile, median, typical = stats["percentile"], stats["median"], stats["population_median"]
        if percentile != percentile:  # NaN: the column is missing for the whole segment
            continue
        if _words(column, words).kind == "flag" and column not in naming.numeric and "mean" in stats:
            numeric.extend(flag_traits(column, stats, naming, words))
            continue
        high, low = numeric_words(column, naming, words)
        evidence = numeric_evidence(column, stats, words)
        if percentile >= naming.high_percentile and median > typical:
            numeric.append(Trait(column, high, 2 * (percentile - 0.5), evidence, follows_noun(high)))
        elif percentile <= naming.low_percentile and median < typical:
            numeric.append(Trait(column, low, 2 * (0.5 - percentile), evidence, follows_noun(low)))
    categorical = []
    for column, stats in profile["categorical"].items():
        if not namable(column):
            continue
        for level, level_stats in stats["levels"].items():
            phrase = category_words(column, level, naming, words)
            if phrase and level_stats["lift"] >= naming.min_lift and level_stats["share"] >= naming.min_share:
                evidence = (
                    f"{_label(column, words)} {level.replace('_', ' ')}: {100 * level_stats['share']:.0f}% of the "
                    f"segment, {level_stats['lift']:.1f} times the population share"
                )
                categorical.append(Trait(column, phrase, level_stats["lift"], evidence))
    by_strength = lambda trait: (-trait.strength, trait.column)  # noqa: E731
    return sorted(numeric, key=by_strength), sorted(categorical, key=by_strength)


@dataclass(frozen=True)
class SegmentName:
    """A generated name and the traits it was made from (what the report explains)."""

    name: str
    traits: tuple[Trait, ...]


def generate_names(
    model: SegmentModel,
    profiles: dict[int, dict[str, Any]],
    naming: NamingConfig,
    features: tuple[str, ...] | None = None,
    words: Words | None = None,
    *,
    unstable: set[int] | frozenset[int] = frozenset(),
) -> dict[int, SegmentName]:
    """A distinct name per segment id, with distinct leading words (see the module docstring).

    ``features``: the segmentation features (see :func:`segment_traits`; ``None``: every profile column).
    ``unstable``: segments that bootstrap refits do not reproduce (named as such).
    """
    traits = {segment: segment_traits(profiles[segment], naming, features, words) for segment in model.segment_ids}
    order = sorted(model.segment_ids, key=lambda s: -(traits[s][0][0].strength if traits[s][0] else 0.0))
    leads: set[str] = set()
    chosen: dict[int, list[Trait]] = {}
    for segment in order:
        numeric = traits[segment][0]
        lead = next((trait for trait in numeric if trait.phrase not in leads), numeric[0] if numeric else None)
        rest = [trait for trait in numeric if trait is not lead]
        chosen[segment] = [lead, *rest] if lead else []
        if lead:
            leads.add(lead.phrase)
    used = {segment: min(2, len(chosen[segment])) for segment in model.segment_ids}

    def name_of(segment: int) -> str:
        named = chosen[segment][: used[segment]]
        before = [trait.phrase for trait in named if not trait.after_noun] or ([] if named else ["typical"])
        after = [trait.phrase for trait in named if trait.after_noun]
        nouns = traits[segment][1]
        noun = nouns[0].phrase if nouns else "customers"
        if after and noun.startswith("customers with "):  # "customers with many visits and plan pro"
            after, noun = [*after, noun.removeprefix("customers with ")], "customers"
        text = " ".join(part for part in (", ".join(before), noun) if part)
        if after:
            text += " " + " and ".join(
                phrase if phrase.startswith(("with ", "without ")) else f"with {phrase}" for phrase in after
            )
        if segment in unstable:
            text = f"{UNSTABLE_PREFIX}{text[0].lower() + text[1:]}"
        return text[0].upper() + text[1:]

    names = {segment: name_of(segment) for segment in model.segment_ids}
    while len(set(names.values())) < len(names):  # add traits to clashing names while there are any
        clashing = [
            s for s in model.segment_ids if list(names.values()).count(names[s]) > 1 and used[s] < len(chosen[s])
        ]
        if not clashing:
            break
        for segment in clashing:
            used[segment] += 1
            names[segment] = name_of(segment)
    seen: dict[str, int] = {}
    for segment in model.segment_ids:  # last resort: number identical names
        if list(names.values()).count(names[segment]) > 1:
            seen[names[segment]] = seen.get(names[segment], 0) + 1
            names[segment] = f"{names[segment]} ({seen[names[segment]]})"
    return {
        segment: SegmentName(names[segment], tuple(chosen[segment][: used[segment]]) + tuple(traits[segment][1][:1]))
        for segment in model.segment_ids
    }


def stale_phrases(
    name: str,
    profile: dict[str, Any],
    naming: NamingConfig,
    vocabulary: set[str],
    features: tuple[str, ...] | None = None,
    *,
    words: Words | None = None,
) -> list[str]:
    """Trait words in ``name`` that the segment's current profile no longer supports."""
    numeric, categorical = segment_traits(profile, naming, features, words)
    holding = {trait.phrase.lower() for trait in numeric + categorical}
    lowered, found = name.lower(), []
    for phrase in sorted(vocabulary, key=len, reverse=True):  # longest first: "low-spend" before "spend"
        if phrase.lower() in lowered:
            lowered = lowered.replace(phrase.lower(), " ")
            if phrase.lower() not in holding:
                found.append(phrase)
    return found


def vocabulary(profile: dict[str, Any], naming: NamingConfig, words: Words | None = None) -> set[str]:
    """Every trait phrase a segment with this profile's columns could be named with."""
    phrases = {word for column in profile["numeric"] for word in numeric_words(column, naming, words)}
    for column, stats in profile["categorical"].items():
        phrases |= {category_words(column, level, naming, words) for level in stats["levels"]} - {None}
    return phrases - {"customers"}


def name_segments(
    model: SegmentModel,
    profiles: dict[int, dict[str, Any]],
    naming: NamingConfig,
    drifted: set[int],
    features: tuple[str, ...] | None = None,
    *,
    words: Words | None = None,
    unstable: set[int] | frozenset[int] = frozenset(),
) -> tuple[SegmentModel, dict[int, SegmentName], list[dict[str, Any]]]:
    """Final names: a kept (reference) name stays unless its segment moved or its trait words no longer hold.

    ``drifted``: segments whose prototype moved farther than the alignment threshold from the
    reference's. Returns the named model, the generated names with their traits, and the renamed
    segments with the reason.
    """
    generated = generate_names(model, profiles, naming, features, words, unstable=unstable)
    kept = dict(zip(model.segment_ids, model.names or [""] * len(model.segment_ids)))
    final, renamed = {}, []
    for segment in model.segment_ids:
        old = kept[segment]
        reason = None
        if old and segment in drifted:
            reason = "its profile moved away from the reference segment"
        elif old:
            phrases = vocabulary(profiles[segment], naming, words)
            stale = stale_phrases(old, profiles[segment], naming, phrases, features, words=words)
            if segment in unstable and not old.lower().startswith(UNSTABLE_PREFIX):
                reason = "bootstrap refits no longer reproduce it"
            elif segment not in unstable and old.lower().startswith(UNSTABLE_PREFIX):
                reason = "bootstrap refits now reproduce it"
            elif stale:
                reason = f"no longer {', '.join(repr(phrase) for phrase in stale)} by the numbers"
        final[segment] = generated[segment].name if not old or reason else old
        if reason:
            renamed.append({"segment": segment, "from": old, "to": final[segment], "reason": reason})
    names = list(final.values())
    for index, segment in enumerate(model.segment_ids):  # a kept name may equal a new one: keep names distinct
        if names.count(names[index]) > 1 and final[segment] != kept[segment]:
            names[index] = f"{names[index]} (segment {segment})"
    return replace(model, names=tuple(names)), generated, renamed


def column_words_of(model: SegmentModel) -> Words:
    """The column words a segment model was named with (older models: from the column names)."""
    stored = model.info.get("column_words", {})
    return {column: ColumnWords(column, entry["words"], entry["kind"]) for column, entry in stored.items()}


def column_words_record(words: Words) -> dict[str, dict[str, str]]:
    """Column words as the segment model stores them."""
    return {column: {"words": entry.words, "kind": entry.kind} for column, entry in words.items()}

"""Segment names that a marketer can check against the numbers.

A numeric column is a trait of a segment only when the segment's median sits clearly high or low
in the population (its percentile at or above ``naming.high_percentile``, or at or below
``naming.low_percentile``) and on the same side of the population median, so a segment is never
called "frequent" while its median order count is below the typical customer's. A category is a
trait when it is over-represented (lift at least ``naming.min_lift``) and covers at least
``naming.min_share`` of the segment. Words come from ``params.yaml`` (``naming.numeric``,
``naming.categorical``) or, for other columns, from the column name ("high balance").

A name is two numeric traits and a noun from the strongest categorical trait ("New, rarely active
customers"); leading words are distinct across segments (a segment whose strongest trait is
already another's lead is led by its next one), and so are names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from intentseg.config import NamingConfig
from intentseg.segments.model import SegmentModel


@dataclass(frozen=True)
class Trait:
    """One distinctive property of a segment, the words for it, and the numbers behind it."""

    column: str
    phrase: str
    strength: float  # 0..1: how far from the typical customer
    evidence: str  # in plain words, e.g. "median orders last 12m: 2, higher than 58% of customers"


def _label(column: str) -> str:
    return column.replace("_", " ")


def numeric_words(column: str, naming: NamingConfig) -> tuple[str, str]:
    """[word when high, word when low] for a numeric column: configured, else from its name."""
    return naming.numeric.get(column, (f"high {_label(column)}", f"low {_label(column)}"))


def category_words(column: str, level: str, naming: NamingConfig) -> str:
    """The noun phrase for a categorical level: configured, else from the column and level names."""
    return naming.categorical.get(column, {}).get(level, f"customers with {_label(column)} {_label(level)}")


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"


def numeric_evidence(column: str, stats: dict[str, Any]) -> str:
    """The numbers behind a numeric trait in plain words."""
    percentile = 100 * stats["percentile"]
    relation = f"higher than {percentile:.0f}%" if percentile >= 50 else f"lower than {100 - percentile:.0f}%"
    return f"median {_label(column)}: {_number(stats['median'])}, {relation} of customers"


def segment_traits(
    profile: dict[str, Any], naming: NamingConfig, features: tuple[str, ...] | None = None
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
        high, low = numeric_words(column, naming)
        if percentile >= naming.high_percentile and median > typical:
            numeric.append(Trait(column, high, 2 * (percentile - 0.5), numeric_evidence(column, stats)))
        elif percentile <= naming.low_percentile and median < typical:
            numeric.append(Trait(column, low, 2 * (0.5 - percentile), numeric_evidence(column, stats)))
    categorical = []
    for column, stats in profile["categorical"].items():
        if not namable(column):
            continue
        for level, level_stats in stats["levels"].items():
            if level_stats["lift"] >= naming.min_lift and level_stats["share"] >= naming.min_share:
                evidence = (
                    f"{_label(column)} {_label(level)}: {100 * level_stats['share']:.0f}% of the segment, "
                    f"{level_stats['lift']:.1f} times the population share"
                )
                categorical.append(Trait(column, category_words(column, level, naming), level_stats["lift"], evidence))
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
) -> dict[int, SegmentName]:
    """A distinct name per segment id, with distinct leading words (see the module docstring).

    ``features``: the segmentation features (see :func:`segment_traits`; ``None``: every profile column).
    """
    traits = {segment: segment_traits(profiles[segment], naming, features) for segment in model.segment_ids}
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
        words = [trait.phrase for trait in chosen[segment][: used[segment]]] or ["typical"]
        nouns = traits[segment][1]
        noun = nouns[0].phrase if nouns else "customers"
        text = ", ".join(words) + " " + noun
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
) -> list[str]:
    """Trait words in ``name`` that the segment's current profile no longer supports."""
    numeric, categorical = segment_traits(profile, naming, features)
    holding = {trait.phrase.lower() for trait in numeric + categorical}
    lowered, found = name.lower(), []
    for phrase in sorted(vocabulary, key=len, reverse=True):  # longest first: "low-spend" before "spend"
        if phrase.lower() in lowered:
            lowered = lowered.replace(phrase.lower(), " ")
            if phrase.lower() not in holding:
                found.append(phrase)
    return found


def vocabulary(profile: dict[str, Any], naming: NamingConfig) -> set[str]:
    """Every trait phrase a segment with this profile's columns could be named with."""
    phrases = {word for column in profile["numeric"] for word in numeric_words(column, naming)}
    for column, stats in profile["categorical"].items():
        phrases |= {category_words(column, level, naming) for level in stats["levels"]}
    return phrases - {"customers"}


def name_segments(
    model: SegmentModel,
    profiles: dict[int, dict[str, Any]],
    naming: NamingConfig,
    drifted: set[int],
    features: tuple[str, ...] | None = None,
) -> tuple[SegmentModel, dict[int, SegmentName], list[dict[str, Any]]]:
    """Final names: a kept (reference) name stays unless its segment moved or its trait words no longer hold.

    ``drifted``: segments whose prototype moved farther than the alignment threshold from the
    reference's. Returns the named model, the generated names with their traits, and the renamed
    segments with the reason.
    """
    generated = generate_names(model, profiles, naming, features)
    kept = dict(zip(model.segment_ids, model.names or [""] * len(model.segment_ids)))
    final, renamed = {}, []
    for segment in model.segment_ids:
        old = kept[segment]
        reason = None
        if old and segment in drifted:
            reason = "its profile moved away from the reference segment"
        elif old:
            stale = stale_phrases(old, profiles[segment], naming, vocabulary(profiles[segment], naming), features)
            if stale:
                reason = f"no longer {', '.join(repr(phrase) for phrase in stale)} by the numbers"
        final[segment] = generated[segment].name if not old or reason else old
        if reason:
            renamed.append({"segment": segment, "from": old, "to": final[segment], "reason": reason})
    names = list(final.values())
    for index, segment in enumerate(model.segment_ids):  # a kept name may equal a new one: keep names distinct
        if names.count(names[index]) > 1 and final[segment] != kept[segment]:
            names[index] = f"{names[index]} (segment {segment})"
    return replace(model, names=tuple(names)), generated, renamed

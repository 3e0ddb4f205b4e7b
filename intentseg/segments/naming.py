"""Segment names from each segment's most distinctive traits, in the words configured in ``params.yaml``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from intentseg.config import NamingConfig
from intentseg.segments.model import SegmentModel


def _trait_phrases(
    model: SegmentModel, profile: dict[str, Any], words: dict[str, tuple[str, str]], min_ratio: float
) -> list[tuple[float, str]]:
    """Distinctive numeric traits of one segment as (strength, phrase), strongest first.

    A segmentation feature is a trait when its profile index (100 = average customer) is at
    least ``100 * min_ratio`` or at most ``100 / min_ratio``; strength is |log(index / 100)|.
    Names thus say what the profile cards show.
    """
    phrases = []
    for name in model.preprocessor.numeric:
        index = profile["numeric"][name]["index"]
        if index is None:
            continue
        ratio = min(max(index, 5.0), 2000.0) / 100.0
        if ratio >= min_ratio or ratio <= 1.0 / min_ratio:
            high, low = words.get(name, [f"high {name.replace('_', ' ')}", f"low {name.replace('_', ' ')}"])
            phrases.append((abs(float(np.log(ratio))), high if ratio > 1 else low))
    return sorted(phrases, key=lambda item: -item[0])


def _category_phrase(
    model: SegmentModel, profile: dict[str, Any], words: dict[str, dict[str, str]], min_lift: float
) -> str | None:
    """The most over-represented dominant category of a segment, as a noun phrase."""
    best = None
    for name in model.preprocessor.categorical:
        stats = profile["categorical"][name]
        if stats["lift"] >= min_lift and (best is None or stats["lift"] > best[0]):
            level_words = words.get(name, {})
            best = (
                stats["lift"],
                level_words.get(stats["top"], f"{stats['top'].replace('_', ' ')} {name.replace('_', ' ')}"),
            )
    return best[1] if best else None


def generate_names(model: SegmentModel, profiles: dict[int, dict[str, Any]], naming: NamingConfig) -> tuple[str, ...]:
    """A distinct human-readable name per segment from its most distinctive traits.

    Two strongest numeric traits plus the most over-represented category, e.g.
    "Frequent, high-spend platinum members". A trait shared by several segments counts
    less (its strength is divided by how many segments have it), so names say what sets a
    segment apart; more traits are added until names are unique.
    """
    traits_by_segment = [
        _trait_phrases(model, profiles[segment_id], naming.numeric, naming.min_ratio)
        for segment_id in model.segment_ids
    ]
    sharing: dict[str, int] = {}
    for traits in traits_by_segment:
        for _, phrase in traits:
            sharing[phrase] = sharing.get(phrase, 0) + 1
    candidates = []
    for index, segment_id in enumerate(model.segment_ids):
        ranked = sorted(traits_by_segment[index], key=lambda item: -item[0] / sharing[item[1]])
        traits = [phrase for _, phrase in ranked] or ["typical"]
        noun = _category_phrase(model, profiles[segment_id], naming.categorical, naming.min_lift) or "customers"
        candidates.append((traits, noun))
    used = 2
    while True:
        names = [", ".join(traits[:used]) + " " + noun for traits, noun in candidates]
        if len(set(names)) == len(names) or used >= max(len(t) for t, _ in candidates):
            break
        used += 1
    names = [name[0].upper() + name[1:] for name in names]
    seen: dict[str, int] = {}
    for position, name in enumerate(names):  # last resort: number identical names
        seen[name] = seen.get(name, 0) + 1
        if names.count(name) > 1:
            names[position] = f"{name} ({seen[name]})"
    return tuple(names)


def complete_names(model: SegmentModel, generated: tuple[str, ...]) -> SegmentModel:
    """Fill empty names (new or drifted segments) with generated ones, keeping names distinct."""
    names = list(model.names) if model.names else [""] * len(model.segment_ids)
    for index, name in enumerate(names):
        if not name:
            candidate = generated[index]
            names[index] = candidate if candidate not in names else f"{candidate} (segment {model.segment_ids[index]})"
    return replace(model, names=tuple(names))

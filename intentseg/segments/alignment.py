"""Keeping segment ids and names across monthly retrains: matching new prototypes to the reference's."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from intentseg.segments.model import SegmentModel


def align_to_reference(
    model: SegmentModel, reference: SegmentModel, max_dissimilarity: float
) -> tuple[SegmentModel, dict[str, Any]]:
    """Give each new prototype the id (and name) of its matching reference prototype.

    Reference prototypes (stored in original units) are mapped into the new model's scaled
    space and matched one-to-one by minimum total K-Prototypes dissimilarity (Hungarian
    algorithm). Matched segments keep the reference's id and (for now) name; a match farther than
    ``max_dissimilarity`` is reported as moved (``within_threshold: false``), and naming then
    regenerates its name with that reason. Segments beyond the reference's count get new ids.
    """
    prep = model.preprocessor
    ref_prep = reference.preprocessor
    if prep.numeric != ref_prep.numeric or prep.categorical != ref_prep.categorical:
        raise ValueError("the reference segmenter uses other features; align only models with the same features")
    ref_centers = prep.from_original_units(ref_prep.to_original_units(reference.centers))
    ref_modes = np.array(
        [
            [
                prep.levels_[name].index(ref_prep.levels_[name][code])
                if ref_prep.levels_[name][code] in prep.levels_[name]
                else -1
                for name, code in zip(prep.categorical, row)
            ]
            for row in reference.modes
        ],
        dtype=np.int64,
    ).reshape(len(reference.centers), len(prep.categorical))
    cost = np.array(
        [
            [
                np.sum((model.centers[i] - ref_centers[r]) ** 2) + model.gamma * np.sum(model.modes[i] != ref_modes[r])
                for r in range(len(ref_centers))
            ]
            for i in range(len(model.centers))
        ]
    )
    rows, columns = linear_sum_assignment(cost)
    new_ids = [0] * len(model.centers)
    names = [""] * len(model.centers)
    matches = {}
    for i, r in zip(rows, columns):
        new_ids[i] = reference.segment_ids[r]
        close = cost[i, r] <= max_dissimilarity
        names[i] = reference.names[r] if reference.names else ""
        matches[str(reference.segment_ids[r])] = {"dissimilarity": float(cost[i, r]), "within_threshold": bool(close)}
    next_id = max(reference.segment_ids) + 1
    for i in range(len(model.centers)):
        if i not in set(rows):
            new_ids[i], next_id = next_id, next_id + 1
    order = np.argsort(new_ids, kind="stable")
    aligned = replace(
        model,
        centers=model.centers[order],
        modes=model.modes[order],
        segment_ids=tuple(int(new_ids[i]) for i in order),
        names=tuple(names[i] for i in order),
    )
    return aligned, {
        "matches": matches,
        "new_segments": [int(new_ids[i]) for i in range(len(model.centers)) if i not in set(rows)],
    }

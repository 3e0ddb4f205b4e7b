"""The models' outputs on fixed test customers: a fingerprint ``make check`` compares across machines."""

from __future__ import annotations

from typing import Any

import pandas as pd

from intentseg.classifier.baseline import LogisticBaseline
from intentseg.classifier.model import PurchaseModel
from intentseg.segments.model import SegmentModel


def model_predictions(
    classifier: PurchaseModel,
    baseline: LogisticBaseline,
    segmenter: SegmentModel,
    frame: pd.DataFrame,
    id_column: str,
    *,
    rows: int,
) -> dict[str, Any]:
    """The models' outputs for the first ``rows`` customers of ``frame``: a fingerprint of their behaviour."""
    sample = frame.head(rows)
    return {
        "ids": [str(value) for value in sample[id_column]],
        "raw_score": classifier.raw_score(sample).tolist(),
        "purchase_probability": classifier.purchase_probability(sample).tolist(),
        "baseline_probability": baseline.predict_proba1(sample).tolist(),
        "segment_id": [int(value) for value in segmenter.assign(sample)],
    }

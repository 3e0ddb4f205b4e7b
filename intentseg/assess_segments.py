"""The segment part of the evaluate stage: fit on train, measure on test.

Silhouette (metric distance, several samples), objective cost, sizes, a k sweep, bootstrap
stability, recovery of the simulator's archetypes, profiles with outcomes attached after
fitting, and the migration matrix against the reference segmentation.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from intentseg.evaluation import Evaluation
from intentseg.segment_eval import (
    archetype_ari,
    bootstrap_stability,
    k_sweep,
    migration_matrix,
    silhouette_samples_summary,
)
from intentseg.segmentation import SegmentModel, profile_columns, segment_profiles


def _label(segment_id: int, names: dict[int, str]) -> str:
    return f"{segment_id}: {names[segment_id]}"


def evaluate_segments(
    model: SegmentModel,
    train: pd.DataFrame,
    test: pd.DataFrame,
    ground_truth: pd.DataFrame,
    reference: SegmentModel | None,
    segment_settings: dict[str, Any],
    settings: dict[str, Any],
    seed: int,
    outcome_columns: dict[str, str],
    id_column: str,
) -> Evaluation:
    """Everything the evaluate stage reports about the segmentation."""
    names = model.name_of()
    test_ids = model.assign(test)
    numeric, categorical = profile_columns(segment_settings)
    profiles = segment_profiles(test, test_ids, numeric, categorical, outcome_columns)
    silhouette = silhouette_samples_summary(
        model, test, int(settings["silhouette_samples"]), int(settings["silhouette_sample_size"]), seed
    )
    sweep = k_sweep(segment_settings, train, test, list(settings["sweep_k"]), int(settings["sweep_sample_size"]),
                    int(settings["silhouette_sample_size"]), int(settings["sweep_n_init"]), seed)
    stability = bootstrap_stability(segment_settings, train, test, int(settings["stability_resamples"]), seed)
    test_cost = model.cost(test)

    metrics: dict[str, Any] = {
        "k": len(model.segment_ids),
        "gamma": model.gamma,
        "silhouette": {key: silhouette[key] for key in ("mean", "min", "sample_size", "samples")},
        "cost": {"test_total": test_cost, "test_per_customer": test_cost / len(test)},
        "stability_ari": stability["mean"],
        "stability": stability,
    }
    truth = test[[id_column]].merge(ground_truth, on=id_column, how="left")
    if "true_archetype" in truth and truth["true_archetype"].notna().all():
        metrics["archetype_ari"] = archetype_ari(truth["true_archetype"].astype(str).to_numpy(), test_ids)
    metrics["segments"] = {
        str(segment): {
            "name": names[segment],
            "share": profile["share"],
            **{output: profile[output] for output in outcome_columns},
            "index": {name: (round(stats["index"], 1) if stats["index"] is not None else None)
                      for name, stats in profile["numeric"].items()},
            "top_categories": {name: f"{stats['top']} ({stats['share']:.0%})"
                               for name, stats in profile["categorical"].items()},
        }
        for segment, profile in profiles.items()
    }
    plots = {
        "k_sweep": [{key: round(value, 4) if isinstance(value, float) else value for key, value in row.items()}
                    for row in sweep],
        "profile": [
            {"segment": _label(segment, names), "feature": name, "index": round(stats["index"], 1)}
            for segment, profile in profiles.items()
            for name, stats in profile["numeric"].items()
            if stats["index"] is not None
        ],
        "sizes": [
            {"segment": _label(segment, names), "share": round(profile["share"], 4),
             **{output: round(profile[output], 4) for output in outcome_columns}}
            for segment, profile in profiles.items()
        ],
        "migration": [],
    }
    if reference is not None:
        moved = migration_matrix(reference.assign(test), test_ids)
        plots["migration"] = moved
        stayed = sum(row["count"] for row in moved if row["from_segment"] == row["to_segment"])
        metrics["migration"] = {"reference": True, "share_same_segment": stayed / len(test)}
    return Evaluation(metrics=metrics, plots=plots)


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
    bootstrap: dict[str, Any],
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
        model, test, int(settings["silhouette_samples"]), int(settings["silhouette_sample_size"]), seed,
        int(bootstrap["resamples"]), float(bootstrap["confidence"]),
    )
    sweep = k_sweep(segment_settings, train, test, list(settings["sweep_k"]), int(settings["sweep_sample_size"]),
                    int(settings["silhouette_sample_size"]), int(settings["sweep_n_init"]), seed)
    stability = bootstrap_stability(segment_settings, train, test, int(settings["stability_resamples"]), seed)
    test_cost = model.cost(test)

    details: dict[str, Any] = {
        "k": len(model.segment_ids),
        "gamma": model.gamma,
        "silhouette": {key: silhouette[key] for key in ("mean", "ci", "min", "sample_size", "samples")},
        "cost": {"test_total": test_cost, "test_per_customer": test_cost / len(test)},
        "stability_ari": stability["mean"],
        "stability": stability,
    }
    truth = test[[id_column]].merge(ground_truth, on=id_column, how="left")
    if "true_archetype" in truth and truth["true_archetype"].notna().all():
        details["archetype_ari"] = archetype_ari(truth["true_archetype"].astype(str).to_numpy(), test_ids)
    details["segments"] = {
        str(segment): {
            "name": names[segment],
            "share": profile["share"],
            **{output: profile[output] for output in outcome_columns},
            "index": {name: stats["index"] for name, stats in profile["numeric"].items()},
            "top_categories": {name: f"{stats['top']} ({stats['share']:.0%})"
                               for name, stats in profile["categorical"].items()},
        }
        for segment, profile in profiles.items()
    }
    plots = {
        "k_sweep": sweep,
        "profile": [
            {"segment": _label(segment, names), "feature": name, "index": stats["index"]}
            for segment, profile in profiles.items()
            for name, stats in profile["numeric"].items()
            if stats["index"] is not None
        ],
        "sizes": [
            {"segment": _label(segment, names), "share": profile["share"],
             **{output: profile[output] for output in outcome_columns}}
            for segment, profile in profiles.items()
        ],
        "migration": [],
    }
    if reference is not None:
        moved = migration_matrix(reference.assign(test), test_ids)
        plots["migration"] = moved
        stayed = sum(row["count"] for row in moved if row["from_segment"] == row["to_segment"])
        details["migration"] = {"reference": True, "share_same_segment": stayed / len(test)}
    return Evaluation(metrics=review_metrics(details), details=details, plots=plots)


def review_metrics(details: dict[str, Any]) -> dict[str, Any]:
    """The segmentation numbers a reviewer decides on (``metrics/segmenter.json``); the rest stays in details.

    Segment names are included: a renamed segment is a change for marketing to sign off.
    """
    metrics: dict[str, Any] = {
        "k": details["k"],
        "silhouette": details["silhouette"]["mean"],
        "silhouette_ci": details["silhouette"]["ci"],
        "stability_ari": details["stability_ari"],
    }
    if "archetype_ari" in details:
        metrics["archetype_ari"] = details["archetype_ari"]
    if "migration" in details:
        metrics["share_same_segment"] = details["migration"]["share_same_segment"]
    metrics["names"] = {segment: profile["name"] for segment, profile in details["segments"].items()}
    return metrics


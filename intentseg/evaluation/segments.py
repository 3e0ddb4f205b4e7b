"""The segment part of the evaluate stage: fit on train, measure on test.

Silhouette (metric distance, several samples), objective cost, sizes, a k sweep, bootstrap
stability, recovery of the simulator's archetypes, profiles with outcomes attached after
fitting, and the migration matrix against the reference segmentation.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from intentseg.config.evaluate import BootstrapConfig, SegmentEvaluationConfig
from intentseg.config.segmenter import NamingConfig
from intentseg.evaluation.result import Evaluation
from intentseg.foundation.sizing import sized_down
from intentseg.segments.model import CustomerSegmenter, SegmentModel
from intentseg.segments.naming import (
    UNSTABLE_JACCARD,
    Words,
    column_words_of,
    segment_traits,
    stale_phrases,
    vocabulary,
)
from intentseg.segments.profiles import segment_profiles
from intentseg.segments.quality import (
    archetype_ari,
    bootstrap_stability,
    customer_migration,
    k_sweep,
    migration_matrix,
    silhouette_samples_summary,
)


def _label(segment_id: int, names: dict[int, str]) -> str:
    return f"{segment_id}: {names[segment_id]}"


def _trait_evidence(
    profile: dict[str, Any], naming: NamingConfig, features: tuple[str, ...], words: Words
) -> list[str]:
    """The numbers behind a segment's three strongest numeric traits and its strongest category."""
    numeric, categorical = segment_traits(profile, naming, features, words)
    return [trait.evidence for trait in numeric[:3] + categorical[:1]]


def evaluate_segments(
    model: SegmentModel,
    train: pd.DataFrame,
    test: pd.DataFrame,
    ground_truth: pd.DataFrame,
    reference: SegmentModel | None,
    *,
    profile_columns: tuple[list[str], list[str]],
    naming: NamingConfig,
    config: SegmentEvaluationConfig,
    bootstrap: BootstrapConfig,
    seed: int,
    outcome_columns: dict[str, str],
    id_column: str,
    today: pd.DataFrame | None = None,
) -> Evaluation:
    """Everything the evaluate stage reports about the segmentation of the fitted ``model``.

    The k sweep and the bootstrap refit clones of the estimator ``model`` was fitted with. Each
    segment's traits (``naming`` rules) are measured again on the test split, so the report can
    show the numbers behind every word of a name. ``today``: the scoring population; the test
    customers found in it (a later snapshot of the same people) give the customer-level migration
    from the reference segmentation then to this model's segments now.
    """
    names = model.name_of()
    test_ids = model.assign(test)
    profiles = segment_profiles(test, test_ids, *profile_columns, outcome_columns)
    estimator = CustomerSegmenter.like(model)
    features = tuple(model.features)
    silhouette_rows = sized_down(
        "evaluate.segments.silhouette_sample_size",
        config.silhouette_sample_size,
        len(test) // config.silhouette_samples,
        f"test customers per sample ({len(test)} in {config.silhouette_samples} samples)",
    )
    silhouette = silhouette_samples_summary(
        model,
        test,
        config.silhouette_samples,
        silhouette_rows,
        seed,
        resamples=bootstrap.resamples,
        confidence=bootstrap.confidence,
    )
    sweep = k_sweep(
        estimator,
        train,
        test,
        list(config.sweep_k),
        sized_down("evaluate.segments.sweep_sample_size", config.sweep_sample_size, len(train), "train customers"),
        silhouette_size=silhouette_rows,
        n_init=config.sweep_n_init,
        seed=seed,
    )
    stability = bootstrap_stability(estimator, train, test, config.stability_resamples, seed, labels=test_ids)
    words = column_words_of(model)
    test_cost = model.cost(test)

    details: dict[str, Any] = {
        "k": len(model.segment_ids),
        "gamma": model.gamma,
        "silhouette": {key: silhouette[key] for key in ("mean", "ci", "min", "max", "std", "sample_size", "samples")},
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
            "percentile": {name: stats["percentile"] for name, stats in profile["numeric"].items()},
            "median": {name: stats["median"] for name, stats in profile["numeric"].items()},
            "top_categories": {
                name: f"{stats['top']} ({stats['share']:.0%})" for name, stats in profile["categorical"].items()
            },
            "stability_jaccard": stability["jaccard"][str(segment)],
            "stable": stability["jaccard"][str(segment)] >= UNSTABLE_JACCARD,
            "traits": _trait_evidence(profile, naming, features, words),
            "unsupported_words": stale_phrases(
                names[segment], profile, naming, vocabulary(profile, naming, words), features, words=words
            ),
        }
        for segment, profile in profiles.items()
    }
    details["renamed"] = model.info.get("renamed", [])
    details["setup"] = model.info.get("setup", {})
    plots = {
        "k_sweep": sweep,
        "profile": [
            {"segment": _label(segment, names), "feature": name, "percentile": round(100 * stats["percentile"])}
            for segment, profile in profiles.items()
            for name, stats in profile["numeric"].items()
            if stats["percentile"] == stats["percentile"]
        ],
        "sizes": [
            {
                "segment": _label(segment, names),
                "share": profile["share"],
                **{output: profile[output] for output in outcome_columns},
            }
            for segment, profile in profiles.items()
        ],
        "migration": [],
        "customer_migration": [],
    }
    if reference is not None:
        moved = migration_matrix(reference.assign(test), test_ids)
        plots["migration"] = moved
        stayed = sum(row["count"] for row in moved if row["from_segment"] == row["to_segment"])
        details["migration"] = {"reference": True, "share_same_segment": stayed / len(test)}
        moved = _customers_moved(
            model, reference, test, today, id_column=id_column, min_share=config.notable_move_share
        )
        if moved is not None:
            plots["customer_migration"] = moved.pop("matrix")
            details["migration"]["customers"] = moved
    return Evaluation(metrics=segment_review_metrics(details), details=details, plots=plots)


def _customers_moved(
    model: SegmentModel,
    reference: SegmentModel,
    test: pd.DataFrame,
    today: pd.DataFrame | None,
    *,
    id_column: str,
    min_share: float,
) -> dict[str, Any] | None:
    """Test customers' reference segment at their snapshot against this model's segment today.

    None when no test customer is in today's population, or when today's rows are the test rows.
    """
    if today is None:
        return None
    now = today[today[id_column].isin(test[id_column])]
    if now.empty:
        return None
    then = test.set_index(id_column).loc[now[id_column]].reset_index()
    columns = list(model.features)
    if then[columns].reset_index(drop=True).equals(now[columns].reset_index(drop=True)):
        return None  # today's rows are the test snapshot itself (a table scored as its own population)
    return customer_migration(
        reference.assign(then), model.assign(now), reference.name_of(), model.name_of(), min_share
    )


def segment_review_metrics(details: dict[str, Any]) -> dict[str, Any]:
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
    rows = details.get("setup", {}).get("k_selection") or []
    if rows and all("reaches_bar" in row for row in rows):  # k chosen by the rule: did any k reach the bar?
        metrics["k_rule_reaches_silhouette_bar"] = any(row["reaches_bar"] for row in rows)
    if "migration" in details:
        metrics["share_same_segment"] = details["migration"]["share_same_segment"]
        if "customers" in details["migration"]:
            metrics["share_customers_moved"] = details["migration"]["customers"]["share_moved"]
    metrics["names"] = {segment: profile["name"] for segment, profile in details["segments"].items()}
    return metrics

"""Fitting the segmentation of the train_segmenter stage: set up, fit, align ids to the reference, name."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from intentseg.config.segmenter import AutoKConfig, TrainSegmenterConfig
from intentseg.data.column_words import column_words, shown_name
from intentseg.foundation.sizing import refuse_above
from intentseg.segments.alignment import align_to_reference
from intentseg.segments.k_rule import choose_k
from intentseg.segments.kprototypes import FastKPrototypes
from intentseg.segments.model import CustomerSegmenter, SegmentModel, distinct_customers
from intentseg.segments.naming import column_words_record, name_segments, unstable_segments
from intentseg.segments.preprocessing import SegmentPreprocessor
from intentseg.segments.profiles import segment_profiles
from intentseg.segments.quality import bootstrap_stability
from intentseg.segments.setup import SegmentationPlan, plan_segmentation, separating_columns

log = logging.getLogger(__name__)


def segmenter_for(plan: SegmentationPlan, config: TrainSegmenterConfig, seed: int, k: int) -> CustomerSegmenter:
    """An unfitted :class:`CustomerSegmenter` for a resolved plan and the ``train_segmenter`` settings."""
    preprocessor = SegmentPreprocessor(
        numeric=list(plan.numeric),
        categorical=list(plan.categorical),
        log1p=list(plan.log1p),
        clip_quantiles=config.clip_quantiles,
        scaling=config.scaling,
    )
    clusterer = FastKPrototypes(
        n_clusters=k,
        gamma=config.gamma,
        n_init=config.n_init,
        max_iter=config.max_iter,
        init=config.init,
        random_state=seed,
    )
    return CustomerSegmenter(preprocessor, clusterer)


def train_stability(
    estimator: CustomerSegmenter, model: SegmentModel, train: pd.DataFrame, config: AutoKConfig, seed: int
) -> dict[int, float]:
    """Each segment's Jaccard agreement with bootstrap refits on a train sample (``auto_k`` sizes), by segment id.

    Refits use the model's own settings (its ``n_init``) on bootstrap resamples of ``auto_k.sample_size``
    train customers (all of them on a smaller table, so a refit sees as much data as the model did), and
    agreement is measured on those customers (as ``fpc::clusterboot`` does). Cheap next to the fit, and it
    keeps confident names from unstable segments.
    """
    rng = np.random.default_rng(seed + 1)
    size = min(config.sample_size, len(train))
    rows = train.iloc[np.sort(rng.choice(len(train), size=size, replace=False))]
    stability = bootstrap_stability(
        clone(estimator), rows, rows, config.stability_resamples, seed, labels=model.assign(rows)
    )
    return {int(segment): value for segment, value in stability["jaccard"].items()}


def fit_segment_model(
    train: pd.DataFrame,
    config: TrainSegmenterConfig,
    seed: int,
    target: str,
    id_column: str,
    *,
    source: str,
    reference: SegmentModel | None,
    display_names: dict[str, str] | None = None,
    groups: dict[str, str] | None = None,
    gate_silhouette: float | None = None,
) -> tuple[SegmentModel, dict[str, Any]]:
    """Set up (every ``auto`` setting), fit on train features, align ids to ``reference``, and name the segments.

    Outcomes (the purchase label and configured extras) are attached to the profiles after
    fitting; they never influence the segments. The model records its profile columns, outcomes
    and column words, so evaluation describes it without the params. ``display_names``: columns'
    names in the source file (for their words); ``groups``: their feature groups (data.feature_groups);
    ``gate_silhouette``: the bar the k rule reports against.
    """
    plan = plan_segmentation(config, source, train, {id_column, target}, display_names, groups=groups)
    k_selection = None
    k = plan.k
    if k is not None:
        setting = "train_segmenter.k" if plan.origin["k"] == "configured" else f"train_segmenter.presets.{source}.k"
        refuse_above(
            setting,
            k,
            distinct_customers(train, [*plan.numeric, *plan.categorical]),
            "the train customers that differ on the segmentation features "
            f"{[*plan.numeric, *plan.categorical]}: each segment needs one of its own",
        )
    if k is None:
        k, k_selection = choose_k(
            segmenter_for(plan, config, seed, 2),
            train,
            config.auto_k,
            seed,
            target=target,
            outcomes=tuple(plan.outcomes.values()),
            bar=gate_silhouette,
        )
    segmenter = segmenter_for(plan, config, seed, k).fit(train)
    model = segmenter.model_
    if plan.profile_numeric is None or plan.profile_categorical is None:
        more_numeric, more_categorical = separating_columns(
            train,
            model.assign(train),
            {id_column, target, *plan.numeric, *plan.categorical},
            config.auto_features.profile_columns,
        )
    profile_numeric = plan.profile_numeric if plan.profile_numeric is not None else tuple(more_numeric)
    profile_categorical = plan.profile_categorical if plan.profile_categorical is not None else tuple(more_categorical)
    outcomes = {"purchase_rate": target, **plan.outcomes}
    alignment = None
    drifted: set[int] = set()
    if reference is not None:
        model, alignment = align_to_reference(model, reference, config.alignment_max_dissimilarity)
        drifted = {int(segment) for segment, match in alignment["matches"].items() if not match["within_threshold"]}
    numeric = list(dict.fromkeys([*plan.numeric, *profile_numeric]))
    categorical = list(dict.fromkeys([*plan.categorical, *profile_categorical]))
    profiles = segment_profiles(train, model.assign(train), numeric, categorical, outcomes)
    words = {
        column: column_words(shown_name(column, display_names or {}), train[column], column in categorical)
        for column in [*numeric, *categorical]
    }
    jaccard = train_stability(segmenter, model, train, config.auto_k, seed)  # refits clone its settings
    unstable = unstable_segments(jaccard, dict(zip(model.segment_ids, model.names or ())))
    model, generated, renamed = name_segments(
        model, profiles, config.naming, drifted, tuple(model.features), words=words, unstable=unstable
    )
    setup = {
        "origin": plan.origin,
        "k_selection": k_selection,
        "log1p": list(plan.log1p),
        "feature_choice": plan.choice,
        "stability_jaccard": {str(segment): value for segment, value in jaccard.items()},
    }
    model = replace(
        model,
        info={
            **model.info,
            "renamed": renamed,
            "setup": setup,
            "profile": {"numeric": numeric, "categorical": categorical, "outcomes": outcomes},
            "column_words": column_words_record(words),
        },
    )
    summary = {
        "k": len(model.segment_ids),
        "gamma": model.gamma,
        "features": {"numeric": list(plan.numeric), "categorical": list(plan.categorical)},
        "setup": setup,
        "train_cost": segmenter.kprototypes_.cost_,
        "n_iter": segmenter.kprototypes_.n_iter_,
        "init_costs": segmenter.kprototypes_.init_costs_,
        "aligned_to_reference": alignment is not None,
        "alignment": alignment,
        "segments": {str(sid): name for sid, name in zip(model.segment_ids, model.names)},
        "renamed": renamed,
        "generated_names": {
            str(segment): {"name": named.name, "traits": [trait.evidence for trait in named.traits]}
            for segment, named in generated.items()
        },
    }
    log_setup(summary)
    return model, summary


def log_setup(summary: dict[str, Any]) -> None:
    """The set-up, each feature's reason and the k rule's rows, as log lines a reviewer can follow."""
    origin = summary["setup"]["origin"]
    log.info(
        "set-up: features %s (%s), log1p %s, k=%d (%s)",
        summary["features"],
        origin["features"],
        summary["setup"]["log1p"],
        summary["k"],
        origin["k"],
    )
    for column, why in summary["setup"]["feature_choice"].items():
        log.info("feature choice: %s %s", column, why)
    for row in summary["setup"]["k_selection"] or []:
        log.info("k rule: %s", row)
    log.info("segments: %s", summary["segments"])

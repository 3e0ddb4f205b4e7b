"""Fitting the segmentation of the train_segmenter stage: fit, align ids to the reference, name."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from intentseg.config import TrainSegmenterConfig
from intentseg.segments.alignment import align_to_reference
from intentseg.segments.kprototypes import FastKPrototypes
from intentseg.segments.model import CustomerSegmenter, SegmentModel
from intentseg.segments.naming import name_segments
from intentseg.segments.preprocessing import SegmentPreprocessor
from intentseg.segments.profiles import profile_columns, segment_profiles


def segmenter_from_config(config: TrainSegmenterConfig, seed: int) -> CustomerSegmenter:
    """An unfitted :class:`CustomerSegmenter` with the ``train_segmenter`` settings."""
    preprocessor = SegmentPreprocessor(
        numeric=list(config.features.numeric),
        categorical=list(config.features.categorical),
        log1p=list(config.log1p),
        clip_quantiles=config.clip_quantiles,
        scaling=config.scaling,
    )
    clusterer = FastKPrototypes(
        n_clusters=config.k,
        gamma=config.gamma,
        n_init=config.n_init,
        max_iter=config.max_iter,
        init=config.init,
        random_state=seed,
    )
    return CustomerSegmenter(preprocessor, clusterer)


def fit_segment_model(
    train: pd.DataFrame,
    config: TrainSegmenterConfig,
    seed: int,
    outcome_columns: dict[str, str],
    reference: SegmentModel | None,
) -> tuple[SegmentModel, dict[str, Any]]:
    """Fit on train features, align ids to ``reference``, and name the segments.

    Outcomes (e.g. the purchase label) are attached to the profiles after fitting; they
    never influence the segments.
    """
    segmenter = segmenter_from_config(config, seed).fit(train)
    model = segmenter.model_
    alignment = None
    drifted: set[int] = set()
    if reference is not None:
        model, alignment = align_to_reference(model, reference, config.alignment_max_dissimilarity)
        drifted = {int(segment) for segment, match in alignment["matches"].items() if not match["within_threshold"]}
    numeric, categorical = profile_columns(config)
    profiles = segment_profiles(train, model.assign(train), numeric, categorical, outcome_columns)
    model, generated, renamed = name_segments(model, profiles, config.naming, drifted, tuple(model.features))
    model = replace(model, info={**model.info, "renamed": renamed})
    summary = {
        "k": len(model.segment_ids),
        "gamma": model.gamma,
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
    return model, summary

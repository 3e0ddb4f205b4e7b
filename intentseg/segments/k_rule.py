"""The k rule of ``k: auto``: the smallest k near the best silhouette whose segments are big, stable and differ in outcome (docs/segmentation.md)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

from intentseg.config.segmenter import AutoKConfig
from intentseg.foundation.errors import ConfigError
from intentseg.foundation.sizing import sized_down
from intentseg.segments.model import CustomerSegmenter, distinct_customers
from intentseg.segments.quality import silhouette_samples_summary

logger = logging.getLogger(__name__)


def outcome_spread(labels: np.ndarray, outcomes: pd.DataFrame) -> float:
    """How much the segments differ on what marketing cares about: per outcome column, the share-weighted
    standard deviation of the segment means over the overall mean; averaged over the columns."""
    spreads = []
    for name in outcomes.columns:
        values = pd.to_numeric(outcomes[name], errors="coerce").to_numpy(dtype=float)
        overall = float(np.nanmean(values)) if np.isfinite(values).any() else 0.0
        if not overall:
            continue
        frame = pd.DataFrame({"segment": labels, "value": values})
        means = frame.groupby("segment")["value"].mean()
        weights = frame.groupby("segment").size() / len(frame)
        spreads.append(float(np.sqrt((weights * (means - overall) ** 2).sum())) / abs(overall))
    return float(np.mean(spreads)) if spreads else 0.0


def choose_k(
    estimator: CustomerSegmenter,
    train: pd.DataFrame,
    config: AutoKConfig,
    seed: int,
    *,
    target: str | None = None,
    outcomes: tuple[str, ...] = (),
    bar: float | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """The k rule of the module docstring; returns the chosen k and the measurements behind it.

    ``target`` and ``outcomes`` (value columns) are attached to the check customers after fitting, to
    measure each k's outcome spread; they never enter a fit. ``bar``: the silhouette each row is
    compared with (``reaches_bar``), the seed's 0.20 by default in params (gates.min_silhouette).
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(train))
    size = sized_down(
        "train_segmenter.auto_k.sample_size",
        config.sample_size,
        len(train) // 2,
        "train customers per half (fit, check)",
    )
    fit_rows, check_rows = train.iloc[np.sort(order[:size])], train.iloc[np.sort(order[size : 2 * size])]
    distinct = distinct_customers(fit_rows, estimator.preprocessor.numeric + estimator.preprocessor.categorical)
    candidates = [k for k in config.candidates if k <= distinct]
    if not candidates:
        raise ConfigError(
            f"train_segmenter.auto_k.candidates: every candidate {list(config.candidates)} is more than the {distinct} "
            "customers of the fit sample that differ on the segmentation features; list smaller k"
        )
    if len(candidates) < len(config.candidates):
        logger.info(
            "train_segmenter.auto_k.candidates: %s skipped, more than the %d distinct customers of the fit sample",
            [k for k in config.candidates if k > distinct],
            distinct,
        )
    table = []
    for k in candidates:
        candidate = clone(estimator).set_params(clusterer__n_clusters=k, clusterer__n_init=config.n_init)
        fitted = candidate.fit(fit_rows)
        labels = fitted.predict(check_rows)
        shares = np.bincount(labels, minlength=max(fitted.model_.segment_ids) + 1)[list(fitted.model_.segment_ids)]
        silhouette = silhouette_samples_summary(fitted.model_, check_rows, 1, min(len(check_rows), 3000), seed)["mean"]
        refits = [
            clone(candidate).fit(fit_rows.iloc[rng.integers(0, len(fit_rows), len(fit_rows))]).predict(check_rows)
            for _ in range(config.stability_resamples)
        ]
        stability = float(np.mean([adjusted_rand_score(labels, refit) for refit in refits]))
        smallest = float(shares.min() / len(check_rows))
        measured = [name for name in (target, *outcomes) if name and name in check_rows.columns]
        row = {
            "k": k,
            "silhouette": silhouette,
            "smallest_share": smallest,
            "stability": stability,
            "outcome_spread": outcome_spread(labels, check_rows[measured]) if measured else 0.0,
            "eligible": smallest >= config.min_segment_share and stability >= config.min_stability,
        }
        if bar is not None:
            row["reaches_bar"] = silhouette >= bar
        table.append(row)
    eligible = [row for row in table if row["eligible"]] or table
    best = max(row["silhouette"] for row in eligible)
    contenders = [row for row in eligible if row["silhouette"] >= best - config.tolerance]
    chosen = max(contenders, key=lambda row: (round(row["outcome_spread"], 6), -row["k"]))["k"]
    for row in table:
        row["chosen"] = row["k"] == chosen
    return chosen, table

"""The prepare stage's work once the source is read: the tables, the settings checked against them, summaries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from intentseg.config.data import SIMULATED_SOURCES, SQL_SOURCE, DataConfig
from intentseg.config.segmenter import TrainSegmenterConfig
from intentseg.config.split import SplitConfig
from intentseg.data.reading import RawTable, in_id_order
from intentseg.data.settings_fit import table_fit_problems
from intentseg.data.sources import (
    CustomerData,
    data_review_metrics,
    load_customer_data,
    source_manifest,
    summarise_data,
)
from intentseg.data.split import check_class_counts, split_labelled
from intentseg.foundation.errors import ConfigError

log = logging.getLogger(__name__)


def source_files(config: DataConfig) -> list[str]:
    """The files a file source names (the labelled table and, when set, the population); none otherwise."""
    return [
        name for name in (config.source, config.population) if name and name not in (*SIMULATED_SOURCES, SQL_SOURCE)
    ]


@dataclass(frozen=True)
class PreparedData:
    """The prepared tables, the snapshot manifest, the data details and the reviewer's metrics."""

    data: CustomerData
    manifest: dict[str, Any]
    summary: dict[str, Any]
    review_metrics: dict[str, Any]


def _train_rows(data: CustomerData, split: SplitConfig, seed: int) -> int:
    """The train part's size, after the split's own checks (class counts; snapshots for an out-of-time split)."""
    fractions = split.fractions.as_dict()
    if data.spec.snapshot_column is None:
        check_class_counts(data.labelled[data.spec.target].to_numpy(), fractions)
        return int(len(data.labelled) * split.fractions.train)
    parts = split_labelled(
        data.labelled,
        data.spec.target,
        fractions,
        seed=seed,
        id_column=data.spec.id_column,
        snapshot_column=data.spec.snapshot_column,
        train_snapshots=split.train_snapshots,
    )
    return len(parts.parts["train"])


def prepare_customers(
    config: DataConfig,
    seed: int,
    tables: tuple[RawTable | None, RawTable | None],
    read: dict[str, dict[str, Any]],
    *,
    segmenter: TrainSegmenterConfig,
    split: SplitConfig,
) -> PreparedData:
    """The labelled table and population from the read ``tables``, refused when later settings cannot fit them.

    The split's class counts and the segmentation's columns and k are checked here, so a table
    too small for them stops before any model is fitted. ``read``: what was read (paths, hashes).
    """
    table, population = tables
    if config.source == SQL_SOURCE:  # a query's row order is not defined: sort by id
        table, population = (in_id_order(raw, config.id_column) if raw else None for raw in (table, population))
    data = load_customer_data(config, seed, table, population)
    train_rows = _train_rows(data, split, seed)  # the split's rules, checked now
    problems = table_fit_problems(segmenter, config.preset, data.spec, train_rows)
    if problems:
        raise ConfigError("params.yaml does not fit the table:\n" + "\n".join(problems))
    log.info(
        "labelled table: %d rows x %d features (%d numeric, %d categorical); population: %d rows",
        len(data.labelled),
        len(data.spec.columns),
        len(data.spec.numeric_features),
        len(data.spec.categorical_features),
        len(data.population),
    )
    summary = summarise_data(data)
    log.info("positive rate %.4f; missing rates %s", summary["positive_rate"], summary["missing_rate"])
    return PreparedData(data, source_manifest(config, seed, data, read), summary, data_review_metrics(summary))

"""Columns that params.yaml names, checked against the prepared table before any training.

prepare calls :func:`column_reference_problems` once the table is read, so that a segmentation
feature missing from the table stops the run there, not after minutes of training. (Kept apart
from :mod:`intentseg.segments` so that prepare does not depend on the segmentation code.)
"""

from __future__ import annotations

from intentseg.config.segmenter import TrainSegmenterConfig
from intentseg.data.spec import TableSpec


def configured_columns(config: TrainSegmenterConfig) -> dict[str, tuple[str, ...]]:
    """The columns ``train_segmenter`` names itself (not a preset's), by setting."""
    named: dict[str, tuple[str, ...]] = {}
    if config.features != "auto":
        named["features.numeric"] = config.features.numeric
        named["features.categorical"] = config.features.categorical
    if config.log1p != "auto":
        named["log1p"] = config.log1p
    if config.profile.numeric != "auto":
        named["profile.numeric"] = config.profile.numeric
    if config.profile.categorical != "auto":
        named["profile.categorical"] = config.profile.categorical
    if config.profile.outcomes != "auto":
        named["profile.outcomes"] = tuple(config.profile.outcomes.values())
    return named


def column_reference_problems(config: TrainSegmenterConfig, source: str, spec: TableSpec) -> list[str]:
    """Columns that ``train_segmenter`` (or the source's preset) names but the prepared table lacks.

    A column may be named as in the source file or as prepared (renamed, ``days_since_...``).
    """
    known = {spec.id_column, *((spec.target,) if spec.target else ()), *spec.feature_names}
    known |= {column.source_name for column in spec.columns if column.source_name}
    named = configured_columns(config)
    preset = config.presets.get(source)
    if preset is not None:
        named.setdefault("features.numeric", preset.features.numeric)
        named.setdefault("features.categorical", preset.features.categorical)
    problems = []
    for setting, names in named.items():
        missing = [name for name in names if name not in known]
        if missing:
            problems.append(
                f"train_segmenter.{setting}: columns {missing} are not in the prepared table "
                f"(features: {spec.feature_names})"
            )
    return problems


def segment_count_problems(config: TrainSegmenterConfig, source: str, train_rows: int) -> list[str]:
    """A number of segments the train split cannot hold (k must be below its rows)."""
    preset = config.presets.get(source)
    if config.k != "auto":
        counts = {"k": config.k}
    elif preset is not None:
        counts = {f"presets.{source}.k": preset.k}
    else:
        counts = {"auto_k.candidates": min(config.auto_k.candidates)}  # larger ones are skipped by the k rule
    return [
        f"train_segmenter.{setting}: {k} segments cannot be fitted on a train split of {train_rows} rows"
        for setting, k in counts.items()
        if k >= train_rows
    ]


def table_fit_problems(config: TrainSegmenterConfig, source: str, spec: TableSpec, train_rows: int) -> list[str]:
    """Everything in ``train_segmenter`` that the prepared table cannot satisfy (columns, k)."""
    return column_reference_problems(config, source, spec) + segment_count_problems(config, source, train_rows)

"""Typed, validated parameters: ``params.yaml`` read as DVC reads it, one frozen config per section.

Each stage builds the configs of the sections it owns once (:func:`section_config`); library
functions take these typed objects, never raw dicts. Building a config refuses, in one message
naming every problem, unknown keys (with a did-you-mean), missing keys, wrong types and impossible
values; no default is repeated in code: every value comes from ``params.yaml``.

``params.yaml`` is parsed as YAML 1.2 with ruamel.yaml, as DVC parses it, so a stage never sees a
value DVC would read otherwise (YAML 1.1 reads an unquoted ``yes`` as ``True``).
"""

from __future__ import annotations

import codecs
import dataclasses
import difflib
import os
import re
import string
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from intentseg.errors import ConfigError

PARAMS_FILE = "params.yaml"
SIMULATOR_SOURCE = "simulator"  # data.source naming the built-in simulator rather than a file
SQL_SOURCE = "sql"  # data.source naming a database query (data.sql) rather than a file


def load_params(path: str | os.PathLike[str] = PARAMS_FILE) -> dict[str, Any]:
    """The whole parameter file as plain Python values (YAML 1.2, like DVC)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        params = YAML(typ="safe", pure=True).load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} not found: run the stages from the project root") from None
    except YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(params, dict):
        raise ConfigError(f"{path} must hold a mapping of sections, got {type(params).__name__}")
    return params


def section(params: dict[str, Any], name: str) -> Any:
    """One raw section of the parameters, with a clear error when it is missing."""
    if name not in params:
        raise ConfigError(f"params.yaml has no {name!r} section (sections: {', '.join(params)})")
    return params[name]


def bounded(
    low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False
) -> dict[str, Any]:
    """Field metadata: the allowed range of a number (``low_open``: ``low`` itself not allowed)."""
    return {"range": (low, high, low_open, high_open)}


# ---------------------------------------------------------------- the sections


LightGBMParams = typing.NewType("LightGBMParams", dict)
"""LightGBM's own parameters: names and values checked by LightGBM (:mod:`intentseg.classifier.lightgbm_params`)."""
LabelText = typing.NewType("LabelText", str)
"""A label value as written in a table: text, a number or true/false, kept as canonical text."""


@dataclass(frozen=True)
class ReadConfig:
    """``data.read:``: how to read a CSV when sniffing cannot decide (null: sniffed)."""

    sep: str | None
    encoding: str | None
    decimal: str | None
    na_values: tuple[str, ...] | None

    def problems(self) -> list[str]:
        found = []
        if self.sep is not None and len(self.sep) != 1:
            found.append(f"sep must be one character (e.g. ';' or '\\t'), got {self.sep!r}")
        if self.decimal is not None and self.decimal not in (".", ","):
            found.append(f"decimal must be '.' or ',', got {self.decimal!r}")
        if self.sep is not None and self.sep == self.decimal:
            found.append(f"sep and decimal are both {self.sep!r}")
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                found.append(f"encoding {self.encoding!r} is not a known text encoding (e.g. utf-8, cp1252, latin-1)")
        return found


def _connection_problems(url: str | None, password_env: str | None, what: str) -> list[str]:
    from intentseg.warehouse.connection import url_problems  # imports SQLAlchemy: only when a URL is set

    if url is None:
        return [f"url: {what} needs a database URL (e.g. duckdb:///warehouse/shopsphere.duckdb)"]
    return url_problems(url, password_env)


@dataclass(frozen=True)
class SqlSourceConfig:
    """``data.sql:``: the database and queries behind ``data.source: sql`` (credentials from the environment)."""

    url: str | None
    password_env: str | None
    labelled_query: str | None
    population_query: str | None
    chunk_rows: int = field(metadata=bounded(1))


@dataclass(frozen=True)
class DataConfig:
    """``data:``: where the customer table comes from and what its columns are."""

    source: str
    population: str | None
    read: ReadConfig
    sql: SqlSourceConfig
    id_column: str | None
    target: str
    positive_label: LabelText | None
    target_description: str | None
    numeric: tuple[str, ...] | None
    categorical: tuple[str, ...] | None
    exclude: tuple[str, ...] | None
    feature_groups: dict[str, tuple[str, ...]] | None
    ranges: dict[str, tuple[float | None, float | None]] | None
    date_format: str | None
    snapshot_date: str | None
    rare_level_share: float = field(metadata=bounded(0.0, 1.0, high_open=True))
    max_levels: int = field(metadata=bounded(2))
    min_positives: int = field(metadata=bounded(1))
    leakage_auc: float = field(metadata=bounded(0.5, 1.0))
    snapshot_month: str
    n_customers: int = field(metadata=bounded(1))
    population_size: int = field(metadata=bounded(0))

    def problems(self) -> list[str]:
        found = []
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", self.snapshot_month):
            found.append(f"snapshot_month: must be a month 'YYYY-MM', got {self.snapshot_month!r}")
        if self.snapshot_date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.snapshot_date):
            found.append(
                f"snapshot_date: must be a date 'YYYY-MM-DD' (or null: the latest date in the table), "
                f"got {self.snapshot_date!r}"
            )
        if self.date_format is not None and "%" not in self.date_format:
            found.append(f"date_format: must be a strftime format such as '%d/%m/%Y', got {self.date_format!r}")
        if self.source == SQL_SOURCE:
            found.extend(
                f"sql.{problem}" for problem in _connection_problems(self.sql.url, self.sql.password_env, "source sql")
            )
            if not (self.sql.labelled_query or "").strip():
                found.append("sql.labelled_query: source sql needs the query of the labelled table")
            if self.population is not None:
                found.append("population: a file does not go with source sql; set sql.population_query instead")
        if self.id_column is not None and self.id_column == self.target:
            found.append(f"id_column and target are both {self.target!r}: the id cannot be the label")
        listed = {
            "numeric": self.numeric or (),
            "categorical": self.categorical or (),
            "exclude": self.exclude or (),
        }
        for kind, names in listed.items():
            for name in (self.id_column, self.target):
                if name is not None and name in names:
                    role = "id_column" if name == self.id_column else "target"
                    found.append(f"{kind}: lists {name!r}, which is the {role}; the {role} cannot be a feature")
        both = sorted(set(listed["numeric"]) & set(listed["categorical"]))
        if both:
            found.append(f"numeric and categorical both list {both}: a column has one kind")
        return found


@dataclass(frozen=True)
class SplitFractions:
    train: float = field(metadata=bounded(0.0, 1.0, low_open=True, high_open=True))
    valid: float = field(metadata=bounded(0.0, 1.0, low_open=True, high_open=True))
    test: float = field(metadata=bounded(0.0, 1.0, low_open=True, high_open=True))

    def problems(self) -> list[str]:
        total = self.train + self.valid + self.test
        return [] if abs(total - 1.0) < 1e-9 else [f"train + valid + test must be 1, got {total:g}"]

    def as_dict(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class SplitConfig:
    """``split:``: stratified train/valid/test fractions."""

    fractions: SplitFractions


@dataclass(frozen=True)
class CalibrationConfig:
    method: Literal["auto", "isotonic", "platt"]
    cv_folds: int = field(metadata=bounded(2))


@dataclass(frozen=True)
class DecisionConfig:
    rule: Literal["max_f1", "top_fraction", "expected_profit"]
    top_fraction: float = field(metadata=bounded(0.0, 1.0, low_open=True, high_open=True))
    contact_cost: float = field(metadata=bounded(0.0, low_open=True))
    margin_per_conversion: float = field(metadata=bounded(0.0, low_open=True))


@dataclass(frozen=True)
class BaselineConfig:
    C: float = field(metadata=bounded(0.0, low_open=True))
    max_iter: int = field(metadata=bounded(1))


@dataclass(frozen=True)
class CrossValidationConfig:
    """``train_classifier.cross_validation``: when the valid split is too small to choose on."""

    below_valid_positives: int = field(metadata=bounded(0))
    folds: int = field(metadata=bounded(2))


@dataclass(frozen=True)
class TrainClassifierConfig:
    """``train_classifier:``: the model type and its parameters, calibration, decision rule, baseline."""

    model: Literal["lightgbm"]
    lightgbm: LightGBMParams
    num_boost_round: int = field(metadata=bounded(1))
    early_stopping_rounds: int = field(metadata=bounded(1))
    log_every: int = field(metadata=bounded(0))
    imbalance_candidates: tuple[Literal["none", "scale_pos_weight", "is_unbalance"], ...]
    imbalance_min_gain: float = field(metadata=bounded(0.0))
    cross_validation: CrossValidationConfig
    calibration: CalibrationConfig
    decision: DecisionConfig
    baseline: BaselineConfig

    def problems(self) -> list[str]:
        return [] if self.imbalance_candidates else ["imbalance_candidates: list at least one option"]


@dataclass(frozen=True)
class SegmentFeatures:
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    def problems(self) -> list[str]:
        return [] if self.numeric or self.categorical else ["name at least one segmentation feature"]


@dataclass(frozen=True)
class NamingConfig:
    high_percentile: float = field(metadata=bounded(0.5, 1.0, low_open=True))
    low_percentile: float = field(metadata=bounded(0.0, 0.5, high_open=True))
    min_lift: float = field(metadata=bounded(1.0, low_open=True))
    min_share: float = field(metadata=bounded(0.0, 1.0))
    numeric: dict[str, tuple[str, str]]
    categorical: dict[str, dict[str, str]]


@dataclass(frozen=True)
class ProfileConfig:
    numeric: tuple[str, ...] | Literal["auto"]
    categorical: tuple[str, ...] | Literal["auto"]
    outcomes: dict[str, str] | Literal["auto"]


@dataclass(frozen=True)
class SegmentPreset:
    """A data source's chosen segmentation (the simulator's is ShopSphere's business choice)."""

    features: SegmentFeatures
    log1p: tuple[str, ...]
    k: int = field(metadata=bounded(2))
    profile_numeric: tuple[str, ...]
    profile_categorical: tuple[str, ...]
    outcomes: dict[str, str]


@dataclass(frozen=True)
class AutoFeaturesConfig:
    """How ``features: auto`` chooses segmentation features from a table (docs/segmentation.md)."""

    max_numeric: int = field(metadata=bounded(1))
    max_categorical: int = field(metadata=bounded(0))
    max_missing_share: float = field(metadata=bounded(0.0, 1.0))
    max_mode_share: float = field(metadata=bounded(0.0, 1.0, low_open=True))
    max_rank_correlation: float = field(metadata=bounded(0.0, 1.0, low_open=True))
    max_levels: int = field(metadata=bounded(2))
    log_skewness: float = field(metadata=bounded(0.0))
    profile_columns: int = field(metadata=bounded(0))
    sample_size: int = field(metadata=bounded(100))


@dataclass(frozen=True)
class AutoKConfig:
    """How ``k: auto`` chooses the number of segments on the train split (docs/segmentation.md)."""

    candidates: tuple[int, ...]
    tolerance: float = field(metadata=bounded(0.0))
    min_segment_share: float = field(metadata=bounded(0.0, 1.0, high_open=True))
    min_stability: float = field(metadata=bounded(-1.0, 1.0))
    sample_size: int = field(metadata=bounded(100))
    n_init: int = field(metadata=bounded(1))
    stability_resamples: int = field(metadata=bounded(2))

    def problems(self) -> list[str]:
        small = [k for k in self.candidates if k < 2]
        return [f"candidates: every k must be at least 2, got {small}"] if small or not self.candidates else []


@dataclass(frozen=True)
class TrainSegmenterConfig:
    """``train_segmenter:``: K-Prototypes features, preprocessing, k and initialisation, naming, profiles."""

    features: SegmentFeatures | Literal["auto"]
    log1p: tuple[str, ...] | Literal["auto"]
    clip_quantiles: tuple[float, float]
    scaling: Literal["standard", "robust"]
    k: int | Literal["auto"] = field(metadata=bounded(2))
    gamma: float | None = field(metadata=bounded(0.0, low_open=True))
    n_init: int = field(metadata=bounded(1))
    max_iter: int = field(metadata=bounded(1))
    init: Literal["Cao", "Huang"]
    alignment_max_dissimilarity: float = field(metadata=bounded(0.0))
    naming: NamingConfig
    profile: ProfileConfig
    auto_features: AutoFeaturesConfig
    auto_k: AutoKConfig
    presets: dict[str, SegmentPreset]

    def problems(self) -> list[str]:
        found = []
        if self.features != "auto" and self.log1p != "auto":
            unknown = [name for name in self.log1p if name not in self.features.numeric]
            if unknown:
                found.append(f"log1p: {unknown} are not numeric segmentation features {list(self.features.numeric)}")
        for name, preset in self.presets.items():
            unknown = [column for column in preset.log1p if column not in preset.features.numeric]
            if unknown:
                found.append(f"presets.{name}.log1p: {unknown} are not numeric features of the preset")
        low, high = self.clip_quantiles
        if not 0.0 <= low < high <= 1.0:
            found.append(f"clip_quantiles: need 0 <= low < high <= 1, got {[low, high]}")
        return found


@dataclass(frozen=True)
class BootstrapConfig:
    resamples: int = field(metadata=bounded(2))
    confidence: float = field(metadata=bounded(0.0, 1.0, low_open=True, high_open=True))


@dataclass(frozen=True)
class SegmentEvaluationConfig:
    silhouette_samples: int = field(metadata=bounded(1))
    silhouette_sample_size: int = field(metadata=bounded(2))
    sweep_k: tuple[int, ...]
    sweep_sample_size: int = field(metadata=bounded(2))
    sweep_n_init: int = field(metadata=bounded(1))
    stability_resamples: int = field(metadata=bounded(2))

    def problems(self) -> list[str]:
        small = [k for k in self.sweep_k if k < 2]
        return [f"sweep_k: every k must be at least 2, got {small}"] if small or not self.sweep_k else []


@dataclass(frozen=True)
class EvaluateConfig:
    """``evaluate:``: held-out measurement settings."""

    importance_sample: int = field(metadata=bounded(1))
    reason_agreement_sample: int = field(metadata=bounded(1))
    calibration_bins: int = field(metadata=bounded(2))
    plot_top_terms: int = field(metadata=bounded(1))
    bootstrap: BootstrapConfig
    check_sample: int = field(metadata=bounded(1))
    segments: SegmentEvaluationConfig


@dataclass(frozen=True)
class ReasonsConfig:
    method: Literal["path", "treeshap"]
    scope: Literal["everyone", "audience"]
    top_k: int = field(metadata=bounded(1))


@dataclass(frozen=True)
class DriftConfig:
    bins: int = field(metadata=bounded(2))
    warn_psi: float = field(metadata=bounded(0.0, low_open=True))
    flag_psi: float = field(metadata=bounded(0.0, low_open=True))

    def problems(self) -> list[str]:
        return (
            []
            if self.warn_psi < self.flag_psi
            else [f"warn_psi ({self.warn_psi}) must be below flag_psi ({self.flag_psi})"]
        )


@dataclass(frozen=True)
class ExportConfig:
    per_segment: bool


@dataclass(frozen=True)
class SinkConfig:
    """``score.sink:``: where the export also goes (a database table, written in one transaction)."""

    type: Literal["none", "sql"]
    url: str | None
    password_env: str | None
    table: str | None
    mode: Literal["replace", "append"]
    rows: Literal["audience", "scores"]

    def problems(self) -> list[str]:
        if self.type == "none":
            return []
        found = _connection_problems(self.url, self.password_env, "sink sql")
        if not self.table or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", self.table):
            found.append(f"table: must be a table name such as campaign_audience or marts.audience, got {self.table!r}")
        return found


@dataclass(frozen=True)
class DaskConfig:
    """``score.dask:``: the Dask cluster ``score.engine: dask`` scores on."""

    scheduler: str
    workers: int = field(metadata=bounded(1))
    threads_per_worker: int = field(metadata=bounded(1))
    memory_limit: str
    partition_rows: int = field(metadata=bounded(1))

    def problems(self) -> list[str]:
        from dask.utils import parse_bytes  # imports dask's utilities only: light

        found = []
        if self.scheduler != "local" and not re.fullmatch(r"(tcp|tls|inproc)://\S+", self.scheduler):
            found.append(
                f"scheduler: 'local' or a scheduler address such as tcp://10.0.0.5:8786, got {self.scheduler!r}"
            )
        try:
            parse_bytes(self.memory_limit)
        except (ValueError, TypeError):
            found.append(f"memory_limit: a size such as 4GiB or 500MB, got {self.memory_limit!r}")
        return found


@dataclass(frozen=True)
class ScoreConfig:
    """``score:``: daily batch scoring and the audience export."""

    chunk_rows: int = field(metadata=bounded(1))
    max_audience: int | None = field(metadata=bounded(1))
    control_share: float = field(metadata=bounded(0.0, 1.0, high_open=True))
    run_date: str | None
    engine: Literal["local", "dask"]
    dask: DaskConfig
    sink: SinkConfig
    export: ExportConfig
    reasons: ReasonsConfig
    drift: DriftConfig

    def problems(self) -> list[str]:
        if self.run_date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", self.run_date):
            return [f"run_date: must be a date 'YYYY-MM-DD' (or null), got {self.run_date!r}"]
        return []

    def stamped_date(self, snapshot_month: str) -> str:
        """The export's run date: ``run_date``, else the first day of the snapshot month (reproducible)."""
        return self.run_date or f"{snapshot_month}-01"


@dataclass(frozen=True)
class FeaturesConfig:
    """``features:``: the feature dictionary (how a column and a customer's value read in a reason)."""

    labels: dict[str, str] | None

    def problems(self) -> list[str]:
        found = []
        for column, template in (self.labels or {}).items():
            if "{value" not in template:
                found.append(f"labels.{column}: {template!r} must contain {{value}} (the customer's value)")
                continue
            try:
                fields = {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}
            except ValueError:
                fields = set()
            if fields - {"value"}:
                found.append(
                    f"labels.{column}: {template!r} may only use the field {{value}} (with a format such as "
                    f"{{value:.0f}}), got {sorted(fields - {'value'})}"
                )
                continue
            readable = False
            for sample in (1.5, "gold"):
                try:
                    template.format(value=sample)
                    readable = True
                except (ValueError, KeyError, IndexError, AttributeError, TypeError):
                    pass
            if not readable:
                found.append(
                    f"labels.{column}: {template!r} is not a valid template (e.g. 'ordered {{value:.0f}} days ago')"
                )
        return found


@dataclass(frozen=True)
class CampaignConfig:
    """``campaign:``: the last campaign's result file, read into measured lift by the report."""

    result: str | None
    confidence: float = field(metadata=bounded(0.0, 1.0, low_open=True, high_open=True))


@dataclass(frozen=True)
class ReproducibilityConfig:
    """``reproducibility:``: how closely ``make check`` requires a rerun to match the committed results."""

    metrics_relative: float = field(metadata=bounded(0.0))
    metrics_absolute: float = field(metadata=bounded(0.0))
    predictions_relative: float = field(metadata=bounded(0.0))
    predictions_absolute: float = field(metadata=bounded(0.0))


SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "split": SplitConfig,
    "train_classifier": TrainClassifierConfig,
    "train_segmenter": TrainSegmenterConfig,
    "evaluate": EvaluateConfig,
    "score": ScoreConfig,
    "features": FeaturesConfig,
    "campaign": CampaignConfig,
    "reproducibility": ReproducibilityConfig,
}
TOP_LEVEL = (*SECTIONS, "seed", "paths", "gates")


def section_config(params: dict[str, Any], name: str) -> Any:
    """The typed config of one section; raises :class:`ConfigError` listing every problem in it."""
    problems: list[str] = []
    config = _build(SECTIONS[name], section(params, name), name, problems)
    if problems:
        raise ConfigError(f"params.yaml, section {name!r}:\n" + "\n".join(f"  - {problem}" for problem in problems))
    return config


def seed_of(params: dict[str, Any]) -> int:
    """The one seed behind every random choice."""
    seed = section(params, "seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"params.yaml: seed must be a whole number >= 0, got {seed!r}")
    return seed


def validate_all(params: dict[str, Any], known_gates: tuple[str, ...]) -> None:
    """Every section at once (the prepare stage calls this before any work)."""
    problems = [f"unknown section {name!r}{_suggest(name, TOP_LEVEL)}" for name in params if name not in TOP_LEVEL]
    for name in SECTIONS:
        try:
            section_config(params, name)
        except ConfigError as error:
            problems.append(str(error).removeprefix("params.yaml, "))
    try:
        seed_of(params)
    except ConfigError as error:
        problems.append(str(error).removeprefix("params.yaml: "))
    gates = params.get("gates") or {}
    for name, value in gates.items():
        if name not in known_gates:
            problems.append(f"gates: unknown gate {name!r}{_suggest(name, known_gates)}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"gates: {name} must be a number, got {value!r}")
    if problems:
        raise ConfigError("params.yaml has problems:\n" + "\n".join(f"- {problem}" for problem in problems))


# ---------------------------------------------------------------- building and checking


def _suggest(name: str, known: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _build(cls: type, data: Any, where: str, problems: list[str]) -> Any:
    """An instance of the dataclass ``cls`` from ``data``, appending every problem found to ``problems``."""
    if not isinstance(data, dict):
        problems.append(f"{where}: must be a mapping of settings, got {data!r}")
        return None
    hints = typing.get_type_hints(cls)
    fields = {item.name: item for item in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            problems.append(f"{where}.{key}: unknown setting{_suggest(key, fields)} (known: {', '.join(fields)})")
    values = {}
    for name, item in fields.items():
        if name not in data:
            problems.append(f"{where}.{name}: missing")
            continue
        before = len(problems)
        value = _convert(hints[name], data[name], f"{where}.{name}", problems)
        if len(problems) == before and "range" in item.metadata and isinstance(value, (int, float)):
            _check_range(value, item.metadata["range"], f"{where}.{name}", problems)
        values[name] = value
    if len(values) != len(fields):
        return None
    instance = cls(**values)
    if not any(problem.startswith(where) for problem in problems) and hasattr(instance, "problems"):
        problems.extend(f"{where}: {problem}" for problem in instance.problems())
    return instance


def _check_range(value: float, bounds: tuple, where: str, problems: list[str]) -> None:
    low, high, low_open, high_open = bounds
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        span = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        problems.append(f"{where}: {value!r} is outside the allowed range {span}")


def _convert(hint: Any, value: Any, where: str, problems: list[str]) -> Any:
    """``value`` checked against the type ``hint`` (and converted: lists to tuples, ints to floats)."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in arguments:
            return None
        alternatives = [argument for argument in arguments if argument is not type(None)]
        literals = [a for a in alternatives if typing.get_origin(a) is Literal]
        if any(value in typing.get_args(literal) for literal in literals):
            return value  # e.g. "auto"
        others = [a for a in alternatives if typing.get_origin(a) is not Literal]
        if len(others) == 1 and not literals:
            return _convert(others[0], value, where, problems)
        attempt: list[str] = []
        converted = _convert(others[0], value, where, attempt)
        if attempt and literals and not isinstance(value, (dict, list)):
            words = [repr(word) for literal in literals for word in typing.get_args(literal)]
            problems.append(f"{where}: {value!r} is neither {' nor '.join(words)} nor a valid setting ({attempt[0]})")
        else:
            problems.extend(attempt)
        return converted
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, where, problems)
    if origin is Literal:
        if value not in arguments:
            problems.append(f"{where}: {value!r} is not one of {list(arguments)}{_suggest(value, map(str, arguments))}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            problems.append(f"{where}: must be a list, got {value!r}")
            return None
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            return tuple(_convert(arguments[0], item, f"{where}[{i}]", problems) for i, item in enumerate(value))
        if len(value) != len(arguments):
            problems.append(f"{where}: must be a list of {len(arguments)} values, got {value!r}")
            return None
        return tuple(
            _convert(kind, item, f"{where}[{i}]", problems) for i, (kind, item) in enumerate(zip(arguments, value))
        )
    if origin is dict:
        if not isinstance(value, dict):
            problems.append(f"{where}: must be a mapping, got {value!r}")
            return None
        return {str(key): _convert(arguments[1], item, f"{where}.{key}", problems) for key, item in value.items()}
    if hint is Any:
        return value
    if hint is LightGBMParams:
        from intentseg.classifier.lightgbm_params import lightgbm_param_problems  # imports LightGBM: only here

        if not isinstance(value, dict):
            problems.append(f"{where}: must be a mapping of LightGBM parameters, got {value!r}")
            return None
        problems.extend(f"{where}.{problem}" for problem in lightgbm_param_problems(value))
        return dict(value)
    if hint is LabelText:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, str)):
            return str(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        problems.append(f"{where}: must be a label value such as yes, 1 or true, got {value!r}")
        return None
    if hint is float:  # a whole number stays an int: it is a valid number and reads as written in messages
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f"{where}: must be a number, got {value!r}")
            return None
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{where}: must be a whole number, got {value!r}")
            return None
        return value
    if hint is str:
        if not isinstance(value, str):
            problems.append(f"{where}: must be text, got {value!r}")
            return None
        return value
    if hint is bool:
        if not isinstance(value, bool):
            problems.append(f"{where}: must be true or false, got {value!r}")
        return value
    raise TypeError(f"no rule to check {hint!r} ({where})")


def with_absolute_paths(params: dict[str, Any], root: str | os.PathLike[str]) -> dict[str, Any]:
    """A copy of ``params`` whose ``paths:`` entries are absolute, relative to ``root``.

    Lets a stage run from another working directory against a project's files (benchmarks,
    tests of single stages) by writing this copy as that directory's params.yaml.
    """

    def absolute(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: absolute(value) for key, value in node.items()}
        return str(Path(root).resolve() / node)

    return {**params, "paths": absolute(params["paths"])}

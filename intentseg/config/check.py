"""The whole of params.yaml checked at once: every stage calls :func:`check_params` before any work.

A misspelt or impossible setting anywhere in the file stops the first stage that runs, with one
message listing every problem, section by section. This check changes no output, so a stage's
DVC deps name only the config modules of the sections it reads (docs/architecture.md).

Two kinds of check need another package and are called by the stages that use it: LightGBM's
own parameter names and values (:mod:`intentseg.classifier.lightgbm_params`) and database URLs
(:mod:`intentseg.warehouse.connection`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from intentseg.config.base import PARAMS_FILE, ConfigError, Section, load_params, seed_of, suggest
from intentseg.config.campaign import CampaignConfig
from intentseg.config.classifier import TrainClassifierConfig
from intentseg.config.data import DataConfig
from intentseg.config.evaluate import EvaluateConfig
from intentseg.config.gates import gate_problems
from intentseg.config.paths import PathsConfig
from intentseg.config.reason_words import ReasonWordsConfig
from intentseg.config.reproducibility import ReproducibilityConfig
from intentseg.config.score import ScoreConfig
from intentseg.config.segmenter import TrainSegmenterConfig
from intentseg.config.split import SplitConfig
from intentseg.config.uplift import UpliftConfig, history_source_problems

SECTIONS: dict[str, type[Section]] = {
    model.name: model
    for model in (
        PathsConfig,
        DataConfig,
        SplitConfig,
        TrainClassifierConfig,
        TrainSegmenterConfig,
        EvaluateConfig,
        ScoreConfig,
        ReasonWordsConfig,
        CampaignConfig,
        UpliftConfig,
        ReproducibilityConfig,
    )
}
TOP_LEVEL = (*SECTIONS, "seed", "gates")
RENAMED = {"features": "reason_words"}  # old section name -> new one


def section_config(params: dict[str, Any], name: str) -> Any:
    """The typed config of the section ``name`` (for tools and tests; stages use ``XConfig.from_params``)."""
    return SECTIONS[name].from_params(params)


@dataclass(frozen=True)
class Params:
    """The typed root: every section of params.yaml, the seed and the gates."""

    sections: dict[str, Section]
    seed: int
    gates: dict[str, float]

    @property
    def paths(self) -> PathsConfig:
        return self.sections["paths"]  # type: ignore[return-value]


def check_params(params: dict[str, Any]) -> Params:
    """Every section at once, typed; raises :class:`ConfigError` listing every problem, section by section."""
    problems = [_unknown_section(name) for name in params if name not in TOP_LEVEL]
    sections: dict[str, Section] = {}
    for name, model in SECTIONS.items():
        if name not in params:
            problems.append(f"params.yaml has no {name!r} section")
            continue
        config, found = model.checked(params[name])
        if config is not None:
            sections[name] = config
        if found:
            problems.append(f"section {name!r}:\n" + "\n".join(f"  - {problem}" for problem in found))
    if "uplift" in sections and "data" in sections:  # settings of one section that need another's
        problems.extend(history_source_problems(sections["uplift"], sections["data"]))  # type: ignore[arg-type]
    try:
        seed_of(params)
    except ConfigError as error:
        problems.append(str(error).removeprefix("params.yaml: "))
    problems.extend(gate_problems(params.get("gates")))
    if problems:
        raise ConfigError("params.yaml has problems:\n" + "\n".join(f"- {problem}" for problem in problems))
    return Params(sections, seed_of(params), dict(params.get("gates") or {}))


def _unknown_section(name: str) -> str:
    if name in RENAMED:
        return f"section {name!r} is now called {RENAMED[name]!r}: rename it"
    return f"unknown section {name!r}{suggest(name, TOP_LEVEL)}"


def checked_params(path: str = PARAMS_FILE) -> dict[str, Any]:
    """params.yaml read once and checked whole: what every stage starts with."""
    params = load_params(path)
    check_params(params)
    return params

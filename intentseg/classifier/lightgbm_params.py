"""Checking ``train_classifier.lightgbm`` before any work: LightGBM's own parameter names and rules.

LightGBM only warns about an unknown parameter and reports a wrong value as a bare parse error
mid-training; here every key is checked against LightGBM's parameter list (with its aliases,
and a did-you-mean) and every value is handed to LightGBM alone, so a refusal names its key.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sys
from collections.abc import Iterator
from typing import Any

from intentseg.config.base import section_error
from intentseg.config.classifier import TrainClassifierConfig

# Parameters the pipeline sets itself (see PurchaseIntentClassifier.train_params).
MANAGED = ("objective", "metric", "seed", "deterministic", "force_col_wise")


def _known_names() -> set[str]:
    from lightgbm.basic import _ConfigAliases

    aliases = _ConfigAliases._get_all_param_aliases()
    return {name for main, others in aliases.items() for name in (main, *others)}


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence LightGBM's C++ "[Fatal]" line while a value is tried (the refusal is reported instead)."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _refusal(key: str, value: Any) -> str | None:
    """LightGBM's message when it refuses ``key: value`` on its own, else None."""
    import lightgbm as lgb
    import numpy as np

    rows = np.random.default_rng(0).random((200, 2))
    params = {"verbosity": -1, "objective": "binary", key: value}
    try:
        with _quiet_stderr():  # dataset-level keys (max_bin, linear_tree, ...) must reach the Dataset too
            data = lgb.Dataset(rows, label=(rows[:, 0] > 0.5).astype(float), params=params)
            lgb.Booster(params=params, train_set=data)
    except lgb.basic.LightGBMError as error:
        message = str(error).split(" at /")[0]
        return f"{message}: expected a number" if isinstance(value, str) and "Unknown token" in message else message
    return None


def lightgbm_param_problems(params: dict[str, Any]) -> list[str]:
    """One line per unknown, managed or refused LightGBM parameter, each starting with its key."""
    known = _known_names()
    problems = []
    for key, value in params.items():
        if key in MANAGED:
            problems.append(f"{key}: set by the pipeline; remove it")
        elif key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{key}: unknown LightGBM parameter{hint}")
        elif value is None or isinstance(value, (dict, list)):
            problems.append(f"{key}: must be a number, text or true/false, got {value!r}")
        elif (refused := _refusal(key, value)) is not None:
            problems.append(f"{key}: {value!r} is refused by LightGBM ({refused})")
    return problems


def check_lightgbm_params(config: TrainClassifierConfig) -> None:
    """Refuse ``train_classifier.lightgbm`` in the section's message format when LightGBM would refuse it."""
    problems = lightgbm_param_problems(config.lightgbm)
    if problems:
        raise section_error("train_classifier", [f"train_classifier.lightgbm.{problem}" for problem in problems])

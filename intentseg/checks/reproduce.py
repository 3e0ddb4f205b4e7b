"""Is a rerun the same result? Comparing reproduced outputs with committed ones, with stated tolerances.

Another CPU or BLAS kernel may change the last bits of a float (docs/reproducibility.md), so
`make check` does not compare bytes. It compares what matters:

* metrics, details and plot data (JSON): same keys and list lengths; strings, booleans and
  integers (row counts, segment ids, names) exactly; floats within a relative tolerance or one
  unit of the last decimal they are written with;
* models, by their predictions on fixed test customers (:func:`intentseg.evaluation.predictions.model_predictions`, written by
  evaluate at full precision): probabilities within a tight tolerance, segment ids exactly.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intentseg.checks.revisions import git_file
from intentseg.foundation.io import read_json

MAX_REPORTED = 12


@dataclass(frozen=True)
class Tolerance:
    """Two floats agree when ``|a - b| <= max(relative * max(|a|, |b|), absolute)``."""

    relative: float
    absolute: float

    def agrees(self, committed: float, reproduced: float) -> bool:
        return math.isclose(committed, reproduced, rel_tol=self.relative, abs_tol=self.absolute)


def differences(committed: Any, reproduced: Any, tolerance: Tolerance, where: str = "") -> list[str]:
    """Every place where ``reproduced`` differs from ``committed`` beyond ``tolerance``, as messages."""
    here = where or "(top level)"
    if isinstance(committed, dict) and isinstance(reproduced, dict):
        inside = lambda key: f"{where}.{key}" if where else str(key)  # noqa: E731
        found = [f"{inside(key)}: only in the committed file" for key in committed if key not in reproduced]
        found += [f"{inside(key)}: only in the reproduced file" for key in reproduced if key not in committed]
        for key in committed:
            if key in reproduced:
                found += differences(committed[key], reproduced[key], tolerance, inside(key))
        return found
    if isinstance(committed, list) and isinstance(reproduced, list):
        if len(committed) != len(reproduced):
            return [f"{here}: {len(committed)} entries committed, {len(reproduced)} reproduced"]
        return [
            message
            for index, (a, b) in enumerate(zip(committed, reproduced))
            for message in differences(a, b, tolerance, f"{where}[{index}]")
        ]
    if _is_float_pair(committed, reproduced):
        if tolerance.agrees(float(committed), float(reproduced)):
            return []
        return [f"{here}: committed {committed!r}, reproduced {reproduced!r} (beyond tolerance {tolerance})"]
    if committed != reproduced or type(committed) is not type(reproduced):
        return [f"{here}: committed {committed!r}, reproduced {reproduced!r} (must be equal)"]
    return []


def _is_float_pair(a: Any, b: Any) -> bool:
    """Both numbers, at least one a float (an integer is compared exactly with an integer)."""
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    return numbers and (isinstance(a, float) or isinstance(b, float))


def summarise(messages: list[str], file: str) -> list[str]:
    """At most :data:`MAX_REPORTED` messages for one file, and how many more there were."""
    shown = [f"{file}: {message}" for message in messages[:MAX_REPORTED]]
    if len(messages) > MAX_REPORTED:
        shown.append(f"{file}: ... and {len(messages) - MAX_REPORTED} more differences")
    return shown


def json_outputs(paths: dict[str, Any]) -> list[str]:
    """Every committed JSON output the reproduction is compared on: metrics, details, checks and plot data."""
    found: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                collect(value)
        elif isinstance(node, str) and node.endswith(".json"):
            found.append(node)

    for section in ("metrics", "details", "checks", "plots"):
        collect(paths.get(section, {}))
    return found


def reproduction_problems(
    files: list[str],
    revision: str,
    metrics_tolerance: Tolerance,
    predictions_tolerance: Tolerance,
    predictions_file: str,
) -> list[str]:
    """Differences between the working tree's JSON outputs and ``revision``'s, beyond tolerance."""
    problems = []
    for path in files:
        committed = git_file(revision, path)
        if committed is None:
            problems.append(f"{path}: not committed at {revision} (run make repro and commit it)")
            continue
        if not Path(path).exists():
            problems.append(f"{path}: not reproduced (the pipeline did not write it)")
            continue
        tolerance = predictions_tolerance if path == predictions_file else metrics_tolerance
        problems += summarise(differences(json.loads(committed), read_json(path), tolerance), path)
    return problems

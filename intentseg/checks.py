"""Pipeline checks for CI and review: is dvc.lock fresh, and do the metrics pass the quality gates?

Run as ``python -m intentseg.checks lock`` (before reproducing: the committed dvc.lock must
match the code and params) and ``python -m intentseg.checks gates`` (after: the metrics must
pass every gate in ``params.yaml``). Each prints what failed and exits 1.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from intentseg.config import load_params
from intentseg.io import read_json

# gate name -> (metrics file key, dotted path in it, "min" or "max", description)
GATES: dict[str, tuple[str, str, str, str]] = {
    "min_roc_auc": ("classifier", "test.roc_auc", "min", "test ROC-AUC"),
    "min_f1": ("classifier", "test.f1", "min", "test F1 at the chosen threshold"),
    "max_gap_to_oracle_roc_auc": ("classifier", "gap_to_oracle.roc_auc", "max", "ROC-AUC gap to the true-probability ceiling"),
    "max_expected_calibration_error": ("classifier", "test.ece", "max", "expected calibration error on test"),
    "min_silhouette": ("segmenter", "silhouette.mean", "min", "mean segment silhouette"),
    "min_stability_ari": ("segmenter", "stability_ari", "min", "segment stability (bootstrap ARI)"),
    "max_flagged_drift_features": ("score", "drift.flagged", "max", "number of drift-flagged features"),
    "max_rejected_share": ("score", "rows_rejected/rows_in", "max", "share of scoring rows rejected"),
}


def _lookup(data: dict[str, Any], dotted: str) -> Any:
    if "/" in dotted:
        numerator, denominator = (_lookup(data, part) for part in dotted.split("/"))
        return numerator / denominator if denominator else 0.0
    node: Any = data
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return len(node) if isinstance(node, list) else node


def gate_failures(metrics: dict[str, dict[str, Any]], gates: dict[str, float]) -> list[str]:
    """One message per gate missed; gates whose metric is absent (e.g. no oracle on real data) are skipped."""
    failures = []
    for gate, threshold in gates.items():
        if gate not in GATES:
            failures.append(f"unknown gate '{gate}' in params.yaml (known: {', '.join(GATES)})")
            continue
        source, path, kind, description = GATES[gate]
        value = _lookup(metrics.get(source, {}), path)
        if value is None:
            continue
        if (kind == "min" and value < threshold) or (kind == "max" and value > threshold):
            relation = "below the minimum" if kind == "min" else "above the maximum"
            failures.append(f"gate {gate}: {description} is {value:.4g}, {relation} {threshold} "
                            f"(metrics '{source}', {path})")
    return failures


def lock_problems(lock: dict[str, Any], params: dict[str, Any], file_md5: Callable[[str], str | None]) -> list[str]:
    """Stages whose code or params differ from what dvc.lock recorded."""
    problems = []
    for stage, entry in lock.get("stages", {}).items():
        for dep in entry.get("deps", []):
            if dep["path"].endswith(".py") and file_md5(dep["path"]) != dep.get("md5"):
                problems.append(f"stage {stage}: {dep['path']} changed since dvc.lock was written")
        for key, recorded in entry.get("params", {}).get("params.yaml", {}).items():
            if _lookup(params, key) != recorded:
                problems.append(f"stage {stage}: param {key} is {_lookup(params, key)!r} in params.yaml, "
                                f"{recorded!r} in dvc.lock")
    return problems


def _md5(path: str) -> str | None:
    file = Path(path)
    return hashlib.md5(file.read_bytes()).hexdigest() if file.exists() else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("check", choices=["lock", "gates"])
    args = parser.parse_args(argv)
    params = load_params()
    if args.check == "lock":
        problems = lock_problems(yaml.safe_load(Path("dvc.lock").read_text()), params, _md5)
        advice = "run `make repro` and commit dvc.lock with metrics/, plots/ and reports/"
    else:
        metrics = {name: read_json(path) for name, path in params["paths"]["metrics"].items() if Path(path).exists()}
        problems = gate_failures(metrics, params["gates"])
        advice = "the run does not meet the quality gates in params.yaml (gates:)"
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    if problems:
        print(f"check '{args.check}' failed: {advice}", file=sys.stderr)
        return 1
    print(f"check '{args.check}' passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

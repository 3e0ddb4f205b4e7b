"""Pipeline checks for CI and review (``make check``), each printing what failed and exiting 1.

* ``python -m intentseg.checks lock``: before reproducing. DVC's own ``dvc status`` must find no
  change in what the committed ``dvc.lock`` recorded of code, params and source inputs, nor in
  committed (git-tracked) outputs. Outputs that are merely absent (a fresh clone without the DVC
  cache) are not a problem; float-output hashes are not compared here.
* ``python -m intentseg.checks reproduced --against HEAD``: after reproducing. The reproduced
  metrics, details, plot data and model predictions must agree with the committed ones within
  the tolerances of ``params.yaml`` ``reproducibility:`` (:mod:`intentseg.reproduce`).
* ``python -m intentseg.checks gates [--base main] [--md]``: the quality gates of ``params.yaml``
  ``gates:`` as one table: bar, the base branch's value, this run's value, the change, whether
  it is larger than the noise (half the 95% bootstrap interval), pass or fail.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from intentseg.config import load_params
from intentseg.io import read_json
from intentseg.reproduce import Tolerance, differences, summarise


@dataclass(frozen=True)
class Gate:
    """A quality bar on one metric: where to read it, which way it points, and its interval (if any)."""

    source: str  # metrics file key in params paths.metrics
    path: str  # dotted path in that file; "a/b" divides two values; a list counts its entries
    kind: str  # "min" or "max"
    description: str
    interval: str | None = None  # dotted path of the metric's 95% bootstrap interval


GATES: dict[str, Gate] = {
    "min_roc_auc": Gate("classifier", "test.roc_auc", "min", "test ROC-AUC", "test.roc_auc_ci"),
    "min_f1": Gate("classifier", "test.f1", "min", "test F1 at the chosen threshold", "test.f1_ci"),
    "max_gap_to_oracle_roc_auc": Gate("classifier", "gap_to_oracle.roc_auc", "max",
                                      "ROC-AUC gap to the true-probability ceiling"),
    "max_expected_calibration_error": Gate("classifier", "test.ece", "max", "expected calibration error on test"),
    "min_silhouette": Gate("segmenter", "silhouette", "min", "mean segment silhouette", "silhouette_ci"),
    "min_stability_ari": Gate("segmenter", "stability_ari", "min", "segment stability (bootstrap ARI)"),
    "max_flagged_drift_features": Gate("score", "drift.flagged", "max", "number of drift-flagged features"),
    "max_rejected_share": Gate("score", "rows_rejected/rows_in", "max", "share of scoring rows rejected"),
}


def lookup(data: dict[str, Any], dotted: str) -> Any:
    """The value at ``dotted`` (None when absent); ``a/b`` divides two values; lists count their entries."""
    if "/" in dotted:
        numerator, denominator = (lookup(data, part) for part in dotted.split("/"))
        if numerator is None or denominator is None:
            return None
        return numerator / denominator if denominator else 0.0
    node: Any = data
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return len(node) if isinstance(node, list) and not dotted.endswith("_ci") else node


@dataclass(frozen=True)
class GateRow:
    """One line of the gate table."""

    gate: str
    description: str
    bar: str
    base: float | None
    value: float | None
    noise: float | None  # half-width of this run's 95% interval
    passed: bool | None  # None: the metric does not exist for this data (e.g. no oracle on real data)

    @property
    def change(self) -> float | None:
        return None if self.base is None or self.value is None else self.value - self.base

    @property
    def beyond_noise(self) -> bool | None:
        if self.change is None or self.noise is None:
            return None
        return abs(self.change) > self.noise


def gate_rows(metrics: dict[str, dict[str, Any]], base: dict[str, dict[str, Any]] | None,
              gates: dict[str, float]) -> list[GateRow]:
    """Evaluate every gate on this run's metrics, beside the base run's values."""
    unknown = sorted(set(gates) - set(GATES))
    if unknown:
        raise ValueError(f"unknown gate(s) {unknown} in params.yaml gates: (known: {', '.join(GATES)})")
    rows = []
    for name, threshold in gates.items():
        gate = GATES[name]
        value = lookup(metrics.get(gate.source, {}), gate.path)
        base_value = lookup(base.get(gate.source, {}), gate.path) if base is not None else None
        interval = lookup(metrics.get(gate.source, {}), gate.interval) if gate.interval else None
        noise = (interval[1] - interval[0]) / 2 if isinstance(interval, list) and len(interval) == 2 else None
        passed = None if value is None else (value >= threshold if gate.kind == "min" else value <= threshold)
        bar = f"{'>=' if gate.kind == 'min' else '<='} {threshold:g}"
        rows.append(GateRow(name, gate.description, bar, base_value, value, noise, passed))
    return rows


def gate_failures(metrics: dict[str, dict[str, Any]], gates: dict[str, float]) -> list[str]:
    """One message per gate missed; gates whose metric is absent (e.g. no oracle on real data) are skipped."""
    return [f"gate {row.gate}: {row.description} is {row.value:.4g}, "
            f"{'below the minimum' if GATES[row.gate].kind == 'min' else 'above the maximum'} {gates[row.gate]} "
            f"(metrics '{GATES[row.gate].source}', {GATES[row.gate].path})"
            for row in gate_rows(metrics, None, gates) if row.passed is False]


def _number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def format_gate_table(rows: list[GateRow], base_name: str, markdown: bool) -> str:
    """The gate table as Markdown (PR comment) or aligned text (terminal)."""
    header = ["gate", "bar", base_name, "this run", "change", "noise (95% CI half-width)", "beyond noise", "result"]
    lines = [[
        row.gate, row.bar, _number(row.base), _number(row.value), _number(row.change, signed=True),
        _number(row.noise), {True: "yes", False: "no", None: "n/a"}[row.beyond_noise],
        {True: "pass", False: "FAIL", None: "skipped (no such metric)"}[row.passed],
    ] for row in rows]
    if markdown:
        return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                         + ["| " + " | ".join(line) + " |" for line in lines])
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)) for line in [header, *lines])


def git_file(revision: str, path: str) -> str | None:
    """A file's content at a git revision, or None when the revision or the file does not exist."""
    result = subprocess.run(["git", "show", f"{revision}:{path}"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


def resolve_revision(name: str) -> str | None:
    """``name`` if git knows it, else ``origin/<name>``, else None."""
    for candidate in (name, f"origin/{name}"):
        if subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"],
                          capture_output=True).returncode == 0:
            return candidate
    return None


def metrics_at(revision: str | None, metric_paths: dict[str, str]) -> dict[str, dict[str, Any]] | None:
    """The metrics files at a git revision (None if the revision is unknown)."""
    if revision is None:
        return None
    found = {name: git_file(revision, path) for name, path in metric_paths.items()}
    return {name: json.loads(text) for name, text in found.items() if text is not None}


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


def reproduction_problems(files: list[str], revision: str, metrics_tolerance: Tolerance,
                          predictions_tolerance: Tolerance, predictions_file: str) -> list[str]:
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


def lock_problems(status: dict[str, list[Any]], produced: set[str], git_tracked_outputs: set[str]) -> list[str]:
    """What ``dvc status`` reports that the committed lock does not explain.

    ``produced``: paths written by some stage (missing ones are fine: no cache on a fresh clone);
    ``git_tracked_outputs``: outputs committed to git (cache: false), which must match the lock.
    """
    problems = []
    for stage, entries in status.items():
        for entry in entries:
            if isinstance(entry, str):  # e.g. "changed command", "always changed"
                problems.append(f"stage {stage}: {entry}")
                continue
            for path, change in entry.get("changed deps", {}).items():
                if isinstance(change, dict):  # a params file: {section: "modified"}
                    problems += [f"stage {stage}: param {key} is {what} since dvc.lock was written"
                                 for key, what in change.items()]
                elif path not in produced:
                    problems.append(f"stage {stage}: {path} is {change} since dvc.lock was written")
            for path, change in entry.get("changed outs", {}).items():
                if path in git_tracked_outputs:
                    problems.append(f"stage {stage}: committed output {path} is {change} against dvc.lock")
    return problems


def dvc_lock_problems() -> list[str]:
    """Run DVC's status on this repository and interpret it with :func:`lock_problems`."""
    from dvc.repo import Repo

    with Repo() as repo:
        status = repo.status()
        outputs = [out for stage in repo.index.stages for out in stage.outs]
        produced = {out.def_path for out in outputs}
        tracked = {out.def_path for out in outputs if not out.use_cache}
    return lock_problems(status, produced, tracked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=["lock", "reproduced", "gates"])
    parser.add_argument("--against", default="HEAD", help="reproduced: the git revision holding the committed results")
    parser.add_argument("--base", default="main", help="gates: the branch to compare with (or origin/<base>)")
    parser.add_argument("--md", action="store_true", help="gates: print the table as Markdown")
    args = parser.parse_args(argv)
    params = load_params()
    paths = params["paths"]
    if args.check == "lock":
        problems = dvc_lock_problems()
        advice = "run `make repro` and commit dvc.lock with metrics/, plots/ and reports/"
    elif args.check == "reproduced":
        tolerances = params["reproducibility"]
        problems = reproduction_problems(
            json_outputs(paths), args.against,
            Tolerance(float(tolerances["metrics_relative"]), float(tolerances["metrics_absolute"])),
            Tolerance(float(tolerances["predictions_relative"]), float(tolerances["predictions_absolute"])),
            paths["checks"]["predictions"],
        )
        advice = (f"the reproduced results differ from those committed at {args.against} beyond the tolerances in "
                  "params.yaml (reproducibility:): if the change is intended, run make repro and commit the results")
    else:
        metrics = {name: read_json(path) for name, path in paths["metrics"].items() if Path(path).exists()}
        base_revision = resolve_revision(args.base)
        try:
            rows = gate_rows(metrics, metrics_at(base_revision, paths["metrics"]), params["gates"])
        except ValueError as error:
            return _report(args.check, [str(error)], "fix the gates: section of params.yaml")
        print(format_gate_table(rows, base_revision or f"{args.base} (not found)", args.md))
        problems = gate_failures(metrics, params["gates"])
        advice = "the run does not meet the quality gates in params.yaml (gates:)"
    return _report(args.check, problems, advice)


def _report(check: str, problems: list[str], advice: str) -> int:
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    if problems:
        print(f"check '{check}' failed: {advice}", file=sys.stderr)
        return 1
    print(f"check '{check}' passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

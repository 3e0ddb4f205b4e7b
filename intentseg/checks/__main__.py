"""``python -m intentseg.checks``: the pipeline checks of ``make check``, each printing what failed and exiting 1.

* ``lock``: before reproducing. DVC's own ``dvc status`` must find no change in what the
  committed ``dvc.lock`` recorded of code, params and source inputs, nor in committed
  (git-tracked) outputs (:mod:`intentseg.checks.lock`).
* ``reproduced --against HEAD``: after reproducing. The reproduced metrics, details, plot data
  and model predictions must agree with the committed ones within the tolerances of
  ``params.yaml`` ``reproducibility:`` (:mod:`intentseg.checks.reproduce`).
* ``gates [--base main] [--md]``: the quality gates of ``params.yaml`` ``gates:`` as one table
  (:mod:`intentseg.evaluation.gates`).
"""

from __future__ import annotations

import argparse
import sys

from intentseg.checks.lock import dvc_lock_problems
from intentseg.checks.reproduce import Tolerance, json_outputs, reproduction_problems
from intentseg.checks.revisions import metrics_at, metrics_in_workspace, resolve_revision
from intentseg.config.base import load_params, section
from intentseg.config.check import section_config
from intentseg.config.reproducibility import ReproducibilityConfig
from intentseg.evaluation.comparison import comparison_summary
from intentseg.evaluation.gates import failure_messages, format_gate_table, gate_rows
from intentseg.foundation.errors import ProjectError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("check", choices=["lock", "reproduced", "gates"])
    parser.add_argument("--against", default="HEAD", help="reproduced: the git revision holding the committed results")
    parser.add_argument("--base", default="main", help="gates: the branch to compare with (or origin/<base>)")
    parser.add_argument("--md", action="store_true", help="gates: print the table as Markdown")
    args = parser.parse_args(argv)
    params = load_params()
    paths = section(params, "paths")
    if args.check == "lock":
        problems = dvc_lock_problems()
        advice = "run `make repro` and commit dvc.lock with metrics/, plots/ and reports/"
    elif args.check == "reproduced":
        tolerances: ReproducibilityConfig = section_config(params, "reproducibility")
        problems = reproduction_problems(
            json_outputs(paths),
            args.against,
            Tolerance(tolerances.metrics_relative, tolerances.metrics_absolute),
            Tolerance(tolerances.predictions_relative, tolerances.predictions_absolute),
            paths["checks"]["predictions"],
        )
        advice = (
            f"the reproduced results differ from those committed at {args.against} beyond the tolerances in "
            "params.yaml (reproducibility:): if the change is intended, run make repro and commit the results"
        )
    else:
        metrics = metrics_in_workspace(paths["metrics"])
        base_revision = resolve_revision(args.base)
        try:
            rows = gate_rows(metrics, metrics_at(base_revision, paths["metrics"]), params["gates"])
        except ValueError as error:
            return _report(args.check, [str(error)], "fix the gates: section of params.yaml")
        print(comparison_summary(metrics.get("classifier", {})))
        print(format_gate_table(rows, base_revision or f"{args.base} (not found)", args.md))
        problems = failure_messages(rows, params["gates"])
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
    try:
        sys.exit(main())
    except ProjectError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)

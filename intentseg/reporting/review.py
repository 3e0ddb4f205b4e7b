"""The pull-request review comment: gate table, metrics diff, key figures and a link to the report.

``python -m intentseg.reporting.review --base origin/main --repository OWNER/NAME --sha SHA`` prints the
comment body (Markdown). It starts with :data:`WATERMARK`, which the CI workflow uses to find and
update its own comment, so each pull request has one comment that follows every push (the
DVC/CML convention).
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from intentseg.checks.gates import format_gate_table, gate_rows
from intentseg.checks.revisions import metrics_at, metrics_in_workspace, resolve_revision
from intentseg.config import load_params

WATERMARK = "<!-- intentseg: pipeline review -->"
KEY_FIGURES = (
    ("classifier", "gains"),
    ("classifier", "precision_recall"),
    ("classifier", "calibration"),
    ("segments", "profile"),
)


def metrics_diff(base: str) -> str:
    """``dvc metrics diff <base> --md``, or a note when DVC cannot compare."""
    result = subprocess.run(["dvc", "metrics", "diff", base, "--md"], capture_output=True, text=True)
    if result.returncode != 0:
        return f"(dvc metrics diff {base} failed: {result.stderr.strip().splitlines()[-1:] or ['no output']})"
    return result.stdout.strip() or "No metric changed."


def review_comment(base: str, repository: str | None, sha: str | None) -> str:
    """The whole comment body for the current run against ``base``."""
    params = load_params()
    paths = params["paths"]
    revision = resolve_revision(base)
    metrics = metrics_in_workspace(paths["metrics"])
    rows = gate_rows(metrics, metrics_at(revision, paths["metrics"]), params["gates"])
    failed = [row.gate for row in rows if row.passed is False]
    link = (lambda path, kind: f"https://github.com/{repository}/{kind}/{sha}/{path}") if repository and sha else None
    lines = [
        WATERMARK,
        "## Pipeline review",
        "",
        f"**{'Gates failed: ' + ', '.join(failed) if failed else 'All quality gates pass.'}** "
        f"Compared with `{revision or base}`; noise is half the 95% bootstrap interval on the test split.",
        "",
        format_gate_table(rows, revision or base, markdown=True),
        "",
        "<details><summary>Metrics diff (dvc metrics diff)</summary>",
        "",
        metrics_diff(revision or base),
        "",
        "</details>",
        "",
    ]
    if link:
        lines += [
            " ".join(f"![{name}]({link(paths['figures'][group][name], 'raw')})" for group, name in KEY_FIGURES),
            "",
        ]
        lines.append(f"Full report: [{paths['report']}]({link(paths['report'], 'blob')}). ")
    else:
        lines.append(f"Full report: `{paths['report']}`. ")
    lines[-1] += "All plots against the base: `make plots-diff` (renders offline)."
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="main")
    parser.add_argument("--repository", help="OWNER/NAME, for links to figures and the report")
    parser.add_argument("--sha", help="the commit the links point at")
    args = parser.parse_args(argv)
    sys.stdout.write(review_comment(args.base, args.repository, args.sha))
    return 0


if __name__ == "__main__":
    sys.exit(main())

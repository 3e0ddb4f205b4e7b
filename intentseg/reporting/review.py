"""The pull-request review comment: gate table, metrics diff, key figures and a link to the report.

``python -m intentseg.reporting.review --base origin/main --repository OWNER/NAME --sha SHA`` prints the
comment body (Markdown). It starts with :data:`WATERMARK`, which the CI workflow uses to find and
update its own comment, so each pull request has one comment that follows every push (the
DVC/CML convention).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any
from urllib.parse import quote

from intentseg.checks.revisions import metrics_at, metrics_in_workspace, resolve_revision
from intentseg.config.base import load_params
from intentseg.evaluation.comparison import comparison_summary
from intentseg.evaluation.gates import format_gate_table, gate_rows
from intentseg.reporting.markdown import escape_markdown, link_target, markdown_table

WATERMARK = "<!-- intentseg: pipeline review -->"
KEY_FIGURES = (
    ("classifier", "gains"),
    ("classifier", "precision_recall"),
    ("classifier", "calibration"),
    ("segments", "profile"),
)


def _shown(value: Any) -> Any:
    """A metric value as ``dvc metrics diff`` shows it: numbers to 5 decimals, missing as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{round(value, 5):g}"
    return value


def metrics_diff_table(diff: dict[str, dict[str, dict[str, Any]]], base: str) -> str:
    """``dvc metrics diff --json`` output as a Markdown table whose every cell is escaped (names come from data)."""
    rows = [
        (path, metric, _shown(change.get("old")), _shown(change.get("new")), _shown(change.get("diff")))
        for path, metrics in diff.items()
        for metric, change in metrics.items()
    ]
    if not rows:
        return "No metric changed."
    return markdown_table(["Path", "Metric", escape_markdown(base), "workspace", "Change"], rows)


def metrics_diff(base: str) -> str:
    """``dvc metrics diff <base>`` as an escaped Markdown table, or a note when DVC cannot compare."""
    result = subprocess.run(["dvc", "metrics", "diff", base, "--json"], capture_output=True, text=True)
    if result.returncode != 0:
        last = result.stderr.strip().splitlines()[-1:] or ["no output"]
        return f"(dvc metrics diff {escape_markdown(base)} failed: {escape_markdown(last[0])})"
    return metrics_diff_table(json.loads(result.stdout or "{}"), base)


def review_comment(base: str, repository: str | None, sha: str | None) -> str:
    """The whole comment body for the current run against ``base``."""
    params = load_params()
    paths = params["paths"]
    revision = resolve_revision(base)
    metrics = metrics_in_workspace(paths["metrics"])
    rows = gate_rows(metrics, metrics_at(revision, paths["metrics"]), params["gates"])
    failed = [row.gate for row in rows if row.passed is False]

    def link(path: str, kind: str) -> str:
        return f"https://github.com/{quote(repository or '')}/{kind}/{quote(sha or '')}/{link_target(path)}"

    lines = [
        WATERMARK,
        "## Pipeline review",
        "",
        f"**{'Gates failed: ' + ', '.join(failed) if failed else 'All quality gates pass.'}** "
        f"Compared with {escape_markdown(revision or base)}; noise is half the 95% bootstrap interval on the test split.",
        "",
        comparison_summary(metrics.get("classifier", {})),
        "",
        format_gate_table(rows, escape_markdown(revision or base), markdown=True),
        "",
        "<details><summary>Metrics diff (dvc metrics diff)</summary>",
        "",
        metrics_diff(revision or base),
        "",
        "</details>",
        "",
    ]
    if repository and sha:
        lines += [
            " ".join(f"![{name}]({link(paths['figures'][group][name], 'raw')})" for group, name in KEY_FIGURES),
            "",
        ]
        lines.append(f"Full report: [{escape_markdown(paths['report'])}]({link(paths['report'], 'blob')}). ")
    else:
        lines.append(f"Full report: {escape_markdown(paths['report'])}. ")
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

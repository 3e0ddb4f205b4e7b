"""Sharing artefacts through a DVC remote: push from one clone, pull in another, nothing recomputed."""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import SMALL_PIPELINE
from tests.sandbox import Sandbox


def _git(cwd, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_push_then_pull_in_a_second_clone_recomputes_nothing(tmp_path, repo_root):
    remote = tmp_path / "dvc-remote"
    first = Sandbox(repo_root, tmp_path / "first")
    first.set_params(SMALL_PIPELINE)
    first.dvc("remote", "add", "-d", "shared", str(remote))
    first.dvc("repro")
    first.git("add", "-A")
    first.git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "run with a remote")
    pushed = first.dvc("push", "--run-cache")
    assert "pushed" in pushed.stdout.lower() or pushed.returncode == 0

    second_root = tmp_path / "second"
    _git(tmp_path, "clone", "-q", str(first.root), str(second_root))
    second = Sandbox.existing(second_root)
    assert "not in cache" in second.dvc("status").stdout or "deleted" in second.dvc("status").stdout
    second.dvc("pull", "--run-cache")
    assert "up to date" in second.dvc("status").stdout
    scores = second.path("scores", "scores")
    assert scores.exists() and scores.stat().st_size > 0
    rerun = second.dvc("repro")
    assert "Running stage" not in rerun.stdout, rerun.stdout

    scores.unlink()
    second.dvc("checkout")
    assert scores.exists() and "up to date" in second.dvc("status").stdout


def test_make_pull_explains_a_missing_remote(tmp_path, repo_root):
    sandbox = Sandbox(repo_root, tmp_path / "no-remote")
    for name in ("Makefile", "requirements.txt", "requirements-dev.txt", "constraints.txt", "pyproject.toml"):
        shutil.copy2(repo_root / name, sandbox.root / name)
    venv = str((repo_root / ".venv").resolve()) if (repo_root / ".venv").exists() else str(sys.prefix)
    (sandbox.root / ".venv").symlink_to(venv)
    # -o: the shared venv is not reinstalled from the sandbox (that would point its editable install here)
    make = ["make", "-s", "-o", ".venv/.installed", "pull"]
    result = subprocess.run(make, cwd=sandbox.root, env=sandbox.env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "no DVC remote configured" in result.stdout + result.stderr

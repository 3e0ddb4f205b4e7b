"""Reading committed files at a git revision (the base branch, or HEAD for the committed results)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any


def git_file(revision: str, path: str) -> str | None:
    """A file's content at a git revision, or None when the revision or the file does not exist."""
    result = subprocess.run(["git", "show", f"{revision}:{path}"], capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else None


def resolve_revision(name: str) -> str | None:
    """``name`` if git knows it, else ``origin/<name>``, else None."""
    for candidate in (name, f"origin/{name}"):
        if (
            subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"], capture_output=True
            ).returncode
            == 0
        ):
            return candidate
    return None


def metrics_at(revision: str | None, metric_paths: dict[str, str]) -> dict[str, dict[str, Any]] | None:
    """The metrics files at a git revision (None if the revision is unknown)."""
    if revision is None:
        return None
    found = {name: git_file(revision, path) for name, path in metric_paths.items()}
    return {name: json.loads(text) for name, text in found.items() if text is not None}


def metrics_in_workspace(metric_paths: dict[str, str]) -> dict[str, dict[str, Any]]:
    """The metrics files as they are in the working tree (those that exist)."""
    return {
        name: json.loads(Path(path).read_text(encoding="utf-8"))
        for name, path in metric_paths.items()
        if Path(path).exists()
    }

"""Is the committed ``dvc.lock`` fresh? DVC's own ``dvc status``, read for what matters.

Code, params, source inputs and committed (git-tracked) outputs must match the lock; outputs
that are merely absent (a fresh clone without the DVC cache) are fine, and float-output hashes
of DVC-cached files are not compared here (docs/reproducibility.md).
"""

from __future__ import annotations

from typing import Any


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
                    problems += [
                        f"stage {stage}: param {key} is {what} since dvc.lock was written"
                        for key, what in change.items()
                    ]
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

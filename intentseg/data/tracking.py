"""Is the source file a DVC dependency of prepare? Otherwise ``dvc status`` would not see it change.

DVC tracks only the paths listed under a stage's ``deps:`` (``data/raw/`` for prepare), and
DVC 3 cannot track a file outside the repository as a stage dependency. A source file that
is not covered would go stale silently; :func:`untracked_sources` finds it so that prepare can
refuse, saying exactly what to add.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from intentseg.foundation.errors import DataContractError


def _resolve(template: str, params: dict[str, Any]) -> str:
    """``${a.b}`` interpolated from params (the subset of DVC templating dvc.yaml uses)."""

    def value(match: re.Match[str]) -> str:
        node: Any = params
        for key in match.group(1).split("."):
            node = node[key]
        return str(node)

    return re.sub(r"\$\{\s*([\w.]+)\s*\}", value, template)


def stage_deps(dvc_yaml: str | os.PathLike[str], stage: str, params: dict[str, Any]) -> list[str]:
    """The dependency paths of ``stage`` in ``dvc_yaml``, interpolated."""
    from ruamel.yaml import YAML

    pipeline = YAML(typ="safe", pure=True).load(Path(dvc_yaml).read_text(encoding="utf-8"))
    return [_resolve(str(dep), params) for dep in pipeline["stages"][stage].get("deps", [])]


def _covered(path: Path, deps: list[Path]) -> bool:
    return any(path == dep or dep in path.parents for dep in deps)


def untracked_sources(
    sources: list[str], root: str | os.PathLike[str], deps: list[str], stage: str = "prepare", what: str = "data source"
) -> list[str]:
    """The input files that none of ``stage``'s ``deps`` (paths relative to ``root``) covers, each with its fix."""
    root_path = Path(root).resolve()
    dep_paths = [(root_path / dep).resolve() for dep in deps]
    problems = []
    for source in sources:
        path = (root_path / source).resolve()
        if root_path not in path.parents:
            problems.append(
                f"{what} {source!r} is outside the repository, where DVC cannot track it, so `dvc status` "
                f"would not notice when it changes: copy it under data/raw/ (or `dvc import-url` it there) "
                "and point the setting at the copy"
            )
        elif not _covered(path, dep_paths):
            relative = path.relative_to(root_path).as_posix()
            problems.append(
                f"{what} {source!r} is not a dependency of {stage}, so `dvc status` would not notice when it "
                f"changes: move it under data/raw/, or add `- {relative}` under stages.{stage}.deps in dvc.yaml"
            )
    return problems


def refuse_untracked_inputs(files: list[str], stage: str, params: dict[str, Any], what: str) -> None:
    """Under ``dvc repro`` (``DVC_STAGE`` set), refuse input files that ``stage``'s deps in dvc.yaml do not cover.

    Outside DVC (a stage run by hand, in tests or benchmarks) there is no dvc.yaml to check against.
    """
    if not files or not os.environ.get("DVC_STAGE"):
        return
    untracked = untracked_sources(files, ".", stage_deps("dvc.yaml", stage, params), stage, what)
    if untracked:
        raise DataContractError("\n".join(untracked))

"""Loading ``params.yaml``: the one place for every hyperparameter and output path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

PARAMS_FILE = "params.yaml"


def load_params(path: str | os.PathLike[str] = PARAMS_FILE) -> dict[str, Any]:
    """Read the whole parameter file."""
    with Path(path).open(encoding="utf-8") as handle:
        params = yaml.safe_load(handle)
    if not isinstance(params, dict):
        raise ValueError(f"{path} must hold a mapping of sections, got {type(params).__name__}")
    return params


def section(params: dict[str, Any], name: str) -> dict[str, Any]:
    """One section of the parameters, with a clear error when it is missing."""
    if name not in params:
        raise KeyError(f"params.yaml has no '{name}' section (sections: {', '.join(params)})")
    return params[name]


def with_absolute_paths(params: dict[str, Any], root: str | os.PathLike[str]) -> dict[str, Any]:
    """A copy of ``params`` whose ``paths:`` entries are absolute, relative to ``root``.

    Lets a stage run from another working directory against a project's files (benchmarks,
    tests of single stages) by writing this copy as that directory's params.yaml.
    """

    def absolute(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: absolute(value) for key, value in node.items()}
        return str(Path(root).resolve() / node)

    return {**params, "paths": absolute(params["paths"])}

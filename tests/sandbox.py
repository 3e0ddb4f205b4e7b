"""A throwaway copy of the project in a temporary git repository, for end-to-end runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

PROJECT_FILES = ("dvc.yaml", "plots/dvc.yaml", "params.yaml", ".dvcignore", "pyproject.toml")
PROJECT_DIRS = ("intentseg", "stages", "reference", "data/raw")


def _bytecode(folder: str, names: list[str]) -> set[str]:
    """Python bytecode is left behind; numba's cache of compiled kernels (``*.nbi``, ``*.nbc``) is copied.

    copytree keeps the sources' modification times, which numba's cache checks, so every stage process
    of a sandbox loads the kernels instead of compiling them again (about 3 s a sandbox).
    """
    if Path(folder).name == "__pycache__":
        return {name for name in names if not name.endswith((".nbi", ".nbc"))}
    return set()


class Sandbox:
    """A copy of the pipeline code in its own git + DVC repository."""

    def __init__(self, source: Path, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        for name in PROJECT_FILES:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / name, root / name)
        for name in PROJECT_DIRS:
            shutil.copytree(source / name, root / name, ignore=_bytecode)
        (root / ".dvc").mkdir()
        shutil.copy2(source / ".dvc" / "config", root / ".dvc" / "config")
        shutil.copytree(source / ".dvc" / "plots", root / ".dvc" / "plots")
        shutil.copy2(source / ".dvc" / "plots_offline.html", root / ".dvc" / "plots_offline.html")
        self.git("init", "-q")
        self.git("add", "-A")
        self.git("-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-qm", "sandbox")

    @classmethod
    def existing(cls, root: Path) -> Sandbox:
        """A sandbox object for a repository that already exists (e.g. a git clone of another sandbox)."""
        sandbox = cls.__new__(cls)
        sandbox.root = root
        return sandbox

    def copy_to(self, root: Path) -> Sandbox:
        """An independent copy (git history, DVC cache and workspace), for a test that changes things."""
        shutil.copytree(self.root, root, symlinks=True)
        return Sandbox.existing(root)

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["DVC_NO_ANALYTICS"] = "1"
        return env

    def git(self, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=self.root, check=True, capture_output=True, text=True).stdout

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "dvc", *args], cwd=self.root, env=self.env, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            raise AssertionError(f"dvc {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def promote(self) -> str:
        """``make promote``'s command: accept the current run (champion and reference); its output."""
        result = subprocess.run(
            [sys.executable, "-m", "intentseg.reference", "promote"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise AssertionError(f"promote failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)

    def params(self) -> dict[str, Any]:
        return yaml.safe_load((self.root / "params.yaml").read_text())

    def set_params(self, updates: dict[str, Any]) -> None:
        """Set dotted keys, e.g. {'data.n_customers': 3000}."""
        params = self.params()
        for dotted, value in updates.items():
            *parents, leaf = dotted.split(".")
            node = params
            for key in parents:
                node = node[key]
            node[leaf] = value
        (self.root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))

    def stage_workdir(self, directory: Path, path_overrides: dict[str, str] | None = None) -> Path:
        """A working directory whose params.yaml points at this sandbox's files (absolute paths),
        except the dotted ``paths`` keys in ``path_overrides`` (relative to ``directory``)."""
        from intentseg.config.base import with_absolute_paths

        params = with_absolute_paths(self.params(), self.root)
        for dotted, value in (path_overrides or {}).items():
            node = params["paths"]
            *parents, leaf = dotted.split(".")
            for key in parents:
                node = node[key]
            node[leaf] = str(directory / value)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        return directory

    def run_stage(self, name: str, workdir: Path, faults: bool = False) -> subprocess.CompletedProcess[str]:
        """Run one stage script from ``workdir`` with this sandbox's code (``faults``: through tests.faults)."""
        tests_root = str(Path(__file__).resolve().parents[1])  # tests.faults comes from this checkout
        env = {**self.env, "PYTHONPATH": os.pathsep.join([str(self.root), tests_root])}
        program = ["-m", "tests.faults", f"stages.{name}"] if faults else ["-m", f"stages.{name}"]
        return subprocess.run([sys.executable, *program], cwd=workdir, env=env, capture_output=True, text=True)

    def path(self, *keys: str) -> Path:
        node: Any = self.params()["paths"]
        for key in keys:
            node = node[key]
        return self.root / node

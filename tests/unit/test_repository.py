"""Repository conventions: deps cover imports, paths live in params.yaml, pins and DVC config."""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path

import yaml

PACKAGE = "intentseg"


def _module_files(name: str, root: Path) -> list[Path]:
    """The files importing ``name`` executes: each package's ``__init__.py`` on the way, and the module."""
    parts = name.split(".")
    files = [root.joinpath(*parts[:depth], "__init__.py") for depth in range(1, len(parts) + 1)]
    files.append(root.joinpath(*parts[:-1], parts[-1] + ".py"))
    return [file for file in files if file.exists()]


# The whole-file params check changes no output: every stage runs it before any work, and a stage's
# deps name only the config modules of the sections it reads (docs/architecture.md: DVC deps).
VALIDATION_ONLY = f"{PACKAGE}/config/check.py"


def _imported_modules(path: Path, root: Path) -> set[str]:
    """Project modules imported by ``path``, transitively, as repository-relative file paths.

    The params check (:data:`VALIDATION_ONLY`) and what only it imports are left out.
    """
    seen: set[str] = set()
    pending = [path]
    while pending:
        current = pending.pop()
        for node in ast.walk(ast.parse(current.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                # `from intentseg.reporting import figures` imports the module intentseg/reporting/figures.py
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.split(".")[0] not in (PACKAGE, "stages"):  # the package, and stages' shared readers
                    continue
                for module in _module_files(name, root):
                    relative = module.relative_to(root).as_posix()
                    if relative not in seen and relative != VALIDATION_ONLY:
                        seen.add(relative)
                        pending.append(module)
    return seen


def _runs_no_code(path: Path) -> bool:
    body = ast.parse(path.read_text()).body
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body)


def code_deps(script: str, root: Path) -> set[str]:
    """The code deps a stage script needs: itself, the sub-package folders it imports from, single modules
    at the package's top, and config modules one by one (so a section's edit reruns only its stages)."""
    deps = {script}
    for module in _imported_modules(root / script, root):
        if module.endswith("__init__.py") and _runs_no_code(root / module):
            continue  # a package's docstring alone: nothing an edit could change in the outputs
        parts = module.split("/")
        if parts[0] == "stages" or len(parts) == 2 or parts[1] == "config":
            deps.add(module)
        else:
            deps.add("/".join(parts[:2]))
    return deps


def _dvc_yaml(root: Path) -> dict:
    return yaml.safe_load((root / "dvc.yaml").read_text())


def test_stage_deps_list_exactly_the_code_imported(repo_root):
    for name, stage in _dvc_yaml(repo_root)["stages"].items():
        script = f"stages/{name}.py"
        assert stage["cmd"] == f"python -m stages.{name}"
        declared = {dep for dep in stage["deps"] if dep.endswith(".py") or dep.startswith(f"{PACKAGE}/")}
        expected = code_deps(script, repo_root)
        assert declared == expected, f"stage {name}: deps {sorted(declared)} != imports {sorted(expected)}"


def test_stage_deps_ignore_bytecode(repo_root):
    """Folder deps would change with every __pycache__ Python writes, unless DVC ignores it."""
    ignored = (repo_root / ".dvcignore").read_text().split()
    assert "__pycache__/" in ignored and "*.pyc" in ignored


def test_outputs_come_from_params_paths(repo_root):
    dvc = _dvc_yaml(repo_root)
    for name, stage in dvc["stages"].items():
        for key in ("outs", "metrics", "plots"):
            for entry in stage.get(key, []):
                path = entry if isinstance(entry, str) else next(iter(entry))
                assert path.startswith("${paths."), f"stage {name}: {key} entry {path} is hard-coded"
        for dep in stage["deps"]:
            assert dep.endswith(".py") or dep.startswith(("${paths.", f"{PACKAGE}/")), (
                f"stage {name}: dep {dep} is hard-coded"
            )


def test_stage_scripts_hard_code_no_paths(repo_root):
    for script in (repo_root / "stages").glob("*.py"):
        text = script.read_text()
        assert not re.search(r"['\"](data|metrics|plots|models|reports)/", text), script.name


def test_single_seed_in_params(repo_root):
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    assert isinstance(params["seed"], int)

    def nested_seed_keys(node, prefix=""):
        if isinstance(node, dict):
            for key, value in node.items():
                if prefix and ("seed" in key or "random_state" in key):
                    yield prefix + key
                yield from nested_seed_keys(value, f"{prefix}{key}.")

    assert list(nested_seed_keys(params)) == []


def _pins(path: Path) -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    lines = [line for line in lines if line]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][^\s]*", line) for line in lines), lines
    pins = dict(line.lower().split("==") for line in lines)
    # names as pip compares them (PEP 503: _ and - alike), without extras: psycopg[binary] pins psycopg
    return {re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", name)): version for name, version in pins.items()}


def test_requirements_are_pinned_exactly(repo_root):
    runtime = _pins(repo_root / "requirements.txt")
    development = _pins(repo_root / "requirements-dev.txt")
    assert {
        "dvc",
        "pandas",
        "pyarrow",
        "scikit-learn",
        "lightgbm",
        "kmodes",
        "pyyaml",
        "ruamel-yaml",
        "matplotlib",
        "pandera",
        "threadpoolctl",
        "pydantic",
        "jinja2",
    } <= set(runtime)
    assert {"pytest", "ruff"} <= set(development) and "pytest" not in runtime  # test tools are not runtime needs
    constraints = _pins(repo_root / "constraints.txt")
    assert all(constraints.get(name) == version for name, version in {**runtime, **development}.items())


def test_dvc_never_reaches_the_network(repo_root):
    config = configparser.ConfigParser()
    config.read(repo_root / ".dvc" / "config")
    assert config["core"]["analytics"] == "false"
    assert config["core"]["check_update"] == "false"


def test_metrics_plots_and_figures_are_committed_to_git_not_cache(repo_root):
    params = yaml.safe_load((repo_root / "params.yaml").read_text())
    committed = {"metrics", "plots", "figures", "report", "details", "checks"}
    for name, stage in _dvc_yaml(repo_root)["stages"].items():
        for entry in stage.get("metrics", []) + stage.get("plots", []) + stage.get("outs", []):
            path = entry if isinstance(entry, str) else next(iter(entry))
            options = entry[path] if isinstance(entry, dict) else {}
            section = path.removeprefix("${paths.").rstrip("}").split(".")[0]
            assert section in params["paths"], path
            if section in committed or name in ("metrics", "plots"):
                assert options.get("cache") is False, f"stage {name}: {path} must have cache: false"


def test_named_plots_read_files_the_stages_write(repo_root):
    """plots/dvc.yaml names files relative to its folder: ``../${paths...}`` is a path the stages write."""
    written = {
        (entry if isinstance(entry, str) else next(iter(entry)))
        for stage in _dvc_yaml(repo_root)["stages"].values()
        for entry in stage.get("outs", [])
    }
    plots = yaml.safe_load((repo_root / "plots" / "dvc.yaml").read_text())
    assert plots["vars"] == ["../params.yaml:paths,evaluate,score"] and set(plots) == {"vars", "plots"}
    assert "plots" not in _dvc_yaml(repo_root)  # one place for the plot definitions
    for plot in plots["plots"]:
        ((name, definition),) = plot.items()
        assert definition.get("x") and definition.get("title"), name
        for path in definition["y"]:
            assert path.startswith("../") and path.removeprefix("../") in written, (
                f"plot {name} reads {path}, which no stage writes"
            )


def test_params_yaml_is_in_the_style_dvc_exp_run_writes(repo_root, tmp_path):
    """`dvc exp run -S key=value` rewrites params.yaml: its diff must show only the changed value."""
    from dvc.utils.hydra import apply_overrides

    copy = tmp_path / "params.yaml"
    original = (repo_root / "params.yaml").read_text()
    copy.write_text(original)
    apply_overrides(str(copy), ["train_classifier.lightgbm.num_leaves=63"])
    changed = [
        (before, after)
        for before, after in zip(original.splitlines(), copy.read_text().splitlines())
        if before != after
    ]
    assert len(original.splitlines()) == len(copy.read_text().splitlines())
    assert changed == [("    num_leaves: 31", "    num_leaves: 63")]


def test_dvc_plots_render_offline(repo_root):
    config = configparser.ConfigParser()
    config.read(repo_root / ".dvc" / "config")
    template = repo_root / ".dvc" / config["plots"]["html_template"]
    html = template.read_text()
    assert "{plot_divs}" in html and "{scripts}" not in html  # DVC's CDN script tags go into {scripts}
    assert not re.search(r"<script[^>]+src=", html) and "vegaEmbed" in html
    assert "/dvc_plots/" in (repo_root / ".gitignore").read_text().splitlines()


def test_the_in_process_pipeline_runs_every_stage_in_dvc_yaml_order(repo_root):
    from tests.pipeline import PIPELINE

    assert [stage.__name__.rsplit(".", 1)[-1] for stage in PIPELINE] == list(_dvc_yaml(repo_root)["stages"])

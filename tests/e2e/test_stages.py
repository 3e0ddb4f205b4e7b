"""Every stage script, run in-process on tiny data in a temporary folder (no DVC): the thin CLIs and their outputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from intentseg.config.base import with_absolute_paths
from stages import report
from tests.conftest import default_params
from tests.pipeline import TINY, run_all_stages


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, repo_root) -> tuple[Path, dict]:
    """All stages, in order, on 3,000 simulated customers; returns the folder and its params."""
    folder = tmp_path_factory.mktemp("stages")
    params = with_absolute_paths(default_params(repo_root), folder)
    for section, values in TINY.items():
        params[section] = {**params[section], **values}
    run_all_stages(folder, params)
    return folder, params


def test_every_declared_output_is_written(tiny_run):
    folder, params = tiny_run
    missing = []
    sql_only = {params["paths"]["snapshot"][name] for name in ("labelled", "population", "campaign_history")}

    def walk(node):
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif (
            isinstance(node, str)
            and Path(node).suffix
            and "logs" not in node
            and "reference" not in node
            and node not in sql_only
            and not Path(node).exists()
        ):
            missing.append(node)

    walk(params["paths"])
    assert missing == []


def test_stage_outputs_fit_together(tiny_run):
    _, params = tiny_run
    paths = params["paths"]
    read = lambda path: json.loads(Path(path).read_text())  # noqa: E731
    assert read(paths["metrics"]["data"])["rows"] == 3000
    assert sum(part["rows"] for part in read(paths["metrics"]["split"]).values()) == 3000
    classifier = read(paths["metrics"]["classifier"])
    low, high = classifier["test"]["roc_auc_ci"]
    assert 0.6 < low <= classifier["test"]["roc_auc"] <= high
    assert read(paths["metrics"]["segmenter"])["k"] == params["train_segmenter"]["presets"]["simulator"]["k"]
    assert read(paths["metrics"]["score"])["rows_scored"] == 2500
    assert len(pd.read_parquet(paths["scores"]["scores"])) == 2500
    checks = read(paths["checks"]["predictions"])
    assert len(checks["ids"]) == 50 == len(checks["segment_id"])
    curve = read(paths["plots"]["classifier"]["learning_curve"])
    assert curve[0]["round"] == 1 and sum(row["best"] for row in curve) == 1


def test_the_report_reads_its_bars_from_params(tiny_run):
    _, params = tiny_run
    text = Path(params["paths"]["report"]).read_text()
    assert f"{params['gates']['min_silhouette']:.2f} is the bar" in text
    assert "No reference run is stored yet" in text
    for link in ("figures/classifier_gains.png", "figures/segments_profile.png"):
        assert link in text


def test_figures_are_png(tiny_run):
    _, params = tiny_run
    for group in params["paths"]["figures"].values():
        for path in group.values():
            assert Path(path).read_bytes()[:4] == b"\x89PNG", path


def _score_in(folder: Path, params: dict, out: Path, env: dict[str, str] | None = None):
    """Run the score stage as a program with its data outputs under ``out``."""
    import subprocess
    import sys

    scores = {
        "scores": str(out / "scores.parquet"),
        "audience": str(out / "audience.csv"),
        "audience_parquet": str(out / "audience.parquet"),
        "audience_by_segment": str(out / "audience_by_segment"),
        "rejects": str(out / "rejects.parquet"),
    }
    own = {**params, "paths": {**params["paths"], "scores": scores}}
    workdir = out / "run"
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "params.yaml").write_text(yaml.safe_dump(own, sort_keys=False))
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "tests.faults", "stages.score"],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize("killed_at", ["scores.parquet", ".scores.parquet.pass1", ".rejects.parquet.pass1"])
def test_killed_score_stage_leaves_nothing_half_done(tiny_run, tmp_path, killed_at):
    from tests.faults import KILL_BEFORE_RENAME

    folder, params = tiny_run
    out = tmp_path / "scores"
    killed = _score_in(folder, params, out, {KILL_BEFORE_RENAME: killed_at})
    assert killed.returncode == -9
    outputs = ("scores.parquet", "audience.csv", "audience.parquet", "audience_by_segment", "rejects.parquet")
    finished = [name for name in outputs if (out / name).exists()]
    assert finished == []  # killed before the first rename: nothing of the run looks complete
    again = _score_in(folder, params, out)
    assert again.returncode == 0, again.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no temporaries left behind
    assert len(pd.read_parquet(out / "scores.parquet")) > 0


def test_a_full_disk_ends_in_one_message_and_keeps_outputs(tiny_run, tmp_path):
    from tests.faults import DISK_FULL_AT

    folder, params = tiny_run
    out = tmp_path / "scores"
    assert _score_in(folder, params, out).returncode == 0
    before = {name: (out / name).read_bytes() for name in ("scores.parquet", "audience.csv", "rejects.parquet")}
    full = _score_in(folder, params, out, {DISK_FULL_AT: "audience.csv"})
    assert full.returncode == 2 and "Traceback" not in full.stderr
    assert "error: the disk is full while writing" in full.stderr and "previous outputs are intact" in full.stderr
    assert {name: (out / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    "columns",
    [["visits_30d", "basket_value", "days_inactive"], ["plan", "store_id", "has_app_text"]],
    ids=["only numeric", "only categorical"],
)
def test_tables_with_one_kind_of_feature_train_and_score(tiny_run, tmp_path, repo_root, columns):
    from intentseg.data.example_table import make_example_table

    table = make_example_table(3000, seed=8)
    table["has_app_text"] = table["has_app"].map({"TRUE": "app", "FALSE": "web"})
    table[["member_no", *columns, "converted"]].to_csv(tmp_path / "table.csv", index=False)
    _, tiny = tiny_run
    params = with_absolute_paths(default_params(repo_root), tmp_path)
    for section in ("score", "train_classifier", "train_segmenter", "evaluate"):
        params[section] = tiny[section]
    categorical = ["store_id"] if "store_id" in columns else None
    params["data"] = {
        **params["data"],
        "source": str(tmp_path / "table.csv"),
        "id_column": "member_no",
        "target": "converted",
        "categorical": categorical,
    }
    (tmp_path / "reference").mkdir(exist_ok=True)
    run_all_stages(tmp_path, params)
    scores = pd.read_parquet(params["paths"]["scores"]["scores"])
    assert len(scores) == 3000 and scores["purchase_probability"].between(0, 1).all()
    assert scores["segment_id"].notna().all() and scores.loc[scores["in_audience"], "reason_1"].notna().all()


def chromium_console(page: Path, screenshot: Path) -> list[str]:
    """Open ``page`` in headless Chromium with the network cut off; write a screenshot; return console lines."""
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    result = subprocess.run(
        [
            browser,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND",  # a page that needs the network shows it
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--window-size=1280,6000",
            f"--screenshot={screenshot}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


def test_the_html_report_renders_in_chromium_without_console_errors(tiny_run, tmp_path):
    import re

    folder, params = tiny_run
    page = Path(params["paths"]["report_html"])
    text = page.read_text()
    assert "<h1>" in text and text.count('<img src="data:image/png;base64,') == 11  # every figure, embedded
    assert not re.search(r'src="(?!data:)|<link ', text)  # nothing to load: no image, script or style from elsewhere
    screenshot = folder / "reports" / "report_screenshot.png"
    console = chromium_console(page, screenshot)
    assert console == [], console
    assert screenshot.read_bytes()[:4] == b"\x89PNG" and screenshot.stat().st_size > 50_000  # a rendered page
    broken = tmp_path / "broken.html"
    broken.write_text('<!DOCTYPE html><html><body><script>console.error("boom")</script></body></html>')
    assert any('"boom"' in line for line in chromium_console(broken, tmp_path / "broken.png"))  # the check can fail


def test_the_report_reads_the_last_campaigns_result(tiny_run, tmp_path):
    from intentseg.data.campaign_simulator import simulate_campaign

    folder, params = tiny_run
    export = pd.read_csv(params["paths"]["scores"]["audience"], dtype={"customer_id": str})
    assert export["purchase_probability"].is_monotonic_decreasing and set(export["group"]) == {"target", "control"}
    contacted = (export["group"] == "target").to_numpy()
    result = simulate_campaign(export["customer_id"], export["purchase_probability"], contacted, 0.1, seed=4)
    result["contacted"] = np.where(result["contacted"] == 1, "yes", "no")  # as a campaign tool may write it
    result.to_csv(tmp_path / "campaign.csv", index=False)
    own = {**params, "campaign": {"result": str(tmp_path / "campaign.csv"), "confidence": 0.95}}
    own["paths"] = {**params["paths"], "report": str(tmp_path / "report.md"), "report_html": str(tmp_path / "r.html")}
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "params.yaml").write_text(yaml.safe_dump(own, sort_keys=False))
    previous = Path.cwd()
    os.chdir(workdir)
    try:
        report.main()
    finally:
        os.chdir(previous)
    text = (tmp_path / "report.md").read_text()
    assert "## The last campaign: measured effect" in text and "| control (not contacted) |" in text
    assert "Lift: **" in text and "95% interval" in text and "conversions added by contacting" in text


def test_the_report_states_the_contact_plan_and_embeds_every_figure(tiny_run):
    _, params = tiny_run
    text = Path(params["paths"]["report"]).read_text()
    assert "### The contact plan" in text and "in group `control`" in text
    assert "The first customers of the list, and what drives their purchase probability:" in text
    assert ": raises the chance" in text  # reasons in the words of the feature dictionary
    assert "## Quality bars" in text and "95% interval" in text
    low, high = json.loads(Path(params["paths"]["metrics"]["classifier"]).read_text())["test"]["roc_auc_ci"]
    assert f"| test ROC-AUC | >= {params['gates']['min_roc_auc']:g} |" in text and f"{low:.3f} to {high:.3f}" in text
    figures = [path for group in params["paths"]["figures"].values() for path in group.values()]
    assert len(figures) == 11 and all(f"figures/{Path(path).name})" in text for path in figures)


def test_a_history_of_snapshots_is_split_out_of_time_and_scores_the_newest(tiny_run, tmp_path, repo_root):
    """Bring your own history: a labelled file with a snapshot column and several months, one file."""
    from tests.unit.test_time_split import _monthly_file

    months = ["2026-07", "2026-08", "2026-09", "2026-10"]
    _monthly_file(months, rows=1500).to_csv(tmp_path / "history.csv", index=False)
    _, tiny = tiny_run
    params = with_absolute_paths(default_params(repo_root), tmp_path)
    for section in ("score", "train_classifier", "train_segmenter", "evaluate"):
        params[section] = tiny[section]
    params["data"] |= {
        "source": str(tmp_path / "history.csv"),
        "id_column": "member_no",
        "target": "converted",
        "categorical": ["store_id"],
        "snapshot_column": "snapshot",
    }
    params["split"]["train_snapshots"] = 2
    (tmp_path / "reference").mkdir(exist_ok=True)
    run_all_stages(tmp_path, params)
    split = json.loads(Path(params["paths"]["metrics"]["split"]).read_text())
    assert split == {
        "train": {"rows": 3000, "snapshots": ["2026-07-01", "2026-08-01"]},
        "valid": {"rows": 1500, "snapshots": ["2026-09-01"]},
        "test": {"rows": 1500, "snapshots": ["2026-10-01"]},
    }
    test = pd.read_parquet(params["paths"]["split"]["test"])
    assert "snapshot" not in test.columns and test["member_no"].is_unique
    model = json.loads(Path(params["paths"]["models"]["classifier_metadata"]).read_text())
    assert "snapshot" not in json.dumps(model["features"])  # never a feature
    scores = pd.read_parquet(params["paths"]["scores"]["scores"])
    assert len(scores) == 1500 and scores["member_no"].is_unique  # today's population: the newest snapshot
    assert "Purchase intent and customer segments: 2026-10-01" in Path(params["paths"]["report"]).read_text()

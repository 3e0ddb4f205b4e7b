"""The whole pipeline on a generated real-world-shaped table with another schema: params only.

Also: prepare refuses bad tables without writing anything, and a stage killed mid-write
leaves nothing that looks complete and reruns cleanly.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from intentseg.data.example_table import EXAMPLE_PARAMS, make_example_table
from tests.faults import KILL_BEFORE_RENAME
from tests.sandbox import Sandbox
from tests.unit.test_hostile_text import assert_safe_page


@pytest.fixture(scope="module")
def own_table(tmp_path_factory, repo_root) -> Sandbox:
    sandbox = Sandbox(repo_root, tmp_path_factory.mktemp("byo"))
    (sandbox.root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    shutil.rmtree(sandbox.root / "reference")  # a new table starts without a reference run
    (sandbox.root / "reference").mkdir()
    (sandbox.root / "reference" / "README.md").write_text("no reference yet\n")
    make_example_table(5000, seed=3).to_csv(sandbox.root / "data/raw/example.csv", index=False)
    sandbox.set_params({**EXAMPLE_PARAMS, "score.chunk_rows": 2000})
    sandbox.dvc("repro")
    return sandbox


def test_pipeline_runs_on_another_schema(own_table):
    data = json.loads(own_table.path("details", "data").read_text())
    assert data["rows"] == 5000 and data["columns"]["categorical"] == ["store_id", "plan", "city"]
    assert data["inferred"]["dropped_constant"] == ["country"] and "simulator" not in data
    assert "oracle_roc_auc" not in json.loads(own_table.path("metrics", "data").read_text())
    classifier = json.loads(own_table.path("metrics", "classifier").read_text())
    assert classifier["test"]["roc_auc"] > 0.65 and "gap_to_oracle" not in classifier
    assert "oracle" not in json.loads(own_table.path("details", "classifier").read_text())
    segments = json.loads(own_table.path("metrics", "segmenter").read_text())
    assert 4 <= segments["k"] <= 8 and "archetype_ari" not in segments
    setup = json.loads(own_table.path("details", "segmenter_train").read_text())["setup"]
    assert setup["origin"]["features"] == "automatic" and setup["origin"]["k"] == "automatic"
    assert [row["k"] for row in setup["k_selection"]] == list(range(4, 9))
    assert setup["feature_choice"]["store_id"].startswith("skipped: integer-coded levels")  # a code is no word
    names = list(segments["names"].values())
    assert not any("_" in name or "high has" in name.lower() for name in names), names  # plain words
    reasons = pd.read_parquet(own_table.path("scores", "scores"))["reason_1"].dropna()
    assert not reasons.str.contains("visits_30d|days_inactive|has_app").any()  # words, not column names
    scores = pd.read_parquet(own_table.path("scores", "scores"))
    summary = json.loads(own_table.path("metrics", "score").read_text())
    assert len(scores) == summary["rows_scored"] == 5000 and summary["rows_rejected"] == 0
    assert scores["member_no"].str.startswith("M").all()
    assert scores.loc[scores["in_audience"], "reason_1"].notna().all()
    report = own_table.path("report").read_text()
    assert "No reference run is stored yet" in report and "ROC-AUC" in report
    assert_safe_page(own_table.path("report_html").read_text(encoding="utf-8"))


def test_changing_the_raw_file_reruns_prepare(own_table):
    assert "up to date" in own_table.dvc("status").stdout
    make_example_table(5000, seed=4).to_csv(own_table.root / "data/raw/example.csv", index=False)
    assert "changed" in own_table.dvc("status").stdout
    make_example_table(5000, seed=3).to_csv(own_table.root / "data/raw/example.csv", index=False)
    assert "up to date" in own_table.dvc("status").stdout


@pytest.mark.parametrize(
    "case,mutate,expected",
    [
        ("duplicate ids", lambda t: t.assign(member_no="M0000001"), "field_uniqueness"),
        ("single class", lambda t: t.assign(converted=1), "two_classes"),
        ("missing target", lambda t: t.drop(columns=["converted"]), "column 'converted'"),
        ("header only", lambda t: t.iloc[:0], "has a header (11 columns) but no rows"),
    ],
)
def test_prepare_refuses_bad_tables_and_writes_nothing(own_table, tmp_path, case, mutate, expected):
    mutate(make_example_table(2000, seed=5)).to_csv(tmp_path / "bad.csv", index=False)
    workdir = own_table.stage_workdir(
        tmp_path / "run",
        {
            "prepared.customers": "out/customers.parquet",
            "prepared.population": "out/population.parquet",
            "prepared.ground_truth": "out/ground_truth.parquet",
            "prepared.spec": "out/spec.json",
            "metrics.data": "out/data.json",
        },
    )
    params = (
        (workdir / "params.yaml").read_text().replace("source: data/raw/example.csv", f"source: {tmp_path / 'bad.csv'}")
    )
    (workdir / "params.yaml").write_text(params)
    result = own_table.run_stage("prepare", workdir)
    assert result.returncode != 0 and expected in result.stderr, (case, result.stderr[-2000:])
    assert not (workdir / "out").exists() or list((workdir / "out").iterdir()) == []


def test_stage_killed_mid_write_leaves_nothing_complete_and_reruns(own_table, tmp_path, monkeypatch):
    outputs = {
        "prepared.customers": "out/customers.parquet",
        "prepared.population": "out/population.parquet",
        "prepared.ground_truth": "out/ground_truth.parquet",
        "prepared.spec": "out/spec.json",
        "metrics.data": "out/data.json",
    }
    workdir = own_table.stage_workdir(tmp_path, outputs)
    params = (
        (workdir / "params.yaml")
        .read_text()
        .replace("source: data/raw/example.csv", f"source: {own_table.root / 'data/raw/example.csv'}")
    )
    (workdir / "params.yaml").write_text(params)
    with monkeypatch.context() as patch:
        patch.setenv(KILL_BEFORE_RENAME, "population.parquet")  # SIGKILL just before that file's rename
        killed = own_table.run_stage("prepare", workdir, faults=True)
    assert killed.returncode == -9
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "population.parquet" not in names and "data.json" not in names
    assert all(name.startswith(".") for name in names if name not in ("customers.parquet",))
    again = own_table.run_stage("prepare", workdir)
    assert again.returncode == 0, again.stderr
    assert len(pd.read_parquet(tmp_path / "out/population.parquet")) == 5000
    assert json.loads((tmp_path / "out/data.json").read_text())["rows"] == 5000


def make_spreadsheet_export(n_rows: int, seed: int) -> pd.DataFrame:
    """A table as a European spreadsheet exports it: no id, yes/no label, dd-mm-yyyy dates, coded store with blanks."""
    import numpy as np

    rng = np.random.default_rng(seed)
    visits = rng.negative_binomial(2, 0.25, n_rows)
    joined = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 600, n_rows), unit="D")
    store = rng.integers(1, 6, n_rows).astype(str)
    store[rng.random(n_rows) < 0.05] = ""
    plan = rng.choice(["basis", "plus", "prémium"], n_rows, p=[0.6, 0.3, 0.1])
    spend = np.round(np.exp(rng.normal(3.5, 0.6, n_rows)), 2)
    logit = -2.2 + 0.15 * visits + 0.9 * (plan == "prémium") + 0.3 * (store == "3") + rng.normal(0, 0.4, n_rows)
    bought = rng.random(n_rows) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "Visits (30 d)": visits,
            "Spend [EUR]": [f"{value:.2f}".replace(".", ",") for value in spend],
            "Joined": joined.strftime("%d-%m-%Y"),
            "Store": store,
            "Plan": plan,
            "Bought?": np.where(bought, "yes", "no"),
        }
    )


def test_a_spreadsheet_export_runs_with_params_naming_only_source_and_target(tmp_path_factory, repo_root):
    sandbox = Sandbox(repo_root, tmp_path_factory.mktemp("export"))
    (sandbox.root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    shutil.rmtree(sandbox.root / "reference")
    (sandbox.root / "reference").mkdir()
    (sandbox.root / "reference" / "README.md").write_text("no reference yet\n")
    export = make_spreadsheet_export(4000, seed=11)
    export.to_csv(sandbox.root / "data/raw/export.csv", sep=";", index=False, encoding="cp1252")
    sandbox.set_params({"data.source": "data/raw/export.csv", "data.target": "Bought?", "data.id_column": None})
    result = sandbox.dvc("repro", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    data = json.loads(sandbox.path("details", "data").read_text())
    assert data["inferred"]["read"] == "read as CSV with delimiter ';' and encoding cp1252"
    assert data["inferred"]["target_mapping"]["positive"] == "yes" and data["inferred"]["generated_id"] == "row_id"
    assert data["inferred"]["dates"]["Joined"]["format"] == "%d-%m-%Y"
    assert json.loads(sandbox.path("metrics", "data").read_text())["positive_label"] == "yes"
    scores = pd.read_parquet(sandbox.path("scores", "scores"))
    summary = json.loads(sandbox.path("metrics", "score").read_text())
    assert summary["rows_in"] == 4000 and summary["rows_rejected"] == 0 and len(scores) == 4000
    assert scores["row_id"].tolist() == [str(i) for i in range(1, 4001)]
    reasons = " ".join(scores["reason_1"].dropna().head(500))
    # the file's column names, in words: "Visits (30 d)" reads "3 visits in the last 30 days"
    assert "visits in the last 30 days" in reasons or "spend EUR" in reasons or "plan: " in reasons
    classifier = json.loads(sandbox.path("metrics", "classifier").read_text())
    assert classifier["test"]["roc_auc"] > 0.65
    report = sandbox.path("report").read_text()
    assert "have Bought? = yes" in report and "within 30 days" not in report  # the table's target, not ShopSphere's
    assert "labelled customers scored" in report and "Not applicable" in report
    assert "up to date" in sandbox.dvc("status").stdout
    export.iloc[:10].to_csv(sandbox.root / "data/raw/export.csv", sep=";", index=False, encoding="cp1252")
    assert "changed" in sandbox.dvc("status").stdout
    (sandbox.root / "exports").mkdir()
    export.to_csv(sandbox.root / "exports/export.csv", sep=";", index=False, encoding="cp1252")
    sandbox.set_params({"data.source": "exports/export.csv"})
    refused = sandbox.dvc("repro", check=False)
    assert refused.returncode != 0
    assert "add `- exports/export.csv` under stages.prepare.deps" in refused.stdout + refused.stderr

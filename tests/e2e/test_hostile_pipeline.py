"""Hostile text through all seven stages: names, levels, ids and reason words from data stay text in every output."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from markdown_it import MarkdownIt

from intentseg.config.base import with_absolute_paths
from intentseg.data.column_words import words_of
from intentseg.foundation.runlog import OneLineFormatter
from tests.conftest import default_params
from tests.unit.test_hostile_text import HOSTILE, assert_no_markup_from_data, assert_safe_page, csv_rows, parsed, shown


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, repo_root):
    """Every stage on 3,000 customers whose names, levels, ids and dictionary labels are hostile."""
    from intentseg.data.example_table import make_example_table
    from tests.pipeline import TINY, run_all_stages

    folder = tmp_path_factory.mktemp("hostile")
    table = make_example_table(3000, seed=8)
    levels = {"free": HOSTILE["handler"], "plus": HOSTILE["markdown"], "pro": HOSTILE["formula"]}
    table["plan"] = table["plan"].map(levels)
    prefixes = ["=1+", "@SUM(A", "-", "+", "M"]
    table["member_no"] = [f"{prefixes[i % 5]}{i}" for i in range(len(table))]
    visits, days = HOSTILE["tag"] + " visits", HOSTILE["rtl"] + " days"
    table = table.rename(columns={"visits_30d": visits, "basket_value": HOSTILE["newlines"], "days_inactive": days})
    table.to_csv(folder / "table.csv", index=False)
    params = with_absolute_paths(default_params(repo_root), folder)
    for section, values in TINY.items():
        params[section] = {**params[section], **values}
    params["data"] = {
        **params["data"],
        "source": str(folder / "table.csv"),
        "id_column": "member_no",
        "target": "converted",
        "categorical": ["store_id"],
        "exclude": ["signup_date"],
    }
    params["reason_words"] = {"labels": {days: "{value:.0f} " + HOSTILE["markdown"], "plan": "plan " + "{value}"}}
    params["score"] = {**params["score"], "export": {"per_segment": True}}
    (folder / "reference").mkdir()
    run_all_stages(folder, params)
    return folder, params


def test_the_html_report_shows_hostile_text_as_text(hostile_run):
    _, params = hostile_run
    page = Path(params["paths"]["report_html"]).read_text(encoding="utf-8")
    assert_safe_page(page)
    text = "".join(parsed(page).text)
    for name in ("handler", "markdown"):  # a category level, a dictionary label: as written
        assert shown(HOSTILE[name]) in text, name
    column = words_of(HOSTILE["tag"] + " visits")  # a column name: in words, markup and all
    assert "<script>" in column and column in text


def test_the_markdown_report_renders_as_written_even_with_raw_html_on(hostile_run):
    _, params = hostile_run
    source = Path(params["paths"]["report"]).read_text(encoding="utf-8")
    assert HOSTILE["tag"] not in source and HOSTILE["handler"] not in source  # never raw
    page = MarkdownIt("commonmark", {"html": True}).enable("table").render(source)
    assert_no_markup_from_data(page)
    assert [tag for tag, _ in parsed(page).tags if tag == "a"] == ["a"]  # the project's one link, to docs/
    headings = [line for line in source.splitlines() if line.startswith("#")]
    assert all(line.startswith(("# Purchase", "## ", "### ")) for line in headings), headings
    for line in source.splitlines():  # every table row has the cells of its header
        if line.startswith("|"):
            assert not re.search(r"(?<!\\)\|", line.strip()[1:-1]) or line.count("|") - line.count("\\|") >= 3


def test_the_exports_are_safe_in_a_spreadsheet_and_exact_in_parquet(hostile_run):
    _, params = hostile_run
    out = params["paths"]["scores"]
    files = [Path(out["audience"]), *sorted(Path(out["audience_by_segment"]).glob("*.csv"))]
    assert len(files) >= 2
    parquet = pd.read_parquet(out["audience_parquet"])
    for file in files:
        for row in csv_rows(file):
            for cell in row:
                risky = cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not re.fullmatch(r"[+-]?[\d.]+", cell)
                assert not risky, (file.name, cell)
    header, *rows = csv_rows(files[0])
    ids = [row[header.index("member_no")].removeprefix("'") for row in rows]
    assert ids == parquet["member_no"].tolist()  # an apostrophe only; the Parquet twin keeps the true id
    assert any(value.startswith("=1+") for value in parquet["member_no"])
    details = yaml.safe_load(Path(params["paths"]["details"]["score"]).read_text())
    assert details["spreadsheet_protected_cells"]["member_no"] > 0


def test_the_report_still_reads_well(hostile_run):
    _, params = hostile_run
    source = Path(params["paths"]["report"]).read_text(encoding="utf-8")
    assert "## 4. Customer segments" in source and "### The contact plan" in source
    assert len(source.splitlines()) < 250 and max(len(line) for line in source.splitlines()) < 5000
    assert "raises the chance" in source  # the reasons are there, in the dictionary's words


def test_stage_logs_keep_one_line_per_message(hostile_run, caplog):
    from stages import score

    folder, _ = hostile_run
    previous = Path.cwd()
    os.chdir(folder)
    try:
        with caplog.at_level(logging.INFO):
            score.main()
    finally:
        os.chdir(previous)
    formatter = OneLineFormatter("%(message)s")
    for record in caplog.records:
        assert "\n" not in formatter.format(record) and "\x1b" not in formatter.format(record)

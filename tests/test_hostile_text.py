"""Hostile text never becomes code: strings from web forms and other people's spreadsheets, in a column name,
a category level, an id and a feature-dictionary label, through every stage on a small table.

Asserts on the parsed HTML (the text nodes carry the strings; no element or attribute came from data),
on the Markdown source (rendered even with raw HTML on), on the CSV cells as a spreadsheet reads them,
and on the log lines.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml
from markdown_it import MarkdownIt

from intentseg.config.base import with_absolute_paths
from intentseg.data.column_words import words_of
from intentseg.io import spreadsheet_safe, write_csv
from intentseg.reporting.markdown import escape_markdown, markdown_table
from intentseg.reporting.review import metrics_diff_table
from intentseg.runlog import OneLineFormatter, printable
from tests.conftest import default_params

HOSTILE = {
    "tag": "<script>alert(1)</script>",
    "handler": '<img src=x onerror="alert(2)">',
    "markdown": "a|b [link](javascript:alert(3)) ![i](http://x/y.png) `code` *em* _u_ # head ~~s~~ $x$ @team",
    "line_start": "- item",
    "ordered": "1. first",
    "newlines": "line\nbreak\r\nforged INFO stage.score: done",
    "formula": '=HYPERLINK("http://evil.example","click")',
    "rtl": "\u202egnp.exe",
    "long": "L" * 300,
    "astral": "\U0001f600\U0001d518 shop",
    "entity": "&lt;b&gt; &amp;",
}
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "ul", "li", "strong", "em",
    "table", "thead", "tbody", "tr", "th", "td", "img", "code", "a", "br", "hr",
}  # fmt: skip


def shown(text: str) -> str:
    """How a hostile string should read on the page: the same text, on one line."""
    return re.sub(r"\r\n|[\r\n\t]", " ", text)


class PageParser(HTMLParser):
    """Every element, attribute and text node of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)


def csv_rows(path: Path) -> list[list[str]]:
    """The cells of a CSV file as a spreadsheet reads them (line breaks inside quoted cells kept)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def parsed(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    return parser


def assert_no_markup_from_data(page: str) -> None:
    parser = parsed(page)
    assert {tag for tag, _ in parser.tags} <= ALLOWED_TAGS, {tag for tag, _ in parser.tags} - ALLOWED_TAGS
    for tag, attributes in parser.tags:
        for name, value in attributes:
            assert not name.startswith("on"), (tag, name, value)
            if name == "src":
                assert value.startswith("data:image/png;base64,") or not value.startswith(("javascript", "http"))
            if name == "href":
                assert not (value or "").lower().startswith(("javascript", "data", "http")), value


def assert_safe_page(page: str) -> None:
    """A report page: no script, no event handler, nothing that loads, and the no-script CSP present."""
    assert_no_markup_from_data(page)
    assert "<script" not in page.lower() and not re.search(r"<[^>]*\son\w+\s*=", page)  # not in any tag
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert policy and "default-src 'none'" in policy.group(1) and "script-src" not in policy.group(1)


# ---------------------------------------------------------------- one output at a time


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_markdown_escaping_renders_the_text_as_written(name):
    text = HOSTILE[name]
    for html_on in (False, True):  # even a renderer that passes raw HTML shows the text
        page = MarkdownIt("commonmark", {"html": html_on}).enable("table").render(f"Name: {escape_markdown(text)}")
        parser = parsed(page)
        assert [tag for tag, _ in parser.tags] == ["p"], page
        assert "".join(parser.text).strip() == f"Name: {shown(text)}".strip() + ("\u202c" if name == "rtl" else "")


def test_escaped_text_cannot_break_a_table_cell():
    table = markdown_table(["column", "value"], [[HOSTILE["markdown"], 1], [HOSTILE["newlines"], 2]])
    page = MarkdownIt("commonmark").enable("table").render(table)
    cells = [data for data in parsed(page).text if data.strip()]
    assert cells == ["column", "value", shown(HOSTILE["markdown"]), "1", shown(HOSTILE["newlines"]), "2"]


def test_the_review_metrics_diff_escapes_names_from_data():
    diff = {"metrics/segmenter.json": {"names.1": {"old": "Typical", "new": HOSTILE["tag"] + " | x"}}}
    text = metrics_diff_table(diff, "main")
    page = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    assert "<script>" not in page and text.count("\n") == 2  # header, rule, one row
    assert parsed(page).text.count(HOSTILE["tag"] + " | x") == 1


def test_spreadsheet_cells_never_start_a_formula_and_numbers_stay_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "=id": ["=1+2", "+33 6", "-5", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "plain", "\uff1dFULL", None],
            "amount": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        }
    )
    changed = write_csv(frame, tmp_path / "out.csv")
    rows = csv_rows(tmp_path / "out.csv")
    assert rows[0] == ["'=id", "amount"]
    cells = [row[0] for row in rows[1:]]
    for cell, original in zip(cells, frame["=id"]):
        if not isinstance(original, str):
            assert cell == ""
            continue
        assert not cell.startswith(("=", "+", "@", "\t", "\r", "\uff1d")) and not re.match(r"-(?![\d.]+$)", cell)
        assert cell.removeprefix("'") == original  # one apostrophe, nothing else changed
    assert cells[2] == "-5"  # a number written as text is left as it is
    assert [row[1] for row in rows[1:3]] == ["-1.500000", "2.000000"]  # numbers stay numbers
    assert changed == {"=id": 7, "<header>": 1}
    safe, counts = spreadsheet_safe(pd.DataFrame({"x": ["a", "b"]}))
    assert counts == {} and safe["x"].tolist() == ["a", "b"]


def test_log_lines_cannot_be_forged(caplog):
    record = logging.LogRecord(
        "stage.score", logging.INFO, __file__, 1, "column %s dropped", (HOSTILE["newlines"],), None
    )
    line = OneLineFormatter("%(levelname)s %(message)s").format(record)
    assert "\n" not in line and "\r" not in line and line.endswith("forged INFO stage.score: done dropped")
    assert printable("\x1b[31mred\u202e") == "\\x1b[31mred\\u202e"
    assert printable("two\nlines", keep_newlines=True) == "two\nlines"


# ---------------------------------------------------------------- the whole pipeline


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, repo_root):
    """Every stage on 3,000 customers whose names, levels, ids and dictionary labels are hostile."""
    from intentseg.data.example_table import make_example_table
    from tests.test_stages import TINY, _run_all_stages

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
    params["paths"]["reference"] = {
        "dir": str(folder / "reference"),
        "segmenter": str(folder / "reference/segmenter.json"),
        "metrics": str(folder / "reference/metrics"),
    }
    _run_all_stages(folder, params)
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

"""Hostile text never becomes code: strings from web forms and other people's spreadsheets, in a column name,
a category level, an id and a feature-dictionary label, through every stage on a small table.

Asserts on the parsed HTML (the text nodes carry the strings; no element or attribute came from data),
on the Markdown source (rendered even with raw HTML on), on the CSV cells as a spreadsheet reads them,
and on the log lines.
"""

from __future__ import annotations

import csv
import logging
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from intentseg.foundation.csv_for_people import spreadsheet_safe
from intentseg.foundation.io import write_csv
from intentseg.foundation.runlog import OneLineFormatter, printable
from intentseg.reporting.markdown import escape_markdown, markdown_table
from intentseg.reporting.review import metrics_diff_table

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
    levels = pd.Categorical(["=x", "ok", "=x", "-5", None], categories=["ok", "=x", "-5", "@unused"])
    safe, counts = spreadsheet_safe(pd.DataFrame({"level": levels}))  # categories first, then the rows
    assert counts == {"level": 2} and safe["level"].tolist()[:4] == ["'=x", "ok", "'=x", "-5"]
    assert spreadsheet_safe(pd.DataFrame({"level": levels[[1, 3]]}))[1] == {}  # a risky category nobody has


def _pandas_csv(frame: pd.DataFrame) -> bytes:
    """What the CSV for people was before it wrote rows itself: the safe frame through pandas' ``to_csv``."""
    from intentseg.foundation.csv_for_people import six_decimals

    safe, _ = spreadsheet_safe(frame)
    for position in range(safe.shape[1]):
        if pd.api.types.is_float_dtype(safe.iloc[:, position]):
            safe.isetitem(position, six_decimals(safe.iloc[:, position]))
    return safe.to_csv(index=False, encoding="utf-8", lineterminator="\r\n").encode("utf-8")


@pytest.mark.parametrize("batch_rows", [100_000, 3])
def test_csv_rows_written_by_arrow_are_the_bytes_pandas_writes(tmp_path, monkeypatch, batch_rows):
    """Text and integer columns are written by Arrow's string kernels, with the csv module's minimal quoting;
    any other column, or one column alone, by pandas; batch by batch (one batch, or several where some go
    one way and some the other). Either way the bytes are pandas' bytes."""
    from intentseg.foundation import csv_for_people
    from intentseg.foundation.csv_for_people import _csv_lines

    monkeypatch.setattr(csv_for_people, "BATCH_ROWS", batch_rows)

    text = [*HOSTILE.values(), 'say "hi", twice', "a,b", "cr\ronly", "lf\nonly", "", None, "\u2028line sep", "plain"]
    rows = len(text)
    frame = pd.DataFrame(
        {
            "object": pd.Series(text, dtype=object),
            "arrow text": pd.Series(text, dtype="string[pyarrow]"),
            "python text": pd.Series(text[::-1], dtype="string[python]"),
            "category": pd.Categorical(["x, y", 'q"uote', None, "plain"] * (rows // 4) + ["plain"] * (rows % 4)),
            "small": pd.Series(range(rows), dtype="int8") - 3,
            "nullable": pd.array([None, *range(rows - 1)], dtype="Int64"),
            "float": [0.5, None, *range(rows - 2)],
        }
    )
    assert _csv_lines(spreadsheet_safe(frame.drop(columns="float"))[0]) is not None  # the Arrow path is taken
    cases = {
        "arrow": frame,
        "empty": frame.iloc[:0],
        "one column": frame[["object"]],
        "booleans": frame.assign(flag=[True, False] * (rows // 2) + [True] * (rows % 2)),
        "numbers as objects": frame.assign(object=pd.Series([1, "a"] * (rows // 2) + ["b"] * (rows % 2), dtype=object)),
        "number categories": frame.assign(category=pd.Categorical([1.5, 2.0] * (rows // 2) + [1.5] * (rows % 2))),
        "two header rows": frame.set_axis(pd.MultiIndex.from_tuples([("a", str(i)) for i in range(7)]), axis=1),
        "a lone surrogate": frame.assign(object=pd.Series(["\ud800"] + text[1:], dtype=object)),
    }
    for name, case in cases.items():
        if name == "a lone surrogate":  # UTF-8 cannot encode it: pandas' own error, as before
            with pytest.raises(UnicodeEncodeError):
                _pandas_csv(case)
            with pytest.raises(UnicodeEncodeError):
                write_csv(case, tmp_path / f"{name}.csv")
            continue
        protected = write_csv(case, tmp_path / f"{name}.csv")
        assert (tmp_path / f"{name}.csv").read_bytes() == _pandas_csv(case), name
        assert list(protected.items()) == list(spreadsheet_safe(case)[1].items()), name  # counted over batches


def test_log_lines_cannot_be_forged(caplog):
    record = logging.LogRecord(
        "stage.score", logging.INFO, __file__, 1, "column %s dropped", (HOSTILE["newlines"],), None
    )
    line = OneLineFormatter("%(levelname)s %(message)s").format(record)
    assert "\n" not in line and "\r" not in line and line.endswith("forged INFO stage.score: done dropped")
    assert printable("\x1b[31mred\u202e") == "\\x1b[31mred\\u202e"
    assert printable("two\nlines", keep_newlines=True) == "two\nlines"


# ---------------------------------------------------------------- the whole pipeline


def test_floats_are_written_as_pandas_writes_them_to_six_decimals(tmp_path):
    """The CSV for people formats floats itself (faster): the same bytes as ``to_csv(float_format="%.6f")``."""
    import numpy as np

    edges = [np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-7, -5e-7, 2.5e-7, 1e-300, 1e20, 123456789.123456789, 1e300]
    numbers = np.concatenate([edges, np.random.default_rng(3).normal(0, 1e3, 500)])
    frame = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(len(numbers))],
            "wide": numbers,
            "narrow": np.clip(numbers, -1e30, 1e30).astype(np.float32),  # float32 holds up to 3.4e38
            "nullable": pd.array(numbers, dtype="Float64"),
            "count": np.arange(len(numbers)),
        }
    )
    write_csv(frame, tmp_path / "out.csv")
    expected = frame.to_csv(index=False, encoding="utf-8", float_format="%.6f", lineterminator="\r\n")
    assert (tmp_path / "out.csv").read_bytes() == expected.encode("utf-8")

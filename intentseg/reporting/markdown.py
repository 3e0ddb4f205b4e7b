"""Markdown for people, with every string from data or params escaped in one place.

The report (``reports/report.md`` and, rendered, ``reports/report.html``) and the pull-request
comment are written from Jinja2 templates whose environment (:func:`markdown_environment`)
escapes every ``{{ value }}`` that is text: a column name, a category level, a segment name, a
reason, an id or a file name can never start a link, an image, a heading, a list, a table cell
or raw HTML, nor mention a GitHub user or open a math block. Only :class:`Markdown` values pass
unescaped: text the templates or the number filters wrote themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2


class Markdown(str):
    """Text that is already Markdown (written by the project, not taken from data): never escaped again."""


# Characters that mean something anywhere in a CommonMark / GitHub line: code, emphasis, links and
# images, raw HTML and autolinks, table cells, strikethrough, math, entities, headings and issue
# references, mentions.
_ALWAYS = re.compile(r"([\\`*\[\]<>|~$&#@])")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")  # emphasis needs a word boundary
_LEADING_MARK = re.compile(r"^(\s*)([-+=])")  # a list item or a setext heading rule
_LEADING_NUMBER = re.compile(r"^(\s*\d+)([.)])")  # an ordered list item
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x85\u2028\u2029\t]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_EMBEDDINGS = {"\u202a", "\u202b", "\u202d", "\u202e"}  # LRE, RLE, LRO, RLO: closed by PDF (U+202C)
_ISOLATES = {"\u2066", "\u2067", "\u2068"}  # LRI, RLI, FSI: closed by PDI (U+2069)


def closed_bidi(text: str) -> str:
    """``text`` with every right-to-left override or isolate it opens closed at its end.

    The characters stay (the text is shown as written), but they cannot reorder the words that
    follow the value on the page.
    """
    embeddings = sum(text.count(c) for c in _EMBEDDINGS) - text.count("\u202c")
    isolates = sum(text.count(c) for c in _ISOLATES) - text.count("\u2069")
    return text + "\u202c" * max(embeddings, 0) + "\u2069" * max(isolates, 0)


def escape_markdown(text: Any) -> Markdown:
    """``text`` (from data or params) as Markdown that renders as exactly that text, on one line.

    Line breaks and tabs become spaces; other control characters are shown as ``\\xNN``.
    """
    if isinstance(text, Markdown):
        return text
    value = _LINE_BREAKS.sub(" ", str(text))
    value = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", value)
    value = _ALWAYS.sub(r"\\\1", value)
    value = _UNDERSCORE.sub(r"\\_", value)
    value = _LEADING_MARK.sub(r"\1\\\2", value, count=1)
    value = _LEADING_NUMBER.sub(r"\1\\\2", value, count=1)
    return Markdown(closed_bidi(value))


def link_target(path: str) -> Markdown:
    """A relative path as a Markdown link destination (percent-encoded: no space, bracket or parenthesis)."""
    return Markdown(quote(Path(path).as_posix(), safe="/._-~%"))


def _finalize(value: Any) -> Any:
    """Every ``{{ }}`` output of a template: text is escaped unless it is :class:`Markdown`."""
    if value is None:
        raise ValueError("a report value is missing (None): the template needs a value or a default")
    if isinstance(value, str):
        return escape_markdown(value)
    return value


def pct(value: float, digits: int = 0) -> Markdown:
    """A share as a percentage: 0.183 -> ``18%``."""
    return Markdown(f"{100 * value:.{digits}f}%")


def count(value: float) -> Markdown:
    """A count with thousands separators: 239609 -> ``239,609``."""
    return Markdown(f"{value:,.0f}")


def number(value: float, spec: str) -> Markdown:
    """A number in a format spec: ``number(0.8671, '.3f')`` -> ``0.867``."""
    return Markdown(format(value, spec))


def words(name: Any) -> Markdown:
    """A column name with underscores as spaces, escaped: ``membership_tier`` -> ``membership tier``."""
    return escape_markdown(str(name).replace("_", " "))


def joined(values: Iterable[Any], separator: str = ", ") -> Markdown:
    """Values escaped one by one and joined by ``separator`` (project text)."""
    return Markdown(separator.join(escape_markdown(value) for value in values))


FILTERS: dict[str, Callable[..., Markdown]] = {
    "pct": pct,
    "count": count,
    "number": number,
    "words": words,
    "joined": joined,
}


def markdown_environment() -> jinja2.Environment:
    """The Jinja2 environment of the project's Markdown templates (``intentseg/reporting/templates``)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("intentseg.reporting", "templates"),
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # HTML escaping does not apply: Markdown escaping is done by finalize
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(FILTERS)
    return environment


def markdown_cell(value: Any) -> Markdown:
    """One table cell: numbers as written, text escaped."""
    return escape_markdown(value) if isinstance(value, str) else Markdown(str(value))


def markdown_table(header: list[str], rows: Iterable[Iterable[Any]]) -> Markdown:
    """A GitHub table whose cells are escaped (headers are the project's words)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(markdown_cell(cell) for cell in row) + " |" for row in rows]
    return Markdown("\n".join(lines))

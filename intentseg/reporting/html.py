"""The report as one self-contained HTML page: the Markdown report rendered, every figure embedded.

The page loads nothing from the network or the disk: figures are PNG data URIs and the style is
inline, so it opens from an e-mail attachment or a shared drive as it is. Markdown is rendered by
markdown-it-py (CommonMark, with tables) with raw HTML off, so text from data (already escaped for
Markdown by the report's template) can only ever be text; the page's Content-Security-Policy allows
no script at all, only the inline style and ``data:`` images.
"""

from __future__ import annotations

import base64
import re

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
)
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; color: #1f2328; line-height: 1.5; overflow-wrap: anywhere; }
h1, h2, h3 { line-height: 1.25; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 1rem 0; } th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; }
th { background: #f6f8fa; } td { text-align: left; } img { max-width: 100%; height: auto; display: block; margin: 1rem 0; }
code { background: #f6f8fa; padding: .1rem .3rem; border-radius: 4px; }
"""
IMAGE = re.compile(r'<img src="([^"]+)"')


def render_markdown(markdown: str) -> str:
    """CommonMark with tables, raw HTML off (HTML in the text is shown as text)."""
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)


def render_html(markdown: str, images: dict[str, bytes], title: str) -> str:
    """``markdown`` as a standalone page; each ``<img src=link>`` whose link is in ``images`` is embedded.

    Raises ``ValueError`` naming any image the Markdown links that ``images`` does not provide
    (a page with a broken figure must not look complete).
    """
    body = render_markdown(markdown)
    missing = sorted({link for link in IMAGE.findall(body) if link not in images})
    if missing:
        raise ValueError(f"the report links figures that were not provided: {missing}")

    def embedded(match: re.Match[str]) -> str:
        data = base64.b64encode(images[match.group(1)]).decode("ascii")
        return f'<img src="data:image/png;base64,{data}"'

    page = jinja2.Environment(
        loader=jinja2.PackageLoader("intentseg.reporting", "templates"), autoescape=True, keep_trailing_newline=True
    ).get_template("page.html.j2")
    return page.render(
        csp=Markup(CONTENT_SECURITY_POLICY), title=title, style=Markup(STYLE), body=Markup(IMAGE.sub(embedded, body))
    )

"""The report as one self-contained HTML page: the Markdown report rendered, every figure embedded.

The page loads nothing from the network or the disk: figures are PNG data URIs and the style is
inline, so it opens from an e-mail attachment or a shared drive as it is. Markdown is rendered by
markdown-it-py (CommonMark, with tables).
"""

from __future__ import annotations

import base64
import html
import re

from markdown_it import MarkdownIt

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; color: #1f2328; line-height: 1.5; }
h1, h2, h3 { line-height: 1.25; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 1rem 0; } th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; }
th { background: #f6f8fa; } td { text-align: left; } img { max-width: 100%; height: auto; display: block; margin: 1rem 0; }
code { background: #f6f8fa; padding: .1rem .3rem; border-radius: 4px; }
"""
IMAGE = re.compile(r'<img src="([^"]+)"')


def render_html(markdown: str, images: dict[str, bytes], title: str) -> str:
    """``markdown`` as a standalone page; each ``<img src=link>`` whose link is in ``images`` is embedded.

    Raises ``ValueError`` naming any image the Markdown links that ``images`` does not provide
    (a page with a broken figure must not look complete).
    """
    body = MarkdownIt("commonmark").enable("table").render(markdown)
    missing = sorted({link for link in IMAGE.findall(body) if link not in images})
    if missing:
        raise ValueError(f"the report links figures that were not provided: {missing}")

    def embedded(match: re.Match[str]) -> str:
        data = base64.b64encode(images[match.group(1)]).decode("ascii")
        return f'<img src="data:image/png;base64,{data}"'

    body = IMAGE.sub(embedded, body)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )

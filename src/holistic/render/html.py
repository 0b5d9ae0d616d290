"""HTML pages for `snakemake --report`: the Markdown and text outputs of the analysis
stages (fidelity, Table 5, Table 6, policy trees) rendered as standalone pages."""

from __future__ import annotations

import html
import os
from pathlib import Path

import markdown

from ..errors import DataError
from ..io import write_text

STYLE = """body{font-family:sans-serif;margin:1.5em;max-width:80em}
table{border-collapse:collapse;margin:1em 0;font-size:90%}
th,td{border:1px solid #bbb;padding:.25em .5em;text-align:right}
th:first-child,td:first-child{text-align:left}
pre{font-size:90%}"""


def page(body_html: str, title: str) -> str:
    """A complete HTML document around ``body_html``."""
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title><style>{STYLE}</style></head>\n<body>\n{body_html}\n</body></html>\n")


def markdown_html(text: str) -> str:
    """Markdown (with pipe tables) to an HTML fragment."""
    return markdown.markdown(text, extensions=["tables"], output_format="html")


def text_html(text: str) -> str:
    """Preformatted text (e.g. a policy tree printout) to an HTML fragment."""
    return f"<pre>{html.escape(text)}</pre>"


def render_file(src: str | os.PathLike, out: str | os.PathLike) -> None:
    """Write ``out`` (HTML) from ``src``: ``.md`` as Markdown, anything else as text."""
    src = Path(src)
    try:
        text = src.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{src}: file not found") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{src}: not UTF-8 text ({e.reason})") from None
    body = markdown_html(text) if src.suffix == ".md" else text_html(text)
    write_text(out, page(body, src.stem))


__all__ = ["page", "markdown_html", "text_html", "render_file"]

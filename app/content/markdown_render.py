"""Markdown to safe HTML: tables, highlighted code, admonitions; everything else sanitised."""

from __future__ import annotations

import markdown
import nh3

EXTENSIONS = ["tables", "fenced_code", "codehilite", "admonition", "sane_lists", "toc", "attr_list"]
EXTENSION_CONFIGS: dict[str, dict[str, object]] = {
    "codehilite": {"css_class": "highlight", "guess_lang": False},
    "toc": {"permalink": False},
}
TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {
    "*": {"class", "id"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
}


def render_markdown(text: str) -> str:
    """Render trusted-format Markdown to HTML with anything unsafe removed."""
    html = markdown.markdown(text, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    return nh3.clean(
        html, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https", "mailto"}
    )

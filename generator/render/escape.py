"""The one way text from a schema enters generated files.

Labels, names and descriptions come from CRM admins and are untrusted. Templates never paste
them raw: Python literals go through :func:`python_string`, docstrings through
:func:`docstring`, Markdown through :func:`markdown`, TOML through :func:`toml_string`. The
Jinja environment registers these as filters and nothing else may write schema text.
"""

from __future__ import annotations

import json
import unicodedata

DOC_LIMIT = 300


def python_string(text: str) -> str:
    """A Python string literal for any text, quoted the way black would leave it.

    Double quotes unless single quotes need fewer escapes; control characters, NUL and
    surrogates are escaped by ``repr``, so the literal never ends early or spans lines.
    """
    literal = repr(text)
    body = literal[1:-1]
    if literal[0] == "'":
        body = body.replace("\\'", "'")
    if text.count("'") < text.count('"'):
        return "'" + body.replace("'", "\\'") + "'"
    return '"' + body.replace('"', '\\"') + '"'


_MARKDOWN = str.maketrans({char: "\\" + char for char in "\\`*_{}[]<>()#+-.!|~"})


def one_line(text: str, limit: int = DOC_LIMIT) -> str:
    """Text on one line: control and format characters become spaces, long text is cut."""
    if not text.isprintable():
        text = "".join(
            " " if unicodedata.category(char)[0] in "CZ" else char for char in text
        )
    flat = " ".join(text.split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat


def docstring(text: str) -> str:
    """Text that is safe inside a single-line triple-quoted docstring and readable on hover.

    Backslashes and quotes are escaped so nothing can end the docstring early, and the text
    never ends in a quote (black would add a space there).
    """
    flat = one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    if flat.endswith('"'):
        flat += "."
    return flat


def markdown(text: str) -> str:
    """Text for a Markdown table cell or heading: no markup, no HTML, no line breaks."""
    return one_line(text, 200).translate(_MARKDOWN)


def toml_string(text: str) -> str:
    """A TOML basic string (JSON string syntax is a subset of it)."""
    return json.dumps(one_line(text, 200), ensure_ascii=False)

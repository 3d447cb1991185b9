"""Keep generated Python black-clean without running black over every file.

Templates emit code in black's style, one simple statement a line. Only a statement longer than
black's line length can differ from black's output, so only such statements are handed to black,
one at a time, and the result is spliced back in. Width is measured as black measures it
(East Asian wide characters count twice). Large tenants with ordinary names never call
black at all; tests run ``black --check`` over generated output to hold the templates to it.
"""

from __future__ import annotations

from functools import lru_cache

import black
from black.mode import Mode, TargetVersion
from black.strings import str_width

LINE_LENGTH = 88


@lru_cache(maxsize=4096)
def _format_statement(statement: str, indent: int) -> str:
    """Black's layout of one statement at ``indent``; a block header gets a stand-in body."""
    mode = Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH - indent)
    opens_block = statement.endswith(":")
    formatted = black.format_str(
        statement + ("\n    pass\n" if opens_block else "\n"), mode=mode
    )
    if opens_block:
        formatted = formatted[: formatted.rindex("    pass")]
    pad = " " * indent
    return "".join(
        pad + line if line.strip() else line
        for line in formatted.splitlines(keepends=True)
    )


def fit_long_statements(source: str) -> str:
    """Reformat, with black, each one-line statement wider than the line length.

    Lines inside triple-quoted strings (docstrings) are text, which black leaves alone too.
    """
    if all(str_width(line) <= LINE_LENGTH for line in source.splitlines()):
        return source
    lines = []
    in_string = False
    for line in source.splitlines(keepends=True):
        body = line.rstrip("\n")
        stripped = body.lstrip(" ")
        quoted = in_string or stripped.startswith(('"""', "#"))
        in_string ^= body.count('"""') % 2 == 1
        if quoted or str_width(body) <= LINE_LENGTH:
            lines.append(line)
            continue
        lines.append(_format_statement(stripped, len(body) - len(stripped)))
    return "".join(lines)

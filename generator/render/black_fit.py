"""Keep generated Python black-clean without running black over every file.

Templates emit code in black's style. Only a statement with a line wider than black's line
length can differ from black's output, so only such statements are handed to black, one at a
time, and the result is spliced back in. Width is measured as black measures it (East Asian
wide characters count twice). Large tenants with ordinary names never call black at all; tests
run ``black --check`` over generated output to hold the templates to it.

Statements are found as Python finds them, so no quote or bracket in a name or label can hide
one: a statement ends at a line break outside strings, comments and brackets, without a
backslash. :data:`_LEXEMES` matches exactly those four things and lets ``re`` skip everything
else: on a 30-module tenant that costs a few tenths of a second, where a whole-file
:mod:`tokenize` pass costs several seconds. A long statement that is not a lone string is read
by :mod:`tokenize` itself, then formatted whole (a statement spanning several lines too), at
its own depth: nested in stand-in ``class _:`` blocks, black sees the width it would see in the
file. The rare statement that cannot stand alone (a long ``elif`` or decorator) makes black
format the whole file.

A string cannot be split either, so a line holding one plain ``\"\"\"`` string as an item of a
bracket that a magic trailing comma keeps exploded (a field's doc in ``api_field(...)``) is as
wide as it must be: such a statement is black's as long as its other lines are, as any statement
the templates write within the width must be. Black is not called for it; over a 30-module
tenant that saves thousands of calls (several seconds). A few other shapes have rules short
enough to follow here (:func:`_known_layout`, :func:`_strings_kept`,
:func:`_lone_string_return`): with them a small tenant calls black for no statement, and black
(about 0.2 s to import) is imported only when one needs it.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import re
import tokenize
from bisect import bisect_right
from functools import cache, lru_cache
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from black.mode import Mode

LINE_LENGTH = 88
_INDENT = "    "
#: A string literal, prefix aside (r, b, f do not change where it ends), escapes and all.
_STRING = r"""
      "{3}[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"{3}
    | '{3}[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'{3}
    | "[^"\\\n]*(?:\\.[^"\\\n]*)*"
    | '[^'\\\n]*(?:\\.[^'\\\n]*)*'
"""
#: What decides where a statement ends: strings and comments (whatever they hold), brackets,
#: backslash line joins, and line breaks. Each match also takes the plain code before it, so
#: ``re`` skips that in one step.
_LEXEMES = re.compile(
    rf"""
    [^"'#()\[\]{{}}\\\n]*
    (?: {_STRING}
    | \#[^\n]*
    | (?P<open>[(\[{{])
    | (?P<close>[)\]}}])
    | \\\n
    | (?P<end>\n)
    )
    """,
    re.VERBOSE | re.DOTALL,
)
#: A statement that is one string alone (a docstring), the usual long line: told apart
#: without tokenizing it.
_LONE_STRING = re.compile(
    rf"[ ]*[rRbBuUfF]{{0,2}}(?:{_STRING})\n", re.VERBOSE | re.DOTALL
)
#: One plain triple-quoted string (no prefix: black changes neither its quotes nor its text)
#: and its comma, alone on a line: an item of an exploded bracket.
_STRING_ITEM = re.compile(r' *"""[^"\\\n]*(?:(?:\\.|"(?!""))[^"\\\n]*)*""",\n')
_NOT_CODE = frozenset(
    {
        tokenize.NL,
        tokenize.COMMENT,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
)


@cache
def _mode() -> Mode:
    """Black's settings for generated code. Black (about 0.2 s to import) loads only when a
    statement needs it, which a small tenant's run may never do."""
    from black.mode import Mode, TargetVersion

    return Mode(target_versions={TargetVersion.PY311}, line_length=LINE_LENGTH)


def format_source(source: str) -> str:
    """Black's layout of a whole file."""
    import black

    return black.format_str(source, mode=_mode())


@cache
def _width_table() -> tuple[list[int], list[tuple[int, int]]] | None:
    """Black's table of wide characters, ``black/_width_table.py``, read as the data it is:
    importing it would import black itself. (starts, (ends, widths)) of its sorted ranges,
    or None if black's file is not there (then black's own ``str_width`` answers)."""
    spec = importlib.util.find_spec("black")
    for folder in (spec and spec.submodule_search_locations) or ():
        try:
            module = ast.parse((Path(folder) / "_width_table.py").read_text("utf-8"))
            ranges = next(
                ast.literal_eval(node.value)
                for node in module.body
                if isinstance(node, ast.AnnAssign | ast.Assign) and node.value
            )
            starts = [int(start) for start, _, _ in ranges]
            ends = [(int(end), int(width)) for _, end, width in ranges]
        except (OSError, SyntaxError, ValueError, TypeError, StopIteration):
            continue  # not the table this code knows: black's own str_width answers
        # Printable ASCII is left to the count of characters (:func:`str_width`), so the
        # table must give it width 1, as black's does (controls may have a width).
        printable = all(
            end < 0x20 or start > 0x7E for start, (end, _) in zip(starts, ends)
        )
        if starts == sorted(starts) and printable:
            return starts, ends
    return None


#: The characters :func:`str_width` looks up in the table; the others are 1 wide.
_LOOKED_UP = re.compile(r"[^\x20-\x7e]")


def str_width(line: str) -> int:
    """A line's width as black measures it (``black.strings.str_width``): East Asian wide
    characters count twice."""
    if line.isascii():
        return len(line)
    table = _width_table()
    if table is None:
        from black.strings import str_width as black_width

        return black_width(line)
    # Each character counts 1 but those looked up: labels are mostly ASCII, so far fewer
    # lookups than characters (a third of rendering an entity file went to this sum).
    return len(line) + sum(_char_width(char) - 1 for char in _LOOKED_UP.findall(line))


@lru_cache(maxsize=4096)
def _char_width(char: str) -> int:
    """Black's ``char_width``: the width of the range holding the character (a negative
    one counts 0), else 1."""
    table = _width_table()
    assert table is not None
    starts, ranges = table
    index = bisect_right(starts, ord(char)) - 1
    if index < 0 or ord(char) > ranges[index][0]:
        return 1
    return max(ranges[index][1], 0)


#: A string black leaves exactly as it is: double quotes, no backslash, no prefix but ``f``.
_KEPT_STRING = r'f?(?:"""[^"\\]*(?:"(?!"")[^"\\]*)*"""|"[^"\\\n]*")'


def _strings_kept(lines: list[str], long: list[int], first: int) -> bool:
    """Whether a statement that ends in one pair of parentheses exploded by a magic trailing
    comma is black's although wide: each item is one line within the width, or strings alone
    that black cannot split (one string, even triple-quoted over several lines, or several
    one a line, an implicit concatenation too wide to join on one line)."""
    indent = _exploded_indent(lines, long, first)
    if indent is None:
        return False
    inner = indent + _INDENT
    item = re.compile(
        rf"{inner}(?:(?P<strings>{_KEPT_STRING}(?:\n{inner}{_KEPT_STRING})*)"
        rf"|(?P<code>[^ \n][^\n]*)),\n"
    )
    body, position = "".join(lines[1:-1]), 0
    while position < len(body):
        found = item.match(body, position)
        if not found:
            return False
        position = found.end()
        if found["code"] is not None:
            if str_width(found.group().rstrip("\n")) > LINE_LENGTH:
                return False
            continue
        parts = re.findall(_KEPT_STRING, found["strings"])
        if len(parts) > 1 and (
            any("\n" in part for part in parts)
            or str_width(inner + " ".join(parts) + ",") <= LINE_LENGTH
        ):
            return False
    return True


def _lone_string_return(statement: str) -> str | None:
    """Black's layout of a too wide ``return "…"`` (one string): in parentheses if the string
    fits on a line of its own, else as it is."""
    code = statement.lstrip(" ")
    indent = statement[: len(statement) - len(code)]
    if not re.fullmatch(rf"return {_KEPT_STRING}\n", code) or "\n" in code[:-1]:
        return None
    string = code[len("return ") : -1]
    if str_width(indent + _INDENT + string) > LINE_LENGTH:
        return statement
    return f"{indent}return (\n{indent}{_INDENT}{string}\n{indent})\n"


class _Unsplittable(Exception):
    """A statement black cannot format on its own; black formats the whole file instead."""


def _statement_ends(source: str) -> list[int]:
    """The offset just past the line break that ends each logical line (comment and blank
    lines included), in order."""
    ends = []
    depth = 0
    for lexeme in _LEXEMES.finditer(source):
        kind = lexeme.lastgroup
        if kind == "end":
            if depth <= 0:
                ends.append(lexeme.end())
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
    return ends


def _laid_out(lines: list[str], long: list[int], first: int) -> bool:
    """Whether a statement (``lines``, from line ``first``) ends in one pair of parentheses
    exploded by a magic trailing comma, one item a line, and its only wide lines are string
    items (see above)."""
    indent = _exploded_indent(lines, long, first)
    return (
        indent is not None
        and all(
            item.startswith(indent + _INDENT)
            and item[len(indent) + len(_INDENT)] != " "
            and item.endswith(",\n")
            for item in lines[1:-1]
        )
        and all(_STRING_ITEM.fullmatch(lines[number - first]) for number in long)
    )


def _exploded_indent(lines: list[str], long: list[int], first: int) -> str | None:
    """The indent of a statement (``lines``, from line ``first``) that ends in one pair of
    parentheses on lines of their own, neither of them wide (``long``); None otherwise.
    """
    if len(lines) < 3:
        return None
    head, tail = lines[0], lines[-1]
    indent = head[: len(head) - len(head.lstrip(" "))]
    if not (head.endswith("(\n") and tail == f"{indent})\n") or any(
        number - first in (0, len(lines) - 1) for number in long
    ):
        return None
    return indent


def _classify(statement: str) -> tuple[bool, bool]:
    """Whether a statement is a lone string (a docstring) and whether it opens a block."""
    tokens = [
        token
        for token in tokenize.generate_tokens(io.StringIO(statement).readline)
        if token.type not in _NOT_CODE
    ]
    if [token.type for token in tokens].count(tokenize.NEWLINE) != 1:
        raise _Unsplittable(statement)
    code = tokens[:-1]
    return [t.type for t in code] == [tokenize.STRING], code[-1].string == ":"


@lru_cache(maxsize=4096)
def _format_statement(statement: str, opens_block: bool) -> str:
    """Black's layout of one statement at its own depth."""
    depth, odd = divmod(len(statement) - len(statement.lstrip(" ")), len(_INDENT))
    if odd:
        raise _Unsplittable(statement)
    prelude = "".join(f"{_INDENT * level}class _:\n" for level in range(depth))
    body = f"{_INDENT * (depth + 1)}pass\n" if opens_block else ""
    from black.parsing import InvalidInput

    try:
        formatted = format_source(prelude + statement + body)
    except InvalidInput:
        raise _Unsplittable(statement) from None
    if not (formatted.startswith(prelude) and formatted.endswith(body)):
        raise _Unsplittable(statement)
    return formatted[len(prelude) : len(formatted) - len(body)]


def _top_level_split(text: str) -> list[str] | None:
    """``text`` cut at its commas outside brackets, or None if its brackets do not match."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    if depth:
        return None
    return [*parts, text[start:].strip()]


def _fits(lines: list[str]) -> bool:
    return all(str_width(line) <= LINE_LENGTH for line in lines)


def _exploded(indent: str, head: str, items: list[str], tail: str) -> list[str]:
    inner = indent + _INDENT
    return [indent + head, *(f"{inner}{item}," for item in items), indent + tail]


def _known_layout(statement: str) -> str | None:
    """Black's layout of a one-line ``from … import …``, ``def`` or ``return f(…)`` that is
    too wide, for the shapes whose rules are short enough to follow here; None for anything
    else, or any doubt (black decides). Most long statements of a small tenant are these,
    and black costs about 5 ms a statement (tests compare these layouts with black's).

    - An import black wraps in parentheses, one name a line, with a trailing comma.
    - A ``def`` black splits at its first bracket (``left_hand_split``): its parameters on one
      line if they fit (a lone parameter gets a trailing comma, which keeps it there), one a
      line with a trailing comma otherwise; the return annotation stays on the last line.
    - ``return f(…)`` (a plain name called, nothing after the call) black splits inside the
      call's parentheses: the arguments on one line if they fit there.
    """
    if not statement.endswith("\n") or statement.count("\n") != 1:
        return None
    text = statement[:-1]
    code = text.lstrip(" ")
    indent = text[: len(text) - len(code)]
    if len(indent) % len(_INDENT) or any(c in code for c in "\"'#\\;"):
        return None
    lines: list[str] | None = None
    if code.startswith("from ") and " import " in code and "(" not in code:
        head, _, names = code.partition(" import ")
        items = _top_level_split(names)
        if items and all(items):
            lines = _exploded(indent, f"{head} import (", items, ")")
    elif code.startswith(("def ", "async def ")) and code.endswith(":"):
        lines = _def_layout(indent, code)
    elif call := _RETURN_CALL.fullmatch(code):
        items = _top_level_split(call["arguments"])
        if items and all(items) and ", ".join(items) == call["arguments"]:
            lines = [
                indent + call["head"],
                indent + _INDENT + call["arguments"],
                indent + ")",
            ]
    if lines is None or not _fits(lines):
        return None
    return "".join(line + "\n" for line in lines)


#: ``return f(…)``, ``return await f(…)``: black splits inside the call's parentheses, the
#: arguments on one line if they fit (else black decides).
_RETURN_CALL = re.compile(
    r"(?P<head>return (?:await )?[A-Za-z_][A-Za-z0-9_]*\()(?P<arguments>.*)\)"
)
_DEF_NAME = re.compile(r"(?:async )?def [A-Za-z_][A-Za-z0-9_]*\(")


def _def_layout(indent: str, code: str) -> list[str] | None:
    """See :func:`_known_layout`; None when black would do something else or might."""
    name = _DEF_NAME.match(code)
    if not name:
        return None
    head = name.group()
    depth = 1
    for index in range(len(head), len(code)):
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(code[index], 0)
        if depth == 0:
            break
    else:
        return None
    body, tail = code[len(head) : index], code[index:]
    items = _top_level_split(body)
    returns = tail[1:].strip()
    if (
        not body.strip()
        or items is None
        or not all(items)
        or not (returns == ":" or re.fullmatch(r"-> [^:=]+:", returns))
        or re.search(r",\s*[)\]]", returns)
        # A comma nested in a default value would count as black's "commas" too, and a
        # lambda's are no delimiters of the parameters.
        or ("=" in body and any(c in body for c in "([{"))
        or "lambda" in body
    ):
        return None
    if len(items) == 1:
        return _exploded(indent, head, items, tail)
    one_line = [indent + head, indent + _INDENT + ", ".join(items), indent + tail]
    return one_line if _fits(one_line) else _exploded(indent, head, items, tail)


def fit_long_statements(source: str) -> str:
    """Reformat, with black, each statement that has a line wider than the line length.

    A lone string (a docstring) is text: black leaves it as it is however long, and so do we;
    so it does with comments, which are no statements.
    """
    lines = io.StringIO(source).readlines()
    long = [
        number
        for number, line in enumerate(lines)
        if str_width(line.rstrip("\n")) > LINE_LENGTH
    ]
    if not long:
        return source
    line_starts = list(accumulate(map(len, lines), initial=0))
    ends = _statement_ends(source)
    fitted: list[str] = []
    done = seen = 0
    try:
        for number in long:
            if number < seen:
                continue  # in a statement already looked at
            # The statement holding this line: from the end of the one before to its own end.
            index = bisect_right(ends, line_starts[number])
            first = bisect_right(line_starts, ends[index - 1]) - 1 if index else 0
            last = (
                bisect_right(line_starts, ends[index] - 1) - 1
                if index < len(ends)
                else len(lines) - 1
            )
            text = "".join(lines[first : last + 1])
            seen = last + 1
            if text.lstrip()[:1] == "#" or _LONE_STRING.fullmatch(text):
                continue
            wide = long[bisect_right(long, first - 1) : bisect_right(long, last)]
            if _laid_out(lines[first : last + 1], wide, first) or _strings_kept(
                lines[first : last + 1], wide, first
            ):
                continue
            known = _known_layout(text) or _lone_string_return(text)
            if known is not None:
                fitted += lines[done:first]
                fitted.append(known)
                done = last + 1
                continue
            docstring, opens_block = _classify(text)
            if not docstring:
                fitted += lines[done:first]
                fitted.append(_format_statement(text, opens_block))
                done = last + 1
    except (_Unsplittable, tokenize.TokenError, IndentationError):
        return format_source(source)
    return "".join(fitted + lines[done:])

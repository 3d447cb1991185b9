"""Long names and odd quotes: every generated file stays valid, black-clean Python.

Templates emit black's style and only statements wider than the line length go through black
(``generator/render/black_fit.py``); these tests feed it what broke it before: long class
names inside multi-line statements, ``\"\"\"`` in a system id or a field's API name, a module
with nothing to filter on. The property test draws random long and quote-laden names.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import black
import pytest
from black.mode import Mode, TargetVersion
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build_model import build_tenant
from generator.cli import main
from generator.render import render_package
from generator.render import black_fit
from generator.render.black_fit import fit_long_statements
from generator.settings import DEFAULT_PACKAGE_VERSION
from generator.snapshot import Snapshot

from tools import black_check, mypy_strict, run

_INDENT = "    "

LONG_MODULE = "Ügyfélszolgálati bejelentések és reklamációk"
PROJECT = {
    "Id": "Int",
    "CategoryId": "Int",
    "ContactId": "Int",
    "StatusId": {"1": "New", "2": "Done"},
    "Name": "Text(128)",
    "Priority": {"11": "Low", "12": "High"},
}


def tenant(
    modules: dict[int, str],
    project: dict[str, Any] | None = None,
    system_id: str = "acme",
) -> Snapshot:
    """A small system: these modules, each with ``project`` as its schema."""
    endpoints: dict[str, Any] = {
        "Category": {str(key): label for key, label in modules.items()},
        "Category?Detailed=1": {
            str(key): {"Id": key, "Name": label, "Type": "Generic"}
            for key, label in modules.items()
        },
        "Schema/Business": {"Id": "Int", "Name": "Text(255)"},
        "Schema/Person": {"Id": "Int", "FirstName": "Text(255)"},
    }
    for key in modules:
        endpoints[f"Schema/Project/{key}"] = project or PROJECT
    return Snapshot(endpoints, "http://127.0.0.1:1/Api/R3", system_id)


def generate_into(tmp_path: Path, snapshot: Snapshot) -> Path:
    schema = tmp_path / "schema.json"
    snapshot.write(schema)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "generate",
            "--schema",
            str(schema),
            "--output",
            str(out),
            "--package-name",
            "crm",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


CASES = {
    "long module name": tenant({5: LONG_MODULE}),
    "long module names that collide": tenant(
        {5: LONG_MODULE, 123456789: LONG_MODULE.upper(), 7: "x" * 200}
    ),
    "triple quotes in the system id": tenant({5: "Sales"}, system_id="a\"\"\"b'''c"),
    "a module with no filterable field": tenant(
        {5: "Sales"}, {"CategoryId": "Int", "Deleted": "Int"}
    ),
    "triple quotes in a field name before long lines": tenant(
        {5: "Sales"},
        {
            **PROJECT,
            'Quote"""d': "Int",
            "Enum" + "x" * 80: {"1": "a" * 100},
            "Int" + "y" * 80: "Int",
        },
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_generated_code_is_black_clean(tmp_path: Path, case: str) -> None:
    out = generate_into(tmp_path, CASES[case])
    black_check(out)
    run(sys.executable, "-m", "pyflakes", out)
    run(sys.executable, "-W", "error", "-c", "import crm; crm.Client", cwd=out)


def test_long_names_give_a_package_mypy_accepts(tmp_path: Path) -> None:
    out = generate_into(tmp_path, CASES["long module names that collide"])
    mypy_strict(Path("crm"), cwd=out)


# -- the fitter itself --------------------------------------------------------------------------


MODE = Mode(target_versions={TargetVersion.PY311})


def test_a_long_line_inside_a_multi_line_statement_is_formatted_whole() -> None:
    name = "V" * 70
    source = (
        "class A:\n"
        "    def search(\n"
        f"        self, page: int = 0, **search: Unpack[{name}]\n"
        f"    ) -> Iterator[{name}]:\n"
        '        """Search."""\n'
        "        return iter(())\n"
    )
    fitted = fit_long_statements(source)
    assert fitted == black.format_str(source, mode=MODE)


def test_triple_quotes_in_a_string_do_not_hide_the_long_lines_after_it() -> None:
    long = "x" * 90
    source = f'a = \'say """\'\nb = f({long!r}, {long!r})\n'
    assert fit_long_statements(source) == black.format_str(source, mode=MODE)


LONG_CALL = "result = call(" + ", ".join(f"argument_{i}" for i in range(12)) + ")\n"
TRICKY = {
    "a bracket in a string": 'x = "(["\n',
    "quotes and a bracket in a comment": "# it's \"(\" and '''\n",
    "a triple-quoted string holding quotes and code": "s = '''\ndef f(:\n  \"\"\" (\n'''\n",
    "an escaped backslash before a quote": 'y = "\\\\" + "("\n',
    "a string joined over lines by a backslash": 'z = "a\\\n("\n',
    "a bracket open over lines, with a comment": "w = [  # (\n    1,\n]\n",
    "a long line inside a string": 's = """\n' + "t" * 100 + '\n"""\n',
    "a long call inside a string": 's = """\n' + LONG_CALL + '"""\n',
    "a long statement joined by a backslash": "total = "
    + " + ".join(f"argument_{i}" for i in range(10))
    + " + \\\n    1\n",
    "a long call inside the other string": "s = '''\n" + LONG_CALL + "'''\n",
}
#: A long line inside brackets opened on a short line: the statement is all three lines.
LONG_DICT = (
    "values = {\n    "
    + ", ".join(f'"key_{i}": argument_{i}' for i in range(8))
    + "\n}\n"
)


@pytest.mark.parametrize("before", list(TRICKY))
def test_statements_are_found_whatever_the_strings_and_brackets_before_them(
    before: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = TRICKY[before] + LONG_CALL + LONG_DICT + "\n\nclass A:\n    " + LONG_CALL
    compile(source, before, "exec")
    expected = black.format_str(source, mode=MODE)
    formatted: list[str] = []
    original = black.format_str

    def format_str(text: str, mode: Mode) -> str:
        formatted.append(text)
        return original(text, mode=mode)

    monkeypatch.setattr(black, "format_str", format_str)
    assert fit_long_statements(source) == expected
    assert source not in formatted, "the statements were not found: black ran on all"


def test_a_statement_that_cannot_stand_alone_is_formatted_in_its_file() -> None:
    long = "y" * 90
    source = f"if a:\n    pass\nelif b == {long!r}:\n    pass\n"
    assert fit_long_statements(source) == black.format_str(source, mode=MODE)


def test_long_docstrings_and_comments_are_left_as_black_leaves_them() -> None:
    source = f'class A:\n    """{"d" * 100}"""\n\n    # {"c" * 100}\n    x: int\n'
    assert fit_long_statements(source) == source == black.format_str(source, mode=MODE)


WIDE = "d" * 100
#: Wide string items of parentheses a magic trailing comma keeps exploded, which the fitter
#: leaves as they are without calling black, and their look-alikes, which it must give black.
STRING_ITEMS = {
    "a field's doc in api_field": (
        "class A:\n"
        "    x: T | None = api_field(\n"
        '        "X",\n'
        f'        """{WIDE}""",\n'
        "        value=Int,\n"
        "    )\n"
    ),
    "the doc as the last item": f'y = f(\n    "Y",\n    """{WIDE}""",\n)\n',
    "no magic trailing comma": f'y = f(\n    """{WIDE}"""\n)\n',
    "a prefixed string": f'y = f(\n    "Y",\n    R"""{WIDE}""",\n)\n',
    "single quotes": f"y = f(\n    'Y',\n    '''{WIDE}''',\n)\n",
    "a wide item that is no lone string": f'y = f(\n    """{WIDE}""" + z,\n)\n',
    "a wide head": f'{"h" * 90} = f(\n    """{WIDE}""",\n)\n',
    "a subscript": f'y = x[\n    """{WIDE}""",\n]\n',
    "items nested deeper": f'y = f(\n    g(\n        """{WIDE}""",\n    ),\n)\n',
}


@pytest.mark.parametrize("case", list(STRING_ITEMS))
def test_wide_string_items_end_as_black_lays_them_out(case: str) -> None:
    source = STRING_ITEMS[case]
    assert fit_long_statements(source) == black.format_str(source, mode=MODE)


# -- random long and quote-laden names ------------------------------------------------------------

_QUOTES = st.sampled_from(['"""', "'''", '"', "'", "\\", "\n", "{{", "}}", " "])
_WORDS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
    min_size=0,
    max_size=12,
)
_NAMES = st.lists(
    st.one_of(_WORDS, _QUOTES, st.just("Ügyfélszolgálati bejelentések")),
    min_size=1,
    max_size=12,
).map("".join)


@settings(
    max_examples=int(os.environ.get("BLACK_FIT_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    modules=st.lists(_NAMES, min_size=1, max_size=3),
    fields=st.lists(_NAMES, min_size=0, max_size=4),
    options=st.lists(_NAMES, min_size=1, max_size=3),
    system_id=_NAMES,
)
def test_random_long_names_always_give_black_clean_code(
    modules: list[str], fields: list[str], options: list[str], system_id: str
) -> None:
    project: dict[str, Any] = dict(PROJECT)
    for index, field in enumerate(fields):
        project[field or f"Empty{index}"] = (
            {str(100 + i): label for i, label in enumerate(options)}
            if index % 2
            else "Int"
        )
    snapshot = tenant(
        {10 + index: label for index, label in enumerate(modules)}, project, system_id
    )
    with render_package(
        build_tenant(snapshot), "crm", DEFAULT_PACKAGE_VERSION
    ) as files:
        for path, data in files.items():
            if path.endswith(".py"):
                text = data.decode("utf-8")
                compile(text, path, "exec")
                assert black.format_str(text, mode=MODE) == text, path


# -- layouts followed without black ------------------------------------------------------------


def _names(prefix: str, sizes: list[int]) -> list[str]:
    return [prefix + "x" * size for size in sizes]


def _known_shapes(width: int) -> list[str]:
    """Long imports, ``def`` lines and returns as the templates write them, and harder ones, with
    names ``width`` characters long."""
    name, other = "N" * width, "m" * (width // 2 + 1)
    return [
        f"from ..models.{other} import {name}, {name}Filters, {name}SearchItem",
        f"from .{other} import {name}",
        f"from . import {name} as {other}, {other}",
        f"def search(self, **search: Unpack[{name}Filters]) -> Iterator[{name}]:",
        f"async def status_history(self, project: int | {name}) -> list[Change[{name}]]:",
        f"def _connections(answer: Any) -> tuple[list[{name}], int | None, int]:",
        f"def {name}(self) -> {other}:",
        f"def {name}(self):",
        f"def f(self, *, created_at: date | None = None, {other}: int = 0) -> {name}:",
        f"def f({other}: dict[str, {name}]) -> None:",
        f"def f(*{other}: int) -> {name}:",
        f"def f(**{other}: int) -> {name}:",
        f"def f(a, b=(1, 2)) -> {name}:",
        f"def f({other}, /, b) -> tuple[{name}, int,]:",
        f"def f(x: '{name}') -> None:",
        f"def f[T](x: T, {other}: T) -> {name}:",
        f"def f() -> {name}:",
        f"def f({other}=lambda a, b: a, *, {name}: int = 0) -> None:",
        f"return status_history(self._core, project, StatusChange[models.{name}])",
        f"return await status_history(self._core, project, Change[models.{name}])",
        f"return {name}(self._core, lambda a, b: a, [{other}, 1], key={other})",
        f"return {name}({other}, {other}) + {name}({other})",
        f"return {name}({other})({name})",
        f"return {name}({other}, {other},)",
        f"return self.{name}({other}, {other})",
        f"return {name}()",
        f"return {name}({other}, *{other}, **{other})",
        f'return f"{{{name}}} ({other})"',
        f'return "{name}" "{other}"',
        f"return '{name}{other}'",
        f'return rb"{name}{other}"',
        f'return f"{{x!r}}\\n{name}{other}"',
    ]


def _exploded_strings(width: int) -> list[str]:
    """Exploded calls whose items are strings black cannot split, and look-alikes."""
    name, other = "N" * width, "m" * (width // 2 + 1)
    return [
        f'raise Error(\n    f"{{x}} {name} "\n    f"{other} "\n    "end",\n    x,\n    y,\n)',
        f'raise Error(\n    f"{{x}} {name} "\n    "end",\n)',
        f"raise Error(\n    \"{name}\"\n    '{other}',\n    x,\n)",
        f'raise Error(\n    "{name}\\n"\n    "{other}",\n    x,\n)',
        f'x: T = api_field(\n    "X",\n    """{name}\n{other}.""",\n)',
        f'x: T = api_field(\n    "X",\n    """{name}\n"""\n    "{other}",\n)',
        f'x = f(\n    "{name}",\n    {other}({name}),\n)',
        f'x = f(\n    "{name}",\n    {other},\n    y\n)',
    ]


@pytest.mark.parametrize("width", [1, 30, 45, 60, 70, 90])
@pytest.mark.parametrize("depth", [1, 3])
def test_exploded_strings_are_kept_as_black_keeps_them(width: int, depth: int) -> None:
    prelude = "".join(
        f"{_INDENT * level}class C{level}:\n" for level in range(depth - 1)
    )
    prelude += f"{_INDENT * (depth - 1)}async def f():\n"
    for shape in _exploded_strings(width):
        lines = [_INDENT * depth + line for line in shape.split("\n")]
        source = prelude + "\n".join(lines) + "\n"
        if max(map(len, lines)) <= black_fit.LINE_LENGTH:
            continue  # the fitter looks at long lines only
        assert fit_long_statements(source) == black.format_str(source, mode=MODE)


@pytest.mark.parametrize("width", [1, 20, 30, 40, 45, 50, 60, 70, 90])
@pytest.mark.parametrize("depth", [0, 1, 3])
def test_statements_laid_out_without_black_are_as_black_lays_them_out(
    width: int, depth: int
) -> None:
    """The fitter lays these out itself (:func:`black_fit._known_layout`): as black would."""
    prelude = "".join(
        f"{_INDENT * level}class C{level}:\n" for level in range(depth - 1)
    )
    prelude += f"{_INDENT * (depth - 1)}async def f():\n" if depth else ""
    for shape in _known_shapes(width):
        if shape.startswith("return") and not depth:
            continue  # a return needs a function
        body = f"{_INDENT * (depth + 1)}pass\n" if shape.endswith(":") else ""
        source = f"{prelude}{_INDENT * depth}{shape}\n{body}"
        if len(source.splitlines()[-1 - bool(body)]) <= black_fit.LINE_LENGTH:
            continue  # the fitter looks at long lines only
        assert fit_long_statements(source) == black.format_str(source, mode=MODE)


def test_the_usual_long_imports_defs_and_returns_do_not_call_black(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def format_str(text: str, mode: Mode) -> str:
        raise AssertionError(f"black was called for {text!r}")

    monkeypatch.setattr(black, "format_str", format_str)
    black_fit._format_statement.cache_clear()  # black's answers from other tests
    returns = [shape for shape in _known_shapes(30) if "status_history" in shape]
    usual = [_known_shapes(60)[1], *(_known_shapes(40)[i] for i in (0, 2, 3, 4))]
    for shape in usual + returns:
        body = f"{_INDENT * 2}pass\n" if shape.endswith(":") else ""
        source = f"async def f():\n{_INDENT}{shape}\n{body}"
        assert fit_long_statements(source) != source
    kept = [_exploded_strings(60)[index] for index in (0, 1, 4)]
    kept.append(f'return f"{{x}} {"N" * 90}"')
    for shape in kept:
        source = "async def f():\n" + "".join(
            f"{_INDENT}{line}\n" for line in shape.split("\n")
        )
        assert fit_long_statements(source) == source


WIDTHS = [
    "plain ascii",
    "Ügyfélszolgálati bejelentések “idézőjel” …",
    "客户关系管理 🚀 Launch 🎉",
    "e\u0301 combining, \u200b zero width, \x85 \x9f controls, \u00ad soft hyphen",
    "ﬁle ＡＢＣ fullwidth ｱｲｳ halfwidth \U0001f600 \U00020000 \uffff",
    "".join(map(chr, range(0x1000, 0x1200))),
    "".join(map(chr, range(0x2E80, 0x3100))),
    "ASCII controls \t \x01 \x1f \x7f beside ü and 客户",
]


@pytest.mark.parametrize("text", WIDTHS)
def test_widths_are_black_s(text: str) -> None:
    """The fitter reads black's width table without importing black: same widths."""
    from black.strings import str_width

    assert black_fit._width_table() is not None
    assert black_fit.str_width(text) == str_width(text)


def test_the_demo_package_is_rendered_without_calling_black(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its long statements all have a layout the fitter knows (README: a small tenant never
    imports black). The render worker is forked from here, so it sees the same patch."""
    from generator.snapshot import load_demo_snapshot

    def format_str(text: str, mode: Mode) -> str:
        raise AssertionError(f"black was called for {text!r}")

    black_fit._format_statement.cache_clear()
    monkeypatch.setattr(black, "format_str", format_str)
    with render_package(
        build_tenant(load_demo_snapshot()), "minicrm_demo", DEFAULT_PACKAGE_VERSION
    ) as files:
        assert files["minicrm_demo/_sync/projects.py"].count(b"\n") > 100


def test_without_black_s_table_file_widths_come_from_black(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from black.strings import str_width

    monkeypatch.setattr(black_fit, "_width_table", lambda: None)
    for text in WIDTHS:
        assert black_fit.str_width(text) == str_width(text)

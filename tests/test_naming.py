"""Every label is hostile input: names are always valid, never reserved, unique and stable."""

from __future__ import annotations

import keyword
import random
import sys
from collections.abc import Callable, Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import naming
from generator.render import escape

from hostile import NAMES

HOSTILE = [*NAMES, "match", "_private", "__init__", "_", "0", "١٢٣", "'; DROP TABLE --"]


def styled_unique(
    entries: Iterable[tuple[int, str]], style: Callable[[str], str]
) -> dict[int, str]:
    return naming.unique_names({key: style(label) for key, label in entries})


STYLES = {
    "snake": lambda label: naming.snake_case(label, "field"),
    "pascal": lambda label: naming.pascal_case(label, "Model"),
    "constant": lambda label: naming.constant_case(label, "option"),
}


def assert_safe(name: str, reserved: frozenset[str]) -> None:
    assert name.isidentifier() and name.isascii()
    assert not keyword.iskeyword(name)
    # Usable as a class attribute, a module and a variable (soft keywords such as ``match``
    # are ordinary names there on every Python).
    compile(
        f"class C:\n    {name}: int = 0\nC.{name}\nimport {name}\n{name} = 1\n",
        "t",
        "exec",
    )
    assert name not in reserved
    assert not name.startswith("_")
    assert len(name) <= naming.MAX_LENGTH + 1


@pytest.mark.parametrize("label", HOSTILE)
def test_every_hostile_label_becomes_a_safe_identifier(label: str) -> None:
    assert_safe(naming.snake_case(label, "field"), naming.RESERVED_ATTRIBUTES)
    assert_safe(naming.pascal_case(label, "Model"), naming.RESERVED_CLASSES)
    assert_safe(naming.constant_case(label, "option"), naming.RESERVED_MEMBERS)


def test_readable_transliteration() -> None:
    assert naming.snake_case("Értékesítés", "field") == "ertekesites"
    assert naming.pascal_case("Értékesítés", "Model") == "Ertekesites"
    assert naming.constant_case("Qualified (Ideal)", "option") == "QUALIFIED_IDEAL"
    assert naming.snake_case("1. alkalom - kezdő", "field") == "field_1_alkalom_kezdo"
    assert naming.snake_case("StatusId", "field") == "status_id"
    assert naming.snake_case("Int1107", "field") == "int1107"
    assert naming.snake_case("Привет", "field") == "privet"


def test_reserved_names_get_a_trailing_underscore() -> None:
    for label in [
        "model_config",
        "model_dump",
        "schema",
        "copy",
        "dict",
        "json",
        "class",
        "int",
    ]:
        assert naming.snake_case(label, "field") == label + "_"
    assert naming.pascal_case("Client", "Model") == "ClientModel"
    assert naming.pascal_case("None", "Model") == "NoneModel"


def test_names_equal_after_folding_or_nfkc_are_told_apart() -> None:
    labels = {1: "ﬁle", 2: "file", 3: "E-mail", 4: "EMail", 5: "Email", 6: "email"}
    names = styled_unique(
        labels.items(), lambda label: naming.constant_case(label, "option")
    )
    assert names == {
        1: "FILE",
        2: "FILE_2",
        3: "E_MAIL",
        4: "E_MAIL_4",
        5: "EMAIL",
        6: "EMAIL_6",
    }


def test_a_suffixed_name_never_steals_a_plain_one() -> None:
    bases = {1329: "QUALIFIED", 1330: "QUALIFIED", 1400: "QUALIFIED_1330"}
    names = naming.unique_names(bases)
    assert names[1329] == "QUALIFIED" and names[1400] == "QUALIFIED_1330"
    assert len({name.casefold() for name in names.values()}) == 3


def test_string_keys_get_a_digest_suffix() -> None:
    names = naming.unique_names({"EMail": "e_mail", "E-mail": "e_mail"})
    assert (
        names["E-mail"] == "e_mail"
    )  # "-" sorts before "M": the smaller key keeps the name
    assert names["EMail"] == "e_mail_" + naming.key_digest("EMail")


labels = st.text(st.characters(codec="utf-8"), max_size=40)
entries = st.dictionaries(
    st.integers(min_value=-(2**40), max_value=2**63), labels, max_size=25
)


@settings(max_examples=300, deadline=None)
@given(label=labels)
def test_any_unicode_label_gives_a_safe_name(label: str) -> None:
    assert_safe(naming.snake_case(label, "field"), naming.RESERVED_ATTRIBUTES)
    assert_safe(naming.pascal_case(label, "Model"), naming.RESERVED_CLASSES)
    assert_safe(naming.constant_case(label, "option"), naming.RESERVED_MEMBERS)


@settings(max_examples=200, deadline=None)
@given(options=entries, seed=st.integers())
def test_unique_in_scope_and_independent_of_order(
    options: dict[int, str], seed: int
) -> None:
    style = STYLES["constant"]
    names = styled_unique(options.items(), style)
    assert len({name.casefold() for name in names.values()}) == len(options)
    for name in names.values():
        assert name.isidentifier() and not keyword.iskeyword(name)
    shuffled = list(options.items())
    random.Random(seed).shuffle(shuffled)
    assert styled_unique(shuffled, style) == names


@settings(max_examples=200, deadline=None)
@given(
    options=entries,
    new_id=st.integers(min_value=2**63 + 1, max_value=2**64),
    new_label=labels,
)
def test_adding_a_non_colliding_entry_renames_nothing(
    options: dict[int, str], new_id: int, new_label: str
) -> None:
    style = STYLES["snake"]
    before = styled_unique(options.items(), style)
    taken = {name.casefold() for name in before.values()} | {
        style(label).casefold() for label in options.values()
    }
    if style(new_label).casefold() in taken:
        return
    after = styled_unique([*options.items(), (new_id, new_label)], style)
    assert {key: after[key] for key in options} == before


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_docstring_text_cannot_end_a_docstring(text: str) -> None:
    body = escape.docstring(text)
    source = f'def f() -> None:\n    """{body}"""\n'
    tree = compile(source, "<test>", "exec", dont_inherit=True)
    namespace: dict[str, object] = {}
    exec(tree, namespace)
    assert "\n" not in body and "\x00" not in body


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=300))
def test_python_string_round_trips(text: str) -> None:
    assert eval(escape.python_string(text)) == text


def test_reserved_names_do_not_depend_on_the_running_python_or_pydantic() -> None:
    """The fixed lists cover this interpreter and pydantic: a release that adds a keyword, a
    builtin or a BaseModel attribute fails here instead of silently changing generated names.
    """
    import builtins
    import keyword

    from pydantic import BaseModel

    from generator import python_names

    assert set(keyword.kwlist) == python_names.KEYWORDS
    assert {n for n in dir(builtins) if not n.startswith("__")} <= python_names.BUILTINS
    public = {n for n in dir(BaseModel) if not n.startswith("_")}
    assert public <= python_names.BASEMODEL_ATTRIBUTES
    meta = {n for n in dir(type(BaseModel)) if not n.startswith("_")}
    assert meta <= python_names.METACLASS_ATTRIBUTES
    assert sys.stdlib_module_names <= python_names.STDLIB_MODULES
    # Soft keywords are ordinary names everywhere: contacts keep their ``type`` attribute.
    assert naming.snake_case("Type", "field") == "type"
    assert naming.snake_case("match", "field") == "match"
    assert naming.snake_case("class", "field") == "class_"

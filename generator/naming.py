"""Naming rules, in one place: every label typed by a CRM admin becomes a safe, readable identifier.

Labels are hostile input: they can hold accents, any script, emoji, a leading digit, keywords,
names pydantic or our runtime already use, 3,000 characters, quotes, NUL or template syntax. A
name is built in three steps, each a pure function of the label:

1. *words*: NFKC-normalise (Python does the same to identifiers, so ``ﬁle`` is ``file``),
   transliterate to ASCII (``Értékesítés`` -> ``Ertekesites``), split camelCase and keep runs of
   letters and digits;
2. *style*: join the words as ``snake_case`` (attributes), ``PascalCase`` (classes) or
   ``UPPER_CASE`` (enum members); an empty result becomes the scope's fallback word, a leading
   digit gets that word as prefix (``1. alkalom`` -> ``option_1_alkalom``), long names are cut;
3. *reserved*: a keyword or a name the generated code already uses gets a trailing ``_``.

Then names are made unique within their scope, comparing case-insensitively (so files named after
them cannot clash on a case-insensitive disk). The rule depends only on the colliding entries
themselves: among entries whose names collide, the one with the smallest key (lowest option id,
first API name in code-point order, lowest module id) keeps the plain name and every other one
gets its own key as a suffix (``QUALIFIED_1330``). Adding, removing or reordering entries that do
not collide never changes a name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from functools import lru_cache
from typing import Any, TypeVar

from .python_names import (
    BASEMODEL_ATTRIBUTES,
    BUILTINS,
    KEYWORDS,
    METACLASS_ATTRIBUTES,
)

MAX_LENGTH = 60

_CAMEL_LOWER_UPPER = re.compile(r"([a-z0-9])([A-Z])")
_CAMEL_ACRONYM = re.compile(r"([A-Z]+)([A-Z][a-z])")
_WORD = re.compile(r"[A-Za-z0-9]+")
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")

#: What the generated runtime exports from ``_values.py`` and ``_errors.py``.
VALUE_EXPORTS = (
    "AmbiguousValueWarning",
    "Bool",
    "ChoiceEnum",
    "ChoiceFlag",
    "DateTime",
    "FileURLs",
    "Int",
    "JsonList",
    "MiniCRMModel",
    "SearchPage",
    "Text",
    "TextTooLongError",
    "UnknownOptionWarning",
)
ERROR_EXPORTS = (
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "MethodNotAllowedError",
    "MiniCRMError",
    "NotFoundError",
    "PurgeRefusedError",
    "RateLimitError",
    "ReadOnlyFieldError",
    "ResponseTooLargeError",
    "ResponseValidationError",
    "ServerError",
    "UnknownUserError",
    "WebhookError",
    "WrongContactTypeError",
    "WrongModuleError",
)
#: What ``_webhooks.py`` defines: reading MiniCRM's webhook posts as typed events.
WEBHOOK_EXPORTS = ("ContactEvent", "ProjectEvent", "WebhookEvent", "parse_webhook")
#: Records and type aliases that are the same in every system (models/_shared.py).
SHARED_RECORDS = (
    "Address",
    "ContactSearchItem",
    "ModuleInfo",
    "ProjectSearch",
    "StatusGroup",
    "ToDo",
    "ToDoAttachment",
    "ToDoFilter",
    "ToDoItem",
    "ToDoMember",
    "ToDoMode",
    "ToDoNote",
    "ToDoStatus",
    "ToDoTypeId",
)

#: Names a generated model's attributes must not take: keywords, everything ``BaseModel`` defines
#: (``model_dump``, ``schema``, ``copy``, ``dict``, ``json``…) or its metaclass adds (``mro``,
#: ``register``: pydantic warns that a field would shadow them), the type names our annotations
#: use, and the methods our runtime base model adds.
RESERVED_ATTRIBUTES: frozenset[str] = frozenset(
    {
        *KEYWORDS,
        *BASEMODEL_ATTRIBUTES,
        *METACLASS_ATTRIBUTES,
        "bool",
        "bytes",
        "date",
        "datetime",
        "dict",
        "float",
        "int",
        "list",
        "object",
        "str",
        "to_api",
        "from_api",
    }
)

#: Class names generated code defines or imports itself, and every builtin name.
RESERVED_CLASSES: frozenset[str] = frozenset(
    {
        *KEYWORDS,
        *BUILTINS,
        *VALUE_EXPORTS,
        *ERROR_EXPORTS,
        *SHARED_RECORDS,
        *WEBHOOK_EXPORTS,
        "AddressesResource",
        "AllProjectsResource",
        "AnyProject",
        "HistoryResource",
        "EmailsResource",
        "EmailList",
        "TemplatesResource",
        "Template",
        "TemplateItem",
        "TemplateKind",
        "TemplateType",
        "AddressListItem",
        "LinksResource",
        "ProjectConnection",
        "StatusChange",
        "StatusT",
        "TypeAlias",
        "StrEnum",
        "Pacer",
        "Transport",
        "AsyncTransport",
        "Annotated",
        "Any",
        "AsyncClient",
        "AsyncIterator",
        "BusinessesResource",
        "ContactsResource",
        "ContactType",
        "Generic",
        "Iterator",
        "ModulesResource",
        "ItemT",
        "PersonsResource",
        "ProjectResource",
        "RecordT",
        "T",
        "ToDosResource",
        "TypeVar",
        "TypedDict",
        "Unpack",
        "BaseModel",
        "Business",
        "ClassVar",
        "Client",
        "Callable",
        "ConfigDict",
        "Dict",
        "Enum",
        "Field",
        "IntEnum",
        "IntFlag",
        "JsonValue",
        "List",
        "Literal",
        "Mapping",
        "Module",
        "Optional",
        "Person",
        "Self",
        "Sequence",
        "Set",
        "Tuple",
        "Type",
        "Union",
        "User",
    }
)

#: Enum member names with a meaning of their own in generated enums.
RESERVED_MEMBERS: frozenset[str] = frozenset({*KEYWORDS, "UNKNOWN"})


@lru_cache(maxsize=1 << 16)
def words(label: str) -> tuple[str, ...]:
    """The ASCII words of a label: ``"Értékesítés 2.0"`` -> ``("Ertekesites", "2", "0")``.

    Kept per label: option labels repeat across fields and modules ("Igen", "Nem", ...), and
    transliterating them was the largest part of building a big tenant's model.
    """
    if label.isascii():
        text = label
    else:
        # Imported on the first non-ASCII label, not with this module: loading it (through
        # importlib.resources) would delay the start of the render worker.
        from anyascii import anyascii

        text = anyascii(unicodedata.normalize("NFKC", label))
    text = _CAMEL_LOWER_UPPER.sub(r"\1 \2", text)
    text = _CAMEL_ACRONYM.sub(r"\1 \2", text)
    return tuple(_WORD.findall(text))


def _finish(
    name: str, fallback: str, reserved: frozenset[str], joiner: str, escape: str = "_"
) -> str:
    if not name:
        name = fallback
    elif name[0].isdigit():
        name = f"{fallback}{joiner}{name}"
    if len(name) > MAX_LENGTH:
        name = name[:MAX_LENGTH].rstrip("_")
    if name in KEYWORDS or name in reserved:
        name += escape
    return name


def snake_case(
    label: str, fallback: str, reserved: frozenset[str] = RESERVED_ATTRIBUTES
) -> str:
    """An attribute name: ``"E-mail cím"`` -> ``e_mail_cim``."""
    name = "_".join(word.lower() for word in words(label))
    return _finish(name, fallback.lower(), reserved, "_")


def pascal_case(
    label: str, fallback: str, reserved: frozenset[str] = RESERVED_CLASSES
) -> str:
    """A class name: ``"Értékesítés"`` -> ``Ertekesites``; all-capital words are capitalised.

    A reserved class name gets ``Model`` appended (``Client`` -> ``ClientModel``), as class names
    carry no underscores.
    """
    parts = [
        word.capitalize() if word.isupper() else word[0].upper() + word[1:]
        for word in words(label)
    ]
    return _finish("".join(parts), fallback, reserved, "", "Model")


@lru_cache(maxsize=1 << 16)
def constant_case(
    label: str, fallback: str, reserved: frozenset[str] = RESERVED_MEMBERS
) -> str:
    """An enum member name: ``"Qualified (Ideal)"`` -> ``QUALIFIED_IDEAL``."""
    name = "_".join(word.upper() for word in words(label))
    return _finish(name, fallback.upper(), reserved, "_")


def module_name(class_name: str) -> str:
    """The file a class lives in: unique because class names are unique case-insensitively."""
    name = class_name.lower()
    return name + "_" if name in KEYWORDS else name


def keywords_function(class_name: str) -> str:
    """The function of a module's search filters as keywords: ``Sales`` -> ``sales_filters``.

    Unique because class names are unique case-insensitively; never a keyword, never a class
    name (those are PascalCase), never a name the package defines (none ends in ``_filters``).
    """
    return f"{class_name.lower()}_filters"


def key_digest(key: object, length: int = 6) -> str:
    """A short, stable hexadecimal tag for a key, for suffixes where the key is no identifier."""
    return hashlib.sha256(repr(key).encode("utf-8")).hexdigest()[:length]


def identifier_suffix(key: object) -> str:
    """A key as a name suffix: digits stay readable (``1330``), anything else becomes a digest."""
    text = str(key)
    if text.isascii() and text.isdigit():
        return text
    if text.startswith("-") and text[1:].isascii() and text[1:].isdigit():
        return "minus" + text[1:]
    return key_digest(key)


K = TypeVar("K", bound=Hashable)


def unique_names(
    bases: Mapping[K, str],
    sort_key: Callable[[K], Any] = lambda key: key,
    suffix: Callable[[K], str] = identifier_suffix,
    joiner: str = "_",
    pinned: Mapping[K, str] | None = None,
) -> dict[K, str]:
    """Make ``bases`` unique (case-insensitively) by the collision rule of this module.

    The smallest key of each group of equal names keeps its name; the others get ``_<suffix>``.
    Should a suffixed name still clash (an option literally named ``Qualified 1330``), the plain
    name keeps priority and the suffixed one grows a digest of its key until it is unique.
    ``pinned`` keys keep their pinned names (the caller checked those are distinct); no other
    key takes a pinned name, not even the smallest of its group.
    """
    if not pinned and len({base.casefold() for base in bases.values()}) == len(bases):
        return dict(bases)  # no two alike: what the rule below gives, without its work
    pinned = pinned or {}
    taken = {name.casefold() for name in pinned.values()}
    groups: defaultdict[str, list[K]] = defaultdict(list)
    for key, base in bases.items():
        if key not in pinned:
            groups[base.casefold()].append(key)
    names: dict[K, str] = dict(pinned)
    plain: set[K] = set(pinned)
    for folded, keys in groups.items():
        ordered = sorted(keys, key=sort_key)
        if folded not in taken:
            names[ordered[0]] = bases[ordered[0]]
            plain.add(ordered[0])
            ordered = ordered[1:]
        for key in ordered:
            names[key] = f"{bases[key]}{joiner}{suffix(key)}"
    length = 6
    while True:
        holders: defaultdict[str, list[K]] = defaultdict(list)
        for key, name in names.items():
            holders[name.casefold()].append(key)
        clashing = [
            key
            for keys in holders.values()
            if len(keys) > 1
            for key in keys
            if key not in plain
        ]
        if not clashing:
            return names
        for key in clashing:
            names[key] = (
                f"{bases[key]}{joiner}{suffix(key)}{joiner}{key_digest(key, length)}"
            )
        length += 2

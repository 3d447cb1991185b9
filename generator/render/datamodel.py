"""Record models through datamodel-code-generator.

The intermediate model has already made every decision, so each entity is handed to
datamodel-code-generator as the model it would parse from a JSON Schema: one pydantic v2
``BaseModel`` whose fields carry our Python name, the escaped API name and docstring, the
annotation and the value type as extras (``x-*``), rendered by its template engine with our
``BaseModel.jinja2``, which turns them into black-style code. Parsing a schema first cost
about a millisecond a field and, on its first call, 0.8 s importing its configuration models.
"""

from __future__ import annotations

import importlib.metadata
import warnings
from typing import Any

from datamodel_code_generator.imports import Import
from datamodel_code_generator.model import base as datamodel_base
from datamodel_code_generator.model.pydantic_v2 import BaseModel, DataModelField
from datamodel_code_generator.reference import Reference
from datamodel_code_generator.types import DataType

from ..errors import GenerationError
from ..model import Entity, Field, Kind
from . import escape
from .black_fit import LINE_LENGTH, str_width
from .templates import compiled_templates, templates_dir
from .value_types import VALUE_TYPES, type_name

#: The plain type each value type reads, written as a field's annotation so that every IDE
#: infers it (jedi reads no ``Annotated`` alias); the value type goes to ``api_field(value=)``.
PLAIN_TYPES: dict[str, str] = {
    "Int": "int",
    "Text": "str",
    "Bool": "bool",
    "DateTime": "datetime",
    "JsonList": "list[JsonValue]",
    "JsonValue": "JsonValue",
    "FileURLs": "FileURLs",
}


def annotation(field: Field) -> str:
    """A field's annotation without ``| None``: its enum or flag type, or a plain type."""
    return field.choice or PLAIN_TYPES[VALUE_TYPES[field.kind]]


def value_type(field: Field) -> str | None:
    """The value type ``api_field`` attaches to a plain annotation, if any (none when the
    annotation is the type itself: a choice, ``JsonValue``, ``FileURLs``)."""
    name = type_name(field)
    return None if field.choice or PLAIN_TYPES[name] == name else name


def write_rule(field: Field) -> str | None:
    """The ``api_field`` keyword that says when a field may be written, if it is restricted."""
    if field.server_set:
        return "read_only=True"
    if field.create_only:
        return "create_only=True"
    return None


def exploded(field: Field) -> bool:
    """Whether a field's ``api_field(...)`` call is written one argument a line, as black
    writes it, with the doc a line of its own; otherwise on one line, for black to lay out.

    Only the doc's line may be wider than black's limit (black never splits a string).
    """
    rule = write_rule(field)
    lines = [
        f"    {field.name}: {annotation(field)} | None = api_field(",
        f"        {escape.python_string(field.api_name)},",
        f"        max_length={field.text_limit}," if field.kind is Kind.TEXT else "",
        f"        {rule}," if rule else "",
        f"        value={value_type(field)},",
    ]
    return all(str_width(line) <= LINE_LENGTH for line in lines)


def type_path(
    field: Field, package: str, entity_module: str, shared: frozenset[str]
) -> str:
    """Where a field's type lives: our value, enum or flag types, or pydantic's JSON value."""
    name = type_name(field)
    if name == "JsonValue":
        return "pydantic.JsonValue"
    if field.choice is None:
        return f"{package}._values.{name}"
    module = "_shared" if name in shared else entity_module
    return f"{package}.models.{module}.{name}"


def field_extras(field: Field) -> dict[str, Any]:
    """What the class template writes for a field, every part decided and escaped."""
    return {
        "x-name": field.name,
        "x-api-name": escape.python_string(field.api_name),
        "x-doc": escape.docstring(field.doc),
        "x-max-length": field.text_limit if field.kind is Kind.TEXT else None,
        "x-write": write_rule(field),
        "x-exploded": exploded(field),
        "x-type": annotation(field),
        "x-value": value_type(field),
    }


def _keep_compiled_templates() -> None:
    """datamodel-code-generator compiles our record template afresh on every run (40 ms, two
    thirds of a small tenant's first record model), with no option to keep it: its Jinja
    environments get a cache of compiled templates like ours. Its builder of environments is
    private; the version is pinned, and without it templates simply compile."""
    build = getattr(datamodel_base, "_build_environment", None)
    if build is None:
        return

    # Its settings are compiled into the templates: another version, another cache.
    owner = f"-datamodel-{importlib.metadata.version('datamodel-code-generator')}"

    def build_with_cache(*args: Any, **kwargs: Any) -> Any:
        environment = build(*args, **kwargs)
        environment.bytecode_cache = compiled_templates(owner)
        return environment

    datamodel_base._build_environment = build_with_cache


_keep_compiled_templates()


def render_model_class(
    entity: Entity, package: str, entity_module: str, shared: frozenset[str]
) -> str:
    """The record model class of one entity, as datamodel-code-generator renders it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = BaseModel(
            reference=Reference(
                path=f"#/{entity.name}", original_name=entity.name, name=entity.name
            ),
            fields=[
                DataModelField(
                    name=field.name,
                    original_name=field.api_name,
                    data_type=DataType.from_import(
                        Import.from_full_path(
                            type_path(field, package, entity_module, shared)
                        ),
                        is_custom_type=True,
                    ),
                    extras=field_extras(field),
                    required=True,
                )
                for field in entity.fields
            ],
            custom_base_class=f"{package}._values.MiniCRMModel",
            custom_template_dir=templates_dir() / "datamodel",
            description=escape.docstring(entity.doc),
        )
        output = model.render()
    if not output.startswith(f"class {entity.name}("):
        raise GenerationError(
            f"datamodel-code-generator renamed the model {entity.name}; please report this"
        )
    return output.rstrip()

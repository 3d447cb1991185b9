"""Record models through datamodel-code-generator.

The intermediate model emits one JSON Schema per entity in which every decision is already
made: the class name is the title, each property carries our Python name (``x-name``, also
passed as an alias so datamodel-code-generator never invents one), the escaped API name and
docstring, and its type as a ``customTypePath`` to our value, enum and flag types. Our
``BaseModel.jinja2`` template turns that into black-style code.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

from datamodel_code_generator import generate
from datamodel_code_generator.enums import DataModelType, InputFileType
from datamodel_code_generator.format import PythonVersion
from black.strings import str_width

from ..errors import GenerationError
from ..model import Entity, Field, Kind
from . import escape
from .black_fit import LINE_LENGTH
from .templates import templates_dir

VALUE_TYPES: dict[Kind, str] = {
    Kind.INT: "Int",
    Kind.CONTACT_ID: "Int",
    Kind.BUSINESS_ID: "Int",
    Kind.CATEGORY_ID: "Int",
    Kind.STATUS_ID: "Int",
    Kind.USER_ID: "Int",
    Kind.CREATED_BY: "Int",
    Kind.UPDATED_BY: "Int",
    Kind.BOOLEAN: "Bool",
    Kind.DATETIME: "DateTime",
    Kind.TEXT: "Text",
    Kind.FILE: "FileURLs",
    Kind.LIST: "JsonList",
    Kind.UNKNOWN: "JsonValue",
}


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


def type_name(field: Field) -> str:
    """The Python type of a field's value (without ``| None``)."""
    return field.choice or VALUE_TYPES[field.kind]


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


def type_schema(
    field: Field, package: str, entity_module: str, shared: frozenset[str]
) -> dict[str, str]:
    """JSON Schema for a field's type: a ``customTypePath`` to our value, enum or flag types."""
    name = type_name(field)
    if name == "JsonValue":
        return {"customTypePath": "pydantic.JsonValue"}
    if field.choice is None:
        return {"customTypePath": f"{package}._values.{name}"}
    module = "_shared" if name in shared else entity_module
    return {"customTypePath": f"{package}.models.{module}.{name}"}


def entity_schema(
    entity: Entity, package: str, entity_module: str, shared: frozenset[str]
) -> dict[str, Any]:
    properties = {}
    for field in entity.fields:
        properties[field.api_name] = {
            **type_schema(field, package, entity_module, shared),
            "x-name": field.name,
            "x-api-name": escape.python_string(field.api_name),
            "x-doc": escape.docstring(field.doc),
            "x-max-length": field.text_limit if field.kind is Kind.TEXT else None,
            "x-write": write_rule(field),
            "x-exploded": exploded(field),
            "x-type": annotation(field),
            "x-value": value_type(field),
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": entity.name,
        "description": escape.docstring(entity.doc),
        "type": "object",
        "properties": properties,
        "required": [field.api_name for field in entity.fields],
    }


def render_model_class(
    entity: Entity, package: str, entity_module: str, shared: frozenset[str]
) -> str:
    """The record model class of one entity, as datamodel-code-generator renders it."""
    schema = entity_schema(entity, package, entity_module, shared)
    aliases = {f"{entity.name}.{field.api_name}": field.name for field in entity.fields}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        output = generate(
            json.dumps(schema),
            input_file_type=InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            custom_template_dir=templates_dir() / "datamodel",
            base_class=f"{package}._values.MiniCRMModel",
            aliases=aliases,
            field_extra_keys={
                "x-name",
                "x-api-name",
                "x-doc",
                "x-max-length",
                "x-write",
                "x-exploded",
                "x-type",
                "x-value",
            },
            use_schema_description=True,
            formatters=[],
            disable_timestamp=True,
            use_union_operator=True,
            use_standard_collections=True,
        )
    if not isinstance(output, str):
        raise GenerationError(
            f"datamodel-code-generator gave no single module for {entity.name}"
        )
    start = output.find(f"class {entity.name}(")
    if start < 0:
        raise GenerationError(
            f"datamodel-code-generator renamed the model {entity.name}; please report this"
        )
    return output[start:].rstrip()

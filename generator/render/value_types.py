"""The value type of each field: what an entity file imports and its record model annotates.

Apart from :mod:`.datamodel`, so that the files around a record model render without
importing datamodel-code-generator (see :func:`generator.render.render_entity`).
"""

from __future__ import annotations

from ..model import Field, Kind

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


def type_name(field: Field) -> str:
    """The Python type of a field's value (without ``| None``)."""
    return field.choice or VALUE_TYPES[field.kind]

"""The intermediate model: plain, immutable objects that carry every decision once.

The build stage (:mod:`generator.build_model`) makes them from a snapshot; templates only read
them. Every name here is final, every type is decided, every text is the raw text (escaping is
the renderer's job, through one helper).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a schema field holds, as far as a client must know."""

    INT = "Int"
    TEXT = "Text"
    DATETIME = "DateTime"
    BOOLEAN = "Boolean"
    FILE = "File"
    ENUM = "Enum"
    SET = "Set"
    CATEGORY_ID = "CategoryId"
    CONTACT_ID = "ContactId"
    BUSINESS_ID = "BusinessId"
    STATUS_ID = "StatusId"
    USER_ID = "UserId"
    CREATED_BY = "CreatedBy"
    UPDATED_BY = "UpdatedBy"
    CONTACT_TYPE = "ContactType"
    LIST = "List"
    UNKNOWN = "Unknown"


#: The choice types a tenant's modules share (its users, its modules, the contact kinds),
#: named alike in every generated package.
USER_TYPE = "User"
MODULE_TYPE = "Module"
CONTACT_TYPE = "ContactType"


class ChoiceStyle(StrEnum):
    """An Enum field picks one option; a Set field (a bitmask) picks any number."""

    ENUM = "enum"
    FLAG = "flag"


class EntityKind(StrEnum):
    BUSINESS = "Business"
    PERSON = "Person"
    PROJECT = "Project"


@dataclass(frozen=True, slots=True)
class Option:
    """One option of an Enum or Set field: its id (a bit value for Sets), label and member name.

    ``value`` is what the API takes on write when that is not the id (contact ``Type`` is
    written ``Person`` / ``Business``, never as its option id).
    """

    id: int
    label: str
    name: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class ChoiceType:
    """A named enum or flag type. Identical user and module maps share one type."""

    name: str
    style: ChoiceStyle
    options: tuple[Option, ...]
    doc: str


@dataclass(frozen=True, slots=True)
class Field:
    """One field of an entity: from its schema, or a system field real answers carry beyond it.

    ``server_set`` fields are never written; ``create_only`` ones are written when the record is
    created and cannot change afterwards.
    """

    api_name: str
    name: str
    kind: Kind
    raw_type: str
    text_limit: int | None
    choice: str | None
    server_set: bool
    doc: str
    create_only: bool = False
    system: bool = False


@dataclass(frozen=True, slots=True)
class Entity:
    """Business, Person, or the projects of one module, with their fields in API-name order."""

    name: str
    module: str
    kind: EntityKind
    schema_endpoint: str
    fields: tuple[Field, ...]
    doc: str
    constants: str
    """The class of its field-name constants (``SalesFields.referrer == "Referrer"``)."""


@dataclass(frozen=True, slots=True)
class Module:
    """A MiniCRM module (``CategoryId``): its projects follow the module's own schema.

    Besides the record model, a module has a search item model, a filters type for searches and
    a client resource; their names are decided here with all other type names.
    """

    id: int
    label: str
    type: str
    attribute: str
    entity: Entity
    status_type: str | None
    search_item: str
    filters: str
    keywords: str
    """The function taking the filters as keyword parameters (``sales_filters``): editors that
    do not read ``Unpack[TypedDict]`` (jedi, so notebooks) complete a search's filters from it."""
    resource: str


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A warning found while building the model, collected as a value and reported once."""

    location: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True, slots=True)
class Tenant:
    """Everything a generated client for one system needs, decided."""

    system_id: str
    base_url: str
    fingerprint: str
    business: Entity
    person: Entity
    modules: tuple[Module, ...]
    choice_types: tuple[ChoiceType, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def entities(self) -> tuple[Entity, ...]:
        return (self.business, self.person, *(module.entity for module in self.modules))

    def choice_type(self, name: str) -> ChoiceType:
        for choice in self.choice_types:
            if choice.name == name:
                return choice
        raise KeyError(name)

"""Build stage: turn a snapshot's raw schema answers into the intermediate model.

All inference lives here, written down once:

* type strings: ``Int``, ``Text(N)`` (``Text`` alone: 1024), ``DateTime``, ``Boolean``,
  ``File(…)``; anything else is *Unknown* (a warning, and the raw value passes through);
* option maps: the relation fields ``CategoryId`` (modules), ``StatusId`` (statuses of that
  entity) and ``UserId`` / ``CreatedBy`` / ``UpdatedBy`` (users) are enums of shared types; any
  other map is a *Set* when every key is a power of two up to 2**63 and ``1`` is among them
  (a single ``{"1": …}`` is a checkbox), else an *Enum*; configuration overrides this per field;
  an empty map is *Unknown* with a warning;
* contact ``Type`` is its own kind, the shared ``ContactType``: Person or Business, written in
  English whatever the schema's labels (see :meth:`_Builder.contact_type`);
* system fields: real answers carry fields the schema may not list (:data:`SYSTEM_FIELDS`);
  they are added, typed, where the schema lacks them (a schema entry always wins);
* ``Id``, ``CreatedAt``, ``UpdatedAt``, ``CreatedBy``, ``UpdatedBy``, ``StatusUpdatedAt``,
  ``ProjectHash`` and ``ProjectEmail`` are set by the server; a project's ``CategoryId`` and a
  contact's ``Type`` (and a person's ``BusinessId``) are written on create and cannot change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from . import naming
from . import snapshot as snap
from .config import GeneratorConfig
from .errors import ConfigError
from .pins import MODULE_SCOPE, USER_SCOPE, Pins, check_name
from .model import (
    CONTACT_TYPE,
    MODULE_TYPE,
    USER_TYPE,
    ChoiceStyle,
    ChoiceType,
    Diagnostic,
    Entity,
    EntityKind,
    Field,
    Kind,
    Module,
    Option,
    Tenant,
)

SERVER_SET_FIELDS = frozenset(
    {
        "Id",
        "CreatedAt",
        "UpdatedAt",
        "CreatedBy",
        "UpdatedBy",
        "StatusUpdatedAt",
        "ProjectHash",
        "ProjectEmail",
    }
)
#: Fields an update cannot change: a card cannot move to another module; a contact cannot turn
#: into the other kind; a person cannot move to another company "via API" (manual p.44). A
#: card's ContactId can change (manual p.81; contradictions register #11), so it is not here.
CREATE_ONLY_FIELDS: Mapping[EntityKind, frozenset[str]] = {
    EntityKind.BUSINESS: frozenset({"Type"}),
    EntityKind.PERSON: frozenset({"Type", "BusinessId"}),
    EntityKind.PROJECT: frozenset({"CategoryId"}),
}
#: The system type of ``CreatedBy`` / ``UpdatedBy``: users, whose labels a detail GET answers.
SYSTEM_USER = "User"
#: A JSON list (``Tags``; its items were only ever seen empty).
SYSTEM_LIST = "List"
_CONTACT_SYSTEM_FIELDS: Mapping[str, tuple[str, str]] = {
    "BankAccount": ("Text", ""),
    "CreatedAt": ("DateTime", "when the contact was created"),
    "CreatedBy": (SYSTEM_USER, "who created the contact"),
    "Deleted": ("Boolean", "whether the contact is in the trash"),
    "Description": ("Text(65535)", ""),
    "Email": ("Text", ""),
    "EmailType": ("Text", ""),
    "Id": ("Int", "the contact's id"),
    "Industry": ("Text", ""),
    "Phone": ("Text", ""),
    "PhoneType": ("Text", ""),
    "Region": ("Text", ""),
    "Swift": ("Text", ""),
    "Tags": (SYSTEM_LIST, "the contact's tags"),
    "UpdatedAt": ("DateTime", "when the contact last changed"),
    "UpdatedBy": (SYSTEM_USER, "who last changed the contact"),
    "Url": ("Text", ""),
    "VatNumber": ("Text", ""),
    "YearlyRevenue": ("Int", ""),
}
#: Fields real detail answers carry beyond what a schema may list (reference §0, §4, §6), with
#: their type (a schema type string, :data:`SYSTEM_USER` or :data:`SYSTEM_LIST`) and meaning.
#: A schema entry of the same name always wins.
SYSTEM_FIELDS: Mapping[EntityKind, Mapping[str, tuple[str, str]]] = {
    EntityKind.BUSINESS: {
        **_CONTACT_SYSTEM_FIELDS,
        "BisnodeTrafficLight": ("Text", ""),
        "Capital": ("Int", ""),
        "EUVatNumber": ("Text", ""),
        "Employees": ("Int", ""),
        "FoundingYear": ("Int", ""),
        "MainActivity": ("Text", ""),
        "Name": ("Text", ""),
        "NonGovernmentalOrganization": ("Text", "a label such as No"),
        "RegistrationNumber": ("Text", ""),
    },
    EntityKind.PERSON: {
        **_CONTACT_SYSTEM_FIELDS,
        "BusinessId": ("Int", "the person's company"),
        "FirstName": ("Text", ""),
        "LastName": ("Text", ""),
        "Position": ("Text", ""),
    },
    EntityKind.PROJECT: {
        "BusinessId": ("Int", "the company of the main contact"),
        "CategoryId": ("Int", "the project's module"),
        "ContactId": ("Int", "the main contact"),
        "CreatedAt": ("DateTime", "when the project was created"),
        "CreatedBy": (SYSTEM_USER, "who created the project"),
        "Deleted": ("Int", "1 when the project is in the trash"),
        "Id": ("Int", "the project's id"),
        "Invited": ("Text(65535)", "who is invited to the project"),
        "IsPrivate": ("Boolean", "whether the project is private"),
        "ProjectEmail": ("Text", "the project's own mailbox, archived on the card"),
        "ProjectHash": ("Text", "an opaque hashed id of the project"),
        "StatusUpdatedAt": ("DateTime", "when the status last changed"),
        "UpdatedAt": ("DateTime", "when the project last changed"),
        "UpdatedBy": (SYSTEM_USER, "who last changed the project"),
    },
}
RELATION_KINDS: Mapping[str, Kind] = {
    "CategoryId": Kind.CATEGORY_ID,
    "ContactId": Kind.CONTACT_ID,
    "BusinessId": Kind.BUSINESS_ID,
    "StatusId": Kind.STATUS_ID,
    "UserId": Kind.USER_ID,
    "CreatedBy": Kind.CREATED_BY,
    "UpdatedBy": Kind.UPDATED_BY,
}
USER_KINDS = frozenset({Kind.USER_ID, Kind.CREATED_BY, Kind.UPDATED_BY})
DEFAULT_TEXT_LIMIT = 1024
LARGEST_BIT = 2**63
#: The contact kinds as the API writes them, with the option id MiniCRM gives each in the
#: schema's ``Type`` map (``{"1": "Cég", "2": "Személy"}``), in id order.
CONTACT_KINDS = (("Business", 1), ("Person", 2))
#: The companion every record has, contacts too: its field-name constants (``SalesFields``).
FIELDS = "Fields"
#: The classes that go with each module's record model, named ``<Model><suffix>``.
COMPANIONS = ("SearchItem", "Filters", "Resource", FIELDS)

#: Attribute names the generated client object uses itself, so no module resource may take them.
RESERVED_RESOURCES = naming.RESERVED_ATTRIBUTES | {
    "aclose",
    "addresses",
    "all_projects",
    "base_url",
    "businesses",
    "close",
    "contacts",
    "emails",
    "history",
    "links",
    "modules",
    "persons",
    "system_id",
    "templates",
    "todos",
}

_TEXT = re.compile(r"Text(?:\((\d{1,9})\))?")
_FILE = re.compile(r"File(?:\([^()]*\))?")
_PLAIN_KINDS = {"Int": Kind.INT, "DateTime": Kind.DATETIME, "Boolean": Kind.BOOLEAN}
_KIND_WORDS = {
    Kind.INT: "whole number",
    Kind.DATETIME: "date and time, in the system's local time",
    Kind.BOOLEAN: "yes or no",
    Kind.CONTACT_ID: "id of a contact",
    Kind.BUSINESS_ID: "id of a company",
    Kind.CATEGORY_ID: "id of a module",
    Kind.STATUS_ID: "id of a status",
    Kind.USER_ID: "id of a user",
    Kind.CREATED_BY: "id of a user",
    Kind.UPDATED_BY: "id of a user",
}
_CHOICE_WORDS = {
    Kind.CATEGORY_ID: "module",
    Kind.STATUS_ID: "status",
    Kind.USER_ID: "user",
    Kind.CREATED_BY: "user",
    Kind.UPDATED_BY: "user",
}
_OPTIONS_IN_DOC = 25
_WHOLE_NUMBER = re.compile(r"\s*[+-]?[0-9]+\s*")


def is_bit_values(ids: list[int]) -> bool:
    """Keys of a Set: distinct powers of two, 1 among them, none above 2**63."""
    return 1 in ids and all(
        0 < value <= LARGEST_BIT and value & (value - 1) == 0 for value in ids
    )


def options_of(raw: Any) -> dict[int, str]:
    """An option map (``[]`` when empty, as PHP writes it) as ``{id: label}``."""
    if not isinstance(raw, dict):
        return {}
    return {int(key): str(label) for key, label in raw.items()}


@dataclass(frozen=True)
class _RawField:
    """A field before names are decided."""

    api_name: str
    kind: Kind
    raw_type: str
    text_limit: int | None
    options: Mapping[int, str]
    style: ChoiceStyle | None
    meaning: str | None = None
    """What a system field means; None for a schema field."""


@dataclass(frozen=True)
class _RawEntity:
    key: tuple[int, int]
    kind: EntityKind
    endpoint: str
    module_id: int | None
    fields: tuple[_RawField, ...]


class _Builder:
    def __init__(
        self, snapshot: snap.Snapshot, config: GeneratorConfig, pins: Pins | None
    ) -> None:
        self.snapshot = snapshot
        self.config = config
        self.pins = pins or Pins("")
        self.diagnostics: list[Diagnostic] = []

    def warn(self, location: str, code: str, message: str) -> None:
        self.diagnostics.append(Diagnostic(location, code, message))

    # -- fields --------------------------------------------------------------------------------

    def classify(
        self, entity: str, endpoint: str, module_id: int | None, api_name: str, raw: Any
    ) -> _RawField:
        location = f"{endpoint} {api_name!r}"
        if api_name == "Type" and module_id is None:
            if self.config.override_for(entity, None, api_name) is not None:
                self.warn(
                    location,
                    "override-ignored",
                    "is the contact Type (ContactType); a configured style does not apply",
                )
            return _RawField(
                api_name, Kind.CONTACT_TYPE, "options", None, options_of(raw), None
            )
        relation = RELATION_KINDS.get(api_name)
        if isinstance(raw, str):
            kind, limit = self.classify_type_string(raw, location)
            if relation is not None and kind is Kind.INT:
                kind = relation
            return _RawField(api_name, kind, raw, limit, {}, None)
        options = options_of(raw)
        if relation is not None:
            return _RawField(
                api_name,
                relation,
                "options",
                None,
                options,
                ChoiceStyle.ENUM if options else None,
            )
        if not options:
            self.warn(
                location,
                "empty-options",
                "has an empty option map; it is typed as its raw value",
            )
            return _RawField(api_name, Kind.UNKNOWN, "{}", None, {}, None)
        bits = is_bit_values(list(options))
        style = ChoiceStyle.FLAG if bits else ChoiceStyle.ENUM
        override = self.config.override_for(entity, module_id, api_name)
        if override is ChoiceStyle.FLAG and not bits:
            self.warn(
                location,
                "override-ignored",
                "is configured as a Set but its option ids are not bit values; kept as an Enum",
            )
        elif override is not None:
            style = override
        kind = Kind.SET if style is ChoiceStyle.FLAG else Kind.ENUM
        return _RawField(api_name, kind, "options", None, options, style)

    def classify_type_string(self, raw: str, location: str) -> tuple[Kind, int | None]:
        if raw in _PLAIN_KINDS:
            return _PLAIN_KINDS[raw], None
        text = _TEXT.fullmatch(raw)
        if text is not None:
            return Kind.TEXT, (
                int(text.group(1)) if text.group(1) else DEFAULT_TEXT_LIMIT
            )
        if _FILE.fullmatch(raw):
            return Kind.FILE, None
        self.warn(
            location,
            "unknown-type",
            f"has the unknown type {raw!r}; it is typed as its raw value",
        )
        return Kind.UNKNOWN, None

    def raw_entity(
        self,
        kind: EntityKind,
        endpoint: str,
        module_id: int | None,
        key: tuple[int, int],
    ) -> _RawEntity:
        schema = self.snapshot.endpoints.get(endpoint)
        schema = schema if isinstance(schema, dict) else {}
        system = SYSTEM_FIELDS[kind]
        fields = tuple(
            (
                self.classify(
                    kind.value, endpoint, module_id, api_name, schema[api_name]
                )
                if api_name in schema
                else self.system_field(api_name, *system[api_name])
            )
            for api_name in sorted(schema.keys() | system.keys())
        )
        return _RawEntity(key, kind, endpoint, module_id, fields)

    def system_field(self, api_name: str, raw: str, meaning: str) -> _RawField:
        """A field real answers carry that this schema does not list."""
        if raw == SYSTEM_USER:
            kind, limit = RELATION_KINDS[api_name], None
        elif raw == SYSTEM_LIST:
            kind, limit = Kind.LIST, None
        else:
            kind, limit = self.classify_type_string(raw, api_name)
            kind = RELATION_KINDS.get(api_name, kind) if kind is Kind.INT else kind
            if raw == "Text":
                limit = None  # the real limit is not known: nothing to check
        return _RawField(api_name, kind, raw, limit, {}, None, meaning)

    # -- names ---------------------------------------------------------------------------------

    def field_bases(self, entity: _RawEntity) -> dict[str, str]:
        """Each field's Python name before collisions, never another field's API name.

        Records read Python names as well as API names, so a field named after another
        field's API name would read that field's value too; it gets its key as a suffix.
        """
        api_names = {field.api_name for field in entity.fields}
        bases: dict[str, str] = {}
        for field in entity.fields:
            base = naming.snake_case(field.api_name, "field")
            if base in api_names and base != field.api_name:
                base = f"{base}_{naming.identifier_suffix(field.api_name)}"
                self.warn(
                    entity.endpoint,
                    "renamed",
                    f"field {_short(field.api_name)} is named {base} because "
                    f"{base.rpartition('_')[0]} is the API name of another field",
                )
            bases[field.api_name] = base
        return bases

    def not_an_api_name(
        self, entity: _RawEntity, api_name: str, name: str, pinned: Mapping[str, str]
    ) -> str:
        """``name``, grown by a digest of ``api_name`` while it is another field's API name."""
        api_names = {field.api_name for field in entity.fields}
        while name in api_names and name != api_name:
            if api_name in pinned:
                raise ConfigError(
                    f"{self.pins.origin}: pinned name {name!r} of field {_short(api_name)} "
                    f"in {entity.endpoint} is the API name of another field, whose values "
                    "it would read; pin another name"
                )
            name = f"{name}_{naming.key_digest(api_name)}"
        return name

    def unique(
        self,
        bases: Mapping[Any, str],
        scope: str,
        sort_key: Any = lambda key: key,
        suffix: Any = naming.identifier_suffix,
        joiner: str = "_",
        describe: Callable[[Any], str] = repr,
        pinned: Mapping[Any, str] | None = None,
        kind: str = "attribute",
        reserved: frozenset[str] = naming.RESERVED_ATTRIBUTES,
    ) -> dict[Any, str]:
        """Unique names, with a warning for every entry that had to be renamed.

        This is the one place pins apply: a pinned key keeps its pinned name (checked here:
        usable, not reserved, distinct), no fresh name takes a pinned one, and a pin whose key
        is gone from the schema is a warning.
        """
        pinned = pinned or {}
        for key in sorted(set(pinned) - set(bases), key=str):
            self.warn(
                self.pins.origin,
                "stale-pin",
                f"{describe(key)} in {scope} is pinned as {pinned[key]} but is no longer "
                "in the schema; `minicrm-codegen pin` drops it",
            )
        live = {key: name for key, name in pinned.items() if key in bases}
        holders: dict[str, Any] = {}
        for key, name in sorted(live.items(), key=lambda item: str(item[0])):
            problem = check_name(name, kind, reserved)
            if problem is not None:
                raise ConfigError(
                    f"{self.pins.origin}: pinned name {name!r} of {describe(key)} in {scope} "
                    f"is not usable: {problem}"
                )
            other = holders.setdefault(name.casefold(), key)
            if other != key:
                raise ConfigError(
                    f"{self.pins.origin}: {describe(other)} and {describe(key)} in {scope} "
                    f"are both pinned as {name!r}; give one another name"
                )
        names = naming.unique_names(
            bases, sort_key=sort_key, suffix=suffix, joiner=joiner, pinned=live
        )
        renamed = [
            (key, name)
            for key, name in names.items()
            if name != bases[key] and key not in live
        ]
        for key, name in sorted(renamed, key=lambda item: item[1]):
            self.warn(
                scope,
                "renamed",
                f"{describe(key)} is named {name} because {bases[key]} is taken",
            )
        return names

    def options(
        self, raw: Mapping[int, str], scope: str, pin_scope: str
    ) -> tuple[Option, ...]:
        bases = {
            option_id: naming.constant_case(label, "option")
            for option_id, label in raw.items()
        }
        names = self.unique(
            bases,
            scope,
            describe=lambda key: f"option {key}" + _labelled(raw, key),
            pinned=self.pins.options.get(pin_scope),
            kind="member",
            reserved=naming.RESERVED_MEMBERS,
        )
        return tuple(
            Option(option_id, raw[option_id], names[option_id])
            for option_id in sorted(raw)
        )

    # -- the whole tenant ----------------------------------------------------------------------

    def build(self) -> Tenant:
        endpoints = self.snapshot.endpoints
        category = endpoints.get(snap.CATEGORY)
        detailed = endpoints.get(snap.CATEGORY_DETAILED)
        detailed = detailed if isinstance(detailed, dict) else {}
        # Ids as the server wrote them name endpoints; as numbers they name modules (the
        # snapshot check guarantees that no two are the same number).
        module_keys = {int(key): key for key in category or {}}
        module_labels = {
            int(key): str(label) for key, label in (category or {}).items()
        }

        raw_entities = [
            self.raw_entity(EntityKind.BUSINESS, snap.SCHEMA_BUSINESS, None, (0, 0)),
            self.raw_entity(EntityKind.PERSON, snap.SCHEMA_PERSON, None, (0, 1)),
        ]
        for module_id in sorted(module_labels):
            endpoint = snap.project_schema_endpoint(module_keys[module_id])
            raw_entities.append(
                self.raw_entity(EntityKind.PROJECT, endpoint, module_id, (1, module_id))
            )

        module_classes = self.unique(
            {
                module_id: naming.pascal_case(label, "Project")
                for module_id, label in module_labels.items()
            },
            snap.CATEGORY,
            joiner="",
            describe=lambda key: f"the model of module {key}"
            + _labelled(module_labels, key),
            pinned={i: pin["model"] for i, pin in self.pins.modules.items()},
            kind="class",
            reserved=naming.RESERVED_CLASSES,
        )
        module_attributes = self.unique(
            {
                module_id: naming.snake_case(label, "project", RESERVED_RESOURCES)
                for module_id, label in module_labels.items()
            },
            snap.CATEGORY,
            describe=lambda key: f"the client attribute of module {key}"
            + _labelled(module_labels, key),
            pinned={i: pin["resource"] for i, pin in self.pins.modules.items()},
            reserved=RESERVED_RESOURCES,
        )
        entity_bases = {
            (0, 0): "Business",
            (0, 1): "Person",
            **{
                (1, module_id): module_classes[module_id] for module_id in module_labels
            },
        }

        field_names: dict[tuple[tuple[int, int], str], str] = {}
        for entity in raw_entities:
            pinned = self.pins.fields.get(_pin_key(entity))
            renamed = self.unique(
                self.field_bases(entity),
                entity.endpoint,
                describe=lambda key: f"field {_short(key)}",
                pinned=pinned,
            )
            for api_name, name in renamed.items():
                field_names[(entity.key, api_name)] = self.not_an_api_name(
                    entity, api_name, name, pinned or {}
                )

        # Type names: reserved names and models win over derived names; all are unique in the tenant.
        type_bases: dict[tuple[Any, ...], str] = {
            ("reserved", name): name
            for name in naming.RESERVED_CLASSES - {"Business", "Person"}
            if name[:1].isupper()
        }
        type_bases.update({("model", *key): name for key, name in entity_bases.items()})
        for module_id in module_labels:
            for companion in COMPANIONS:
                base = (entity_bases[(1, module_id)] + companion)[: naming.MAX_LENGTH]
                type_bases[("companion", 1, module_id, companion)] = base
        for key in ((0, 0), (0, 1)):
            type_bases[("companion", *key, FIELDS)] = entity_bases[key] + FIELDS
        for entity in raw_entities:
            owner = entity_bases[entity.key]
            for field in entity.fields:
                if field.kind is Kind.STATUS_ID and field.options:
                    type_bases[("status", *entity.key)] = f"{owner}Status"[
                        : naming.MAX_LENGTH
                    ]
                elif field.kind in (Kind.ENUM, Kind.SET):
                    pascal = naming.pascal_case(
                        field_names[(entity.key, field.api_name)], "Field", frozenset()
                    )
                    type_bases[("field", *entity.key, field.api_name)] = (
                        owner + pascal
                    )[: naming.MAX_LENGTH]
        rank = {"reserved": 0, "model": 1, "companion": 2, "status": 3, "field": 4}
        type_names = self.unique(
            type_bases,
            "type names",
            sort_key=lambda key: (rank[key[0]], key[1:]),
            suffix=_type_suffix,
            joiner="",
            describe=_describe_type,
            pinned=self.pinned_types(),
            kind="class",
            reserved=naming.RESERVED_CLASSES,
        )

        choice_types: dict[str, ChoiceType] = {}
        users = self.merged_options(raw_entities, USER_KINDS, "users")
        if users:
            choice_types[USER_TYPE] = ChoiceType(
                USER_TYPE,
                ChoiceStyle.ENUM,
                self.options(users, "users", USER_SCOPE),
                "A user of the system (UserId, CreatedBy, UpdatedBy).",
            )
        modules_map = dict(module_labels)
        modules_map.update(
            self.merged_options(raw_entities, frozenset({Kind.CATEGORY_ID}), "modules")
        )
        if modules_map:
            choice_types[MODULE_TYPE] = ChoiceType(
                MODULE_TYPE,
                ChoiceStyle.ENUM,
                self.options(modules_map, snap.CATEGORY, MODULE_SCOPE),
                "A module of the system (CategoryId).",
            )
        choice_types[CONTACT_TYPE] = self.contact_type(raw_entities[:2])

        entities: dict[tuple[int, int], Entity] = {}
        for entity in raw_entities:
            owner = entity_bases[entity.key]
            label = (  # module 0 is a module too
                None if entity.module_id is None else module_labels[entity.module_id]
            )
            subject = _subject(entity.kind, label)
            fields = []
            for raw in entity.fields:
                choice: str | None = None
                kind = raw.kind
                if raw.raw_type == SYSTEM_USER and not users:
                    kind = Kind.TEXT  # labels, and no user type to parse them into
                if (
                    raw.kind in USER_KINDS
                    and users
                    and (raw.options or raw.raw_type == SYSTEM_USER)
                ):
                    choice = USER_TYPE
                elif raw.kind is Kind.CATEGORY_ID and raw.options:
                    choice = MODULE_TYPE
                elif raw.kind is Kind.CONTACT_TYPE:
                    choice = CONTACT_TYPE
                elif raw.kind is Kind.STATUS_ID and raw.options:
                    choice = type_names[("status", *entity.key)]
                    if choice not in choice_types:
                        choice_types[choice] = ChoiceType(
                            choice,
                            ChoiceStyle.ENUM,
                            self.options(
                                raw.options,
                                f"{entity.endpoint} StatusId",
                                f"{_pin_key(entity)}.StatusId",
                            ),
                            f"A status of {subject}.",
                        )
                elif raw.kind in (Kind.ENUM, Kind.SET):
                    choice = type_names[("field", *entity.key, raw.api_name)]
                    assert raw.style is not None
                    choice_types[choice] = ChoiceType(
                        choice,
                        raw.style,
                        self.options(
                            raw.options,
                            f"{entity.endpoint} {raw.api_name!r}",
                            f"{_pin_key(entity)}.{raw.api_name}",
                        ),
                        f"The options of the {raw.api_name} field of {subject}.",
                    )
                fields.append(
                    Field(
                        api_name=raw.api_name,
                        name=field_names[(entity.key, raw.api_name)],
                        kind=kind,
                        raw_type=raw.raw_type,
                        text_limit=raw.text_limit,
                        choice=choice,
                        server_set=raw.api_name in SERVER_SET_FIELDS,
                        doc=_field_doc(raw),
                        create_only=raw.api_name in CREATE_ONLY_FIELDS[entity.kind],
                        system=raw.meaning is not None,
                    )
                )
            class_name = type_names[("model", *entity.key)]
            entities[entity.key] = Entity(
                name=class_name,
                module=naming.module_name(class_name),
                kind=entity.kind,
                schema_endpoint=entity.endpoint,
                fields=tuple(fields),
                doc=f"{subject[0].upper()}{subject[1:]}.",
                constants=type_names[("companion", *entity.key, FIELDS)],
            )

        modules = tuple(
            Module(
                id=module_id,
                label=module_labels[module_id],
                type=str(detailed.get(module_keys[module_id], {}).get("Type", "")),
                attribute=module_attributes[module_id],
                entity=entities[(1, module_id)],
                status_type=type_names.get(("status", 1, module_id)),
                search_item=type_names[("companion", 1, module_id, "SearchItem")],
                filters=type_names[("companion", 1, module_id, "Filters")],
                keywords=naming.keywords_function(entities[(1, module_id)].name),
                resource=type_names[("companion", 1, module_id, "Resource")],
            )
            for module_id in sorted(module_labels)
        )
        return Tenant(
            system_id=self.snapshot.system_id,
            base_url=self.snapshot.base_url,
            fingerprint=self.snapshot.fingerprint,
            business=entities[(0, 0)],
            person=entities[(0, 1)],
            modules=modules,
            choice_types=tuple(
                sorted(choice_types.values(), key=lambda choice: choice.name)
            ),
            diagnostics=tuple(sorted(set(self.diagnostics))),
        )

    def contact_type(self, contacts: list[_RawEntity]) -> ChoiceType:
        """Person and Business with the labels and ids the contact schemas give them.

        Writes take only ``Person`` / ``Business``; reads may bring those, the schema's
        (localized) labels or its ids. An option is matched to a kind by its English label when
        it has one, else by MiniCRM's id (:data:`CONTACT_KINDS`); a kind no option names keeps
        its English label and MiniCRM's id, or an id no option uses.
        """
        found: dict[str, tuple[int, str]] = {}
        used: set[int] = set()
        by_english = {kind.casefold(): kind for kind, _ in CONTACT_KINDS}
        by_id = {option_id: kind for kind, option_id in CONTACT_KINDS}
        for entity in contacts:
            for field in entity.fields:
                if field.kind is not Kind.CONTACT_TYPE:
                    continue
                location = f"{entity.endpoint} 'Type'"
                for option_id, label in sorted(field.options.items()):
                    used.add(option_id)
                    kind = by_english.get(
                        label.strip().casefold(), by_id.get(option_id)
                    )
                    if kind is None:
                        self.warn(
                            location,
                            "contact-type",
                            f"option {option_id} {_short(label)} is neither Person nor "
                            "Business; that value reads as an unknown ContactType",
                        )
                    elif found.setdefault(kind, (option_id, label)) != (
                        option_id,
                        label,
                    ):
                        kept = found[kind]
                        self.warn(
                            location,
                            "contact-type",
                            f"option {option_id} {_short(label)} is {kind} too; "
                            f"{kind} keeps option {kept[0]} {_short(kept[1])}",
                        )
        options = []
        for kind, default_id in CONTACT_KINDS:
            option_id, label = found.get(kind, (default_id, kind))
            if kind not in found:
                taken = used | {found_id for found_id, _ in found.values()}
                option_id = next(
                    candidate
                    for candidate in range(default_id, default_id + len(taken) + 2)
                    if candidate not in taken
                )
                used.add(option_id)
            options.append(Option(option_id, label, kind.upper(), kind))
        return ChoiceType(
            CONTACT_TYPE,
            ChoiceStyle.ENUM,
            tuple(sorted(options, key=lambda option: option.id)),
            "A contact's kind: written as Person or Business, read also by the schema's "
            "labels and ids.",
        )

    def pinned_types(self) -> dict[tuple[Any, ...], str]:
        """Pinned class names in the key space of the type names: models, companions, choices."""
        pinned: dict[tuple[Any, ...], str] = {}
        for module_id, pin in self.pins.modules.items():
            pinned[("model", 1, module_id)] = pin["model"]
            for companion in COMPANIONS:
                name = (pin["model"] + companion)[: naming.MAX_LENGTH]
                pinned[("companion", 1, module_id, companion)] = name
        entity_keys = {"Business": (0, 0), "Person": (0, 1)}
        for key, name in self.pins.types.items():
            owner, _, api_name = key.partition(".")
            module = owner.removeprefix("Project/")
            where = entity_keys.get(owner) or (
                (1, int(module)) if module.isdigit() else None
            )
            if where is None:
                raise ConfigError(
                    f"{self.pins.origin}: type key {key!r} names no entity"
                )
            type_key = (
                ("status", *where)
                if api_name == "StatusId"
                else ("field", *where, api_name)
            )
            pinned[type_key] = name
        return pinned

    def merged_options(
        self, entities: list[_RawEntity], kinds: frozenset[Kind], scope: str
    ) -> dict[int, str]:
        """The union of every option map of these relation kinds; on a clash the smaller label wins."""
        merged: dict[int, str] = {}
        for entity in entities:
            for field in entity.fields:
                if field.kind not in kinds:
                    continue
                for option_id, label in field.options.items():
                    known = merged.get(option_id)
                    if known is not None and known != label:
                        self.warn(
                            scope,
                            "label-clash",
                            f"id {option_id} is called both {known!r} and {label!r}",
                        )
                        label = min(known, label)
                    merged[option_id] = label
        return merged


def _pin_key(entity: _RawEntity) -> str:
    """How pins name an entity: ``Business``, ``Person`` or ``Project/<module id>``."""
    return (
        f"Project/{entity.module_id}"
        if entity.module_id is not None
        else entity.kind.value
    )


def _type_suffix(key: tuple[Any, ...]) -> str:
    """Models and statuses take their module id (``SalesStatus11``), the rest a digest."""
    return str(key[-1]) if isinstance(key[-1], int) else naming.key_digest(key)


def _short(label: str, limit: int = 40) -> str:
    """A label quoted for a message, cut when long (labels can be thousands of characters)."""
    return repr(label if len(label) <= limit else label[: limit - 1] + "…")


def _labelled(labels: Mapping[int, str], key: int) -> str:
    """`` 'Label'`` for a key that has one (a stale pin's key has none)."""
    return f" {_short(labels[key])}" if key in labels else ""


def _describe_type(key: tuple[Any, ...]) -> str:
    kind, *rest = key
    where = (
        "a company"
        if rest[:2] == [0, 0]
        else "a person" if rest[:2] == [0, 1] else f"module {rest[1]}"
    )
    if kind == "field":
        return f"the type of field {_short(rest[2])} of {where}"
    if kind == "status":
        return f"the status type of {where}"
    if kind == "companion":
        return f"the {rest[2]} class of {where}"
    return f"the model of {where}"


def _subject(kind: EntityKind, module_label: str | None) -> str:
    if kind is EntityKind.BUSINESS:
        return "a company contact"
    if kind is EntityKind.PERSON:
        return "a person contact"
    return f"a project of the “{module_label}” module"


def _field_doc(field: _RawField) -> str:
    """What a developer sees on hover: the API name, the type, and the options."""
    head = f"API field {field.api_name}"
    if field.meaning is not None:
        meaning = f": {field.meaning}" if field.meaning else ""
        return (
            f"{head} (a system field real answers carry; not in this schema){meaning}."
        )
    if field.kind is Kind.TEXT:
        return f"{head}: text of at most {field.text_limit} characters."
    if field.kind is Kind.FILE:
        return (
            f"{head}: file(s) ({field.raw_type}); the URLs of its files (FileURLs);"
            " write one URL, or several, for MiniCRM to download."
        )
    if field.kind is Kind.UNKNOWN:
        return f"{head}: type {field.raw_type!r} is not known to the generator; the raw value is kept."
    if field.kind is Kind.CONTACT_TYPE:
        return f"{head}: Person or Business (ContactType), written in English."
    if field.options:
        listed = sorted(field.options.items())
        numbers = any(_WHOLE_NUMBER.fullmatch(label) for _, label in listed)
        # Labels that are numbers are quoted and the ids named, so “2” (id 1) is not misread.
        template = "“{label}” (id {id})" if numbers else "{label} ({id})"
        shown = ", ".join(
            template.format(label=label, id=option_id)
            for option_id, label in listed[:_OPTIONS_IN_DOC]
        )
        more = (
            f", and {len(listed) - _OPTIONS_IN_DOC} more"
            if len(listed) > _OPTIONS_IN_DOC
            else ""
        )
        what = "any of" if field.kind is Kind.SET else "one of"
        rule = (
            " Some labels are numbers: a detail answer is read by label, a search answer "
            "by id."
            if numbers
            else ""
        )
        return f"{head} ({_CHOICE_WORDS.get(field.kind, field.kind.value)}): {what} {shown}{more}.{rule}"
    return f"{head}: {_KIND_WORDS.get(field.kind, field.kind.value)}."


def build_tenant(
    snapshot: snap.Snapshot,
    config: GeneratorConfig | None = None,
    pins: Pins | None = None,
) -> Tenant:
    """The intermediate model of a snapshot, with warnings collected as values."""
    return _Builder(snapshot, config or GeneratorConfig(), pins).build()

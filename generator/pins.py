"""Pinned names: the Python names of modules, fields and options, kept across relabels.

Names are derived from labels, so a relabel (``"Normál"`` -> ``"Normal"``) would rename an enum
member and break its callers. ``minicrm-codegen pin`` writes the current name of everything into
a names lock file, ``minicrm-codegen.names.json`` beside the configuration file (in the current
folder when there is none); from then on the build stage gives every pinned key its pinned name,
and fresh names never take a pinned one. The file is canonical JSON, one section per system
(``default`` for a configuration without ``[systems]``)::

    {
      "format": 1,
      "systems": {
        "default": {
          "modules": {"3": {"model": "Sales", "resource": "sales"}},
          "fields":  {"Project/3": {"Referrer": "referrer"}, "Person": {"Type": "type"}},
          "types":   {"Project/3.Referrer": "SalesReferrer", "Project/3.StatusId": "SalesStatus"},
          "options": {"Project/3.Referrer": {"1253": "COLD_CALL"}, "User": {"3200": "JOHN_DOE"}}
        }
      }
    }

Keys are what the schema keeps across relabels: module ids, entities (``Business``,
``Person``, ``Project/<module id>``) with API field names, and option ids in their scope (a
field's ``<entity>.<API name>``, or the shared ``User`` and ``Module``). Edit a value to rename;
delete an entry to let it follow its label again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .model import Entity, EntityKind, Tenant
from .snapshot import canonical_json, write_text_atomically

FORMAT = 1
DEFAULT_SECTION = "default"
USER_SCOPE = "User"
MODULE_SCOPE = "Module"
#: Contact Type's enum: its members are Person and Business in every system, never named from
#: labels, so there is nothing to pin.
CONTACT_TYPE_SCOPE = "ContactType"
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,59}")


@dataclass(frozen=True)
class Pins:
    """One system's pinned names, read from the names lock file (``origin`` names it)."""

    origin: str
    modules: Mapping[int, Mapping[str, str]] = field(default_factory=dict)
    fields: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    types: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Mapping[int, str]] = field(default_factory=dict)

    def without_modules(self, module_ids: set[int]) -> Pins:
        """These pins less those of modules left out on purpose (they are not stale)."""
        if not module_ids:
            return self
        prefixes = tuple(f"Project/{module_id}" for module_id in module_ids)

        def kept(key: str) -> bool:
            return not any(key == p or key.startswith(p + ".") for p in prefixes)

        return Pins(
            self.origin,
            {i: v for i, v in self.modules.items() if i not in module_ids},
            {k: v for k, v in self.fields.items() if kept(k)},
            {k: v for k, v in self.types.items() if kept(k)},
            {
                k: (
                    {i: n for i, n in v.items() if i not in module_ids}
                    if k == MODULE_SCOPE
                    else v
                )
                for k, v in self.options.items()
                if kept(k)
            },
        )


def entity_key(entity: Entity, module_id: int | None) -> str:
    """``Business``, ``Person`` or ``Project/<module id>``: how pins name an entity."""
    if entity.kind is EntityKind.PROJECT:
        return f"Project/{module_id}"
    return entity.kind.value


def section_name(system: str | None) -> str:
    return system or DEFAULT_SECTION


def file_digest(path: Path) -> str | None:
    """The hash of the names file, for the manifest's settings (None when there is none)."""
    try:
        return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read names file {path}: {exc}") from None


def _read(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read names file {path}: {exc}") from None
    if (
        not isinstance(document, dict)
        or document.get("format") != FORMAT
        or not isinstance(document.get("systems"), dict)
    ):
        raise ConfigError(
            f"{path} is not a names file of format {FORMAT}; "
            "write it again with `minicrm-codegen pin`"
        )
    return document


def load_pins(path: Path, system: str | None) -> Pins | None:
    """One system's pins, or None when there is no names file or no section for it."""
    document = _read(path)
    if document is None:
        return None
    section = document["systems"].get(section_name(system))
    if section is None:
        return None
    # The file's name, not its path: warnings land in the manifest, which must not depend on
    # where the checkout lives.
    origin = path.name + (f" (system {system})" if system else "")
    try:
        return Pins(
            origin,
            modules={
                int(key): _names(value, origin)
                for key, value in section.get("modules", {}).items()
            },
            fields={
                key: _names(value, origin)
                for key, value in section.get("fields", {}).items()
            },
            types=_names(section.get("types", {}), origin),
            options={
                scope: {int(key): name for key, name in _names(value, origin).items()}
                for scope, value in section.get("options", {}).items()
            },
        )
    except (AttributeError, TypeError, ValueError):
        raise ConfigError(
            f"{origin}: a section must map ids to names as `pin` writes them"
        ) from None


def _names(value: Any, origin: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(name, str) for name in value.values()
    ):
        raise ConfigError(f"{origin}: expected a table of names, got {value!r:.60}")
    return dict(value)


def check_name(name: str, kind: str, reserved: frozenset[str]) -> str | None:
    """Why a pinned name cannot be used as a ``kind`` ("class", "attribute", "member"), or None."""
    if not _IDENTIFIER.fullmatch(name):
        return "it is not an ASCII identifier of at most 60 characters starting with a letter"
    if kind == "class" and not name[0].isupper():
        return "a class name starts with a capital letter"
    if kind == "attribute" and not name[0].islower():
        return "an attribute name starts with a lower-case letter"
    if kind == "member" and not name[0].isupper():
        return "an enum member starts with a capital letter"
    if name in reserved:
        return "the generated code already uses that name (or it is a keyword)"
    return None


def section_of(tenant: Tenant) -> dict[str, Any]:
    """Every name of a built model, as a names-file section (what ``pin`` writes)."""
    modules: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    types: dict[str, str] = {}
    options: dict[str, Any] = {}
    owners: list[tuple[Entity, int | None]] = [
        (tenant.business, None),
        (tenant.person, None),
        *((module.entity, module.id) for module in tenant.modules),
    ]
    for module in tenant.modules:
        modules[str(module.id)] = {
            "model": module.entity.name,
            "resource": module.attribute,
        }
    by_name = {choice.name: choice for choice in tenant.choice_types}
    for entity, module_id in owners:
        key = entity_key(entity, module_id)
        fields[key] = {f.api_name: f.name for f in entity.fields}
        for f in entity.fields:
            if f.choice is None or f.choice == CONTACT_TYPE_SCOPE:
                continue
            if f.choice in (USER_SCOPE, MODULE_SCOPE):
                scope = f.choice
            else:
                scope = f"{key}.{f.api_name}"
                types[scope] = f.choice
            options[scope] = {
                str(option.id): option.name for option in by_name[f.choice].options
            }
    return {"modules": modules, "fields": fields, "types": types, "options": options}


def write_pins(path: Path, system: str | None, section: Mapping[str, Any]) -> None:
    """Write one system's section, keeping the other systems' sections of the file."""
    document = _read(path) or {"format": FORMAT, "systems": {}}
    document["systems"][section_name(system)] = section
    write_text_atomically(path, canonical_json(document))

"""What changed between two snapshots, in the terms of the generated client, and how much it hurts.

Compares the intermediate models, so a change is reported the way client code sees it: a module
resource, a record attribute, an enum member. Each change has a severity:

* **breaking**: code written against the old client may fail: a removed module, field or
  option, a changed field type, a Python name that changes;
* **dangerous**: it still compiles but may behave differently: a text limit that shrinks, a
  user removed, an option whose label now equals another's, a Set that became an Enum or back;
* **safe**: additions, relabels that keep the Python name (by pin or by chance), longer limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from .model import (
    CONTACT_TYPE,
    MODULE_TYPE,
    USER_TYPE,
    ChoiceType,
    Entity,
    Field,
    Tenant,
)

#: Types every field of their kind shares: compared once, not under each field.
SHARED = (USER_TYPE, MODULE_TYPE, CONTACT_TYPE)


class Severity(IntEnum):
    """Ordered, so ``--fail-on`` is a threshold."""

    SAFE = 0
    DANGEROUS = 1
    BREAKING = 2

    @property
    def word(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Change:
    """One difference: what kind, how severe, where in the client, and what."""

    kind: str
    severity: Severity
    where: str
    detail: str

    @property
    def breaking(self) -> bool:
        return self.severity is Severity.BREAKING

    def __str__(self) -> str:
        flag = self.severity.name if self.severity else ""
        return f"{flag:9} {self.kind:8} {self.where}: {self.detail}"


def _added(where: str, detail: str) -> Change:
    return Change("added", Severity.SAFE, where, detail)


def _removed(where: str, detail: str, severity: Severity = Severity.BREAKING) -> Change:
    return Change("removed", severity, where, detail)


def _changed(where: str, detail: str, severity: Severity = Severity.BREAKING) -> Change:
    return Change("changed", severity, where, detail)


def _field_type(field: Field) -> str:
    return field.choice or (
        f"{field.kind.value}({field.text_limit})"
        if field.text_limit is not None
        else field.kind.value
    )


def _options(
    old: ChoiceType,
    new: ChoiceType,
    where: str,
    unpinned: ChoiceType | None = None,
) -> list[Change]:
    """Option changes of one type; ``unpinned`` is the new type as it would be named without
    pins, to say which names a pin keeps."""
    changes = []
    before = {option.id: option for option in old.options}
    after = {option.id: option for option in new.options}
    free = {option.id: option.name for option in (unpinned.options if unpinned else ())}
    removal = Severity.DANGEROUS if old.name == "User" else Severity.BREAKING
    for option_id in sorted(before.keys() - after.keys()):
        option = before[option_id]
        changes.append(
            _removed(
                where,
                f"option {option_id} {option.label!r} ({old.name}.{option.name})",
                removal,
            )
        )
    for option_id in sorted(after.keys() - before.keys()):
        option = after[option_id]
        changes.append(
            _added(
                where, f"option {option_id} {option.label!r} ({new.name}.{option.name})"
            )
        )
    for option_id in sorted(before.keys() & after.keys()):
        was, now = before[option_id], after[option_id]
        if was.name != now.name or old.name != new.name:
            changes.append(
                _changed(
                    where,
                    f"option {option_id} renamed {old.name}.{was.name} -> {new.name}.{now.name}",
                )
            )
        elif was.label != now.label:
            kept = free.get(option_id, now.name)
            note = (
                f"; label changed, Python name kept (without pinning: {new.name}.{kept})"
                if kept != now.name
                else ""
            )
            changes.append(
                _changed(
                    where,
                    f"option {option_id} relabelled {was.label!r} -> {now.label!r}{note}",
                    Severity.SAFE,
                )
            )
    changes += _label_clashes(old, new, where)
    if old.style != new.style:
        changes.append(
            _changed(
                where,
                f"{old.name} changed from {old.style.value} to {new.style.value}",
                Severity.DANGEROUS,
            )
        )
    return changes


def _label_clashes(old: ChoiceType, new: ChoiceType, where: str) -> list[Change]:
    """Options whose label now equals another's: parsing by label becomes ambiguous."""

    def clashing(choice: ChoiceType) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for option in choice.options:
            groups.setdefault(option.label.casefold(), []).append(option.id)
        return {label: ids for label, ids in groups.items() if len(ids) > 1}

    before = clashing(old)
    return [
        _changed(
            where,
            f"options {', '.join(map(str, ids))} of {new.name} now share the label "
            f"{next(o.label for o in new.options if o.id == ids[0])!r}",
            Severity.DANGEROUS,
        )
        for label, ids in sorted(clashing(new).items())
        if before.get(label) != ids
    ]


def _entity(
    old: Entity,
    new: Entity,
    old_tenant: Tenant,
    new_tenant: Tenant,
    unpinned: tuple[Tenant, Entity] | None,
) -> list[Change]:
    changes = []
    if old.name != new.name:
        changes.append(_changed(old.name, f"model renamed to {new.name}"))
    before = {field.api_name: field for field in old.fields}
    after = {field.api_name: field for field in new.fields}
    for api_name in sorted(before.keys() - after.keys()):
        changes.append(
            _removed(f"{old.name}.{before[api_name].name}", f"field {api_name!r}")
        )
    for api_name in sorted(after.keys() - before.keys()):
        field = after[api_name]
        changes.append(
            _added(
                f"{new.name}.{field.name}", f"field {api_name!r} ({_field_type(field)})"
            )
        )
    for api_name in sorted(before.keys() & after.keys()):
        was, now = before[api_name], after[api_name]
        where = f"{new.name}.{now.name}"
        if was.name != now.name:
            changes.append(
                _changed(
                    where, f"field {api_name!r} renamed from {old.name}.{was.name}"
                )
            )
        if (was.choice is None) != (now.choice is None) or (
            was.choice is None and _field_type(was) != _field_type(now)
        ):
            changes.append(_type_change(where, was, now))
        if was.choice and now.choice and was.choice not in SHARED:
            free = None
            if unpinned is not None:
                free_field = next(
                    (f for f in unpinned[1].fields if f.api_name == api_name), None
                )
                if free_field is not None and free_field.choice:
                    free = unpinned[0].choice_type(free_field.choice)
            changes += _options(
                old_tenant.choice_type(was.choice),
                new_tenant.choice_type(now.choice),
                where,
                free,
            )
    return changes


def _type_change(where: str, was: Field, now: Field) -> Change:
    detail = f"type {_field_type(was)} -> {_field_type(now)}"
    if (
        was.kind == now.kind
        and was.text_limit is not None
        and now.text_limit is not None
    ):
        longer = now.text_limit > was.text_limit
        return _changed(where, detail, Severity.SAFE if longer else Severity.DANGEROUS)
    return _changed(where, detail)


def diff_tenants(
    old: Tenant, new: Tenant, unpinned: Tenant | None = None
) -> list[Change]:
    """Every difference between two systems' models, most severe first.

    ``unpinned`` is the new side built without pins: relabels whose Python name a pin keeps
    then say what the name would have become.
    """
    changes: list[Change] = []
    for shared in SHARED:
        names = {choice.name for choice in old.choice_types} & {
            choice.name for choice in new.choice_types
        }
        if shared in names:
            free_shared = None
            if unpinned is not None and shared in {
                c.name for c in unpinned.choice_types
            }:
                free_shared = unpinned.choice_type(shared)
            changes += _options(
                old.choice_type(shared), new.choice_type(shared), shared, free_shared
            )
    free_entities = (
        {
            "Business": unpinned.business,
            "Person": unpinned.person,
            **{str(m.id): m.entity for m in unpinned.modules},
        }
        if unpinned is not None
        else {}
    )

    def free(key: str) -> tuple[Tenant, Entity] | None:
        if unpinned is None or key not in free_entities:
            return None
        return unpinned, free_entities[key]

    changes += _entity(old.business, new.business, old, new, free("Business"))
    changes += _entity(old.person, new.person, old, new, free("Person"))
    before = {module.id: module for module in old.modules}
    after = {module.id: module for module in new.modules}
    for module_id in sorted(before.keys() - after.keys()):
        module = before[module_id]
        changes.append(
            _removed(f"crm.{module.attribute}", f"module {module_id} {module.label!r}")
        )
    for module_id in sorted(after.keys() - before.keys()):
        module = after[module_id]
        changes.append(
            _added(
                f"crm.{module.attribute}",
                f"module {module_id} {module.label!r} ({module.entity.name})",
            )
        )
    for module_id in sorted(before.keys() & after.keys()):
        was, now = before[module_id], after[module_id]
        if was.attribute != now.attribute:
            changes.append(
                _changed(
                    f"crm.{now.attribute}",
                    f"module {module_id} resource renamed from crm.{was.attribute}",
                )
            )
        elif was.label != now.label:
            free_module = next(
                (
                    m
                    for m in (unpinned.modules if unpinned else ())
                    if m.id == module_id
                ),
                None,
            )
            note = (
                f"; label changed, Python names kept (without pinning: "
                f"crm.{free_module.attribute}, {free_module.entity.name})"
                if free_module is not None and free_module.attribute != now.attribute
                else ""
            )
            changes.append(
                _changed(
                    f"crm.{now.attribute}",
                    f"module {module_id} relabelled {was.label!r} -> {now.label!r}{note}",
                    Severity.SAFE,
                )
            )
        changes += _entity(was.entity, now.entity, old, new, free(str(module_id)))
    return sorted(
        changes, key=lambda change: (-change.severity, change.where, change.detail)
    )


def suggested_version(version: str, changes: list[Change]) -> str:
    """The next semver: breaking -> major, additions or dangerous -> minor, other -> patch."""
    major, minor, patch = (int(part) for part in version.split("."))
    if not changes:
        return version
    if any(change.severity is Severity.BREAKING for change in changes):
        return f"{major + 1}.0.0"
    if any(
        change.kind == "added" or change.severity is Severity.DANGEROUS
        for change in changes
    ):
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"

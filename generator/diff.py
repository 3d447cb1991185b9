"""What changed between two snapshots, in the terms of the generated client, and what breaks.

Compares the intermediate models, so a change is reported the way client code sees it: a module
resource, a record attribute, an enum member. Adding things never breaks code that compiled
before; removing a module, field or option, changing a field's type, or any renamed Python
name does.
"""

from __future__ import annotations

from dataclasses import dataclass

from .build_model import CONTACT_TYPE, MODULE_TYPE, USER_TYPE
from .model import ChoiceType, Entity, Field, Tenant

#: Types every field of their kind shares: compared once, not under each field.
SHARED = (USER_TYPE, MODULE_TYPE, CONTACT_TYPE)


@dataclass(frozen=True)
class Change:
    """One difference; ``breaking`` when code written against the old client may fail."""

    kind: str
    breaking: bool
    where: str
    detail: str

    def __str__(self) -> str:
        flag = "BREAKING" if self.breaking else ""
        return f"{flag:8}  {self.kind:8} {self.where}: {self.detail}"


def _added(where: str, detail: str) -> Change:
    return Change("added", False, where, detail)


def _removed(where: str, detail: str) -> Change:
    return Change("removed", True, where, detail)


def _changed(where: str, detail: str, breaking: bool = True) -> Change:
    return Change("changed", breaking, where, detail)


def _field_type(field: Field) -> str:
    return field.choice or (
        f"{field.kind.value}({field.text_limit})"
        if field.text_limit is not None
        else field.kind.value
    )


def _options(old: ChoiceType, new: ChoiceType, where: str) -> list[Change]:
    changes = []
    before = {option.id: option for option in old.options}
    after = {option.id: option for option in new.options}
    for option_id in sorted(before.keys() - after.keys()):
        option = before[option_id]
        changes.append(
            _removed(
                where, f"option {option_id} {option.label!r} ({old.name}.{option.name})"
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
        if was.name != now.name:
            changes.append(
                _changed(
                    where,
                    f"option {option_id} renamed {old.name}.{was.name} -> {new.name}.{now.name}",
                )
            )
        elif was.label != now.label:
            changes.append(
                _changed(
                    where,
                    f"option {option_id} relabelled {was.label!r} -> {now.label!r}",
                    False,
                )
            )
    if old.style != new.style:
        changes.append(
            _changed(
                where, f"{old.name} changed from {old.style.value} to {new.style.value}"
            )
        )
    return changes


def _entity(
    old: Entity, new: Entity, old_tenant: Tenant, new_tenant: Tenant
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
        if _field_type(was) != _field_type(now):
            longer_text = was.kind == now.kind and (now.text_limit or 0) > (
                was.text_limit or 0
            )
            changes.append(
                _changed(
                    where,
                    f"type {_field_type(was)} -> {_field_type(now)}",
                    not longer_text,
                )
            )
        if was.choice and now.choice and was.choice not in SHARED:
            changes += _options(
                old_tenant.choice_type(was.choice),
                new_tenant.choice_type(now.choice),
                where,
            )
    return changes


def diff_tenants(old: Tenant, new: Tenant) -> list[Change]:
    """Every difference between two systems' models, breaking ones first."""
    changes: list[Change] = []
    for shared in SHARED:
        names = {choice.name for choice in old.choice_types} & {
            choice.name for choice in new.choice_types
        }
        if shared in names:
            changes += _options(
                old.choice_type(shared), new.choice_type(shared), shared
            )
    changes += _entity(old.business, new.business, old, new)
    changes += _entity(old.person, new.person, old, new)
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
        changes += _entity(was.entity, now.entity, old, new)
    return sorted(
        changes, key=lambda change: (not change.breaking, change.where, change.detail)
    )

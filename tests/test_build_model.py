"""The intermediate model carries every decision: kinds, inference, shared types, names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.build_model import build_tenant
from generator.config import load_config
from generator.errors import ConfigError
from generator.model import ChoiceStyle, Kind, Tenant
from generator.pins import Pins
from generator.snapshot import Snapshot, load_demo_snapshot

from tools import reordered

USERS = {"3200": "John Doe", "3300": "Kovács Éva"}


def tenant_of(
    project: dict[str, Any], person: dict[str, Any] | None = None, config: Any = None
) -> Tenant:
    endpoints = {
        "Category": {"3": "Sales"},
        "Category?Detailed=1": {"3": {"Id": 3, "Name": "Sales", "Type": "Generic"}},
        "Schema/Business": {"Id": "Int"},
        "Schema/Person": person or {"Id": "Int"},
        "Schema/Project/3": project,
    }
    return build_tenant(Snapshot(endpoints, "http://x/Api/R3", "1"), config)


def field(tenant: Tenant, api_name: str, entity: int = 0) -> Any:
    return next(
        f for f in tenant.modules[entity].entity.fields if f.api_name == api_name
    )


def test_type_strings() -> None:
    tenant = tenant_of(
        {
            "Id": "Int",
            "Name": "Text(128)",
            "Note": "Text",
            "When": "DateTime",
            "Ok": "Boolean",
            "Doc": "File(10MB)",
            "Float1910": "Float",
            "Html": "Html",
            "Bad": "Text(abc)",
        }
    )
    assert (
        field(tenant, "Name").kind is Kind.TEXT
        and field(tenant, "Name").text_limit == 128
    )
    assert field(tenant, "Note").text_limit == 1024
    assert field(tenant, "When").kind is Kind.DATETIME
    assert field(tenant, "Ok").kind is Kind.BOOLEAN
    assert field(tenant, "Doc").kind is Kind.FILE
    for unknown in ("Float1910", "Html", "Bad"):
        assert field(tenant, unknown).kind is Kind.UNKNOWN
    warned = {(d.code, d.location) for d in tenant.diagnostics}
    assert ("unknown-type", "Schema/Project/3 'Float1910'") in warned
    assert ("unknown-type", "Schema/Project/3 'Bad'") in warned
    assert field(tenant, "Id").server_set and not field(tenant, "Name").server_set


def test_enum_versus_set_inference() -> None:
    tenant = tenant_of(
        {
            "Set1035": {"1": "First", "2": "Second", "4": "Third"},
            "Checkbox": {"1": "Yes"},
            "BigSet": {str(2**bit): f"Bit {bit}" for bit in range(64)},
            "Gappy": {"1": "a", "8": "b"},
            "Referrer": {"1253": "Cold Call", "1254": "WOM"},
            "NoOne": {"2": "b", "4": "c"},
            "Empty": [],
        }
    )
    kinds = {
        name: field(tenant, name).kind
        for name in (
            "Set1035",
            "Checkbox",
            "BigSet",
            "Gappy",
            "Referrer",
            "NoOne",
            "Empty",
        )
    }
    assert kinds == {
        "Set1035": Kind.SET,
        "Checkbox": Kind.SET,
        "BigSet": Kind.SET,
        "Gappy": Kind.SET,
        "Referrer": Kind.ENUM,
        "NoOne": Kind.ENUM,
        "Empty": Kind.UNKNOWN,
    }
    assert any(d.code == "empty-options" for d in tenant.diagnostics)
    big = tenant.choice_type(field(tenant, "BigSet").choice)
    assert big.style is ChoiceStyle.FLAG and big.options[-1].id == 2**63


def test_contact_type_is_its_own_kind_and_other_maps_overridable(
    tmp_path: Path,
) -> None:
    person = {
        "Id": "Int",
        "Type": {"1": "Cég", "2": "Személy"},
        "Flags": {"1": "a", "2": "b"},
    }
    tenant = tenant_of({"Id": "Int"}, person)
    kinds = {f.api_name: f.kind for f in tenant.person.fields}
    assert kinds["Type"] is Kind.CONTACT_TYPE and kinds["Flags"] is Kind.SET
    config = tmp_path / "codegen.toml"
    config.write_text(
        '[choices]\n"Person.Flags" = "enum"\n"Project/3.Pick" = "enum"\n"Project.Other" = "enum"\n',
        encoding="utf-8",
    )
    tenant = tenant_of(
        {"Pick": {"1": "a", "2": "b"}, "Other": {"1": "x"}}, person, load_config(config)
    )
    assert {f.api_name: f.kind for f in tenant.person.fields}["Flags"] is Kind.ENUM
    assert (
        field(tenant, "Pick").kind is Kind.ENUM
        and field(tenant, "Other").kind is Kind.ENUM
    )


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('[choices]\n"Person.Type" = "list"\n', 'must be "enum" or "set"'),
        ('[choices]\n"Nobody.Type" = "enum"\n', "must look like"),
        ("[other]\n", "c.toml: unknown key 'other'"),
        ("[choices\n", "cannot read"),
    ],
)
def test_bad_configuration(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle):
        load_config(path)


def test_shared_user_and_module_types_statuses_per_module() -> None:
    tenant = build_tenant(load_demo_snapshot())
    users = {
        f.choice
        for e in tenant.entities
        for f in e.fields
        if f.kind in (Kind.USER_ID, Kind.CREATED_BY, Kind.UPDATED_BY)
    }
    assert users == {"User"}
    assert {
        f.choice
        for m in tenant.modules
        for f in m.entity.fields
        if f.kind is Kind.CATEGORY_ID
    } == {"Module"}
    statuses = [m.status_type for m in tenant.modules]
    assert statuses == [
        "SalesStatus",
        "SupportStatus",
        "ProjectsStatus",
        "InvoicingStatus",
        "ErtekesitesStatus",
    ]
    assert [m.attribute for m in tenant.modules] == [
        "sales",
        "support",
        "projects",
        "invoicing",
        "ertekesites",
    ]
    assert len({c.name for c in tenant.choice_types}) == len(tenant.choice_types)


def test_relations_and_server_set_fields() -> None:
    tenant = build_tenant(load_demo_snapshot())
    sales = {f.api_name: f for f in tenant.modules[0].entity.fields}
    assert sales["ContactId"].kind is Kind.CONTACT_ID
    assert sales["StatusId"].kind is Kind.STATUS_ID
    assert sales["CreatedBy"].server_set and sales["UpdatedAt"].server_set
    assert not sales["UserId"].server_set
    assert "Cold Call (1253)" in sales["Referrer"].doc


def test_model_does_not_depend_on_input_order() -> None:
    demo = load_demo_snapshot()
    assert build_tenant(reordered(demo)) == build_tenant(demo)


def test_no_field_is_named_after_another_fields_api_name() -> None:
    # Records read Python names as well as API names: were the system field Name called
    # ``name``, an answer's custom field ``name`` would be read into it as well.
    tenant = tenant_of(
        {"Id": "Int", "Name": "Text(128)", "name": "Text(64)", "referrer": "Int"},
        {"Id": "Int", "email": "Text(64)", "Email": "Text(64)"},
    )
    for entity in (tenant.modules[0].entity, tenant.person):
        api_names = {f.api_name for f in entity.fields}
        for f in entity.fields:
            assert f.name == f.api_name or f.name not in api_names, f
    assert field(tenant, "name").name == "name"
    assert field(tenant, "Name").name.startswith("name_")
    assert field(tenant, "referrer").name == "referrer"
    assert any(w.code == "renamed" and "Name" in w.message for w in tenant.diagnostics)


def test_a_pin_naming_a_field_after_another_fields_api_name_is_refused() -> None:
    endpoints = {
        "Category": {"3": "Sales"},
        "Category?Detailed=1": {"3": {"Id": 3, "Name": "Sales", "Type": "Generic"}},
        "Schema/Business": {"Id": "Int"},
        "Schema/Person": {"Id": "Int"},
        "Schema/Project/3": {"Id": "Int", "Name": "Text(128)", "name": "Text(64)"},
    }
    pins = Pins("names.json", fields={"Project/3": {"Name": "name", "name": "custom"}})
    with pytest.raises(
        ConfigError, match="'name' of field 'Name'.*API name of another"
    ):
        build_tenant(Snapshot(endpoints, "http://x", "1"), pins=pins)


def test_hostile_module_names_get_unique_class_and_attribute_names() -> None:
    names = {
        "3": "Sales",
        "4": "sales",
        "5": "",
        "6": "Client",
        "7": "1. alkalom",
        "8": "Business",
        "9": "close",
    }
    endpoints: dict[str, Any] = {
        "Category": names,
        "Category?Detailed=1": {},
        "Schema/Business": {"Id": "Int"},
        "Schema/Person": {"Id": "Int"},
        **{
            f"Schema/Project/{key}": {"Id": "Int", "StatusId": {"1": "Open"}}
            for key in names
        },
    }
    tenant = build_tenant(Snapshot(endpoints, "http://x", "1"))
    classes = [m.entity.name for m in tenant.modules]
    assert classes == [
        "Sales",
        "Sales4",
        "Project",
        "ClientModel",
        "Project1Alkalom",
        "BusinessModel",
        "Close",
    ]
    assert [m.attribute for m in tenant.modules] == [
        "sales",
        "sales_4",
        "project",
        "client",
        "project_1_alkalom",
        "business",
        "close_",
    ]
    all_types = [c.name for c in tenant.choice_types] + classes + ["Business", "Person"]
    assert len({name.casefold() for name in all_types}) == len(all_types)

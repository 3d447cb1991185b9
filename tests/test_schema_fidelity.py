"""Issue 8 at generation time: contact Type as its own kind, ids equal as numbers, module ids as
the server wrote them, ``Text(0)``."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.build_model import build_tenant
from generator.cli import main
from generator.config import load_config
from generator.diff import diff_tenants
from generator.model import Kind, Tenant
from generator.render.datamodel import render_model_class
from generator.snapshot import Snapshot, load_demo_snapshot

from fake_minicrm import FakeMiniCRM, serve
from tools import REPO

sys.path.insert(0, str(REPO / "generated_example"))


def contacts(type_map: Any, config: Any = None) -> Tenant:
    endpoints = {
        "Category": {},
        "Category?Detailed=1": {},
        "Schema/Business": {"Id": "Int", "Type": type_map},
        "Schema/Person": {"Id": "Int", "Type": type_map},
    }
    return build_tenant(Snapshot(endpoints, "http://x/Api/R3", "1"), config)


def contact_type(tenant: Tenant) -> list[tuple[str, str | None, int, str]]:
    return [
        (option.name, option.value, option.id, option.label)
        for option in tenant.choice_type("ContactType").options
    ]


def test_contact_type_is_one_shared_kind_written_in_english() -> None:
    tenant = contacts({"1": "Cég", "2": "Személy"})
    for entity in (tenant.person, tenant.business):
        field = next(f for f in entity.fields if f.api_name == "Type")
        assert field.kind is Kind.CONTACT_TYPE and field.choice == "ContactType"
    assert contact_type(tenant) == [
        ("BUSINESS", "Business", 1, "Cég"),
        ("PERSON", "Person", 2, "Személy"),
    ]
    names = {choice.name for choice in tenant.choice_types}
    assert "PersonType" not in names and "BusinessType" not in names
    assert tenant.diagnostics == ()


@pytest.mark.parametrize(
    ("type_map", "expected", "warning"),
    [
        (
            {"1": "Business", "2": "Person"},
            [
                ("BUSINESS", "Business", 1, "Business"),
                ("PERSON", "Person", 2, "Person"),
            ],
            None,
        ),
        # An English label names its kind whatever its id.
        (
            {"1": "Person", "2": "Business"},
            [
                ("PERSON", "Person", 1, "Person"),
                ("BUSINESS", "Business", 2, "Business"),
            ],
            None,
        ),
        # No Type in the schema: MiniCRM's ids and the English words.
        (
            "Text(16)",
            [
                ("BUSINESS", "Business", 1, "Business"),
                ("PERSON", "Person", 2, "Person"),
            ],
            None,
        ),
        # A kind the schema does not name takes an id no option uses.
        (
            {"1": "Person"},
            [
                ("PERSON", "Person", 1, "Person"),
                ("BUSINESS", "Business", 2, "Business"),
            ],
            None,
        ),
        (
            {"1": "Cég", "2": "Személy", "7": "Lead"},
            [("BUSINESS", "Business", 1, "Cég"), ("PERSON", "Person", 2, "Személy")],
            "option 7 'Lead' is neither Person nor Business; that value reads as an "
            "unknown ContactType",
        ),
    ],
)
def test_contact_type_options_are_matched_by_english_label_then_id(
    type_map: Any, expected: list[tuple[str, str, int, str]], warning: str | None
) -> None:
    tenant = contacts(type_map)
    assert contact_type(tenant) == expected
    messages = [d.message for d in tenant.diagnostics if d.code == "contact-type"]
    assert messages == ([warning] * 2 if warning else [])


def test_a_configured_style_for_contact_type_is_ignored_with_a_warning(
    tmp_path: Path,
) -> None:
    config = tmp_path / "codegen.toml"
    config.write_text('[choices]\n"Person.Type" = "set"\n', encoding="utf-8")
    tenant = contacts({"1": "Cég", "2": "Személy"}, load_config(config))
    field = next(f for f in tenant.person.fields if f.api_name == "Type")
    assert field.kind is Kind.CONTACT_TYPE
    assert [(d.location, d.code) for d in tenant.diagnostics] == [
        ("Schema/Person 'Type'", "override-ignored")
    ]


# -- ids that are the same number -----------------------------------------------------------


def generate(schema: Path, output: Path) -> Result:
    return CliRunner().invoke(
        main,
        ["generate", "--schema", str(schema), "--output", str(output)],
        env={"MINICRM_API_KEY": "", "MINICRM_SYSTEM_ID": ""},
    )


def with_duplicate(case: str) -> dict[str, Any]:
    endpoints = copy.deepcopy(dict(load_demo_snapshot().endpoints))
    if case == "option":
        endpoints["Schema/Project/3"]["Referrer"]["01254"] = "WOM again"
    elif case == "zero":
        endpoints["Schema/Person"]["Level"] = {"0": "None", "-0": "Minus none"}
    else:
        endpoints["Category"]["011"] = "Sales again"
        endpoints["Schema/Project/011"] = {"Id": "Int"}
    return endpoints


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "option",
            "Schema/Project/3: option ids '01254' and '1254' of field 'Referrer' "
            "are the same number",
        ),
        (
            "zero",
            "Schema/Person: option ids '-0' and '0' of field 'Level' are the same number",
        ),
        ("module", "Category: module ids '011' and '11' are the same number"),
    ],
)
def test_ids_that_are_the_same_number_are_one_clear_error(
    tmp_path: Path, case: str, message: str
) -> None:
    schema = tmp_path / "dup.snapshot.json"
    Snapshot(with_duplicate(case), "http://x/Api/R3", "dup").write(schema)
    result = generate(schema, tmp_path / "out")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_pull_refuses_an_answer_with_ids_that_are_the_same_number(
    tmp_path: Path,
) -> None:
    with serve(FakeMiniCRM(endpoints=with_duplicate("option"))) as fake:
        result = CliRunner().invoke(
            main,
            ["pull", "--output", str(tmp_path / "s.json"), "--base-url", fake.base_url],
            env={"MINICRM_API_KEY": fake.api_key, "MINICRM_SYSTEM_ID": fake.system_id},
        )
    assert result.exit_code == 1
    assert (
        "Schema/Project/3 answered a malformed schema: option ids '01254' and '1254'"
        in result.stderr
    )
    assert not (tmp_path / "s.json").exists()


# -- module ids as the server wrote them ----------------------------------------------------


def test_a_module_id_with_a_leading_zero_reads_its_own_schema(tmp_path: Path) -> None:
    endpoints = {
        "Category": {"011": "Leads"},
        "Category?Detailed=1": {"011": {"Id": 11, "Name": "Leads", "Type": "Generic"}},
        "Schema/Business": {"Id": "Int"},
        "Schema/Person": {"Id": "Int"},
        "Schema/Project/011": {"Id": "Int", "Name": "Text(64)"},
    }
    tenant = build_tenant(Snapshot(endpoints, "http://x/Api/R3", "1"))
    (module,) = tenant.modules
    assert module.entity.schema_endpoint == "Schema/Project/011"
    schema_fields = [f.api_name for f in module.entity.fields if not f.system]
    assert schema_fields == ["Id", "Name"]
    assert module.type == "Generic" and module.id == 11
    with serve(FakeMiniCRM(endpoints=endpoints)) as fake:
        result = CliRunner().invoke(
            main,
            ["pull", "--output", str(tmp_path / "s.json"), "--base-url", fake.base_url],
            env={"MINICRM_API_KEY": fake.api_key, "MINICRM_SYSTEM_ID": fake.system_id},
        )
        assert result.exit_code == 0, result.output
        assert "Schema/Project/011" in fake.paths()
        assert "Schema/Project/11" not in fake.paths()
    written = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert written["endpoints"]["Schema/Project/011"] == endpoints["Schema/Project/011"]


# -- Text(0) --------------------------------------------------------------------------------


def test_text_0_is_a_limit_of_zero() -> None:
    endpoints = dict(load_demo_snapshot().endpoints)
    endpoints["Schema/Project/3"] = {**endpoints["Schema/Project/3"], "Code": "Text(0)"}
    tenant = build_tenant(Snapshot(endpoints, "http://x/Api/R3", "1"))
    entity = tenant.modules[0].entity
    field = next(f for f in entity.fields if f.api_name == "Code")
    assert field.kind is Kind.TEXT and field.text_limit == 0
    source = render_model_class(entity, "pkg", "sales", frozenset())
    declared = source.split("    code: ", 1)[1].split("\n    )", 1)[0]
    assert "max_length=0," in declared and "value=Text," in declared
    # The same declaration, run on the generated runtime: zero characters allowed, not "any".
    from minicrm_demo._values import MiniCRMModel, Text, api_field

    class Coded(MiniCRMModel):
        code: str | None = api_field("Code", max_length=0, value=Text)

    assert Coded(code="").to_api() == {"Code": ""}
    with pytest.raises(
        ValueError, match="Code is 1 characters long; the field allows 0"
    ):
        Coded(code="x").to_api()
    before = Snapshot(
        {
            **endpoints,
            "Schema/Project/3": {**endpoints["Schema/Project/3"], "Code": "Text"},
        },
        "http://x/Api/R3",
        "1",
    )
    changes = [str(c) for c in diff_tenants(build_tenant(before), tenant)]
    assert any("type Text(1024) -> Text(0)" in change for change in changes), changes

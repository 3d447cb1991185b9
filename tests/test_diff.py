"""`diff`: what changed between two snapshots, in client terms, and whether it breaks callers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.snapshot import Snapshot, load_demo_snapshot

from tools import REPO


def write(endpoints: dict[str, Any], path: Path) -> Path:
    demo = load_demo_snapshot()
    Snapshot(endpoints, demo.base_url, demo.system_id).write(path)
    return path


def diff(tmp_path: Path, change: Any, *extra: str) -> tuple[int, list[str], str]:
    endpoints = copy.deepcopy(dict(load_demo_snapshot().endpoints))
    change(endpoints)
    old = write(
        copy.deepcopy(dict(load_demo_snapshot().endpoints)), tmp_path / "old.json"
    )
    new = write(endpoints, tmp_path / "new.json")
    result = CliRunner().invoke(main, ["diff", str(old), str(new), *extra])
    return result.exit_code, result.stdout.splitlines(), result.stderr.strip()


def test_no_change(tmp_path: Path) -> None:
    assert diff(tmp_path, lambda e: None) == (
        0,
        [],
        "0 change(s): 0 breaking, 0 dangerous, 0 safe; suggested version 0.1.0 (from 0.1.0)",
    )


def test_additions_do_not_break(tmp_path: Path) -> None:
    def grow(e: dict[str, Any]) -> None:
        e["Schema/Project/3"]["Referrer"]["1341"] = "LinkedIn"
        e["Schema/Project/3"]["NewField"] = "Int"
        e["Schema/Project/3"]["Name"] = "Text(255)"
        e["Category"]["12"] = "Marketing"
        e["Category?Detailed=1"]["12"] = {"Id": 12, "Name": "Marketing"}
        e["Schema/Project/12"] = {"Id": "Int"}

    code, lines, summary = diff(tmp_path, grow)
    assert code == 0 and summary.startswith(
        "5 change(s): 0 breaking, 0 dangerous, 5 safe"
    )
    assert (
        "          added    Sales.referrer: option 1341 'LinkedIn' (SalesReferrer.LINKED_IN)"
        in lines
    )
    assert "          added    Sales.new_field: field 'NewField' (Int)" in lines
    assert "          changed  Sales.name: type Text(128) -> Text(255)" in lines
    assert (
        "          added    crm.marketing: module 12 'Marketing' (Marketing)" in lines
    )


def test_removals_type_changes_and_renames_break(tmp_path: Path) -> None:
    def shrink(e: dict[str, Any]) -> None:
        del e["Schema/Project/3"]["Referrer"]["1340"]
        del e["Schema/Project/3"]["Int1107"]
        e["Schema/Project/3"]["Text1105"] = "Int"
        # A new option with a smaller id takes the plain name: the old member is renamed.
        e["Schema/Project/3"]["Qualification"]["1300"] = "qualified"
        del e["Category"]["8"]
        del e["Category?Detailed=1"]["8"]
        del e["Schema/Project/8"]

    code, lines, summary = diff(tmp_path, shrink)
    assert code == 1
    breaking = [line for line in lines if line.startswith("BREAKING")]
    assert (
        "BREAKING  removed  Sales.referrer: option 1340 'Other' (SalesReferrer.OTHER)"
        in breaking
    )
    assert "BREAKING  removed  Sales.int1107: field 'Int1107'" in breaking
    assert "BREAKING  changed  Sales.text1105: type Text(1024) -> Int" in breaking
    assert "BREAKING  removed  crm.invoicing: module 8 'Invoicing'" in breaking
    renamed = "option 1329 renamed SalesQualification.QUALIFIED -> SalesQualification.QUALIFIED_1329"
    assert f"BREAKING  changed  Sales.qualification: {renamed}" in breaking
    assert lines[: len(breaking)] == breaking, "breaking changes come first"
    assert summary.startswith(f"{len(lines)} change(s): {len(breaking)} breaking, ")
    assert summary.endswith("suggested version 1.0.0 (from 0.1.0)")
    assert diff(tmp_path, shrink, "--exit-zero")[0] == 0


def test_bad_snapshot_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["diff", str(tmp_path / "bad.json"), str(tmp_path / "bad.json")]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "is not valid JSON" in result.stderr


# -- severities, --fail-on, formats, pins, live systems, versions -------------------------------


def shrink_limit(e: dict[str, Any]) -> None:
    e["Schema/Project/3"]["Name"] = "Text(64)"


def test_dangerous_changes_and_fail_on(tmp_path: Path) -> None:
    def risky(e: dict[str, Any]) -> None:
        shrink_limit(e)
        for answer in e.values():  # a user leaves
            if isinstance(answer, dict):
                for key in ("UserId", "CreatedBy", "UpdatedBy"):
                    if isinstance(answer.get(key), dict):
                        answer[key].pop("3303", None)
        e["Schema/Project/3"]["Set1035"]["6"] = "Sixth"  # no longer bit values: an Enum

    code, lines, summary = diff(tmp_path, risky)
    assert code == 0, "dangerous does not fail by default"
    dangerous = [line for line in lines if line.startswith("DANGEROUS")]
    assert "DANGEROUS changed  Sales.name: type Text(128) -> Text(64)" in dangerous
    assert any("User: option 3303 'nagy péter'" in line for line in dangerous)
    assert (
        "DANGEROUS changed  Sales.set1035: SalesSet1035 changed from flag to enum"
        in (dangerous)
    )
    assert summary.endswith("suggested version 0.2.0 (from 0.1.0)")
    assert diff(tmp_path, risky, "--fail-on", "dangerous")[0] == 1
    assert diff(tmp_path, risky, "--fail-on", "breaking")[0] == 0

    def clash(e: dict[str, Any]) -> None:
        e["Schema/Project/3"]["Referrer"]["1255"] = "wom"  # now shares WOM's label

    lines = diff(tmp_path, clash)[1]
    assert (
        "DANGEROUS changed  Sales.referrer: options 1254, 1255 of SalesReferrer now "
        "share the label 'WOM'" in lines
    )


def test_fail_on_any_and_never(tmp_path: Path) -> None:
    def relabel(e: dict[str, Any]) -> None:
        e["Schema/Project/3"]["Referrer"]["1253"] = "cold call"  # same name: safe

    code, lines, summary = diff(tmp_path, relabel)
    assert code == 0
    assert lines == [
        "          changed  Sales.referrer: option 1253 relabelled 'Cold Call' -> 'cold call'"
    ]
    assert summary.endswith("suggested version 0.1.1 (from 0.1.0)")
    assert diff(tmp_path, relabel, "--fail-on", "any")[0] == 1
    assert diff(tmp_path, shrink_limit, "--fail-on", "never")[0] == 0

    def remove(e: dict[str, Any]) -> None:
        del e["Schema/Project/3"]["Referrer"]["1340"]

    assert diff(tmp_path, remove, "--fail-on", "never")[0] == 0
    assert diff(tmp_path, remove)[0] == 1


def relabel_pinned(e: dict[str, Any]) -> None:
    e["Schema/Project/3"]["Referrer"]["1253"] = "Cold calling"


def test_a_pinned_relabel_is_safe_and_says_what_the_name_would_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, lines, _ = diff(tmp_path, relabel_pinned)
    assert code == 1, "without pins the member is renamed"
    assert (
        "BREAKING  changed  Sales.referrer: option 1253 renamed SalesReferrer.COLD_CALL "
        "-> SalesReferrer.COLD_CALLING" in lines
    )
    old = write(
        copy.deepcopy(dict(load_demo_snapshot().endpoints)), tmp_path / "o.json"
    )
    assert CliRunner().invoke(main, ["pin", "--schema", str(old)]).exit_code == 0
    code, lines, summary = diff(tmp_path, relabel_pinned)
    assert code == 0
    assert lines == [
        "          changed  Sales.referrer: option 1253 relabelled 'Cold Call' -> "
        "'Cold calling'; label changed, Python name kept "
        "(without pinning: SalesReferrer.COLD_CALLING)"
    ]
    assert summary.startswith("1 change(s): 0 breaking, 0 dangerous, 1 safe")


def changes_of_every_kind(e: dict[str, Any]) -> None:
    del e["Schema/Project/3"]["Referrer"]["1340"]
    shrink_limit(e)
    e["Schema/Project/5"]["NewField"] = "Int"
    e["Schema/Project/3"]["Referrer"]["1253"] = "Cold | <> Call,:\n"


def test_json_report_follows_its_schema(tmp_path: Path) -> None:
    import jsonschema

    code, lines, _ = diff(tmp_path, changes_of_every_kind, "--format", "json")
    document = json.loads("\n".join(lines))
    schema = json.loads((REPO / "docs" / "diff-report.schema.json").read_text("utf-8"))
    jsonschema.validate(document, schema)
    (system,) = document["systems"]
    assert code == 1 and system["failed"] is True
    assert system["summary"] == {"breaking": 1, "dangerous": 1, "safe": 2}
    assert system["suggested_version"] == "1.0.0"
    assert system["changes"][0] == {
        "severity": "breaking",
        "kind": "removed",
        "where": "Sales.referrer",
        "detail": "option 1340 'Other' (SalesReferrer.OTHER)",
    }
    broken = {**document, "version": 2}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_markdown_report_renders_a_table_per_record(tmp_path: Path) -> None:
    from markdown_it import MarkdownIt

    code, lines, _ = diff(tmp_path, changes_of_every_kind, "--format", "markdown")
    html = MarkdownIt("commonmark").enable("table").render("\n".join(lines))
    assert html.count("<table>") == 2  # Sales and Support
    assert "<h3>Sales</h3>" in html and "<h3>Support</h3>" in html
    rows = html.split("<h3>Sales</h3>")[1].split("</table>")[0].count("<tr>")
    assert rows == 1 + 3  # header, removed option, shrunk limit, relabel
    assert "<td>breaking</td>\n<td>removed</td>" in html
    row = html.split("relabelled")[1].split("</tr>")[0]
    assert "<td>" not in row, "a | in a label does not split the row"


def test_github_annotations_point_at_the_snapshot(tmp_path: Path) -> None:
    code, lines, _ = diff(tmp_path, changes_of_every_kind, "--format", "github")
    new = tmp_path / "new.json"
    assert lines[0] == (
        f"::error file={new},title=breaking removed::"
        "Sales.referrer: option 1340 'Other' (SalesReferrer.OTHER)"
    )
    assert lines[1].startswith(f"::warning file={new},title=dangerous changed::")
    relabel = next(line for line in lines if "1253" in line)
    assert relabel.startswith("::notice ") and relabel.endswith("Call,:\\n'")
    assert all(line.count("::") == 2 for line in lines)


def test_diff_against_a_live_system(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator.sandbox.server import SandboxServer

    endpoints = copy.deepcopy(dict(load_demo_snapshot().endpoints))
    changes_of_every_kind(endpoints)
    live = Snapshot(endpoints, "http://x/Api/R3", "demo")
    old = write(
        copy.deepcopy(dict(load_demo_snapshot().endpoints)), tmp_path / "old.json"
    )
    with SandboxServer(live, "demo", "live-key-1") as server:
        (tmp_path / "minicrm-codegen.toml").write_text(
            f'schema = "old.json"\nsystem-id = "demo"\nbase-url = "{server.base_url}"\n'
            'package-version = "2.4.1"\n',
            encoding="utf-8",
        )
        monkeypatch.chdir(tmp_path)
        result = CliRunner().invoke(
            main, ["diff", "--live"], env={"MINICRM_API_KEY": "live-key-1"}
        )
    assert result.exit_code == 1, result.output
    assert (
        "BREAKING  removed  Sales.referrer: option 1340 'Other' (SalesReferrer.OTHER)"
        in result.stdout.splitlines()
    )
    assert result.stderr.strip().endswith("suggested version 3.0.0 (from 2.4.1)")
    assert "live-key-1" not in result.output
    assert old.exists()

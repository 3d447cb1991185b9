"""`diff`: what changed between two snapshots, in client terms, and whether it breaks callers."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from generator.cli import main
from generator.snapshot import Snapshot, load_demo_snapshot


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
    assert diff(tmp_path, lambda e: None) == (0, [], "0 change(s), 0 breaking")


def test_additions_do_not_break(tmp_path: Path) -> None:
    def grow(e: dict[str, Any]) -> None:
        e["Schema/Project/3"]["Referrer"]["1341"] = "LinkedIn"
        e["Schema/Project/3"]["NewField"] = "Int"
        e["Schema/Project/3"]["Name"] = "Text(255)"
        e["Category"]["12"] = "Marketing"
        e["Category?Detailed=1"]["12"] = {"Id": 12, "Name": "Marketing"}
        e["Schema/Project/12"] = {"Id": "Int"}

    code, lines, summary = diff(tmp_path, grow)
    assert code == 0 and summary == "5 change(s), 0 breaking"
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
    assert summary.endswith(f"{len(breaking)} breaking")
    assert diff(tmp_path, shrink, "--exit-zero")[0] == 0


def test_bad_snapshot_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    result = CliRunner().invoke(
        main, ["diff", str(tmp_path / "bad.json"), str(tmp_path / "bad.json")]
    )
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "is not valid JSON" in result.stderr

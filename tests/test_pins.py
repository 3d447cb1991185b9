"""``pin``: pinned Python names survive relabels; bad pins are errors, stale pins warnings."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.snapshot import Snapshot, load_demo_snapshot

from tools import run

CLEAN_ENV = {"MINICRM_API_KEY": "", "MINICRM_SYSTEM_ID": "", "MINICRM_BASE_URL": ""}
NAMES = "minicrm-codegen.names.json"


def cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=CLEAN_ENV)


def write_schema(path: Path, change: Any = None) -> Path:
    endpoints = copy.deepcopy(dict(load_demo_snapshot().endpoints))
    if change is not None:
        change(endpoints)
    Snapshot(endpoints, "https://r3.minicrm.hu/Api/R3", "demo").write(path)
    return path


def relabel(endpoints: dict[str, Any]) -> None:
    """Sales' Cold Call option and the Sales module itself get new labels; a new option takes
    the old label."""
    referrer = endpoints["Schema/Project/3"]["Referrer"]
    referrer["1253"] = "Cold calling"
    referrer["1341"] = "Cold Call"
    for answer in endpoints.values():
        if isinstance(answer, dict) and isinstance(answer.get("CategoryId"), dict):
            answer["CategoryId"]["3"] = "Verkauf"
    endpoints["Category"]["3"] = "Verkauf"
    endpoints["Category?Detailed=1"]["3"]["Name"] = "Verkauf"


@pytest.fixture
def pinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_schema(tmp_path / "demo.snapshot.json")
    (tmp_path / "minicrm-codegen.toml").write_text(
        'schema = "demo.snapshot.json"\noutput = "out"\n', encoding="utf-8"
    )
    result = cli("pin")
    assert result.exit_code == 0, result.output
    assert f"options in {tmp_path / NAMES}" in result.stderr
    return tmp_path


def test_pin_writes_every_name_keyed_by_id(pinned: Path) -> None:
    document = json.loads((pinned / NAMES).read_text(encoding="utf-8"))
    section = document["systems"]["default"]
    assert document["format"] == 1
    assert section["modules"]["3"] == {"model": "Sales", "resource": "sales"}
    assert section["fields"]["Project/3"]["Referrer"] == "referrer"
    assert section["types"]["Project/3.Referrer"] == "SalesReferrer"
    assert section["options"]["Project/3.Referrer"]["1253"] == "COLD_CALL"
    assert section["options"]["User"]["3200"] == "JOHN_DOE"
    assert section["options"]["Project/3.StatusId"]["2509"] == "CONTACTED"


def test_a_relabel_keeps_pinned_names_and_new_options_never_take_them(
    pinned: Path,
) -> None:
    write_schema(pinned / "demo.snapshot.json", relabel)
    result = cli("generate", "--quiet")
    assert result.exit_code == 0, result.output
    script = """
from minicrm_demo import Client, Sales, SalesReferrer
assert SalesReferrer.COLD_CALL.label == "Cold calling", SalesReferrer.COLD_CALL
assert SalesReferrer.COLD_CALL_1341.label == "Cold Call"
assert not hasattr(SalesReferrer, "COLD_CALLING")
assert Sales.__doc__ and "Verkauf" in Sales.__doc__
assert hasattr(Client, "sales") and not hasattr(Client, "verkauf")
"""
    run(sys.executable, "-c", script, cwd=pinned / "out")
    # Without the names file the relabel renames, as before.
    (pinned / NAMES).unlink()
    assert cli("generate", "--output", "unpinned", "--quiet").exit_code == 0
    sales = (pinned / "unpinned/minicrm_demo/models/verkauf.py").read_text("utf-8")
    assert "COLD_CALLING = " in sales and "class VerkaufReferrer(" in sales


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (
            lambda s: s["options"]["Project/3.Referrer"].update({"1253": "class"}),
            "pinned name 'class' of option 1253 'Cold calling'",
        ),
        (
            lambda s: s["options"]["Project/3.Referrer"].update({"1254": "COLD_CALL"}),
            "are both pinned as 'COLD_CALL'",
        ),
        (
            lambda s: s["fields"]["Project/3"].update({"Referrer": "Referrer"}),
            "an attribute name starts with a lower-case letter",
        ),
        (
            lambda s: s["modules"]["3"].update({"model": "Client"}),
            "the generated code already uses that name",
        ),
    ],
)
def test_an_invalid_or_colliding_pin_is_a_clear_error(
    pinned: Path, edit: Any, needle: str
) -> None:
    write_schema(pinned / "demo.snapshot.json", relabel)
    document = json.loads((pinned / NAMES).read_text(encoding="utf-8"))
    edit(document["systems"]["default"])
    (pinned / NAMES).write_text(json.dumps(document), encoding="utf-8")
    result = cli("generate")
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert needle in result.stderr and NAMES in result.stderr
    assert not (pinned / "out").exists()


def test_a_stale_pin_is_a_warning_and_pin_drops_it(pinned: Path) -> None:
    def remove(endpoints: dict[str, Any]) -> None:
        del endpoints["Schema/Project/3"]["Referrer"]["1340"]

    write_schema(pinned / "demo.snapshot.json", remove)
    result = cli("generate")
    assert result.exit_code == 0, result.output
    stale = [line for line in result.stderr.splitlines() if "no longer in" in line]
    assert stale == [
        f"warning: {NAMES}: option 1340 in Schema/Project/3 'Referrer' is pinned "
        "as OTHER but is no longer in the schema; `minicrm-codegen pin` drops it"
    ]
    assert "1 stale-pin" in result.stderr.splitlines()[-1]
    assert cli("pin", "--quiet").exit_code == 0
    result = cli("generate")
    assert "stale-pin" not in result.stderr

"""The snapshot is a reproducible, reviewable lock file; bad ones get a one-line error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import main
from generator.errors import SnapshotError
from generator.snapshot import (
    FORMAT_VERSION,
    MAX_DEPTH,
    Snapshot,
    load_demo_snapshot,
    load_snapshot,
    value_problem,
)

from tools import reordered


def test_demo_snapshot_is_canonical_and_verified() -> None:
    demo = load_demo_snapshot()
    text = demo.to_json()
    assert text.endswith("}\n")
    document = json.loads(text)
    assert document["format_version"] == FORMAT_VERSION
    assert document["fingerprint"] == demo.fingerprint
    assert "api_key" not in text.lower()
    assert set(document) == {"format_version", "source", "fingerprint", "endpoints"}


def test_bytes_do_not_depend_on_key_order(tmp_path: Path) -> None:
    demo = load_demo_snapshot()
    again = reordered(demo)
    assert again.to_json() == demo.to_json()
    again.write(tmp_path / "s.json")
    assert load_snapshot(tmp_path / "s.json") == demo


def test_fingerprint_depends_on_the_schema_only() -> None:
    demo = load_demo_snapshot()
    elsewhere = Snapshot(
        endpoints=demo.endpoints, base_url="http://127.0.0.1:1/Api/R3", system_id="7"
    )
    assert elsewhere.fingerprint == demo.fingerprint
    changed = dict(demo.endpoints, **{"Schema/Person": {"Id": "Int"}})
    assert (
        Snapshot(changed, demo.base_url, demo.system_id).fingerprint != demo.fingerprint
    )


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"format_version": 99}', "format version 99"),
        ('{"format_version": 1, "endpoints": [], "source": {}}', "must be objects"),
    ],
)
def test_broken_snapshot_files(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "s.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SnapshotError, match=needle):
        load_snapshot(path)


def test_edited_snapshot_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(
        load_demo_snapshot().to_json().replace('"Sales"', '"Sales!"', 1),
        encoding="utf-8",
    )
    with pytest.raises(SnapshotError, match="fingerprint does not match"):
        load_snapshot(path)


def test_missing_module_schema_is_detected(tmp_path: Path) -> None:
    demo = load_demo_snapshot()
    endpoints = {
        key: value for key, value in demo.endpoints.items() if key != "Schema/Project/8"
    }
    path = tmp_path / "s.json"
    Snapshot(endpoints, demo.base_url, demo.system_id).write(path)
    with pytest.raises(SnapshotError, match="Schema/Project/8 is missing"):
        load_snapshot(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="does not exist"):
        load_snapshot(tmp_path / "nope.json")


# -- hostile snapshot files: one-line errors, never a traceback --------------------------------


def demo_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(load_demo_snapshot().to_json())
    return document


def with_surrogate() -> str:
    """The demo with a lone surrogate in an option label, as the JSON escape puts it."""
    document = demo_document()
    document["endpoints"]["Schema/Project/3"]["Referrer"]["1254"] = "WOM \ud800"
    return json.dumps(document)  # ensure_ascii: the surrogate travels as \ud800


@pytest.mark.parametrize(
    ("content", "needles"),
    [
        ("[" * 100_000 + "]" * 100_000, ["is nested too deeply"]),
        ('{"format_version": ' + "9" * 5000 + "}", ["holds a number of 5000 digits"]),
        ('{"format_version": NaN}', ["holds NaN, which is not JSON"]),
        (
            '{"format_version": 1e999}',
            ["holds the number 1e999, which is out of range"],
        ),
        ('{"format_version": -Infinity}', ["holds -Infinity, which is not JSON"]),
        (
            with_surrogate(),
            [
                "Schema/Project/3",
                "['Referrer']['1254']",
                "lone surrogate",
                "\\ud800",
            ],
        ),
    ],
    ids=["deep", "huge-int", "nan", "huge-float", "infinity", "surrogate"],
)
def test_hostile_snapshot_content_is_a_one_line_error(
    tmp_path: Path, content: str, needles: list[str]
) -> None:
    path = tmp_path / "s.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SnapshotError) as caught:
        load_snapshot(path)
    message = str(caught.value)
    assert "\n" not in message and message.isprintable()
    for needle in needles:
        assert needle in message


def test_nesting_deep_enough_to_break_the_encoder_is_refused(tmp_path: Path) -> None:
    # 900 levels parse, but every stage after parsing would recurse through them.
    document = demo_document()
    document["endpoints"]["Category?Detailed=1"]["3"]["Extra"] = json.loads(
        "[" * 900 + "]" * 900
    )
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SnapshotError, match=r"Category\?Detailed=1: .* more than 32"):
        load_snapshot(path)


@pytest.mark.parametrize("version", [True, 1.0, "1"])
def test_format_version_must_be_the_integer_1(tmp_path: Path, version: Any) -> None:
    document = demo_document()
    document["format_version"] = version
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SnapshotError, match="snapshot format version"):
        load_snapshot(path)


def test_a_surrogate_in_the_source_is_refused(tmp_path: Path) -> None:
    document = demo_document()
    document["source"]["system_id"] = "\udcff"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SnapshotError, match=r"source.*lone surrogate"):
        load_snapshot(path)


@pytest.mark.parametrize("command", ["generate", "diff", "sandbox"])
def test_every_command_reading_a_hostile_snapshot_says_one_line(
    tmp_path: Path, command: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(with_surrogate(), encoding="utf-8")
    good = tmp_path / "good.json"
    load_demo_snapshot().write(good)
    args = {
        "generate": ["generate", "--schema", str(bad), "--output", str(tmp_path / "o")],
        "diff": ["diff", str(good), str(bad)],
        "sandbox": ["sandbox", "--schema", str(bad), "--port", "0"],
    }[command]
    result = CliRunner().invoke(main, args, env={"MINICRM_API_KEY": ""})
    # diff keeps 1 for "a change at or above --fail-on", so its errors exit 2 (README).
    assert result.exit_code == (2 if command == "diff" else 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: snapshot "), result.stderr
    assert "lone surrogate" in lines[0]
    assert not (tmp_path / "o").exists()


def test_a_surrogate_in_a_long_label_or_name_gives_a_short_message(
    tmp_path: Path,
) -> None:
    document = demo_document()
    document["endpoints"]["Schema/Person"]["x" * 5000] = {"1": "y" * 5000 + "\udfff"}
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(SnapshotError, match=r"'\\udfff' at character 5000") as caught:
        load_snapshot(path)
    assert len(str(caught.value)) < 300


def nested(depth: int, leaf: Any, in_dict: bool) -> Any:
    """``leaf`` at ``depth`` levels down, through objects or lists."""
    value = leaf
    for _ in range(depth):
        value = {"k": value} if in_dict else [value]
    return value


@pytest.mark.parametrize("in_dict", [True, False], ids=["objects", "lists"])
def test_depth_and_surrogates_are_found_wherever_they_are(in_dict: bool) -> None:
    """The quick check of an answer decides exactly as the walk that names the problem."""
    for depth in range(MAX_DEPTH - 2, MAX_DEPTH + 3):
        leaves: list[Any] = ["label", 7, [], {}, "bad \ud800"]
        for leaf in leaves:
            problem = value_problem(nested(depth, leaf, in_dict))
            if depth > MAX_DEPTH:
                assert problem is not None and "nested more than" in problem
            elif leaf == "bad \ud800":
                assert problem is not None and "lone surrogate" in problem
            else:
                assert problem is None, (depth, leaf)
    key = {"k": [{"bad \ud800": 1}]}
    assert "a name at" in (value_problem(key) or "")

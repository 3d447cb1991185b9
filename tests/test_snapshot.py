"""The snapshot is a reproducible, reviewable lock file; bad ones get a one-line error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.errors import SnapshotError
from generator.snapshot import (
    FORMAT_VERSION,
    Snapshot,
    load_demo_snapshot,
    load_snapshot,
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

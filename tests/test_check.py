"""``generate --check`` and the no-change fast path: exit codes, the file list, untouched mtimes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import generator.render
from generator.cli import main
from generator.snapshot import Snapshot, load_demo_snapshot
from generator.write import MANIFEST


def generate(*args: str | Path) -> Result:
    return CliRunner().invoke(
        main,
        ["generate", *[str(arg) for arg in args]],
        env={"MINICRM_API_KEY": "", "MINICRM_SYSTEM_ID": "", "MINICRM_BASE_URL": ""},
    )


def mtimes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
        for p in folder.rglob("*")
    }


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert generate("--demo", "--output", out, "--quiet").exit_code == 0
    return out


def test_check_is_0_when_up_to_date_and_writes_nothing(generated: Path) -> None:
    before = mtimes(generated)
    result = generate("--demo", "--output", generated, "--check")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "is up to date: nothing written" in result.stderr
    assert mtimes(generated) == before


def test_check_lists_changed_missing_and_extra_files_and_exits_1(
    generated: Path, tmp_path: Path
) -> None:
    (generated / "minicrm_demo" / "_pacing.py").unlink()
    edited = generated / "minicrm_demo" / "models" / "sales.py"
    edited.write_text(edited.read_text("utf-8") + "# mine\n", encoding="utf-8")
    endpoints = copy.deepcopy(dict(load_demo_snapshot().endpoints))
    del endpoints["Schema/Project/8"], endpoints["Category"]["8"]
    del endpoints["Category?Detailed=1"]["8"]
    schema = tmp_path / "smaller.json"
    Snapshot(endpoints, "https://r3.minicrm.hu/Api/R3", "demo").write(schema)
    before = mtimes(generated)

    result = generate("--schema", schema, "--output", generated, "--check")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "changed  minicrm_demo/models/sales.py" in lines
    assert "changed  minicrm_demo/__init__.py" in lines  # no longer exports Invoicing
    assert "changed  " + MANIFEST in lines
    assert "missing  minicrm_demo/_pacing.py" in lines
    assert "extra    minicrm_demo/models/invoicing.py" in lines
    assert not any(line.endswith("py.typed") for line in lines)  # the same bytes
    assert result.stderr.strip().endswith("run `minicrm-codegen generate` to update it")
    assert mtimes(generated) == before


def test_check_of_a_missing_folder_lists_everything_missing_and_creates_nothing(
    tmp_path: Path,
) -> None:
    result = generate("--demo", "--output", tmp_path / "absent", "--check")
    assert result.exit_code == 1
    assert "missing  minicrm_demo/_client.py" in result.stdout.splitlines()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--schema", "no-such.snapshot.json"],
        ["--demo", "--package-name", "class"],
        ["--demo", "--no-such-flag"],
        ["--demo", "--package-version", "1.x"],
    ],
)
def test_check_errors_exit_2(generated: Path, args: list[str]) -> None:
    result = generate(*args, "--output", generated, "--check")
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_no_change_generate_renders_nothing_and_touches_no_file(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = mtimes(generated)

    def must_not_render(*args: object, **kwargs: object) -> dict[str, str]:
        raise AssertionError("the fast path rendered")

    monkeypatch.setattr(generator.render, "render_package", must_not_render)
    result = generate("--demo", "--output", generated)
    assert result.exit_code == 0, result.output
    assert "up to date: nothing written" in result.stderr
    assert "warning(s) (" in result.stderr  # the demo's warnings, from the manifest
    assert mtimes(generated) == before
    # Without the fast path (--force renders) an identical result still writes nothing.
    monkeypatch.undo()
    assert generate("--demo", "--output", generated, "--force").exit_code == 0
    assert mtimes(generated) == before


def test_a_changed_setting_or_file_leaves_the_fast_path(
    generated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    original = generator.render.render_package

    def counting(*args: object, **kwargs: object) -> dict[str, str]:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(generator.render, "render_package", counting)
    result = generate("--demo", "--output", generated, "--package-version", "1.2.3")
    assert result.exit_code == 0 and len(calls) == 1
    assert 'version = "1.2.3"' in (generated / "pyproject.toml").read_text("utf-8")
    (generated / "README.md").unlink()
    result = generate("--demo", "--output", generated, "--package-version", "1.2.3")
    assert (
        result.exit_code == 0
        and len(calls) == 2
        and (generated / "README.md").is_file()
    )


def test_bump_raises_the_version_by_the_changes_and_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    schema = tmp_path / "demo.snapshot.json"
    load_demo_snapshot().write(schema)
    config = tmp_path / "minicrm-codegen.toml"
    config.write_text(
        '# our client\nschema = "demo.snapshot.json"\noutput = "out"\n'
        'package-version = "1.2.3"  # bumped by CI\n',
        encoding="utf-8",
    )
    assert generate("--bump", "--quiet").exit_code == 0
    assert 'package-version = "1.2.3"' in config.read_text("utf-8"), "first: no bump"

    def regenerate_after(change: Any) -> str:
        endpoints = copy.deepcopy(dict(load_demo_snapshot().endpoints))
        change(endpoints)
        Snapshot(endpoints, "https://r3.minicrm.hu/Api/R3", "demo").write(schema)
        result = generate("--bump")
        assert result.exit_code == 0, result.output
        return (tmp_path / "out" / "pyproject.toml").read_text("utf-8")

    relabel = lambda e: e["Schema/Project/3"]["Referrer"].update({"1253": "cold call"})
    assert 'version = "1.2.4"' in regenerate_after(relabel)
    assert config.read_text("utf-8") == (
        '# our client\nschema = "demo.snapshot.json"\noutput = "out"\n'
        'package-version = "1.2.4"  # bumped by CI\n'
    )
    added = lambda e: e["Schema/Project/3"].update({"NewField": "Int"})
    assert 'version = "1.3.0"' in regenerate_after(added)
    removed = lambda e: e["Schema/Project/3"]["Referrer"].pop("1340")
    assert 'version = "2.0.0"' in regenerate_after(removed)
    assert generate("--check").exit_code == 0


def test_the_fast_path_reads_only_an_intact_snapshot_s_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.snapshot

    schema = tmp_path / "demo.snapshot.json"
    load_demo_snapshot().write(schema)
    out = tmp_path / "out"
    assert generate("--schema", schema, "--output", out, "--quiet").exit_code == 0
    original = generator.snapshot.load_snapshot

    def must_not_load(path: Path) -> Snapshot:
        raise AssertionError("the answers were parsed")

    monkeypatch.setattr(generator.snapshot, "load_snapshot", must_not_load)
    result = generate("--schema", schema, "--output", out, "--check")
    assert result.exit_code == 0, result.output
    # A hand-edited answer no longer matches the recorded fingerprint: read in full, refused.
    monkeypatch.setattr(generator.snapshot, "load_snapshot", original)
    text = schema.read_text("utf-8")
    schema.write_text(text.replace('"Cold Call"', '"Cold Cal"'), encoding="utf-8")
    result = generate("--schema", schema, "--output", out, "--check")
    assert result.exit_code == 2 and "was changed after it was written" in result.stderr
    # The same schema laid out differently is read the slow way, and is up to date.
    reformatted = json.dumps(json.loads(text), ensure_ascii=False)
    schema.write_text(reformatted, encoding="utf-8")
    assert generate("--schema", schema, "--output", out, "--check").exit_code == 0

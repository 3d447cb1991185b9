"""Small things a user sees in the output: the package name, docstrings, import warnings."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.snapshot import Snapshot

from tools import REPO, run


def tenant(system_id: str, project: dict[str, Any], module_id: int = 5) -> Snapshot:
    endpoints: dict[str, Any] = {
        "Category": {str(module_id): "Zero"},
        "Category?Detailed=1": {
            str(module_id): {"Id": module_id, "Name": "Zero", "Type": "Generic"}
        },
        "Schema/Business": {"Id": "Int"},
        "Schema/Person": {"Id": "Int"},
        f"Schema/Project/{module_id}": project,
    }
    return Snapshot(endpoints, "http://127.0.0.1:1/Api/R3", system_id)


def generate(tmp_path: Path, snapshot: Snapshot, *args: str) -> Result:
    schema = tmp_path / "schema.json"
    snapshot.write(schema)
    return CliRunner().invoke(
        main,
        ["generate", "--schema", str(schema), "--output", str(tmp_path / "out"), *args],
    )


def test_module_zero_is_named_in_its_docstrings(tmp_path: Path) -> None:
    project = {"Id": "Int", "StatusId": {"1": "New"}, "Enum": {"7": "A", "9": "B"}}
    result = generate(tmp_path, tenant("acme", project, module_id=0), "--quiet")
    assert result.exit_code == 0, result.output
    source = (tmp_path / "out" / "minicrm_acme" / "models" / "zero.py").read_text(
        encoding="utf-8"
    )
    assert "“None”" not in source
    assert '"""A project of the “Zero” module."""' in source


@pytest.mark.parametrize("name", ["mro", "register"])
def test_a_field_named_like_a_model_class_attribute_imports_without_warnings(
    tmp_path: Path, name: str
) -> None:
    result = generate(tmp_path, tenant("acme", {"Id": "Int", name: "Int"}), "--quiet")
    assert result.exit_code == 0, result.output
    script = (
        "from minicrm_acme import Zero\n"
        f"assert Zero.from_api({{{name!r}: 3}}).{name}_ == 3\n"
    )
    run(sys.executable, "-W", "error", "-c", script, cwd=tmp_path / "out")


@pytest.mark.parametrize(
    ("system_id", "package"),
    [
        ("12345", "minicrm_12345"),
        ("Acme Kft.", "minicrm_acme_kft"),
        ("9" * 100, "minicrm_" + "9" * 55),
        ("!!!", "minicrm_system"),
    ],
)
def test_the_default_package_name_is_minicrm_and_the_system_id(
    tmp_path: Path, system_id: str, package: str
) -> None:
    result = generate(tmp_path, tenant(system_id, {"Id": "Int"}))
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(f"generated {package} into ")
    run(sys.executable, "-c", f"import {package}", cwd=tmp_path / "out")


def test_the_readme_states_the_default_package_name_rule() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "`minicrm_<system id>`" in readme
    assert "`12345` gives `minicrm_12345`" in readme


def test_a_bad_package_name_is_blamed_on_the_flag_only_when_given(
    tmp_path: Path,
) -> None:
    result = generate(tmp_path, tenant("12345", {"Id": "Int"}), "--package-name", "1x")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --package-name '1x' is not usable")

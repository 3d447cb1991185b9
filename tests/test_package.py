"""The generated package as a Python library: lazy imports that type checkers and IDEs see
through, lint-clean code, complete types, and its metadata."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tools import REPO, generate_hostile_project, mypy_strict, run, run_generator

EXAMPLE = REPO / "generated_example"
PACKAGE = EXAMPLE / "minicrm_demo"


def run_in_example(script: str) -> str:
    """Run ``script`` in a fresh interpreter that imports the demo package; its stdout."""
    return run(sys.executable, "-W", "error", "-c", script, cwd=EXAMPLE).stdout


def loaded_after(statement: str) -> list[str]:
    """The demo package's modules a fresh interpreter holds after ``statement``."""
    script = f"""
import json, sys
{statement}
print(json.dumps(sorted(m for m in sys.modules if m.startswith("minicrm_demo"))))
"""
    loaded: list[str] = json.loads(run_in_example(script))
    return loaded


def type_checking_names(init: Path) -> set[str]:
    """The names a package ``__init__`` imports, eagerly or for type checkers only."""
    names = set()
    for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            names |= {alias.asname or alias.name for alias in node.names}
    return names


# -- lazy package (issue 11) ----------------------------------------------------------------------


def test_every_public_name_is_exported_and_is_its_defining_object() -> None:
    script = """
import importlib, json
import minicrm_demo, minicrm_demo.models
namespace = {}
exec("from minicrm_demo import *", namespace)
wrong = []
for package in (minicrm_demo, minicrm_demo.models):
    for name in package.__all__:
        value = getattr(package, name)
        home = getattr(value, "__module__", None)
        if isinstance(value, type) and getattr(importlib.import_module(home), name) is not value:
            wrong.append(name)
missing = sorted(set(minicrm_demo.__all__) - set(namespace))
print(json.dumps([missing, wrong, minicrm_demo.__all__, minicrm_demo.models.__all__]))
"""
    missing, wrong, package_all, models_all = json.loads(run_in_example(script))
    assert missing == [] and wrong == []
    # __all__ is exactly what the package imports, eagerly or on first use.
    assert set(package_all) == type_checking_names(PACKAGE / "__init__.py")
    assert set(models_all) == type_checking_names(PACKAGE / "models" / "__init__.py")
    assert {
        "Client",
        "AsyncClient",
        "Sales",
        "SalesReferrer",
        "AnyProject",
        "ToDo",
    } <= set(package_all)


def test_dir_lists_names_not_imported_yet() -> None:
    script = """
import json, minicrm_demo, minicrm_demo.models
print(json.dumps([dir(minicrm_demo), dir(minicrm_demo.models), minicrm_demo.__all__,
                  minicrm_demo.models.__all__]))
"""
    package_dir, models_dir, package_all, models_all = json.loads(
        run_in_example(script)
    )
    assert set(package_all) <= set(package_dir) and "__version__" in package_dir
    assert set(models_all) <= set(models_dir)


def test_importing_the_package_loads_no_record_and_no_client() -> None:
    assert loaded_after("import minicrm_demo") == [
        "minicrm_demo",
        "minicrm_demo._errors",
    ]
    assert loaded_after("from minicrm_demo import Int") == [
        "minicrm_demo",
        "minicrm_demo._errors",
        "minicrm_demo._values",
    ]


def test_importing_one_record_loads_only_its_module_and_the_shared_types() -> None:
    assert loaded_after("from minicrm_demo import Sales") == [
        "minicrm_demo",
        "minicrm_demo._errors",
        "minicrm_demo._values",
        "minicrm_demo.models",
        "minicrm_demo.models._shared",
        "minicrm_demo.models.sales",
    ]
    assert "minicrm_demo.models.sales" not in loaded_after(
        "from minicrm_demo.models import SupportPriority"
    )


def test_the_client_imports_a_module_record_when_its_resource_is_first_used() -> None:
    records = [
        "minicrm_demo.models.sales",
        "minicrm_demo.models.support",
        "minicrm_demo.models.projects",
        "minicrm_demo.models.person",
    ]
    client = "from minicrm_demo import AsyncClient, Client; crm = Client('1', 'key')"
    assert not set(records) & set(loaded_after(client))
    assert not set(records) & set(loaded_after(f"{client}; crm.todos; crm.contacts"))
    after_sales = set(loaded_after(f"{client}; crm.sales"))
    assert "minicrm_demo.models.sales" in after_sales
    assert not set(records[1:]) & after_sales


def test_an_unknown_name_is_an_attribute_error_and_a_type_error(tmp_path: Path) -> None:
    script = """
import minicrm_demo, minicrm_demo.models
for package in (minicrm_demo, minicrm_demo.models):
    try:
        package.NoSuchRecord
    except AttributeError as error:
        assert "has no attribute 'NoSuchRecord'" in str(error), error
    else:
        raise AssertionError("no AttributeError")
"""
    run_in_example(script)
    # Type checkers see every name the package exports, and nothing else.
    typo = tmp_path / "typo.py"
    typo.write_text(
        "from minicrm_demo import Sailes\nfrom minicrm_demo.models import Sales\n"
        "reveal_type(Sales.from_api)\n",
        encoding="utf-8",
    )
    result = mypy_strict(typo, cwd=EXAMPLE, check=False)
    assert 'Module "minicrm_demo" has no attribute "Sailes"' in result.stdout
    assert "Sales" in result.stdout and "error: Module" in result.stdout
    assert result.stdout.count("error:") == 1, result.stdout


# -- lint-clean and type-complete (issue 10) ------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_hostile_project(tmp_path_factory.mktemp("hostile"))


def ruff(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(
        sys.executable,
        "-m",
        "ruff",
        "check",
        "--no-cache",
        *args,
        ".",
        cwd=project,
        check=False,
    )


@pytest.mark.parametrize("which", ["demo", "hostile"])
def test_ruff_default_rules_find_nothing(which: str, hostile_project: Path) -> None:
    project = EXAMPLE if which == "demo" else hostile_project
    # --isolated: ruff's defaults alone, not the ignore list the project carries.
    result = ruff(project, "--isolated")
    assert result.returncode == 0, result.stdout
    # Imports and __all__ are where isort and RUF022 put them.
    result = ruff(project, "--isolated", "--select", "I,RUF022")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("which", ["demo", "hostile"])
def test_ruff_select_all_is_quiet_under_the_projects_own_settings(
    which: str, hostile_project: Path
) -> None:
    project = EXAMPLE if which == "demo" else hostile_project
    result = ruff(project, "--select", "ALL")
    assert result.returncode == 0, result.stdout
    # The settings that make it so are the project's own, and the list is short.
    settings = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    ignored = settings["tool"]["ruff"]["lint"]["per-file-ignores"]["*.py"]
    assert len(ignored) <= 20 and "E501" in ignored
    assert ruff(project, "--select", "ALL", "--isolated").returncode == 1


def pyright(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(
        sys.executable,
        "-m",
        "pyright",
        "--pythonpath",
        sys.executable,
        *args,
        cwd=project,
        env={"PYTHONPATH": str(project)},
        check=False,
    )


def test_pyright_verifytypes_finds_every_public_symbol_typed() -> None:
    result = pyright(EXAMPLE, "--verifytypes", "minicrm_demo", "--ignoreexternal")
    assert "Type completeness score: 100%" in result.stdout, result.stdout[-3000:]
    # Every public function and class has a docstring a developer sees on hover.
    assert "Functions without docstring: 0" in result.stdout, result.stdout[-3000:]
    assert "Classes without docstring: 0" in result.stdout, result.stdout[-3000:]
    assert result.returncode == 0, result.stdout[-3000:]


def test_pyright_strict_finds_no_error(tmp_path: Path) -> None:
    config = tmp_path / "pyrightconfig.json"
    config.write_text('{"typeCheckingMode": "strict"}', encoding="utf-8")
    result = pyright(EXAMPLE, "--project", str(config), "minicrm_demo")
    assert result.returncode == 0, result.stdout[-5000:]
    assert "0 errors" in result.stdout


# -- metadata (issue 10) --------------------------------------------------------------------------


def generate_demo(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_generator(
        "generate",
        "--demo",
        "--output",
        out,
        "--quiet",
        *args,
        cwd=REPO,
        check=False,
    )


def test_the_project_version_is_the_one_asked_for_and_the_default_is_fixed(
    tmp_path: Path,
) -> None:
    default = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))
    assert default["project"]["version"] == "0.1.0"
    assert (
        run_in_example("import minicrm_demo; print(minicrm_demo.__version__)")
        == "0.1.0\n"
    )
    assert "Typing :: Typed" in default["project"]["classifiers"]
    assert default["project"]["requires-python"] == ">=3.11"

    out = tmp_path / "out"
    assert generate_demo(out, "--package-version", "2.1.0").returncode == 0
    project = tomllib.loads((out / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["version"] == "2.1.0"
    printed = run(
        sys.executable,
        "-c",
        "import minicrm_demo; print(minicrm_demo.__version__)",
        cwd=out,
    ).stdout
    assert printed == "2.1.0\n"


def test_a_version_that_is_not_major_minor_patch_is_refused(tmp_path: Path) -> None:
    result = generate_demo(tmp_path / "out", "--package-version", '1.0"\nbeta')
    assert result.returncode != 0
    # MAJOR.MINOR.PATCH only: --bump and diff's suggested version count in semver.
    assert result.stderr.startswith(
        "error: --package-version: package version '1.0\"\\nbeta' must look like "
        "MAJOR.MINOR.PATCH"
    )
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()

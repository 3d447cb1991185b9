"""Configuration files: discovery, precedence, unknown keys, credentials, modules, several systems."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.errors import ConfigError
from generator.sandbox.server import SandboxServer
from generator.settings import Flags, resolve
from generator.snapshot import Snapshot, load_demo_snapshot
from generator.write import MANIFEST

CLEAN_ENV = {"MINICRM_API_KEY": "", "MINICRM_SYSTEM_ID": "", "MINICRM_BASE_URL": ""}


def cli(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main, [str(arg) for arg in args], env={**CLEAN_ENV, **(env or {})}
    )


def demo_schema(folder: Path, name: str = "demo.snapshot.json") -> Path:
    path = folder / name
    load_demo_snapshot().write(path)
    return path


def pyproject_version(output: Path) -> str:
    document = tomllib.loads((output / "pyproject.toml").read_text(encoding="utf-8"))
    return str(document["project"]["version"])


def test_a_configuration_in_a_parent_folder_is_found_and_its_paths_are_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_schema(tmp_path)
    (tmp_path / "minicrm-codegen.toml").write_text(
        'schema = "demo.snapshot.json"\noutput = "client"\n'
        'package-name = "acme_crm"\npackage-version = "2.3.4"\n',
        encoding="utf-8",
    )
    deeper = tmp_path / "src" / "deeper"
    deeper.mkdir(parents=True)
    monkeypatch.chdir(deeper)
    result = cli("generate", "--quiet")
    assert result.exit_code == 0, result.output
    output = tmp_path / "client"
    assert (output / "acme_crm" / "__init__.py").is_file()
    assert pyproject_version(output) == "2.3.4"
    manifest = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["settings"]["package-version"] == "2.3.4"


def test_pyproject_table_is_read_and_a_pyproject_without_it_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_schema(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "mine"\n\n[tool.minicrm-codegen]\n'
        'schema = "demo.snapshot.json"\noutput = "out"\npackage-name = "from_pyproject"\n',
        encoding="utf-8",
    )
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    monkeypatch.chdir(inner)
    assert cli("generate", "--quiet").exit_code == 0
    assert (tmp_path / "out" / "from_pyproject").is_dir()


def test_config_flag_wins_and_flags_override_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_schema(tmp_path)
    (tmp_path / "minicrm-codegen.toml").write_text(
        'schema = "demo.snapshot.json"\noutput = "found"\n', encoding="utf-8"
    )
    chosen = tmp_path / "conf" / "chosen.toml"
    chosen.parent.mkdir()
    chosen.write_text(
        'schema = "../demo.snapshot.json"\noutput = "../chosen"\npackage-name = "chosen_crm"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert cli("generate", "--config", chosen, "--quiet").exit_code == 0
    assert (tmp_path / "chosen" / "chosen_crm").is_dir()
    assert not (tmp_path / "found").exists()
    result = cli(
        "generate", "--config", chosen, "--package-name", "flag_crm", "--quiet"
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "chosen" / "flag_crm").is_dir()
    assert not (tmp_path / "chosen" / "chosen_crm").exists()


def test_precedence_flag_then_file_then_environment_then_default(
    tmp_path: Path,
) -> None:
    config = tmp_path / "minicrm-codegen.toml"
    config.write_text(
        'rate-limit = 30\n[systems.a]\nsystem-id = 7\nbase-url = "http://a.example/Api/R3"\n'
        "[systems.b]\nrate-limit = 10\n",
        encoding="utf-8",
    )
    env = {"MINICRM_SYSTEM_ID": "env-id", "MINICRM_BASE_URL": "http://env/Api/R3"}
    a, b = resolve(Flags(), tmp_path, env)
    assert (a.system_id, a.base_url, a.rate_limit) == (
        "7",
        "http://a.example/Api/R3",
        30,
    )
    assert (b.system_id, b.base_url, b.rate_limit) == (
        "env-id",
        "http://env/Api/R3",
        10,
    )
    (only,) = resolve(
        Flags(systems=("b",), rate_limit=99, system_id="flag"), tmp_path, {}
    )
    assert (only.system_id, only.rate_limit) == ("flag", 99)
    assert only.base_url == "https://r3.minicrm.hu/Api/R3"
    assert only.package_version == "0.1.0"


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("colour = 'blue'\n", "minicrm-codegen.toml: unknown key 'colour'"),
        ("[systems.acme]\nouptut = 'x'\n", "[systems.acme]: unknown key 'ouptut'"),
        ("api-key = 'secret-123'\n", "'api-key' is not read from a file"),
        ("rate-limit = 'fast'\n", "'rate-limit' must be a int, not str"),
        ("package-version = 'one'\n", "must look like MAJOR.MINOR.PATCH"),
        ("[systems.a]\n[systems.b]\n", None),
    ],
)
def test_bad_configuration_is_one_line_naming_key_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, needle: str | None
) -> None:
    (tmp_path / "minicrm-codegen.toml").write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = cli("generate", "--demo", "--output", "out", "--quiet")
    if needle is None:  # two systems and a one-system flag
        needle = "--output names one system's setting but this run covers 2 systems"
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert needle in result.stderr
    assert "secret-123" not in result.output
    assert not (tmp_path / "out").exists()


def test_an_old_choices_file_still_works_with_config(tmp_path: Path) -> None:
    config = tmp_path / "codegen.toml"
    config.write_text('[choices]\n"Project/3.Set1035" = "enum"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = cli("generate", "--demo", "--output", out, "--config", config, "--quiet")
    assert result.exit_code == 0, result.output
    sales = (out / "minicrm_demo" / "models" / "sales.py").read_text(encoding="utf-8")
    assert "class SalesSet1035(ChoiceEnum):" in sales


def test_modules_excluded_by_name_or_id_produce_no_code_and_no_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = demo_schema(tmp_path)
    (tmp_path / "minicrm-codegen.toml").write_text(
        'schema = "demo.snapshot.json"\noutput = "out"\n'
        'exclude-modules = [8, "Értékesítés"]\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    assert cli("generate", "--quiet").exit_code == 0
    models = {p.stem for p in (tmp_path / "out/minicrm_demo/models").glob("*.py")}
    assert "invoicing" not in models and "ertekesites" not in models
    assert {"sales", "support", "projects"} <= models
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["modules"] == [3, 5, 6]
    assert manifest["settings"]["modules"] == {
        "include": [],
        "exclude": [8, "Értékesítés"],
    }
    shared = (tmp_path / "out/minicrm_demo/models/_shared.py").read_text("utf-8")
    assert "Invoicing" not in shared

    # An excluded module changes: the client is still up to date.
    endpoints = copy.deepcopy(dict(load_demo_snapshot().endpoints))
    endpoints["Schema/Project/8"]["NewField"] = "Int"
    endpoints["Category"]["8"] = "Invoices"
    for answer in endpoints.values():
        if isinstance(answer, dict) and isinstance(answer.get("CategoryId"), dict):
            answer["CategoryId"]["8"] = "Invoices"
    Snapshot(endpoints, "https://r3.minicrm.hu/Api/R3", "demo").write(schema)
    result = cli("generate", "--check")
    assert result.exit_code == 0, result.output

    # Only some modules, by id; a name that matches nothing is an error.
    result = cli("generate", "--include-modules", "3", "--output", "only", "--quiet")
    assert result.exit_code == 0, result.output
    only = {p.stem for p in (tmp_path / "only/minicrm_demo/models").glob("*.py")}
    assert only == {
        "__init__",
        "_address_list",
        "_any_project",
        "_emails",
        "_history",
        "_links",
        "_shared",
        "_templates",
        "business",
        "person",
        "sales",
    }
    result = cli("generate", "--exclude-modules", "Gone", "--output", "gone")
    assert result.exit_code == 0
    assert "warning: exclude-modules: 'Gone' matches no module" in result.stderr
    result = cli("generate", "--include-modules", "Nope", "--output", "x")
    assert result.exit_code == 2 and "include-modules names 'Nope'" in result.stderr


def write_two_systems(root: Path, second_schema: str = "beta.snapshot.json") -> None:
    demo_schema(root, "alpha.snapshot.json")
    beta = load_demo_snapshot()
    Snapshot(dict(beta.endpoints), beta.base_url, "beta").write(
        root / "beta.snapshot.json"
    )
    (root / "minicrm-codegen.toml").write_text(
        'package-version = "1.0.0"\n\n'
        '[systems.alpha]\nschema = "alpha.snapshot.json"\noutput = "clients/alpha"\n'
        'package-name = "alpha_crm"\n\n'
        f'[systems.beta]\nschema = "{second_schema}"\noutput = "clients/beta"\n'
        'package-version = "3.1.0"\n',
        encoding="utf-8",
    )


def test_two_systems_in_one_file_are_generated_in_one_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_two_systems(tmp_path)
    (tmp_path / "clients").mkdir()
    monkeypatch.chdir(tmp_path)
    result = cli("generate")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "clients/alpha/alpha_crm/_client.py").is_file()
    assert (tmp_path / "clients/beta/minicrm_beta/_client.py").is_file()
    assert pyproject_version(tmp_path / "clients/alpha") == "1.0.0"
    assert pyproject_version(tmp_path / "clients/beta") == "3.1.0"
    lines = result.stderr.splitlines()
    assert lines[-1] == "2 system(s), 2 ok"
    assert any(line.startswith("alpha: generated alpha_crm into") for line in lines)

    result = cli("generate", "--check", "--system", "beta")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == "1 system(s), 1 ok"


def test_a_failing_system_is_named_and_the_others_still_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_two_systems(tmp_path, second_schema="missing.snapshot.json")
    (tmp_path / "clients").mkdir()
    monkeypatch.chdir(tmp_path)
    result = cli("generate", "--quiet")
    assert result.exit_code == 1
    assert (tmp_path / "clients/alpha/alpha_crm").is_dir()
    assert "beta: error: snapshot " in result.stderr
    assert "missing.snapshot.json does not exist" in result.stderr
    assert result.stderr.splitlines()[-1] == "2 system(s), 1 ok; not ok: beta"
    result = cli("generate", "--system", "gamma")
    assert result.exit_code == 2 and "no system 'gamma'" in result.stderr


def test_credentials_come_from_the_variable_the_file_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "acme-secret-key-42"
    with SandboxServer(load_demo_snapshot(), "acme", key) as server:
        (tmp_path / "minicrm-codegen.toml").write_text(
            f'[systems.acme]\nsystem-id = "acme"\nbase-url = "{server.base_url}"\n'
            'api-key-env = "ACME_KEY"\nschema = "acme.snapshot.json"\noutput = "acme"\n',
            encoding="utf-8",
        )
        monkeypatch.chdir(tmp_path)
        result = cli("pull", env={"MINICRM_API_KEY": "wrong"})
        assert result.exit_code == 2 and "set ACME_KEY" in result.stderr
        result = cli("pull", env={"ACME_KEY": key})
        assert result.exit_code == 0, result.output
    assert key not in result.output
    assert key not in (tmp_path / "acme.snapshot.json").read_text(encoding="utf-8")
    assert cli("generate", "--quiet").exit_code == 0
    assert (tmp_path / "acme" / "minicrm_acme").is_dir()


def test_resolve_rejects_a_system_flag_without_systems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--system needs"):
        resolve(Flags(systems=("x",)), tmp_path, {})

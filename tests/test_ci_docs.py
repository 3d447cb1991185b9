"""The README's CI example cannot rot: the workflow's shell steps and the plain script run here,
against two sandboxes whose schemas changed since the clients were generated."""

from __future__ import annotations

import copy
import json
import os
import sys
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import yaml

from generator.sandbox.server import SandboxServer
from generator.snapshot import Snapshot, load_demo_snapshot

from tools import REPO, run

WORKFLOW = REPO / "docs" / "github-workflow.yml"
SCRIPT = REPO / "docs" / "regenerate.sh"
KEYS = {"acme": "acme-key-0001", "globex": "globex-key-0002"}
#: Installing from the package registry needs the network; the test runs this checkout's tool.
SKIPPED_STEPS = {"Install minicrm-codegen"}


def schema(system: str, changed: bool) -> Snapshot:
    endpoints = copy.deepcopy(dict(load_demo_snapshot().endpoints))
    if changed and system == "acme":
        del endpoints["Schema/Project/3"]["Referrer"]["1340"]  # breaking
    if changed and system == "globex":
        endpoints["Schema/Project/3"]["Referrer"]["1253"] = "cold call"  # a relabel
    return Snapshot(endpoints, "http://sandbox/Api/R3", system)


@contextmanager
def sandboxes(repo: Path, changed: bool) -> Iterator[None]:
    """Both systems served; the configuration points at them (and is committed)."""
    with ExitStack() as stack:
        tables = []
        for system, key in KEYS.items():
            server = stack.enter_context(
                SandboxServer(schema(system, changed), system, key)
            )
            tables.append(
                f'[systems.{system}]\nschema = "snapshots/{system}.snapshot.json"\n'
                f'output = "clients/{system}"\nsystem-id = "{system}"\n'
                f'base-url = "{server.base_url}"\n'
                f'api-key-env = "{system.upper()}_MINICRM_API_KEY"\n'
                'package-version = "1.0.0"\n'
            )
        (repo / "minicrm-codegen.toml").write_text("\n".join(tables), encoding="utf-8")
        yield


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(tmp_path),
        "TMPDIR": str(tmp_path),
        "ACME_MINICRM_API_KEY": KEYS["acme"],
        "GLOBEX_MINICRM_API_KEY": KEYS["globex"],
        "MINICRM_API_KEY": "",
        "MINICRM_SYSTEM_ID": "",
        "MINICRM_BASE_URL": "",
        "GIT_AUTHOR_NAME": "CI",
        "GIT_AUTHOR_EMAIL": "ci@example.com",
        "GIT_COMMITTER_NAME": "CI",
        "GIT_COMMITTER_EMAIL": "ci@example.com",
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with two systems' snapshots and clients, as a first run leaves it."""
    repo = tmp_path / "repo"
    (repo / "snapshots").mkdir(parents=True)
    (repo / "clients").mkdir()
    env = environment(tmp_path)
    with sandboxes(repo, changed=False):
        run("minicrm-codegen", "pull", "--quiet", cwd=repo, env=env)
        run("minicrm-codegen", "generate", "--quiet", cwd=repo, env=env)
    run("git", "init", "--quiet", "--initial-branch=main", cwd=repo, env=env)
    run("git", "add", "-A", cwd=repo, env=env)
    run("git", "commit", "--quiet", "-m", "clients", cwd=repo, env=env)
    return repo


def versions(repo: Path) -> dict[str, str]:
    config = tomllib.loads((repo / "minicrm-codegen.toml").read_text("utf-8"))
    found = {}
    for system in KEYS:
        project = (repo / "clients" / system / "pyproject.toml").read_text("utf-8")
        version = tomllib.loads(project)["project"]["version"]
        assert config["systems"][system]["package-version"] == version
        found[system] = version
    return found


def assert_regenerated(repo: Path, tmp_path: Path, report: Path) -> None:
    drift = report.read_text("utf-8")
    assert "## Schema changes: acme" in drift and "## Schema changes: globex" in drift
    assert "| breaking | removed | Sales\\.referrer | option 1340 'Other'" in drift
    assert "relabelled 'Cold Call' \\-\\> 'cold call'" in drift
    assert versions(repo) == {"acme": "2.0.0", "globex": "1.0.1"}
    sales = (repo / "clients/acme/minicrm_acme/models/sales.py").read_text("utf-8")
    assert "OTHER = " not in sales
    pulled = json.loads((repo / "snapshots/globex.snapshot.json").read_text("utf-8"))
    referrer = pulled["endpoints"]["Schema/Project/3"]["Referrer"]
    assert referrer["1253"] == "cold call"


def test_the_workflow_shell_steps_keep_two_systems_current(
    repo: Path, tmp_path: Path
) -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text("utf-8"))
    job = workflow["jobs"]["regenerate"]
    assert workflow[True]["schedule"], "scheduled (YAML reads `on` as True)"
    assert set(job["env"]) == {"ACME_MINICRM_API_KEY", "GLOBEX_MINICRM_API_KEY"}
    steps = [step for step in job["steps"] if "run" in step]
    assert {step["name"] for step in steps} >= SKIPPED_STEPS
    env = environment(tmp_path)
    outputs = []
    with sandboxes(repo, changed=True):
        run("git", "commit", "--quiet", "-am", "new ports", cwd=repo, env=env)
        for step in steps:
            if step["name"] in SKIPPED_STEPS:
                continue
            result = run("bash", "-e", "-c", step["run"], cwd=repo, env=env)
            outputs.append(result.stdout)
    assert_regenerated(repo, tmp_path, tmp_path / "drift.md")
    annotations = outputs[0].splitlines()
    assert (
        "::error file=snapshots/acme.snapshot.json,title=acme%3A breaking removed::"
        "Sales.referrer: option 1340 'Other' (SalesReferrer.OTHER)" in annotations
    )
    pull_request = next(s for s in job["steps"] if "create-pull-request" in str(s))
    assert pull_request["with"]["body-path"] == "${{ runner.temp }}/drift.md"


def test_the_plain_script_commits_and_pushes_the_same(
    repo: Path, tmp_path: Path
) -> None:
    env = environment(tmp_path)
    origin = tmp_path / "origin.git"
    run("git", "init", "--quiet", "--bare", origin, cwd=tmp_path, env=env)
    run("git", "remote", "add", "origin", origin, cwd=repo, env=env)
    with sandboxes(repo, changed=True):
        run("git", "commit", "--quiet", "-am", "new ports", cwd=repo, env=env)
        run("sh", SCRIPT, cwd=repo, env=env)
        assert_regenerated(repo, tmp_path, tmp_path / "minicrm-drift.md")
        message = run(
            "git", "log", "-1", "--format=%B", "minicrm-schema-update", cwd=origin
        ).stdout
        assert message.startswith("Regenerate MiniCRM clients")
        assert "## Schema changes: acme" in message
        assert run("git", "status", "--porcelain", cwd=repo).stdout == ""
        # A second run finds nothing to do.
        result = run("sh", SCRIPT, cwd=repo, env=env)
    assert result.stdout.strip().endswith("no schema changes")


def test_the_readme_shows_the_script_and_the_workflow() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    section = readme.split("## Keeping a client current in CI", 1)[1]
    assert SCRIPT.read_text("utf-8").strip() in section
    assert "docs/github-workflow.yml" in section

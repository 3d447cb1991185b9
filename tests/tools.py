"""Helpers for tests that run generated code: fresh virtual environments, mypy and black."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.snapshot import Snapshot

REPO = Path(__file__).resolve().parent.parent


def run(
    *args: str | Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and result.returncode != 0:
        command = " ".join(str(arg) for arg in args)[:300]
        raise AssertionError(
            f"{command} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def run_generator(
    *args: str | Path,
    cwd: Path | None = REPO,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``python -m generator ARGS`` in a fresh process, as a user runs it."""
    return run(sys.executable, "-m", "generator", *args, cwd=cwd, env=env, check=check)


def generate_hostile_project(root: Path) -> Path:
    """The project (package ``hostile_crm``) generated under ``root`` from the hostile snapshot,
    whose names and labels are built to break generated code."""
    from hostile import hostile_snapshot

    schema = root / "hostile.snapshot.json"
    hostile_snapshot(root / "CANARY").write(schema)
    out = root / "out"
    run_generator(
        "generate",
        "--schema",
        schema,
        "--output",
        out,
        "--package-name",
        "hostile_crm",
        "--quiet",
    )
    return out


def mypy_strict(
    *targets: Path, cwd: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``mypy --strict`` with ``cwd`` on the import path (where a generated package lives)."""
    return run(
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "--cache-dir",
        os.devnull,
        *targets,
        cwd=cwd,
        env={"MYPYPATH": str(cwd)},
        check=check,
    )


def black_check(path: Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "black", "--check", "--quiet", path)


def venv_with(project: Path, folder: Path) -> Path:
    """A fresh virtual environment with ``project`` installed (non-editable); returns its python."""
    python = fresh_venv(folder)
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        project,
    )
    return python


def fresh_venv(folder: Path, interpreter: Path | None = None) -> Path:
    """A new virtual environment (of ``interpreter``, else this one's) that sees this one's
    packages (no network needed) and returns its python. Its own site-packages come first, so
    what is installed into it wins."""
    if interpreter is None:
        venv.EnvBuilder(with_pip=True).create(folder)
    else:
        run(interpreter, "-m", "venv", folder)
    python = folder / "bin" / "python"
    child_site = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    ).stdout.strip()
    (Path(child_site) / "_parent_env.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    return python


def generated_tree(folder: Path) -> dict[str, bytes]:
    """The files a generation wrote (per its manifest) and the manifest itself, as bytes."""
    import json

    manifest = folder / ".minicrm-codegen.json"
    files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    tree = {path: (folder / path).read_bytes() for path in files}
    tree[manifest.name] = manifest.read_bytes()
    return tree


def reordered(snapshot: "Snapshot") -> "Snapshot":
    """The same schema with every answer's keys, and the answers, in reverse order."""
    from generator.snapshot import Snapshot

    endpoints = {
        endpoint: (
            dict(reversed(list(answer.items()))) if isinstance(answer, dict) else answer
        )
        for endpoint, answer in reversed(list(snapshot.endpoints.items()))
    }
    return Snapshot(endpoints, snapshot.base_url, snapshot.system_id)

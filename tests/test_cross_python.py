"""The generator writes the same bytes under every supported CPython, and the package it writes
imports and works under each of them.

A developer on 3.11 and CI on 3.13 must get the same client from one snapshot. Each interpreter
found on the machine (on PATH as ``python3.X`` or under pyenv) runs the generator from this
checkout in a virtual environment that borrows this environment's pure-Python packages and
installs only its own build of pydantic-core, so no interpreter needs a full install. Set
``MINICRM_TEST_PYTHONS`` (paths separated by ``:``) to choose the interpreters yourself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pydantic_core
import pytest

from tools import REPO, fresh_venv, generated_tree, run

VERSIONS = ("3.11", "3.12", "3.13")
EXAMPLE = REPO / "generated_example"


def find_python(version: str) -> Path | None:
    """An interpreter for ``version`` that really runs (pyenv shims of inactive versions don't)."""
    chosen = os.environ.get("MINICRM_TEST_PYTHONS")
    if chosen:
        candidates = [Path(path) for path in chosen.split(":") if path]
    else:
        pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
        candidates = sorted(
            pyenv_root.glob(f"versions/{version}.*/bin/python{version}")
        )
        on_path = shutil.which(f"python{version}")
        if on_path:
            candidates.insert(0, Path(on_path))
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


def venv_for(python: Path, folder: Path) -> Path:
    """A venv of ``python`` that sees this environment's packages (after its own) and has its
    own pydantic-core, the one compiled dependency the generator and generated code import.
    """
    child = fresh_venv(folder, python)
    if run(child, "-c", "import pydantic_core", check=False).returncode != 0:
        run(
            child,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--ignore-installed",
            f"pydantic-core=={pydantic_core.__version__}",
        )
    return child


@pytest.mark.parametrize("version", VERSIONS)
def test_same_bytes_and_a_working_package_under_every_python(
    tmp_path: Path, version: str
) -> None:
    python = find_python(version)
    if python is None:
        pytest.skip(f"CPython {version} is not installed on this machine")
    child = venv_for(python, tmp_path / "venv")
    env = {"PYTHONPATH": str(REPO), "PYTHONHASHSEED": "random"}

    run(
        child,
        "-m",
        "generator",
        "generate",
        "--demo",
        "--output",
        tmp_path / "out",
        "--quiet",
        cwd=tmp_path,
        env=env,
    )
    assert generated_tree(tmp_path / "out") == generated_tree(EXAMPLE)

    # The typed tour of the README runs (its asserts check parsing and writing) under it too.
    run(
        child,
        REPO / "docs" / "usage_demo.py",
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "out")},
    )

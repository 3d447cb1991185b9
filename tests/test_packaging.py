"""A non-editable install from the wheel finds its templates and runs the main job."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from tools import REPO, generated_tree, run, run_generator


def test_wheel_ships_templates_and_generates_from_them(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(
        sys.executable,
        "-m",
        "build",
        "--wheel",
        "--no-isolation",
        "--outdir",
        dist,
        REPO,
        cwd=tmp_path,
    )
    wheel = next(dist.glob("minicrm_codegen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for template in (
        "generator/templates/package/entity.py.jinja",
        "generator/templates/package/_values.py.jinja",
        "generator/templates/datamodel/pydantic_v2/BaseModel.jinja2",
        "generator/templates/project/README.md.jinja",
        "generator/demo/demo.snapshot.json",
    ):
        assert template in names

    # A plain (non-editable) install of the wheel into its own folder, first on the path; its
    # dependencies come from this environment, so no network is needed.
    site = tmp_path / "site"
    run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-index",
        "--target",
        site,
        wheel,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(site)}
    located = run(
        sys.executable,
        "-c",
        "import generator.render.templates as t; print(t.templates_dir())",
        cwd=elsewhere,
        env=env,
    )
    assert Path(located.stdout.strip()) == site / "generator" / "templates"
    run_generator(
        "generate",
        "--demo",
        "--output",
        "client",
        "--quiet",
        cwd=elsewhere,
        env=env,
    )
    assert generated_tree(elsewhere / "client") == generated_tree(
        REPO / "generated_example"
    )


def test_the_generator_itself_is_mypy_strict_and_black_clean() -> None:
    run(
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--no-incremental",
        "generator",
        cwd=REPO,
    )
    run(
        sys.executable,
        "-m",
        "black",
        "--check",
        "--quiet",
        "generator",
        "tests",
        "benchmarks",
        "docs",
        cwd=REPO,
    )

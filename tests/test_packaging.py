"""A non-editable install from the wheel finds its templates and runs the main job."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from tools import REPO, fresh_venv, generated_tree, run


def test_wheel_ships_templates_and_generates_from_them(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", dist, REPO, cwd=tmp_path)
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

    python = fresh_venv(tmp_path / "venv")
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    located = run(python, "-c", "import generator.render.templates as t; print(t.templates_dir())", cwd=elsewhere)
    assert Path(located.stdout.strip()).is_relative_to(tmp_path / "venv")
    run(tmp_path / "venv" / "bin" / "minicrm-codegen", "generate", "--demo", "--output", "client", "--quiet", cwd=elsewhere)
    assert generated_tree(elsewhere / "client") == generated_tree(REPO / "generated_example")

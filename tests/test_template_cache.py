"""The compiled templates kept between runs (``generator/render/templates.py``) only save time.

Each test gives the generator its own temporary folder (``TMPDIR``), where Jinja keeps its
per-user cache folder, and checks that what is generated never depends on that cache: fresh,
reused, corrupted or unusable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tools import REPO, run

EXAMPLE = REPO / "generated_example"


def generate_demo(tmp: Path, out: Path) -> None:
    run(
        sys.executable,
        "-m",
        "generator",
        "generate",
        "--demo",
        "--output",
        out,
        "--quiet",
        env={"TMPDIR": str(tmp)},
    )


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def example_files() -> dict[str, bytes]:
    """What ``generate --demo`` writes, as the repository keeps it."""
    return {
        path: text
        for path, text in files_of(EXAMPLE).items()
        if "__pycache__" not in path and ".mypy_cache" not in path
    }


def cache_files(tmp: Path) -> list[Path]:
    return sorted(tmp.glob(f"_jinja2-cache-{os.getuid()}/minicrm-codegen-*.cache"))


def test_reused_and_corrupted_caches_give_the_same_files(tmp_path: Path) -> None:
    generate_demo(tmp_path, tmp_path / "first")
    cached = cache_files(tmp_path)
    assert cached, "the first run keeps its compiled templates"
    # datamodel-code-generator's environment too (it compiles the record model template).
    assert any(path.name.startswith("minicrm-codegen-datamodel-") for path in cached)
    generate_demo(tmp_path, tmp_path / "reused")
    for path in cached:
        path.write_bytes(b"not a compiled template")
    generate_demo(tmp_path, tmp_path / "corrupted")
    first = files_of(tmp_path / "first")
    assert files_of(tmp_path / "reused") == first
    assert files_of(tmp_path / "corrupted") == first
    assert first == example_files()
    assert all(path.read_bytes() != b"not a compiled template" for path in cached)


def test_an_unusable_cache_folder_only_means_compiling(tmp_path: Path) -> None:
    (tmp_path / f"_jinja2-cache-{os.getuid()}").write_text("a file, not a folder")
    generate_demo(tmp_path, tmp_path / "out")
    assert files_of(tmp_path / "out") == example_files()
    assert not cache_files(tmp_path)

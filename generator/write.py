"""Write stage: put a generated project into its output folder, all at once or not at all.

The new tree is rendered into a temporary folder beside the output folder, then swapped in with
two renames; until then the previous output is untouched, so an interrupted run leaves it
intact (and the next run finishes or undoes a swap that was cut short). A manifest of the
generated files and their hashes marks a folder as ours: a folder without one is refused unless
``--force``, a generated file edited by hand is refused unless ``--force``, files an earlier
generation wrote and this one does not are removed, and files the user added are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import GenerationError
from .snapshot import canonical_json, current_umask

MANIFEST = ".minicrm-codegen.json"
_NEW, _OLD = "minicrm-new", "minicrm-old"
_DROPPED_DIRS = frozenset({"__pycache__"})


@dataclass(frozen=True)
class WriteReport:
    written: int
    removed: tuple[str, ...]
    kept: tuple[str, ...]


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_text(
    files: Mapping[str, str],
    generator: str,
    fingerprint: str,
    package: str,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The manifest: what made the folder (``extra`` adds settings and notes) and file hashes."""
    return canonical_json(
        {
            **(extra or {}),
            "generator": generator,
            "fingerprint": fingerprint,
            "package": package,
            "files": {path: digest(text) for path, text in sorted(files.items())},
        }
    )


def read_manifest(folder: Path) -> dict[str, str] | None:
    """The generated files recorded in a folder's manifest, or None when it has no valid one."""
    try:
        document = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = document.get("files") if isinstance(document, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(path, str) and isinstance(value, str) and _inside(path)
        for path, value in files.items()
    ):
        return None
    return dict(files)


def _inside(relative: str) -> bool:
    """A manifest path that stays inside the output folder (an edited manifest cannot escape)."""
    path = PurePosixPath(relative)
    return bool(relative) and not path.is_absolute() and ".." not in path.parts


def _siblings(output: Path, kind: str) -> list[Path]:
    return sorted(output.parent.glob(f".{output.name}.{kind}-*"))


def _is_managed_dir(relative: str, managed: set[str]) -> bool:
    prefix = relative + "/"
    return any(path.startswith(prefix) for path in managed)


def _carry_user_files(
    source: Path, target: Path, managed: set[str], generated: set[str]
) -> list[str]:
    """Move what the user added from ``source`` into ``target``; generated paths win."""
    kept: list[str] = []
    for folder, dirs, files in os.walk(source, topdown=True):
        base = Path(folder).relative_to(source)
        for name in sorted(dirs):
            relative = (base / name).as_posix()
            if name in _DROPPED_DIRS:
                dirs.remove(name)
            elif not _is_managed_dir(relative, managed) and not _is_managed_dir(
                relative, generated
            ):
                destination = target / relative
                if not destination.exists():
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(source / relative, destination)
                    kept.append(relative + "/")
                dirs.remove(name)
        for name in sorted(files):
            relative = (base / name).as_posix()
            destination = target / relative
            if relative in managed or relative == MANIFEST or destination.exists():
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source / relative, destination)
            kept.append(relative)
    return kept


def recover(output: Path) -> None:
    """Finish or undo a swap that an earlier, interrupted run left half done."""
    for stale in _siblings(output, _NEW):
        shutil.rmtree(stale, ignore_errors=True)
    for backup in _siblings(output, _OLD):
        if not output.exists():
            os.replace(backup, output)
            continue
        _carry_user_files(
            backup,
            output,
            set(read_manifest(backup) or {}),
            set(read_manifest(output) or {}),
        )
        shutil.rmtree(backup, ignore_errors=True)


def check_output_folder(output: Path, force: bool) -> dict[str, str]:
    """Refuse folders we did not make and generated files edited by hand, unless ``force``."""
    if output.is_symlink():
        raise GenerationError(
            f"{output} is a symbolic link; pass the folder it points to as --output"
        )
    if output.exists() and not output.is_dir():
        raise GenerationError(
            f"{output} exists and is not a folder; choose another --output"
        )
    if not output.parent.is_dir():
        raise GenerationError(
            f"cannot write {output}: folder {output.parent} does not exist"
        )
    if not output.exists():
        return {}
    manifest = read_manifest(output)
    if manifest is None:
        if any(output.iterdir()) and not force:
            raise GenerationError(
                f"{output} is not empty and was not made by minicrm-codegen (no {MANIFEST}); "
                "choose another --output, or pass --force to generate into it anyway"
            )
        return {}
    edited = sorted(
        path
        for path, recorded in manifest.items()
        if (output / path).is_file()
        and digest((output / path).read_text(encoding="utf-8", errors="replace"))
        != recorded
    )
    if edited and not force:
        raise GenerationError(
            f"{output / edited[0]} was edited after it was generated"
            + (f" (and {len(edited) - 1} more)" if len(edited) > 1 else "")
            + "; move your changes out of the generated folder, or pass --force to overwrite"
        )
    return manifest


def write_project(
    files: Mapping[str, str], output: Path, manifest: str, force: bool
) -> WriteReport:
    """Replace ``output`` with exactly ``files`` (plus the manifest), keeping user-added files."""
    output = Path(os.path.abspath(output))
    recover(output)
    previous = check_output_folder(output, force)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{output.name}.{_NEW}-", dir=output.parent)
    )
    try:
        os.chmod(staging, 0o777 & ~current_umask())
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        (staging / MANIFEST).write_text(manifest, encoding="utf-8", newline="\n")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    kept: list[str] = []
    if output.exists():
        backup = Path(
            tempfile.mkdtemp(prefix=f".{output.name}.{_OLD}-", dir=output.parent)
        )
        os.replace(output, backup)
        os.replace(staging, output)
        kept = _carry_user_files(backup, output, set(previous), set(files))
        shutil.rmtree(backup)
    else:
        os.replace(staging, output)
    removed = tuple(sorted(set(previous) - set(files)))
    return WriteReport(written=len(files), removed=removed, kept=tuple(kept))

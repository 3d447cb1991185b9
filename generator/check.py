"""Check stage: is an output folder exactly what this generation would write?

Two answers, one cheap and one exact. :func:`unchanged` is the fast path: the manifest says
which generator version, schema fingerprint, package and settings made the folder and what
every file hashed to, so when those match and every file still has its hash, rendering again
could only reproduce the same bytes. :func:`drift` compares rendered files with the folder and
lists what would change, what is missing and what would be removed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .write import MANIFEST, digest, read_manifest, swap_left_over

#: The manifest entries that say what made a folder; all must match for the fast path.
KEY_FIELDS = ("generator", "fingerprint", "package", "settings")


@dataclass(frozen=True)
class Drift:
    """Paths (relative to the output folder) whose content would differ after generating."""

    changed: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.changed or self.missing or self.extra)

    def lines(self) -> list[str]:
        """One line a file: ``changed  path``, ``missing  path``, ``extra    path``."""
        return [
            f"{kind:8} {path}"
            for kind, paths in (
                ("changed", self.changed),
                ("missing", self.missing),
                ("extra", self.extra),
            )
            for path in paths
        ]

    def summary(self) -> str:
        return (
            f"{len(self.changed)} changed, {len(self.missing)} missing, "
            f"{len(self.extra)} extra"
        )


def file_digest(path: Path) -> str | None:
    """The manifest's hash of a file's bytes, or None when it is not a readable file."""
    try:
        return digest(path.read_bytes())
    except OSError:
        return None


def read_manifest_document(output: Path) -> dict[str, Any] | None:
    """The whole manifest of a folder, or None when it has no valid one."""
    if read_manifest(output) is None:
        return None
    document = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
    return document if isinstance(document, dict) else None


def unchanged(output: Path, key: Mapping[str, Any]) -> dict[str, Any] | None:
    """The manifest, when ``output`` was made with exactly ``key`` and no file changed since.

    ``key`` holds the :data:`KEY_FIELDS` this run would record. Returns None (render and
    compare instead) on any difference, a missing file, or a swap left half done.
    """
    document = read_manifest_document(output)
    if document is None or swap_left_over(output):
        return None
    if any(document.get(name) != key[name] for name in KEY_FIELDS):
        return None
    files = document.get("files", {})
    if any(file_digest(output / path) != recorded for path, recorded in files.items()):
        return None
    return document


def drift(output: Path, digests: Mapping[str, str]) -> Drift:
    """How ``output`` differs from a generation's files, given by their manifest hashes
    (path -> ``sha256:…``, the manifest among them).

    Files an earlier generation recorded and this one does not write are *extra* (generating
    removes them); files the user added are nobody's business here.
    """
    changed, missing = [], []
    for path, recorded in sorted(digests.items()):
        on_disk = file_digest(output / path)
        if on_disk is None:
            missing.append(path)
        elif on_disk != recorded:
            changed.append(path)
    previous = read_manifest(output) or {}
    extra = sorted(
        path for path in previous if path not in digests and (output / path).is_file()
    )
    return Drift(tuple(changed), tuple(missing), tuple(extra))

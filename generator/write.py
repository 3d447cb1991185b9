"""Write stage: put a generated project into its output folder, all at once or not at all.

The new tree is rendered into a temporary folder beside the output folder, then swapped in with
two renames; until then the previous output is untouched, so an interrupted run leaves it
intact (and the next run finishes or undoes a swap that was cut short). Ctrl-C and SIGTERM
are ignored during the swap, so it happens whole or not at all. A manifest of the generated
files and their hashes marks a folder as ours: a folder without one is refused unless
``--force``, a generated file edited by hand is refused unless ``--force``, files an earlier
generation wrote and this one does not are removed, and files the user added are kept. A
file of the user's where this generation puts one of its own is refused unless ``--force``,
which moves it aside (``NAME.mine``); nothing of the user's is ever deleted. One run at a time
writes an output folder: a second one fails at once (see :func:`output_lock`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import GenerationError
from .snapshot import canonical_json, current_umask

MANIFEST = ".minicrm-codegen.json"
_NEW, _OLD, _LOCK = "minicrm-new", "minicrm-old", "minicrm-lock"
#: What :func:`tempfile.mkdtemp` puts after a prefix: no dot, so a sibling's owner is exact.
_RANDOM_PART = re.compile(r"[a-z0-9_]+")
_DROPPED_DIRS = frozenset({"__pycache__"})


@dataclass(frozen=True)
class WriteReport:
    written: int
    removed: tuple[str, ...]
    kept: tuple[str, ...]
    #: (path, where it went) of each user's file that was in the way of a generated one.
    moved_aside: tuple[tuple[str, str], ...]


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def manifest_text(
    digests: Mapping[str, str],
    generator: str,
    fingerprint: str,
    package: str,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The manifest: what made the folder (``extra`` adds settings and notes) and each file's
    hash (``digests``, path -> :func:`digest`)."""
    return canonical_json(
        {
            **(extra or {}),
            "generator": generator,
            "fingerprint": fingerprint,
            "package": package,
            "files": dict(sorted(digests.items())),
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
    """This output's own staging (``_NEW``) or backup (``_OLD``) folders.

    Names are compared as text, never as glob patterns (``acme[prod]`` is a name, not a
    character class), and the random part holds no dot, so ``.acme.minicrm-new-x.minicrm-new-q``
    belongs to the output ``acme.minicrm-new-x``, never to ``acme``.
    """
    prefix = f".{output.name}.{kind}-"
    return sorted(
        entry
        for entry in output.parent.iterdir()
        if entry.name.startswith(prefix)
        and _RANDOM_PART.fullmatch(entry.name[len(prefix) :])
    )


def swap_left_over(output: Path) -> bool:
    """Whether an interrupted run left a staging or backup folder of ``output`` to tidy."""
    try:
        return bool(_siblings(output, _NEW) or _siblings(output, _OLD))
    except OSError:
        return False


@contextmanager
def output_lock(output: Path) -> Iterator[None]:
    """Hold ``output`` for one run; a second run into it fails at once, with one line.

    An exclusive ``flock`` on ``.NAME.minicrm-lock`` beside the folder: the kernel releases it
    however the holder ends, even killed. The holder removes the file when done; a run that
    locked a file just removed (its inode no longer at the path) tries again.
    """
    path = output.parent / f".{output.name}.{_LOCK}"
    while True:
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise GenerationError(
                f"cannot write {output}: cannot create {path.name} beside it "
                f"({exc.strerror})"
            ) from None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.path.samestat(os.fstat(descriptor), os.stat(path)):
                break
        except BlockingIOError:
            os.close(descriptor)
            raise GenerationError(
                f"another minicrm-codegen run is writing {output}; "
                "run again when it has finished"
            ) from None
        except FileNotFoundError:
            pass
        os.close(descriptor)
    try:
        yield
    finally:
        with suppress(FileNotFoundError):
            os.unlink(path)
        os.close(descriptor)


@contextmanager
def _uninterrupted() -> Iterator[None]:
    """Ignore Ctrl-C and SIGTERM for the block: the swap happens whole or not at all.

    Handlers, not a signal mask: any thread may receive a signal, but Python runs handlers
    in the main thread only (so elsewhere there is nothing to do). A signal that arrived just
    before is raised by ``signal.signal`` itself, before anything is swapped.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, signal.SIG_IGN)
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _folders_of(paths: Iterable[str]) -> frozenset[str]:
    """Every folder that holds one of these relative paths, however deep."""
    return frozenset(
        folder.as_posix()
        for path in paths
        for folder in PurePosixPath(path).parents
        if folder.parts
    )


@dataclass(frozen=True)
class _Layout:
    """The files a generation writes and the folders that hold them."""

    files: frozenset[str]
    folders: frozenset[str]

    @classmethod
    def of(cls, files: Iterable[str]) -> _Layout:
        files = frozenset(files)
        return cls(files, _folders_of(files))

    def in_the_way(self, relative: str) -> bool:
        """Whether a user's entry stands where a generated file, or a folder of them, goes."""
        return (
            relative in self.files
            or relative in self.folders
            or any(
                folder.as_posix() in self.files
                for folder in PurePosixPath(relative).parents
            )
        )


def _user_entries(folder: Path, managed: set[str], generated: _Layout) -> Iterator[str]:
    """The top-most entries of ``folder`` the user added (relative paths).

    ``managed`` are the files an earlier generation wrote; folders holding them or this
    generation's files are walked into, any other folder is the user's, whole. Symbolic links
    are entries of their own, never followed; ``__pycache__`` folders are dropped.
    """
    ours = _folders_of(managed) | generated.folders
    for current, dirs, files in os.walk(folder):
        base = PurePosixPath(Path(current).relative_to(folder).as_posix())
        for name in sorted(dirs):
            relative = (base / name).as_posix()
            link = Path(current, name).is_symlink()
            if name in _DROPPED_DIRS:
                dirs.remove(name)
            elif link or relative not in ours:
                dirs.remove(name)
                yield relative
        for name in sorted(files):
            relative = (base / name).as_posix()
            if relative not in managed and relative != MANIFEST:
                yield relative


def _carry_user_files(
    source: Path, target: Path, managed: set[str], generated: _Layout
) -> tuple[list[str], list[tuple[str, str]]]:
    """Move what the user added from ``source`` into ``target``: to the same place, or aside
    (``NAME.mine``, ``NAME.mine-2``…) where a generated file now stands. Nothing is left behind.
    """
    kept: list[str] = []
    aside: list[tuple[str, str]] = []

    def taken(relative: str) -> bool:
        return (
            os.path.lexists(target / relative)
            or os.path.lexists(source / relative)
            or generated.in_the_way(relative)
        )

    for relative in list(_user_entries(source, managed, generated)):
        destination = relative
        if generated.in_the_way(relative):
            number, destination = 1, relative + ".mine"
            while taken(destination):
                number += 1
                destination = f"{relative}.mine-{number}"
            aside.append((relative, destination))
        else:
            kept.append(relative)
        (target / destination).parent.mkdir(parents=True, exist_ok=True)
        os.replace(source / relative, target / destination)
    return kept, aside


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
            _Layout.of(read_manifest(output) or {}),
        )
        shutil.rmtree(backup, ignore_errors=True)


def refuse_unusable_output(output: Path) -> None:
    """An output that is a symbolic link or a file is refused, whatever ``--force`` says."""
    if output.is_symlink():
        raise GenerationError(
            f"{output} is a symbolic link; pass the folder it points to as --output"
        )
    if output.exists() and not output.is_dir():
        raise GenerationError(
            f"{output} exists and is not a folder; choose another --output"
        )


def check_output_folder(
    output: Path, generated: _Layout, force: bool
) -> dict[str, str]:
    """Refuse folders we did not make, generated files edited by hand and user's files where
    generated ones go, unless ``force``; returns the files of the earlier generation."""
    refuse_unusable_output(output)
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
        and digest((output / path).read_bytes()) != recorded
    )
    if edited and not force:
        raise GenerationError(
            f"{output / edited[0]} was edited after it was generated"
            + _and_more(edited)
            + "; move your changes out of the generated folder, or pass --force to overwrite"
        )
    in_the_way = sorted(
        relative
        for relative in _user_entries(output, set(manifest), generated)
        if generated.in_the_way(relative)
    )
    if in_the_way and not force:
        raise GenerationError(
            f"{output / in_the_way[0]} is yours (not in {MANIFEST}), but this schema "
            + (
                "generates a file"
                if in_the_way[0] in generated.files
                else "needs a folder"
            )
            + " there"
            + _and_more(in_the_way)
            + "; move it out of the way, or pass --force to have it moved aside"
        )
    return manifest


def _and_more(paths: list[str]) -> str:
    return f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""


def write_project(
    files: Mapping[str, bytes], output: Path, manifest: bytes, force: bool
) -> WriteReport:
    """Replace ``output`` with exactly ``files`` (plus the manifest), keeping user-added files."""
    output = Path(os.path.abspath(output))
    if not output.parent.is_dir():
        raise GenerationError(
            f"cannot write {output}: folder {output.parent} does not exist"
        )
    generated = _Layout.of(files)
    with output_lock(output):
        recover(output)
        previous = set(check_output_folder(output, generated, force))
        staging = _stage(files, manifest, output)
        kept, aside = _swap_in(staging, output, previous, generated)
    return WriteReport(
        written=len(files),
        removed=tuple(sorted(previous - generated.files)),
        kept=tuple(kept),
        moved_aside=tuple(aside),
    )


def _stage(files: Mapping[str, bytes], manifest: bytes, output: Path) -> Path:
    """The new tree, written into a temporary folder beside ``output`` (removed on failure)."""
    staging = Path(
        tempfile.mkdtemp(prefix=f".{output.name}.{_NEW}-", dir=output.parent)
    )
    try:
        os.chmod(staging, 0o777 & ~current_umask())
        for relative, data in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        (staging / MANIFEST).write_bytes(manifest)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise GenerationError(
            f"cannot write {output} ({exc.strerror or exc}); nothing was written; "
            f"free space in {output.parent} and run again"
        ) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def _swap_in(
    staging: Path, output: Path, previous: set[str], generated: _Layout
) -> tuple[list[str], list[tuple[str, str]]]:
    """Put the staged tree in place of ``output`` and carry the user's files over.

    Ctrl-C or SIGTERM before the swap stops the run with the old output in place; during it,
    they come too late to stop it, and the run completes.
    """
    kept: list[str] = []
    aside: list[tuple[str, str]] = []
    try:
        with _uninterrupted():
            if output.exists():
                backup = Path(
                    tempfile.mkdtemp(
                        prefix=f".{output.name}.{_OLD}-", dir=output.parent
                    )
                )
                os.replace(output, backup)
                os.replace(staging, output)
                kept, aside = _carry_user_files(backup, output, previous, generated)
                shutil.rmtree(backup)
            else:
                os.replace(staging, output)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return kept, aside

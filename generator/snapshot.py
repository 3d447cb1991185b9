"""The snapshot: a tenant's raw schema answers, frozen in one reviewable, reproducible file.

Everything downstream of ``pull`` reads a :class:`Snapshot`; a live pull builds one in memory and
goes through the same code path as a file. The file holds no timestamp and no secret: the same
schema always serialises to the same bytes, so it diffs well in version control.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import SnapshotError

FORMAT_VERSION = 1

MAX_DEPTH = 32
"""How deeply an answer may nest; real ones nest three levels, every stage walks them."""

MAX_DIGITS = 100
"""The longest whole number a snapshot may hold (real ids have at most 19 digits)."""

CATEGORY = "Category"
CATEGORY_DETAILED = "Category?Detailed=1"
SCHEMA_BUSINESS = "Schema/Business"
SCHEMA_PERSON = "Schema/Person"
SCHEMA_PROJECT_PREFIX = "Schema/Project/"

DEMO_RESOURCE = "demo.snapshot.json"


def project_schema_endpoint(module_id: str) -> str:
    """The endpoint that answers the project schema of one module."""
    return f"{SCHEMA_PROJECT_PREFIX}{module_id}"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"holds {name}, which is not JSON")


def _whole_number(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise ValueError(
            f"holds a number of {digits} digits (at most {MAX_DIGITS} are read)"
        )
    return int(text)


def _finite_number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"holds the number {text[:20]}, which is out of range")
    return value


def parse_json(data: str | bytes) -> Any:
    """Parse JSON strictly, for text from files and servers that may be hostile.

    Python's parser accepts ``NaN`` and ``Infinity`` (not JSON, and never written back as JSON),
    recurses once per nesting level, and fails on integers beyond 4,300 digits with a message
    about ``sys.set_int_max_str_digits``. Here a syntax error is a ``json.JSONDecodeError``, and
    everything else a ``ValueError`` whose message completes "the answer …" ("holds NaN, which
    is not JSON"), ready for a one-line error.
    """
    try:
        return json.loads(
            data,
            parse_constant=_refuse_constant,
            parse_int=_whole_number,
            parse_float=_finite_number,
        )
    except UnicodeDecodeError:
        raise ValueError("is not UTF-8 text") from None
    except RecursionError:
        raise ValueError("is nested too deeply") from None


def _path(keys: tuple[str | int, ...]) -> str:
    """Where a value sits, as subscripts; long names are cut so the message stays one line."""
    return "".join(
        f"[{key[:40]!r}…]" if isinstance(key, str) and len(key) > 40 else f"[{key!r}]"
        for key in keys
    )


_SURROGATE = re.compile("[\ud800-\udfff]")


def _surrogate(found: re.Match[str]) -> str:
    return (
        f"holds a lone surrogate ({found.group()!r} at character {found.start()}), "
        "which is not Unicode text"
    )


def value_problem(value: Any) -> str | None:
    """What makes a parsed answer unsafe to walk, hash or write back, or None.

    Nesting deeper than :data:`MAX_DEPTH` would make the recursive stages (fingerprint,
    rendering) fail; a lone surrogate (the JSON escape ``\\ud800`` unpaired) is not Unicode text,
    so no file could hold it. Walks with its own stack, so depth alone cannot crash it.
    """
    if _plainly_safe(value):
        return None
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, keys = stack.pop()
        if len(keys) > MAX_DEPTH:
            return f"{_path(keys[:3])}… is nested more than {MAX_DEPTH} levels deep"
        found = _SURROGATE.search(item) if isinstance(item, str) else None
        if found:
            return f"the text at {_path(keys)} {_surrogate(found)}"
        if isinstance(item, dict):
            for key, child in item.items():
                found = _SURROGATE.search(key)
                if found:
                    return f"a name at {_path(keys)} {_surrogate(found)}"
                stack.append((child, (*keys, key)))
        elif isinstance(item, list):
            stack.extend((child, (*keys, index)) for index, child in enumerate(item))
    return None


def _plainly_safe(value: Any) -> bool:
    """No lone surrogate and no nesting past :data:`MAX_DEPTH`: the usual answer, found a
    level at a time without the paths a message would name (a third of reading a large
    snapshot went to those)."""
    level, texts = [value], list[str]()
    for _ in range(MAX_DEPTH + 1):
        deeper: list[Any] = []
        for item in level:
            if isinstance(item, dict):
                texts.extend(item)
                deeper.extend(item.values())
            elif isinstance(item, list):
                deeper.extend(item)
            elif isinstance(item, str):
                texts.append(item)
        if not deeper:
            return not _SURROGATE.search("".join(texts))
        level = deeper
    return False


def canonical_json(value: Any) -> str:
    """Serialise ``value`` the one way snapshots are written: sorted keys, UTF-8, two-space indent."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def fingerprint_of(endpoints: Mapping[str, Any]) -> str:
    """sha256 over the canonical form of the raw answers (not the source), so equal schemas match."""
    digest = hashlib.sha256(canonical_json(endpoints).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"


@dataclass(frozen=True)
class Snapshot:
    """Raw answers of the schema endpoints of one system, keyed by endpoint."""

    endpoints: Mapping[str, Any]
    base_url: str
    system_id: str

    @cached_property
    def fingerprint(self) -> str:
        return fingerprint_of(self.endpoints)

    def module_ids(self) -> list[str]:
        """Module ids as listed by ``Category``, in numeric order."""
        return sorted_module_ids(self.endpoints.get(CATEGORY))

    def to_json(self) -> str:
        document = {
            "format_version": FORMAT_VERSION,
            "source": {"base_url": self.base_url, "system_id": self.system_id},
            "fingerprint": self.fingerprint,
            "endpoints": self.endpoints,
        }
        return canonical_json(document)

    def write(self, path: Path) -> None:
        """Write atomically: a reader sees the old file or the new one, never half of one."""
        write_text_atomically(path, self.to_json())


_INTEGER = re.compile(r"-?[0-9]{1,19}")


def _is_scalar_label(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def same_number(ids: Any) -> tuple[str, str] | None:
    """Two whole-number ids that are the same number (``"1"`` and ``"01"``), or None.

    A client could not tell such options or modules apart, so a schema with them is refused
    rather than merged silently.
    """
    seen: dict[int, str] = {}
    for key in sorted(ids, key=lambda key: (int(key), key)):
        first = seen.setdefault(int(key), key)
        if first != key:
            return first, key
    return None


def endpoint_problem(endpoint: str, answer: Any) -> str | None:
    """Why one raw answer cannot be used, or None when its shape is right.

    PHP serialises an empty map as ``[]``, so an empty list stands for an empty object throughout.
    """
    unsafe = value_problem(answer)
    if unsafe is not None:
        return unsafe
    if answer == []:
        return None
    if not isinstance(answer, dict):
        return f"expected a JSON object, got {type(answer).__name__}"
    for key, value in answer.items():
        if endpoint in (CATEGORY, CATEGORY_DETAILED) and not _INTEGER.fullmatch(key):
            return f"module id {key!r} is not a whole number"
        if endpoint == CATEGORY and not _is_scalar_label(value):
            return f"module {key!r} has a name of type {type(value).__name__}"
        if endpoint == CATEGORY_DETAILED and not isinstance(value, dict):
            return f"module {key!r} is described by a {type(value).__name__}, not an object"
        if endpoint.startswith("Schema/"):
            if isinstance(value, str) or value == []:
                continue
            if not isinstance(value, dict):
                return f"field {key!r} has a type of JSON type {type(value).__name__}"
            for option_id, label in value.items():
                if not _INTEGER.fullmatch(option_id):
                    return f"option id {option_id!r} of field {key!r} is not a whole number"
                if not _is_scalar_label(label):
                    return f"option {option_id!r} of field {key!r} has a label of type {type(label).__name__}"
            pair = same_number(value)
            if pair is not None:
                return f"option ids {pair[0]!r} and {pair[1]!r} of field {key!r} are the same number"
    if endpoint in (CATEGORY, CATEGORY_DETAILED):
        pair = same_number(answer)
        if pair is not None:
            return f"module ids {pair[0]!r} and {pair[1]!r} are the same number"
    return None


def find_problem(snapshot: Snapshot) -> str | None:
    """The first reason a snapshot cannot be used, or None: every endpoint there and well formed."""
    endpoints = snapshot.endpoints
    for endpoint, answer in sorted(endpoints.items()):
        problem = endpoint_problem(endpoint, answer)
        if problem is not None:
            return f"{endpoint}: {problem}"
    required = [CATEGORY, CATEGORY_DETAILED, SCHEMA_BUSINESS, SCHEMA_PERSON]
    required += [
        project_schema_endpoint(module_id) for module_id in snapshot.module_ids()
    ]
    for endpoint in required:
        if endpoint not in endpoints:
            return f"the answer of {endpoint} is missing"
    return None


def sorted_module_ids(category: Any) -> list[str]:
    """The module ids of a ``Category`` answer, numeric ones first in numeric order."""
    if not isinstance(category, dict):
        return []
    return sorted(
        category,
        key=lambda key: (
            (0, int(key), "") if key.isascii() and key.isdigit() else (1, 0, key)
        ),
    )


def current_umask() -> int:
    """The process umask: temporary files are private, the files they become should not be."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, fsync it, then rename it into place."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise SnapshotError(f"cannot write {path}: folder {directory} does not exist")
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=directory
    )
    try:
        os.chmod(tmp_name, 0o666 & ~current_umask())
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


_ENDPOINTS_KEY = '\n  "endpoints": '
_ENDPOINTS_END = "\n  }"


def _canonical_endpoints(text: str) -> tuple[str, int] | None:
    """In a file of the layout :meth:`Snapshot.to_json` writes, ``canonical_json(endpoints)``
    as it appears in the text, and where the endpoints end; None for any other layout.

    In that layout the endpoints are the first key, one value per line, indented two more
    spaces than ``canonical_json(endpoints)`` writes them; JSON strings hold no raw newline, so
    the first line ``"  }"`` closes them.
    """
    if not text.startswith("{" + _ENDPOINTS_KEY) or text.count(_ENDPOINTS_KEY) != 1:
        return None
    start = len("{" + _ENDPOINTS_KEY)
    end = text.find(_ENDPOINTS_END, start)
    if end < 0:
        return None
    end += len(_ENDPOINTS_END)
    return text[start:end].replace("\n  ", "\n") + "\n", end


def _recorded_fingerprint_holds(text: str, recorded: object) -> bool:
    """Whether a file carries the fingerprint of its own ``endpoints``, checked on its text
    instead of serialising the answers again.

    When the hash of the endpoints' text (see :func:`_canonical_endpoints`) is the recorded
    fingerprint, that text *is* the canonical form, and ``endpoints`` appears once, so the
    parser read that very text. Any other layout returns False and is checked the slow way.
    """
    found = _canonical_endpoints(text)
    if found is None or not isinstance(recorded, str):
        return False
    digest = hashlib.sha256(found[0].encode("utf-8")).hexdigest()
    return recorded == f"sha256:{digest}"


@dataclass(frozen=True)
class SnapshotHead:
    """What a snapshot file says about itself, without its answers."""

    fingerprint: str
    system_id: str


def peek_snapshot(path: Path) -> SnapshotHead | None:
    """The fingerprint and system id of an intact snapshot file, without parsing its answers.

    For a file in the canonical layout whose answers still hash to its recorded fingerprint;
    None otherwise (then :func:`load_snapshot` reads and checks it in full). This is what lets
    a no-change ``generate`` skip reading a large schema.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    found = _canonical_endpoints(text)
    if found is None:
        return None
    try:
        rest = json.loads("{" + text[found[1] :].removeprefix(","))
    except json.JSONDecodeError:
        return None
    source = rest.get("source") if isinstance(rest, dict) else None
    system_id = source.get("system_id") if isinstance(source, dict) else None
    if rest.get("format_version") != FORMAT_VERSION or not isinstance(system_id, str):
        return None
    if not _recorded_fingerprint_holds(text, rest.get("fingerprint")):
        return None
    return SnapshotHead(rest["fingerprint"], system_id)


def parse_snapshot(text: str, origin: str) -> Snapshot:
    """Parse and check a snapshot document; ``origin`` names it in error messages."""
    try:
        document = parse_json(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{origin} is not valid JSON ({exc.msg} at line {exc.lineno}); "
            "re-create it with `minicrm-codegen pull`"
        ) from None
    except ValueError as exc:
        raise SnapshotError(
            f"{origin} {exc}; re-create it with `minicrm-codegen pull`"
        ) from None
    if not isinstance(document, dict):
        raise SnapshotError(
            f"{origin} is not a snapshot: expected a JSON object at the top"
        )
    version = document.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise SnapshotError(
            f"{origin} has snapshot format version {version!r}, this tool reads version "
            f"{FORMAT_VERSION}; re-create it with `minicrm-codegen pull`"
        )
    endpoints = document.get("endpoints")
    source = document.get("source")
    if not isinstance(endpoints, dict) or not isinstance(source, dict):
        raise SnapshotError(
            f"{origin} is not a snapshot: 'endpoints' and 'source' must be objects"
        )
    base_url, system_id = source.get("base_url"), source.get("system_id")
    if not isinstance(base_url, str) or not isinstance(system_id, str):
        raise SnapshotError(
            f"{origin}: 'source' needs string 'base_url' and 'system_id'"
        )
    problem = value_problem(source)
    if problem is not None:
        raise SnapshotError(f"{origin} is not usable: source: {problem}")
    snapshot = Snapshot(endpoints=endpoints, base_url=base_url, system_id=system_id)
    problem = find_problem(snapshot)
    if problem is not None:
        raise SnapshotError(f"{origin} is not usable: {problem}")
    recorded = document.get("fingerprint")
    if _recorded_fingerprint_holds(text, recorded):
        snapshot.__dict__["fingerprint"] = recorded  # seeds the cached_property
    if recorded != snapshot.fingerprint:
        raise SnapshotError(
            f"{origin} was changed after it was written: its fingerprint does not match its "
            "content; pull it again (or restore it from version control)"
        )
    return snapshot


def load_snapshot(path: Path) -> Snapshot:
    """Read a snapshot file, with a one-line error for every way it can be wrong."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotError(
            f"snapshot {path} does not exist; create it with `minicrm-codegen pull`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"cannot read snapshot {path}: {exc}") from None
    return parse_snapshot(text, f"snapshot {path}")


def load_demo_snapshot() -> Snapshot:
    """The bundled demo tenant, the embedded default wherever a snapshot is accepted."""
    text = (
        resources.files("generator")
        .joinpath("demo", DEMO_RESOURCE)
        .read_text(encoding="utf-8")
    )
    return parse_snapshot(text, "the bundled demo snapshot")

"""Select stage: keep only the modules a configuration asks for, before anything is named.

Excluded modules are cut out of the snapshot itself (``Category``, ``Category?Detailed=1``, their
``Schema/Project/<id>`` answer, and the ``CategoryId`` option maps of every schema), so they take
no part in naming, produce no code, and change neither the fingerprint the generated files carry
nor the names of anything else: a change to an excluded module is no drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import snapshot as snap
from .errors import ConfigError
from .model import Diagnostic
from .settings import ModuleSelection


@dataclass(frozen=True)
class Selected:
    """The snapshot reduced to the chosen modules, the ids kept, and notes for the user."""

    snapshot: snap.Snapshot
    module_ids: tuple[int, ...]
    diagnostics: tuple[Diagnostic, ...]


def _matches(ref: int | str, module_id: int, label: str) -> bool:
    return ref == module_id if isinstance(ref, int) else ref == label


def select_modules(
    snapshot: snap.Snapshot, selection: ModuleSelection, origin: str
) -> Selected:
    """Apply ``selection`` (include first, then exclude) to ``snapshot``.

    An include that matches no module is an error (the client would silently lack it); an
    exclude that matches none is a warning (the module is gone, which is what it asked for).
    """
    category = snapshot.endpoints.get(snap.CATEGORY)
    labels = {
        int(key): str(label)
        for key, label in (category.items() if isinstance(category, dict) else ())
    }
    every = tuple(sorted(labels))
    if not selection.include and not selection.exclude:
        return Selected(snapshot, every, ())
    notes: list[Diagnostic] = []
    kept = set(every)
    if selection.include:
        kept = set()
        for ref in selection.include:
            found = {i for i, label in labels.items() if _matches(ref, i, label)}
            if not found:
                raise ConfigError(
                    f"{origin}: include-modules names {ref!r}, but the system has no such "
                    f"module (ids and names: {_listing(labels)})"
                )
            kept |= found
    for ref in selection.exclude:
        found = {i for i, label in labels.items() if _matches(ref, i, label)}
        if not found:
            notes.append(
                Diagnostic(
                    "exclude-modules",
                    "stale-exclude",
                    f"{ref!r} matches no module of the system; nothing was excluded for it",
                )
            )
        kept -= found
    dropped = {str(module_id) for module_id in set(every) - kept}
    endpoints = {
        endpoint: _without(endpoint, answer, dropped)
        for endpoint, answer in snapshot.endpoints.items()
        if endpoint.removeprefix(snap.SCHEMA_PROJECT_PREFIX) not in dropped
        or not endpoint.startswith(snap.SCHEMA_PROJECT_PREFIX)
    }
    reduced = snap.Snapshot(endpoints, snapshot.base_url, snapshot.system_id)
    return Selected(reduced, tuple(sorted(kept)), tuple(notes))


def _without(endpoint: str, answer: Any, dropped: set[str]) -> Any:
    if not dropped or not isinstance(answer, dict):
        return answer
    if endpoint in (snap.CATEGORY, snap.CATEGORY_DETAILED):
        return {key: value for key, value in answer.items() if key not in dropped}
    categories = answer.get("CategoryId")
    if endpoint.startswith("Schema/") and isinstance(categories, dict):
        return {
            **answer,
            "CategoryId": {
                key: value for key, value in categories.items() if key not in dropped
            },
        }
    return answer


def _listing(labels: dict[int, str]) -> str:
    shown = ", ".join(f"{i} {label!r}" for i, label in sorted(labels.items())[:12])
    return shown + (", …" if len(labels) > 12 else "")

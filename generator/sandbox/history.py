"""The sandbox's rules for a project's status history (``ProjectHistory``, manual p.74-75).

Every status a card takes is recorded, its first one included (with no old status). The answer
is shaped as the manual shows it: ``Count`` a string, ``Results`` keyed by history id, every
value a string, newest first. Trashed cards have none (manual p.85).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .rules import Rules
from .values import ApiError

HISTORY = "StatusHistory"


class HistoryRules(Rules):
    """Status changes of projects."""

    def status_changed(
        self, project_id: int, module_id: int, old: Any, new: Any
    ) -> None:
        """Record that a card moved from status ``old`` (None: it is new) to ``new``."""
        if old == new or new is None:
            return
        self.store.insert(
            HISTORY,
            module_id,
            {
                "ProjectId": project_id,
                "UserId": self._default_user() or 0,
                "ClosedAt": self.clock(),
                "Old": old,
                "New": new,
            },
            self.clock(),
        )

    def status_history(
        self, project_id: int, params: Mapping[str, str]
    ) -> dict[str, Any]:
        kind = params.get("Type")
        if kind != HISTORY:
            raise ApiError(
                400,
                "ProjectHistory",
                "GET",
                f"Invalid value '{kind or ''}' for the Type parameter.",
            )
        project = self.store.get(project_id, ("Project",))
        if project is None:
            raise ApiError(
                404, "ProjectHistory", "GET", f"Project not found: {project_id}"
            )
        changes = [
            record
            for record in self.store.all((HISTORY,), project.category_id)
            if record.data["ProjectId"] == project_id
        ]
        if project.data.get("Deleted"):
            changes = []
        changes.sort(
            key=lambda record: (record.data["ClosedAt"], record.id), reverse=True
        )
        status = self._status_name(project.category_id or 0)
        results = {
            str(record.id): {
                "Id": str(record.id),
                "ProjectId": str(project_id),
                "Type": HISTORY,
                "UserId": str(record.data["UserId"]),
                "ClosedAt": record.data["ClosedAt"],
                "Status_Old_Id": _text(record.data["Old"]),
                "Status_New_Id": _text(record.data["New"]),
                "Status_Old_Name": status(record.data["Old"]),
                "Status_New_Name": status(record.data["New"]),
            }
            for record in changes
        }
        return {"Count": str(len(results)), "Results": results or []}

    def _status_name(self, module_id: int) -> Callable[[Any], str]:
        """A function giving the label of a status id of the module (``""`` for none)."""
        statuses = self.codec.choices.get(self.modules[module_id].status_type or "")
        labels = (
            {option.id: option.label for option in statuses.options} if statuses else {}
        )

        def name(status: Any) -> str:
            return "" if status is None else labels.get(status, str(status))

        return name


def _text(value: Any) -> str:
    return "" if value is None else str(value)

"""The sandbox's rules for ToDos: create, update, close (also backdated), list, detail."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..model import Field, Kind
from .rules import Rules
from .values import INTEGER, ApiError, is_scalar, write_datetime, write_int

#: What a ToDo write may carry (manual p.91, p.94-95); Duration and Reminder are minutes.
TODO_WRITABLE = frozenset(
    {
        "UserId",
        "ContactId",
        "AddressId",
        "Comment",
        "Deadline",
        "Duration",
        "Reminder",
        "Type",
        "Attachments",
        "Members",
    }
)
#: ToDo fields only MiniCRM sets (manual p.94); ``ClosedAt`` only when closing.
TODO_SERVER_SET = frozenset(
    {
        "Id",
        "CreatedBy",
        "CreatedAt",
        "UpdatedBy",
        "UpdatedAt",
        "ClosedBy",
        "Mode",
        "Notes",
        "SenderUserId",
    }
)
TODO_CLOSED = ("Closed", "Failed", "Successful")
#: The sandbox's ToDo types (real systems define their own; none is in the schema).
TODO_TYPES = {1566: "Call", 1567: "Meeting", 1568: "E-mail"}
ZERO_DATE = "0000-00-00 00:00:00"


def _todo_type(value: Any) -> int | None:
    """A ToDo type by id or name; ``0`` or ``""`` is none."""
    text = str(value).strip()
    if text in ("", "0"):
        return None
    if INTEGER.fullmatch(text) and int(text) in TODO_TYPES:
        return int(text)
    for type_id, label in TODO_TYPES.items():
        if label == text:
            return type_id
    raise ValueError(value)


def _attachments(value: Any) -> list[dict[str, str]]:
    """The files a write adds: one URL, or several separated by commas."""
    if not isinstance(value, str):
        raise ValueError(value)
    urls = [url.strip() for url in value.split(",") if url.strip()]
    if not urls or not all(re.match(r"https?://[^\s/]+/\S+", url) for url in urls):
        raise ValueError(value)
    return [{"FileName": url.rsplit("/", 1)[-1], "Url": url} for url in urls]


def _members(value: Any) -> list[dict[str, Any]]:
    """``[{"Entity": "User", "EntityId": 3301}]`` (how MiniCRM reads them is undocumented)."""
    if not isinstance(value, list):
        raise ValueError(value)
    members = []
    for member in value:
        if not isinstance(member, dict) or not isinstance(member.get("Entity"), str):
            raise ValueError(value)
        members.append(
            {"Entity": member["Entity"], "EntityId": write_int(member.get("EntityId"))}
        )
    return members


class ToDoRules(Rules):
    """The ToDos (tasks) of projects."""

    def _todo_value(self, name: str, value: Any, method: str) -> Any:
        """The stored form of one written ToDo field; a 400 when it is not valid."""
        try:
            if name == "UserId":
                user = Field(
                    "UserId", "user_id", Kind.USER_ID, "", None, "User", False, ""
                )
                return self.codec.write(user, value) if self.users else write_int(value)
            if name in ("ContactId", "AddressId", "Duration", "Reminder"):
                number = write_int(value)
                if number < 0:
                    raise ValueError(value)
                return number
            if name == "Deadline":
                return write_datetime(value)
            if name == "Type":
                return _todo_type(value)
            if name == "Attachments":
                return _attachments(value)
            if name == "Members":
                return _members(value)
            if not is_scalar(value) or isinstance(value, bool):
                raise ValueError(
                    value
                )  # a text field (Comment) takes text, not objects
            return "" if value is None else str(value)
        except ValueError:
            raise ApiError(
                400, "ToDo", method, f"Invalid value '{value}' for the {name} field."
            ) from None

    def _todo_apply(
        self, stored: dict[str, Any], body: Mapping[str, Any], method: str
    ) -> None:
        """Write ``body`` into a ToDo; a closing ``Status`` may carry ``ClosedAt``."""
        status = body.get("Status")
        closing = status in TODO_CLOSED or (method == "POST" and "ClosedAt" in body)
        for name, value in body.items():
            if name == "ProjectId":
                continue
            if name == "ClosedAt" and closing:
                continue
            if name in TODO_SERVER_SET or name == "ClosedAt":
                raise ApiError(
                    400, "ToDo", method, f"The {name} field can't be changed."
                )
            if name == "Status":
                if value not in ("Open", *TODO_CLOSED):
                    raise ApiError(
                        400,
                        "ToDo",
                        method,
                        f"Invalid value '{value}' for the Status field.",
                    )
                continue
            if name not in TODO_WRITABLE:
                raise ApiError(400, "ToDo", method, f"Unknown field: {name}")
            value = self._todo_value(name, value, method)
            if name == "Attachments":
                value = [*stored.get("Attachments", []), *value]
            stored[name] = value
        if closing:
            self._close_todo(stored, body, method)

    def _close_todo(
        self, stored: dict[str, Any], body: Mapping[str, Any], method: str
    ) -> None:
        status = body.get("Status", "Closed")
        closed_at = self.clock()
        if "ClosedAt" in body:
            if status == "Successful":
                raise ApiError(
                    400,
                    "ToDo",
                    method,
                    "ClosedAt can only be set when closing as Closed or Failed.",
                )
            try:
                closed_at = write_datetime(body["ClosedAt"])
            except ValueError:
                raise ApiError(
                    400,
                    "ToDo",
                    method,
                    f"Invalid value '{body['ClosedAt']}' for the ClosedAt field.",
                ) from None
        stored.update(Status=status, ClosedAt=closed_at, ClosedBy=self._default_user())

    def put_todo(
        self, record_id: int | None, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            if record_id is None:
                project = self._existing(body, "ProjectId", ("Project",), "ToDo")
                stored: dict[str, Any] = {
                    "ProjectId": project,
                    "Status": "Open",
                    "UserId": self._default_user(),
                    "CreatedBy": self._default_user(),
                    "CreatedAt": self.clock(),
                }
                self._todo_apply(stored, body, "PUT")
                return {"Id": self.store.insert("ToDo", None, stored, self.clock())}
            return {"Id": self._change_todo(record_id, body, "PUT")}

    def post_todo(self, record_id: int, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST ToDo/{id}``: close it, optionally at a chosen ``ClosedAt`` (manual p.97)."""
        unknown = sorted(set(body) - {"Status", "ClosedAt"})
        if not body:
            raise ApiError(400, "ToDo", "POST", 'Invalid parameter: "Data (JSON)"')
        if unknown:
            raise ApiError(400, "ToDo", "POST", f"Unknown field: {unknown[0]}")
        if body.get("Status", "Closed") not in TODO_CLOSED:
            raise ApiError(
                400,
                "ToDo",
                "POST",
                f"Invalid value '{body['Status']}' for the Status field.",
            )
        with self.store.transaction():
            return {"Id": self._change_todo(record_id, body, "POST")}

    def _change_todo(self, record_id: int, body: Mapping[str, Any], method: str) -> int:
        record = self.store.get(record_id, ("ToDo",))
        if record is None:
            raise ApiError(404, "ToDo", method, f"ToDo not found: {record_id}")
        if record.data.get("Status") != "Open":
            raise ApiError(400, "ToDo", method, "Only open ToDos can be changed.")
        if "ProjectId" in body and str(body["ProjectId"]) != str(
            record.data["ProjectId"]
        ):
            raise ApiError(400, "ToDo", method, "The ProjectId field can't be changed.")
        self._todo_apply(record.data, body, method)
        record.data["UpdatedBy"] = self._default_user()
        self.store.update(record.id, record.data, self.clock())
        return record.id

    def add_todo_note(self, todo_id: int, comment: str, user_id: int) -> None:
        """A note written in the app (the API cannot write notes)."""
        with self.store.transaction():
            record = self.store.get(todo_id, ("ToDo",))
            if record is None:
                raise ApiError(404, "ToDo", "GET", f"ToDo not found: {todo_id}")
            note = {"Comment": comment, "CreatedBy": user_id, "CreatedAt": self.clock()}
            record.data["Notes"] = [*record.data.get("Notes", []), note]
            self.store.update(record.id, record.data, record.updated_at)

    def get_todo(self, record_id: int) -> dict[str, Any]:
        """A ToDo as its detail answers it (manual p.93-94): user names, minutes, the most
        recent attachment as one object, member and note user ids as numeric strings."""
        record = self.store.get(record_id, ("ToDo",))
        if record is None:
            raise ApiError(404, "ToDo", "GET", f"ToDo not found: {record_id}")
        data = record.data
        attachments = data.get("Attachments") or []
        return {
            "Id": record.id,
            "UserId": self._user_label(data.get("UserId")),
            "ContactId": data.get("ContactId", 0),
            "ProjectId": data["ProjectId"],
            "AddressId": data.get("AddressId", 0),
            "SenderUserId": 0,
            "Type": TODO_TYPES.get(data.get("Type") or 0, ""),
            "Duration": data.get("Duration", 0),
            "Reminder": data.get("Reminder", 0),
            "Status": data["Status"],
            "Mode": "Task",
            "Deadline": data.get("Deadline") or "",
            "Comment": data.get("Comment") or "",
            "CreatedBy": self._user_label(data.get("CreatedBy")),
            "CreatedAt": data.get("CreatedAt", ""),
            "UpdatedBy": self._user_label(data.get("UpdatedBy", data.get("CreatedBy"))),
            "UpdatedAt": record.updated_at,
            "ClosedBy": self._user_label(data.get("ClosedBy", self._default_user())),
            "ClosedAt": data.get("ClosedAt", ZERO_DATE),
            "Attachments": attachments[-1] if attachments else [],
            "Members": [
                {"Entity": member["Entity"], "EntityId": str(member["EntityId"])}
                for member in data.get("Members", [])
            ],
            "Notes": [
                {**note, "CreatedBy": str(note["CreatedBy"])}
                for note in data.get("Notes", [])
            ],
        }

    def todo_list(self, project_id: int, params: Mapping[str, str]) -> dict[str, Any]:
        status = params.get("Status", "All")
        if status not in ("Open", "Closed", "All"):
            raise ApiError(
                400,
                "ToDoList",
                "GET",
                f"Invalid value '{status}' for the Status parameter.",
            )
        if self.store.get(project_id, ("Project",)) is None:
            raise ApiError(404, "ToDoList", "GET", f"Project not found: {project_id}")
        results = []
        for record in self.store.all(("ToDo",)):
            data = record.data
            is_open = data.get("Status") == "Open"
            if data["ProjectId"] != project_id or (
                status != "All" and is_open != (status == "Open")
            ):
                continue
            results.append(
                {
                    "Id": str(record.id),
                    "Status": data.get("Status"),
                    "Comment": data.get("Comment") or "",
                    "Deadline": data.get("Deadline") or "",
                    "UserId": "" if data.get("UserId") is None else str(data["UserId"]),
                    "Type": str(data.get("Type") or "0"),
                    "Url": f"{self.base_url}/ToDo/{record.id}",
                }
            )
        return {"Count": len(results), "Results": results}

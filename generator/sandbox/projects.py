"""The sandbox's rules for projects (cards): get, create, update, move, search."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ..model import Entity, Kind
from .history import HistoryRules
from .store import Record
from .values import (
    CONTACT_KINDS,
    ApiError,
    page_number,
    paged,
    parse_filter_date,
    whole_number,
)

STATUS_GROUPS = ("Lead", "Open", "Success", "Failed")
#: Project fields a write handles itself rather than as plain values.
PROJECT_FIXED = ("CategoryId", "ContactId", "BusinessId")


class ProjectRules(HistoryRules):
    """Projects of every module; a change of status is recorded in the history."""

    def get_project(self, record_id: int) -> dict[str, Any]:
        record = self.store.get(record_id, ("Project",))
        if record is None:
            raise ApiError(404, "Project", "GET", f"Project not found: {record_id}")
        entity = self.modules[record.category_id or 0].entity
        answer = self._detail(entity, record)
        answer["CategoryId"] = record.category_id
        answer["ContactId"] = record.data.get("ContactId")
        answer["BusinessId"] = record.data.get("BusinessId") or ""
        answer["StatusUpdatedAt"] = record.data.get("StatusUpdatedAt", "")
        digest = hashlib.sha256(f"{self.snapshot.system_id}/{record.id}".encode())
        answer["ProjectHash"] = digest.hexdigest()[:24]
        answer["ProjectEmail"] = (
            f"p{record.id}-{digest.hexdigest()[:8]}@sandbox.invalid"
        )
        return answer

    def put_project(
        self, record_id: int | None, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            if record_id is None:
                return {"Id": self._create_project(body)}
            record = self.store.get(record_id, ("Project",))
            if record is None:
                raise ApiError(404, "Project", "PUT", f"Project not found: {record_id}")
            if "CategoryId" in body and str(body["CategoryId"]) != str(
                record.category_id
            ):
                raise ApiError(
                    400, "Project", "PUT", "The CategoryId field can't be changed."
                )
            if "ContactId" in body and str(body["ContactId"]) != str(
                record.data.get("ContactId")
            ):
                self._move_project(record.data, body)
            elif "BusinessId" in body and str(body["BusinessId"]) != str(
                record.data.get("BusinessId")
            ):
                raise ApiError(
                    400,
                    "Project",
                    "PUT",
                    "The BusinessId field changes only with the ContactId field.",
                )
            entity = self.modules[record.category_id or 0].entity
            status = record.data.get("StatusId")
            self._apply(
                entity, "Project", "PUT", record.data, body, fixed=PROJECT_FIXED
            )
            if record.data.get("StatusId") != status:
                record.data["StatusUpdatedAt"] = self.clock()
                if not record.data.get("Deleted"):
                    self.status_changed(
                        record.id,
                        record.category_id or 0,
                        status,
                        record.data.get("StatusId"),
                    )
            self._server_fields(entity, record.data, False, self._default_user())
            self.store.update(record.id, record.data, self.clock())
            return {"Id": record.id}

    def _move_project(self, stored: dict[str, Any], body: Mapping[str, Any]) -> None:
        """Move a card to another person (manual p.81): of the same company with ContactId
        alone, of another company with its BusinessId too; never to a person without one.
        """
        person = self._existing(body, "ContactId", ("Person",), "Project")
        record = self.store.get(person, ("Person",))
        company = record.data.get("BusinessId") if record is not None else None
        if company is None:
            raise ApiError(
                400,
                "Project",
                "PUT",
                "A card can't be moved to a person who belongs to no company.",
            )
        if company != stored.get("BusinessId") and str(body.get("BusinessId")) != str(
            company
        ):
            raise ApiError(
                400,
                "Project",
                "PUT",
                "Moving a card to a person of another company needs their BusinessId too.",
            )
        stored.update(ContactId=person, BusinessId=company)

    def _create_project(self, body: Mapping[str, Any]) -> int:
        category = whole_number(body.get("CategoryId"))
        if category not in self.modules:
            raise ApiError(
                400,
                "Project",
                "PUT",
                f"Invalid value '{body.get('CategoryId', '')}' for the CategoryId field.",
            )
        contact = self._existing(body, "ContactId", CONTACT_KINDS, "Project")
        module = self.modules[category]
        main = self.store.get(contact, CONTACT_KINDS)
        company = (
            main.data.get("BusinessId") if main and main.kind == "Person" else contact
        )
        if "BusinessId" in body and str(body["BusinessId"]) != str(company):
            raise ApiError(
                400,
                "Project",
                "PUT",
                f"Invalid value '{body['BusinessId']}' for the BusinessId field.",
            )
        stored: dict[str, Any] = {
            "ContactId": contact,
            "BusinessId": company,
            "Deleted": 0,
            "IsPrivate": 0,
        }
        self._apply(module.entity, "Project", "PUT", stored, body, fixed=PROJECT_FIXED)
        statuses = self.codec.choices.get(module.status_type or "")
        if stored.get("StatusId") is None and statuses and statuses.options:
            stored["StatusId"] = statuses.options[0].id
        stored["StatusUpdatedAt"] = self.clock()
        if stored.get("UserId") is None and "UserId" in self._fields(module.entity):
            stored["UserId"] = self._default_user()
        self._server_fields(module.entity, stored, True, self._default_user())
        project_id = self.store.insert("Project", module.id, stored, self.clock())
        self.status_changed(project_id, module.id, None, stored.get("StatusId"))
        return project_id

    def status_group(self, module_id: int, status: Any) -> str:
        statuses = self.codec.choices.get(self.modules[module_id].status_type or "")
        ids = [option.id for option in statuses.options] if statuses else []
        if status not in ids:
            return "Open"
        position = ids.index(status)
        if len(ids) >= 3 and position == 0:
            return "Lead"
        if position == len(ids) - 1 and len(ids) >= 2:
            return "Failed"
        if position == len(ids) - 2 and len(ids) >= 3:
            return "Success"
        return "Open"

    def search_projects(self, params: Mapping[str, str]) -> dict[str, Any]:
        page = page_number(params, "Project")
        category = params.get("CategoryId")
        module_id = whole_number(category)
        if category is not None and module_id not in self.modules:
            raise ApiError(
                400,
                "Project",
                "GET",
                f"Invalid value '{category}' for the CategoryId parameter.",
            )
        module_ids = [module_id] if module_id is not None else sorted(self.modules)
        known = {
            "Query",
            "Page",
            "StatusGroup",
            "UpdatedSince",
            "UpdatedAt",
            "ReferenceId",
            "MainContactId",
            "Deleted",
            "CategoryId",
        }
        field_names = {
            name
            for module_id in module_ids
            for name in self._fields(self.modules[module_id].entity)
        }
        for name in params:
            if name not in known and name not in field_names:
                raise ApiError(400, "Project", "GET", f"Unknown parameter: {name}")
        group = params.get("StatusGroup")
        if group is not None and group not in STATUS_GROUPS:
            raise ApiError(
                400,
                "Project",
                "GET",
                f"Invalid value '{group}' for the StatusGroup parameter.",
            )
        since = parse_filter_date(params, "UpdatedSince", "Project")
        at = parse_filter_date(params, "UpdatedAt", "Project")
        if at is not None and len(params["UpdatedAt"].strip()) == 10:
            at = at[:10]
        trashed = params.get("Deleted", "0") == "1"
        query = params.get("Query", "").casefold()
        items = []
        for module_id in module_ids:
            entity = self.modules[module_id].entity
            for record in self.store.all(("Project",), module_id):
                data = record.data
                if bool(data.get("Deleted")) != trashed:
                    continue
                if (
                    "ReferenceId" in params
                    and data.get("ReferenceId") != params["ReferenceId"]
                ):
                    continue
                if (
                    "MainContactId" in params
                    and str(data.get("ContactId")) != params["MainContactId"]
                ):
                    continue
                if (
                    group is not None
                    and self.status_group(module_id, data.get("StatusId")) != group
                ):
                    continue
                if since is not None and record.updated_at <= since:
                    continue
                if at is not None and not record.updated_at.startswith(at):
                    continue
                if query and not self._text_match(entity, record, query):
                    continue
                if any(
                    not self._matches(entity, "Project", record, name, value)
                    for name, value in params.items()
                    if name not in known
                ):
                    continue
                items.append((record.id, self._project_item(record)))
        items.sort(key=lambda item: item[0])
        return paged(items, page)

    def _text_match(self, entity: Entity, record: Record, query: str) -> bool:
        if query == str(record.id):
            return True
        texts = [
            record.data.get(f.api_name)
            for f in entity.fields
            if f.kind in (Kind.TEXT, Kind.FILE)
        ]
        return any(isinstance(text, str) and query in text.casefold() for text in texts)

    def _project_item(self, record: Record) -> dict[str, Any]:
        data = record.data
        return {
            "Id": str(record.id),
            "Name": data.get("Name") or "",
            "Url": f"{self.base_url}/Project/{record.id}",
            "StatusId": "" if data.get("StatusId") is None else str(data["StatusId"]),
            "UserId": "" if data.get("UserId") is None else str(data["UserId"]),
            "Deleted": str(data.get("Deleted", 0)),
            "ContactId": str(data.get("ContactId", "")),
            "BusinessId": str(data.get("BusinessId") or ""),
        }

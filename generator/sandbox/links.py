"""The sandbox's rules for links between projects (project connections, manual p.88-90).

Every call is a PUT or a GET. A link goes from one card to another; creating it answers the
linked card, listing answers MiniCRM's own paging envelope (``TotalCount``, ``Page``,
``ItemPerPage``, ``Connections`` keyed by position on the page). Linking a card to itself, or
to a card that does not exist, is a 400; linking the same two cards again changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rules import Rules
from .store import Record
from .values import PAGE_SIZE, ApiError, page_number, whole_number

LINK = "Connection"


class LinkRules(Rules):
    """Links from one project to another."""

    def create_connection(self, body: Mapping[str, Any]) -> dict[str, Any]:
        entity = "CreateProjectConnection"
        with self.store.transaction():
            source, target = self._ends(body, entity)
            if source == target:
                raise ApiError(400, entity, "PUT", "A card can't be linked to itself.")
            link = self._link(source, target)
            if link is None:
                data = {"From": source, "To": target, "Description": ""}
                self.store.insert(LINK, None, data, self.clock())
                description = ""
            else:
                description = link.data["Description"]
            return self._linked_card(target, description)

    def list_connections(self, params: Mapping[str, str]) -> dict[str, Any]:
        entity = "ListProjectConnection"
        page = page_number(params, entity)
        source = whole_number(params.get("FromProjectId"))
        if source is None or self.store.get(source, ("Project",)) is None:
            raise ApiError(
                400,
                entity,
                "GET",
                f"Invalid value '{params.get('FromProjectId', '')}' for the FromProjectId parameter.",
            )
        links = [
            link for link in self.store.all((LINK,)) if link.data["From"] == source
        ]
        chosen = links[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        connections = {
            str(position): self._linked_card(link.data["To"], link.data["Description"])
            for position, link in enumerate(chosen)
        }
        return {
            "TotalCount": len(links),
            "Page": page,
            "ItemPerPage": PAGE_SIZE,
            "Connections": connections or [],
        }

    def update_connection(self, body: Mapping[str, Any]) -> dict[str, Any]:
        entity = "UpdateProjectConnection"
        with self.store.transaction():
            link = self._existing_link(body, entity)
            description = body.get("Description", "")
            if not isinstance(description, str):
                raise ApiError(
                    400,
                    entity,
                    "PUT",
                    f"Invalid value '{description}' for the Description field.",
                )
            link.data["Description"] = description
            self.store.update(link.id, link.data, self.clock())
            return {"Message": "Successfully updated"}

    def delete_connection(self, body: Mapping[str, Any]) -> dict[str, Any]:
        entity = "DeleteProjectConnection"
        with self.store.transaction():
            link = self._existing_link(body, entity)
            self.store.delete(link.id)
            return {"Message": "Successfully deleted"}

    def _ends(self, body: Mapping[str, Any], entity: str) -> tuple[int, int]:
        """The two cards a call names; each must be a project (else 400)."""
        ends = []
        for name in ("FromProjectId", "ToProjectId"):
            project = whole_number(body.get(name))
            if project is None or self.store.get(project, ("Project",)) is None:
                raise ApiError(
                    400,
                    entity,
                    "PUT",
                    f"Invalid value '{body.get(name, '')}' for the {name} field.",
                )
            ends.append(project)
        return ends[0], ends[1]

    def _link(self, source: int, target: int) -> Record | None:
        return next(
            (
                link
                for link in self.store.all((LINK,))
                if link.data["From"] == source and link.data["To"] == target
            ),
            None,
        )

    def _existing_link(self, body: Mapping[str, Any], entity: str) -> Record:
        source, target = self._ends(body, entity)
        link = self._link(source, target)
        if link is None:
            raise ApiError(
                404, entity, "PUT", f"Connection not found: {source} -> {target}"
            )
        return link

    def _linked_card(self, project_id: int, description: str) -> dict[str, Any]:
        """The linked card as MiniCRM answers it (``StatusId`` an id, not a label)."""
        record = self.store.get(project_id, ("Project",))
        data = record.data if record is not None else {}
        return {
            "ProjectId": project_id,
            "ProjectName": data.get("Name") or "",
            "Description": description,
            "CategoryId": record.category_id if record is not None else 0,
            "StatusId": data.get("StatusId") or 0,
            "MainContactId": data.get("BusinessId") or data.get("ContactId") or 0,
        }

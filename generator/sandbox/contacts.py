"""The sandbox's rules for contacts (persons and companies): get, create, update, search."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..model import CONTACT_TYPE
from .rules import Rules
from .store import Record
from .values import CONTACT_KINDS, ApiError, page_number, paged, parse_filter_date


class ContactRules(Rules):
    """Persons and companies."""

    def _contact_kind(self, value: Any, method: str) -> str:
        """``Person`` or ``Business``: like real systems, neither the option id nor a
        localized label is taken for ``Type``."""
        if value in CONTACT_KINDS:
            return str(value)
        raise ApiError(
            400, "Contact", method, f"Invalid value '{value}' for the Type field."
        )

    def _type_label(self, kind: str) -> str:
        """How a detail GET shows ``Type``: the schema's label (``Személy`` on a Hungarian
        system, ``Person`` on an English one), as search answers stay English."""
        contact_type = self.codec.choices[CONTACT_TYPE]
        return next(
            option.label for option in contact_type.options if option.value == kind
        )

    def get_contact(self, record_id: int) -> dict[str, Any]:
        record = self.store.get(record_id, CONTACT_KINDS)
        if record is None:
            raise ApiError(404, "Contact", "GET", f"Contact not found: {record_id}")
        answer = self._detail(self.contacts[record.kind], record)
        answer["Type"] = self._type_label(record.kind)
        return answer

    def put_contact(
        self, record_id: int | None, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            if record_id is None:
                kind = self._contact_kind(body.get("Type", ""), "PUT")
                stored: dict[str, Any] = {"Deleted": 0}
                entity = self.contacts[kind]
                self._apply(entity, "Contact", "PUT", stored, body, fixed=("Type",))
                if (
                    kind == "Person"
                    and stored.get("BusinessId") is not None
                    and self.store.get(stored["BusinessId"], ("Business",)) is None
                ):
                    raise ApiError(
                        400,
                        "Contact",
                        "PUT",
                        f"Invalid value '{stored['BusinessId']}' for the BusinessId field.",
                    )
                self._server_fields(entity, stored, True, self._default_user())
                return {"Id": self.store.insert(kind, None, stored, self.clock())}
            record = self.store.get(record_id, CONTACT_KINDS)
            if record is None:
                raise ApiError(404, "Contact", "PUT", f"Contact not found: {record_id}")
            if (
                "Type" in body
                and self._contact_kind(body["Type"], "PUT") != record.kind
            ):
                raise ApiError(
                    400, "Contact", "PUT", "The Type field can't be changed."
                )
            if "BusinessId" in body and str(body["BusinessId"]) != str(
                record.data.get("BusinessId")
            ):
                # "Moving contacts between companies is not possible via API" (manual p.44).
                raise ApiError(
                    400, "Contact", "PUT", "The BusinessId field can't be changed."
                )
            entity = self.contacts[record.kind]
            self._apply(entity, "Contact", "PUT", record.data, body, fixed=("Type",))
            self._server_fields(entity, record.data, False, self._default_user())
            self.store.update(record.id, record.data, self.clock())
            return {"Id": record.id}

    def purge_person(self, record_id: int) -> tuple[int, dict[str, Any]]:
        """``PurgePerson/{id}`` (GET or PUT): delete a person for good (manual p.59, p.87).

        The answer is JSON ``{"Message": …}`` whether it deletes or refuses (a 400 here): it
        refuses a company, and a person who is the main contact of a card, trashed or not.
        """
        with self.store.transaction():
            record = self.store.get(record_id, CONTACT_KINDS)
            if record is None:
                raise ApiError(
                    404, "PurgePerson", "GET", f"Contact not found: {record_id}"
                )
            if record.kind != "Person":
                return 400, {"Message": "Only persons can be deleted."}
            cards = [
                project.id
                for project in self.store.all(("Project",))
                if project.data.get("ContactId") == record_id
            ]
            if cards:
                return 400, {
                    "Message": f"The person is the main contact of {len(cards)} card(s) "
                    f"(e.g. {cards[0]}); move them to another contact first."
                }
            self.store.delete(record_id)
            return 200, {"Message": "Successfully deleted"}

    def search_contacts(self, params: Mapping[str, str]) -> dict[str, Any]:
        page = page_number(params, "Contact")
        known = {
            "Query",
            "Page",
            "Name",
            "Email",
            "Phone",
            "Type",
            "MainContactId",
            "UpdatedSince",
            "ReferenceId",
            "Deleted",
        }
        field_names = {
            name for entity in self.contacts.values() for name in self._fields(entity)
        }
        for name in params:
            if name not in known and name not in field_names:
                raise ApiError(400, "Contact", "GET", f"Unknown parameter: {name}")
        kinds = (
            (self._contact_kind(params["Type"], "GET"),)
            if "Type" in params
            else CONTACT_KINDS
        )
        phone = re.sub(r"\D", "", params.get("Phone", ""))
        if "Phone" in params and len(phone) < 6:
            raise ApiError(
                400, "Contact", "GET", "Phone needs at least the last 6 digits."
            )
        since = parse_filter_date(params, "UpdatedSince", "Contact")
        query = params.get("Query", "").casefold()
        items = []
        for record in self.store.all(kinds):
            data = record.data
            name = _contact_name(record)
            digits = re.sub(r"\D", "", str(data.get("Phone") or ""))
            if bool(data.get("Deleted")) != (params.get("Deleted") == "1"):
                continue
            if "Name" in params and params["Name"].casefold() not in name.casefold():
                continue
            if (
                "Email" in params
                and (data.get("Email") or "").casefold() != params["Email"].casefold()
            ):
                continue
            if phone and not digits.endswith(phone):
                continue
            if (
                "MainContactId" in params
                and str(data.get("BusinessId")) != params["MainContactId"]
            ):
                continue
            if (
                "ReferenceId" in params
                and data.get("ReferenceId") != params["ReferenceId"]
            ):
                continue
            if since is not None and record.updated_at <= since:
                continue
            if query and not (
                query in name.casefold()
                or query in (data.get("Email") or "").casefold()
                or (query.isdigit() and len(query) >= 6 and digits.endswith(query))
            ):
                continue
            entity = self.contacts[record.kind]
            if any(
                not self._matches(entity, "Contact", record, k, v)
                for k, v in params.items()
                if k not in known
            ):
                continue
            item = {
                "Id": str(record.id),
                "Name": name,
                "Url": f"{self.base_url}/Contact/{record.id}",
                "Type": record.kind,
                "Email": data.get("Email") or "",
                "Phone": data.get("Phone") or "",
            }
            if record.kind == "Person":  # companies' items have none
                item["BusinessId"] = str(data.get("BusinessId") or "")
            items.append((record.id, item))
        return paged(items, page)


def _contact_name(record: Record) -> str:
    data = record.data
    if record.kind == "Business":
        return str(data.get("Name") or "")
    return " ".join(
        part for part in (data.get("LastName"), data.get("FirstName")) if part
    ) or str(data.get("Name") or "")

"""The sandbox's rules for addresses: create, update, detail, a contact's list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rules import Rules
from .values import CONTACT_KINDS, ApiError, is_scalar

ADDRESS_FIELDS = (
    "ContactId",
    "Type",
    "Name",
    "CountryId",
    "County",
    "City",
    "PostalCode",
    "Address",
    "Default",
)


class AddressRules(Rules):
    """The addresses of contacts."""

    def put_address(
        self, record_id: int | None, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            if record_id is None:
                contact = self._existing(body, "ContactId", CONTACT_KINDS, "Address")
                stored: dict[str, Any] = {"ContactId": contact}
                self._address_apply(stored, body)
                return {"Id": self.store.insert("Address", None, stored, self.clock())}
            record = self.store.get(record_id, ("Address",))
            if record is None:
                raise ApiError(404, "Address", "PUT", f"Address not found: {record_id}")
            self._address_apply(record.data, body)
            self.store.update(record.id, record.data, self.clock())
            return {"Id": record.id}

    def _address_apply(self, stored: dict[str, Any], body: Mapping[str, Any]) -> None:
        for name, value in body.items():
            if name in ("Id", "ContactId"):
                continue
            if name not in ADDRESS_FIELDS:
                raise ApiError(400, "Address", "PUT", f"Unknown field: {name}")
            if not is_scalar(value):
                raise ApiError(
                    400,
                    "Address",
                    "PUT",
                    f"Invalid value '{value}' for the {name} field.",
                )
            if name == "Default":
                if str(value) not in ("0", "1"):
                    raise ApiError(
                        400,
                        "Address",
                        "PUT",
                        f"Invalid value '{value}' for the Default field.",
                    )
                stored[name] = int(value)
            elif name == "PostalCode":
                stored[name] = value
            else:
                stored[name] = "" if value is None else str(value)

    def get_address(self, record_id: int) -> dict[str, Any]:
        record = self.store.get(record_id, ("Address",))
        if record is None:
            raise ApiError(404, "Address", "GET", f"Address not found: {record_id}")
        return {
            "Id": record.id,
            **{name: record.data.get(name, "") for name in ADDRESS_FIELDS},
        }

    def address_list(
        self, contact_id: int, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """A contact's addresses: ``{id: "Name (Address)"}``, or with ``Structured=1``
        ``{id: {Id, Address, Url}}`` (manual p.61)."""
        if self.store.get(contact_id, CONTACT_KINDS) is None:
            raise ApiError(
                404, "AddressList", "GET", f"Contact not found: {contact_id}"
            )
        structured = (params or {}).get("Structured") == "1"
        results: dict[str, Any] = {}
        for record in self.store.all(("Address",)):
            if record.data.get("ContactId") != contact_id:
                continue
            label = f"{record.data.get('Name', '')} ({record.data.get('Address', '')})"
            results[str(record.id)] = (
                {
                    "Id": record.id,
                    "Address": label,
                    "Url": f"{self.base_url}/Address/{record.id}",
                }
                if structured
                else label
            )
        return {"Count": len(results), "Results": results or []}

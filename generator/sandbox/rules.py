"""The base of the sandbox's R3 rules: the system's schema and store, and the pieces every
entity's rules use (validating and storing a write, presenting a detail answer, matching a
search filter). Each entity's rules live in a module of their own."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..build_model import build_tenant
from ..model import Entity, Field, Kind
from ..snapshot import CATEGORY, CATEGORY_DETAILED, Snapshot
from .store import Record, Store
from .values import ApiError, Codec, is_scalar, now_text, whole_number


class Rules:
    """One system: its schema (from a snapshot) and its data (in a store)."""

    def __init__(self, snapshot: Snapshot, store: Store, base_url: str = "") -> None:
        self.snapshot = snapshot
        self.tenant = build_tenant(snapshot)
        self.store = store
        self.base_url = base_url
        self.codec = Codec(self.tenant)
        self.modules = {module.id: module for module in self.tenant.modules}
        self.contacts = {"Person": self.tenant.person, "Business": self.tenant.business}
        self.users = self.codec.choices.get("User")
        self.clock: Callable[[], str] = now_text

    # -- schema ---------------------------------------------------------------------------------

    def schema_answer(self, endpoint: str) -> Any:
        if endpoint not in self.snapshot.endpoints:
            raise ApiError(404, "Schema", "GET", "Not found")
        return self.snapshot.endpoints[endpoint]

    def category(self, detailed: bool) -> Any:
        return self.snapshot.endpoints[CATEGORY_DETAILED if detailed else CATEGORY]

    # -- shared pieces --------------------------------------------------------------------------

    def _fields(self, entity: Entity) -> dict[str, Field]:
        return {field.api_name: field for field in entity.fields}

    def _apply(
        self,
        entity: Entity,
        label: str,
        method: str,
        stored: dict[str, Any],
        body: Mapping[str, Any],
        fixed: tuple[str, ...] = (),
    ) -> None:
        """Validate ``body`` against ``entity`` and write it into ``stored``."""
        fields = self._fields(entity)
        for name, value in body.items():
            if name in ("ReferenceId", "Deleted", *fixed):
                continue
            field = fields.get(name)
            if field is None:
                raise ApiError(400, label, method, f"Unknown field: {name}")
            if field.server_set:
                raise ApiError(
                    400, label, method, f"The {name} field can't be changed."
                )
            try:
                stored[name] = self.codec.write(field, value)
            except ValueError:
                if (
                    field.kind is Kind.USER_ID
                    and is_scalar(value)
                    and self._default_user() is not None
                ):
                    # Real systems answer 200 to an unknown user and pick one themselves.
                    stored[name] = self._default_user()
                    continue
                raise ApiError(
                    400, label, method, f"Invalid value '{value}' for the {name} field."
                ) from None
        if "ReferenceId" in body:
            reference = body["ReferenceId"]
            if isinstance(reference, bool) or not isinstance(
                reference, (str, int, type(None))
            ):
                raise ApiError(
                    400,
                    label,
                    method,
                    f"Invalid value '{reference}' for the ReferenceId field.",
                )
            stored["ReferenceId"] = None if reference in (None, "") else str(reference)
        if "Deleted" in body:
            if str(body["Deleted"]) not in ("0", "1", "True", "False"):
                raise ApiError(
                    400,
                    label,
                    method,
                    f"Invalid value '{body['Deleted']}' for the Deleted field.",
                )
            stored["Deleted"] = 1 if str(body["Deleted"]) in ("1", "True") else 0

    def _detail(self, entity: Entity, record: Record) -> dict[str, Any]:
        answer: dict[str, Any] = {"Id": record.id}
        for field in entity.fields:
            if field.api_name == "Id":
                continue
            answer[field.api_name] = self.codec.label(
                field, record.data.get(field.api_name)
            )
        if answer.get("Invited") == "":
            answer["Invited"] = []  # how real systems answer this empty text field
        answer["Deleted"] = str(record.data.get("Deleted", 0))
        if record.data.get("ReferenceId") is not None:
            answer["ReferenceId"] = record.data["ReferenceId"]
        if "CreatedAt" in answer:
            answer["CreatedAt"] = record.data.get("CreatedAt", "")
        if "UpdatedAt" in answer:
            answer["UpdatedAt"] = record.updated_at
        return answer

    def _matches(
        self, entity: Entity, label: str, record: Record, name: str, wanted: str
    ) -> bool:
        field = self._fields(entity).get(name)
        if field is None:
            return False
        try:
            value = self.codec.write(field, wanted)
        except ValueError:
            raise ApiError(
                400, label, "GET", f"Invalid value '{wanted}' for the {name} field."
            ) from None
        stored = record.data.get(name)
        if (
            field.kind is Kind.SET
            and isinstance(stored, int)
            and isinstance(value, int)
        ):
            return stored & value == value
        return bool(stored == value)

    def _server_fields(
        self, entity: Entity, stored: dict[str, Any], creating: bool, user: int | None
    ) -> None:
        names = {field.api_name for field in entity.fields}
        if creating and "CreatedAt" in names:
            stored["CreatedAt"] = self.clock()
        if creating and "CreatedBy" in names and user is not None:
            stored["CreatedBy"] = user
        if "UpdatedBy" in names and user is not None:
            stored["UpdatedBy"] = user

    def _existing(
        self, body: Mapping[str, Any], name: str, kinds: tuple[str, ...], entity: str
    ) -> int:
        """The id a create names in ``name``, which must be a record of ``kinds`` (else 400)."""
        record_id = whole_number(body.get(name))
        if record_id is None or self.store.get(record_id, kinds) is None:
            raise ApiError(
                400,
                entity,
                "PUT",
                f"Invalid value '{body.get(name, '')}' for the {name} field.",
            )
        return record_id

    def _default_user(self) -> int | None:
        return self.users.options[0].id if self.users and self.users.options else None

    def _user_label(self, user: Any) -> str:
        """How a detail answer names a user: the name, or ``""``."""
        if self.users is None or user is None:
            return "" if user is None else str(user)
        return next((o.label for o in self.users.options if o.id == user), str(user))

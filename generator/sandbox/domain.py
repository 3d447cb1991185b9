"""The R3 behaviour of the sandbox, independent of HTTP: validation, storage forms, answers.

An unknown ``UserId`` on write is accepted and replaced by the first user, as real systems
do (so client-side validation matters). Values are stored in their write form (option ids, Set bitmasks, ``YYYY-MM-DD HH:MM:SS``) and
presented the way real systems answer: search results carry ids and a few basic fields, GET
answers carry labels (Set values as ``", "``-joined labels) and every field. Status groups are
not in the schema; the sandbox derives them from each module's statuses in id order: the first
is Lead, the last Failed, the one before it Success, the rest Open. Contact ``Type`` is taken
only as ``Person`` / ``Business`` and searches answer it so, while a detail GET shows the
schema's (localized) label. A JSON number written to an Enum field is an id; a text is an id
when it is one, else a label (so a search filter by id works whatever the labels look like).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..build_model import CONTACT_TYPE, build_tenant
from ..model import ChoiceStyle, ChoiceType, Entity, Field, Kind, Tenant
from ..snapshot import CATEGORY, CATEGORY_DETAILED, Snapshot
from .store import Record, Store

PAGE_SIZE = 100
DATETIME = "%Y-%m-%d %H:%M:%S"
CONTACT_KINDS = ("Person", "Business")
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
STATUS_GROUPS = ("Lead", "Open", "Success", "Failed")
#: Project fields a write handles itself rather than as plain values.
PROJECT_FIXED = ("CategoryId", "ContactId", "BusinessId")
_INTEGER = re.compile(r"-?[0-9]{1,19}")
_BITMASK = re.compile(r"[0-9]{1,20}")
_INT64 = range(-(2**63), 2**63)


def whole_number(value: Any) -> int | None:
    """A 64-bit whole number sent as a JSON number or as ASCII digits, or None.

    Ids and Int fields are 64-bit on real systems (and in SQLite); a longer number, ``²`` (a
    digit to ``str.isdigit``, not to ``int``), a float or a boolean is not one.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        value = int(value.strip())
    return value if isinstance(value, int) and value in _INT64 else None


def is_scalar(value: Any) -> bool:
    """A single JSON value (not an object or a list): what every schema field holds."""
    return not isinstance(value, (dict, list))


class ApiError(Exception):
    """An answer other than 200, with the plain-text body real systems send."""

    def __init__(self, status: int, entity: str, method: str, message: str) -> None:
        super().__init__(f"{entity} ({method}): {message}")
        self.status = status


def now_text() -> str:
    return datetime.now().strftime(DATETIME)


class Codec:
    """Turns written values into stored ones and stored ones into GET answers, per field kind."""

    def __init__(self, tenant: Tenant) -> None:
        self.choices = {choice.name: choice for choice in tenant.choice_types}

    def choice_of(self, field: Field) -> ChoiceType | None:
        return self.choices.get(field.choice) if field.choice else None

    def write(self, field: Field, value: Any) -> Any:
        """The stored form of a written value; ValueError when the schema does not allow it."""
        if value is None or value == "":
            return None
        if field.kind is Kind.UNKNOWN:
            return value
        if field.kind is Kind.LIST:
            if not isinstance(value, list):
                raise ValueError(value)
            return value
        if not is_scalar(value):
            raise ValueError(value)
        choice = self.choice_of(field)
        if choice is not None:
            return (
                self._write_flag(choice, value)
                if choice.style is ChoiceStyle.FLAG
                else self._write_option(choice, value)
            )
        if field.kind in (Kind.TEXT, Kind.FILE):
            if isinstance(value, bool):
                raise ValueError(value)
            text = str(value)
            if field.text_limit is not None and len(text) > field.text_limit:
                raise ValueError(text[:40])
            return text
        if field.kind is Kind.DATETIME:
            return _write_datetime(value)
        if field.kind is Kind.BOOLEAN:
            if value in (True, 1, "1", "true"):
                return 1
            if value in (False, 0, "0", "false"):
                return 0
            raise ValueError(value)
        return _write_int(value)

    def _write_option(self, choice: ChoiceType, value: Any) -> int:
        """An id (a JSON number, or a text that is an id) or else a label."""
        ids = {option.id for option in choice.options}
        number = whole_number(value)
        if isinstance(value, int) and number not in ids:
            raise ValueError(value)
        if number is not None and number in ids:
            return number
        text = str(value).strip()
        for option in choice.options:
            if option.label == text:
                return option.id
        folded = [
            option.id
            for option in choice.options
            if option.label.casefold() == text.casefold()
        ]
        if len(folded) == 1:
            return folded[0]
        raise ValueError(value)

    def _write_flag(self, choice: ChoiceType, value: Any) -> int:
        known = 0
        for option in choice.options:
            known |= option.id
        text = str(value).strip()
        if _BITMASK.fullmatch(text):
            mask = int(text)
            if mask < 0 or mask & ~known:
                raise ValueError(value)
            return mask
        by_label = {option.label: option.id for option in choice.options}
        parts = [part.strip() for part in text.split(",")]
        mask, start = 0, 0
        while start < len(parts):
            for end in range(len(parts), start, -1):
                joined = [", ".join(parts[start:end]), ",".join(parts[start:end])]
                bit = next(
                    (by_label[label] for label in joined if label in by_label), None
                )
                if bit is not None:
                    mask |= bit
                    start = end
                    break
            else:
                raise ValueError(value)
        return mask

    def label(self, field: Field, stored: Any) -> Any:
        """How GET answers a stored value: labels for options, ``""`` (a list: ``[]``) for empty."""
        if stored is None:
            return [] if field.kind is Kind.LIST else ""
        choice = self.choice_of(field)
        if choice is None:
            return stored
        if choice.style is ChoiceStyle.FLAG:
            return ", ".join(
                option.label for option in choice.options if option.id & stored
            )
        return next(
            (option.label for option in choice.options if option.id == stored),
            str(stored),
        )


def _write_int(value: Any) -> int:
    number = whole_number(value)
    if number is None:
        raise ValueError(value)
    return number


def _write_datetime(value: Any) -> str:
    text = str(value).strip()
    for pattern in (DATETIME, "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).strftime(DATETIME)
        except ValueError:
            continue
    raise ValueError(value)


def _todo_type(value: Any) -> int | None:
    """A ToDo type by id or name; ``0`` or ``""`` is none."""
    text = str(value).strip()
    if text in ("", "0"):
        return None
    if _INTEGER.fullmatch(text) and int(text) in TODO_TYPES:
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
            {"Entity": member["Entity"], "EntityId": _write_int(member.get("EntityId"))}
        )
    return members


def _page(params: Mapping[str, str], entity: str) -> int:
    raw = params.get("Page", "0")
    page = whole_number(raw)
    if page is None or page < 0:
        raise ApiError(
            400, entity, "GET", f"Invalid value '{raw}' for the Page parameter."
        )
    return page


def _paged(items: list[tuple[int, dict[str, Any]]], page: int) -> dict[str, Any]:
    chosen = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    results: dict[str, Any] | list[Any] = (
        {str(item_id): item for item_id, item in chosen} if chosen else []
    )
    return {"Count": len(items), "Results": results}


class Sandbox:
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

    # -- projects -------------------------------------------------------------------------------

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
        return self.store.insert("Project", module.id, stored, self.clock())

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
        page = _page(params, "Project")
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
        since = _parse_filter_date(params, "UpdatedSince", "Project")
        at = _parse_filter_date(params, "UpdatedAt", "Project")
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
        return _paged(items, page)

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

    # -- contacts -------------------------------------------------------------------------------

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

    def search_contacts(self, params: Mapping[str, str]) -> dict[str, Any]:
        page = _page(params, "Contact")
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
        since = _parse_filter_date(params, "UpdatedSince", "Contact")
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
        return _paged(items, page)

    # -- todos ----------------------------------------------------------------------------------

    def _user_label(self, user: Any) -> str:
        """How a detail answer names a user: the name, or ``""``."""
        if self.users is None or user is None:
            return "" if user is None else str(user)
        return next((o.label for o in self.users.options if o.id == user), str(user))

    def _todo_value(self, name: str, value: Any, method: str) -> Any:
        """The stored form of one written ToDo field; a 400 when it is not valid."""
        try:
            if name == "UserId":
                user = Field(
                    "UserId", "user_id", Kind.USER_ID, "", None, "User", False, ""
                )
                return (
                    self.codec.write(user, value) if self.users else _write_int(value)
                )
            if name in ("ContactId", "AddressId", "Duration", "Reminder"):
                number = _write_int(value)
                if number < 0:
                    raise ValueError(value)
                return number
            if name == "Deadline":
                return _write_datetime(value)
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
                closed_at = _write_datetime(body["ClosedAt"])
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

    # -- addresses ------------------------------------------------------------------------------

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

    def address_list(self, contact_id: int) -> dict[str, Any]:
        if self.store.get(contact_id, CONTACT_KINDS) is None:
            raise ApiError(
                404, "AddressList", "GET", f"Contact not found: {contact_id}"
            )
        results = {
            str(
                record.id
            ): f"{record.data.get('Name', '')} ({record.data.get('Address', '')})"
            for record in self.store.all(("Address",))
            if record.data.get("ContactId") == contact_id
        }
        return {"Count": len(results), "Results": results or []}


def _contact_name(record: Record) -> str:
    data = record.data
    if record.kind == "Business":
        return str(data.get("Name") or "")
    return " ".join(
        part for part in (data.get("LastName"), data.get("FirstName")) if part
    ) or str(data.get("Name") or "")


def _parse_filter_date(params: Mapping[str, str], name: str, entity: str) -> str | None:
    if name not in params:
        return None
    try:
        return _write_datetime(params[name])
    except ValueError:
        raise ApiError(
            400,
            entity,
            "GET",
            f"Invalid value '{params[name]}' for the {name} parameter.",
        ) from None

"""What every R3 rule of the sandbox shares: numbers, dates, errors, paging, and the
:class:`Codec` that turns written values into stored ones and stored ones into GET answers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..model import ChoiceStyle, ChoiceType, Field, Kind, Tenant

PAGE_SIZE = 100
DATETIME = "%Y-%m-%d %H:%M:%S"
CONTACT_KINDS = ("Person", "Business")
INTEGER = re.compile(r"-?[0-9]{1,19}")
_BITMASK = re.compile(r"[0-9]{1,20}")
_INT64 = range(-(2**63), 2**63)


def whole_number(value: Any) -> int | None:
    """A 64-bit whole number sent as a JSON number or as ASCII digits, or None.

    Ids and Int fields are 64-bit on real systems (and in SQLite); a longer number, ``²`` (a
    digit to ``str.isdigit``, not to ``int``), a float or a boolean is not one.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and INTEGER.fullmatch(value.strip()):
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
        if field.kind is Kind.FILE:
            return write_file_urls(value)
        if field.kind is Kind.TEXT:
            if isinstance(value, bool):
                raise ValueError(value)
            text = str(value)
            if field.text_limit is not None and len(text) > field.text_limit:
                raise ValueError(text[:40])
            return text
        if field.kind is Kind.DATETIME:
            return write_datetime(value)
        if field.kind is Kind.BOOLEAN:
            if value in (True, 1, "1", "true"):
                return 1
            if value in (False, 0, "0", "false"):
                return 0
            raise ValueError(value)
        return write_int(value)

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


def write_file_urls(value: Any) -> str | None:
    """A File field's stored form: its URLs, comma-joined; None when there are none.

    The API takes a field's files as one text of comma-separated URLs (manual p.83), and a
    real system downloads each and answers its own download URLs
    (``{host}/{SystemId}/Download/S3/?t=…``, manual p.68). The sandbox fetches nothing: it
    keeps the URLs as written and answers them comma-joined, as a multiple-file field's
    value is written (inferred: no source shows a multiple-file field read back). A write
    replaces the field's files (a single-file field does, manual p.82; inferred for several).
    """
    if not isinstance(value, str):
        raise ValueError(value)
    urls = [part.strip() for part in value.split(",") if part.strip()]
    return ",".join(urls) or None


def write_int(value: Any) -> int:
    number = whole_number(value)
    if number is None:
        raise ValueError(value)
    return number


def write_datetime(value: Any) -> str:
    text = str(value).strip()
    for pattern in (DATETIME, "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).strftime(DATETIME)
        except ValueError:
            continue
    raise ValueError(value)


def page_number(params: Mapping[str, str], entity: str) -> int:
    raw = params.get("Page", "0")
    page = whole_number(raw)
    if page is None or page < 0:
        raise ApiError(
            400, entity, "GET", f"Invalid value '{raw}' for the Page parameter."
        )
    return page


def paged(items: list[tuple[int, dict[str, Any]]], page: int) -> dict[str, Any]:
    chosen = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    results: dict[str, Any] | list[Any] = (
        {str(item_id): item for item_id, item in chosen} if chosen else []
    )
    return {"Count": len(items), "Results": results}


def parse_filter_date(params: Mapping[str, str], name: str, entity: str) -> str | None:
    if name not in params:
        return None
    try:
        return write_datetime(params[name])
    except ValueError:
        raise ApiError(
            400,
            entity,
            "GET",
            f"Invalid value '{params[name]}' for the {name} parameter.",
        ) from None

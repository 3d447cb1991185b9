"""Property: any value a user can build survives create/update -> GET -> parse unchanged.

One hypothesis test per field kind (run for every field of that kind), through the generated
demo client against the sandbox over HTTP. The demo has Sets and Enums whose labels are numbers, Set labels containing ``", "``, a
Set with a 2**35 bit, labels that differ only by case, Text limits and DateTime fields.
``MINICRM_ROUND_TRIP_EXAMPLES`` sets the examples per field (25 by default, to stay fast).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.sandbox.server import SandboxServer
from generator.snapshot import load_demo_snapshot

from tools import REPO

sys.path.insert(0, str(REPO / "generated_example"))

from minicrm_demo import (  # noqa: E402 - the generated package lives outside the source tree
    ChoiceEnum,
    ChoiceFlag,
    Client,
    ContactType,
    FileURLs,
    Ertekesites,
    Invoicing,
    MiniCRMModel,
    Person,
    Business,
    Projects,
    Sales,
    Support,
)

EXAMPLES = int(os.environ.get("MINICRM_ROUND_TRIP_EXAMPLES", "25"))
SYSTEM, KEY = "42", "round-trip-key-0123456789"
#: Text as users type it: anything but lone surrogates (which are not text).
TEXT = st.characters(blacklist_categories=("Cs",))
#: MiniCRM stores times to the second in MySQL DATETIME (years 1000-9999).
DATETIMES = st.datetimes(datetime(1000, 1, 1), datetime(9999, 12, 31, 23, 59, 59)).map(
    lambda moment: moment.replace(microsecond=0)
)


class Target(NamedTuple):
    """A field to write: the client resource, its record model and the attribute."""

    resource: str
    model: type[MiniCRMModel]
    attribute: str


TARGETS = {
    "enum": [
        Target("sales", Sales, "referrer"),
        Target("sales", Sales, "lead_source"),
        Target("sales", Sales, "status_id"),
        Target("sales", Sales, "user_id"),
        Target("projects", Projects, "rating"),
        Target("projects", Projects, "grade"),
        Target("projects", Projects, "phase"),
        Target("support", Support, "priority"),
        Target("ertekesites", Ertekesites, "forras"),
        Target("invoicing", Invoicing, "currency"),
    ],
    "set": [
        Target("projects", Projects, "attendance"),
        Target("projects", Projects, "skills"),
        Target("sales", Sales, "set1035"),
        Target("ertekesites", Ertekesites, "erdeklodes"),
        Target("support", Support, "set1220"),
        Target("support", Support, "callback"),
    ],
    "text": [
        Target("sales", Sales, "name"),
        Target("sales", Sales, "text1105"),
        Target("ertekesites", Ertekesites, "megjegyzes"),
    ],
    "file": [
        Target("sales", Sales, "file1113"),
        Target("projects", Projects, "contract"),
        Target("ertekesites", Ertekesites, "szerzodes"),
        Target("invoicing", Invoicing, "invoice"),
    ],
    "int": [
        Target("sales", Sales, "int1107"),
        Target("projects", Projects, "budget"),
        Target("invoicing", Invoicing, "amount"),
    ],
    "bool": [
        Target("projects", Projects, "billable"),
        Target("invoicing", Invoicing, "paid"),
    ],
    "datetime": [
        Target("sales", Sales, "date_time1106"),
        Target("projects", Projects, "start_date"),
        Target("support", Support, "deadline"),
        Target("invoicing", Invoicing, "paid_at"),
    ],
}
#: The server fills these in when a create leaves them empty.
SERVER_DEFAULTED = {"status_id", "user_id"}


def annotation(target: Target) -> Any:
    """The attribute's type without ``| None``."""
    hint = target.model.model_fields[target.attribute].annotation
    return next(arg for arg in hint.__args__ if arg is not type(None))  # type: ignore[union-attr]


def values(kind: str, target: Target) -> st.SearchStrategy[Any]:
    """Every value a user can build for the attribute (None clears it)."""
    cls = annotation(target)
    if kind == "enum":
        members = st.sampled_from(list(cls))
        return members if target.attribute in SERVER_DEFAULTED else st.none() | members
    if kind == "set":
        chosen = st.sets(st.sampled_from(list(cls)))
        return st.none() | chosen.map(lambda flags: reduce(or_, flags, cls(0)))
    if kind == "text":
        extra = target.model.model_fields[target.attribute].json_schema_extra
        limit = extra["max_length"] if isinstance(extra, dict) else 0
        assert isinstance(limit, int) and 0 < limit <= 4096
        at_limit = st.text(TEXT, min_size=limit, max_size=limit)
        return st.none() | st.text(TEXT, max_size=30) | at_limit
    if kind == "file":
        # Any text but a comma (the separator, refused in a URL); FileURLs strips spaces.
        url = st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters=","),
            min_size=1,
            max_size=40,
        ).filter(str.strip)
        return st.none() | st.lists(url, min_size=1, max_size=3).map(
            lambda urls: FileURLs(*urls)
        )
    if kind == "int":
        return st.none() | st.integers(-(2**63), 2**63 - 1)
    if kind == "bool":
        return st.none() | st.booleans()
    return st.none() | DATETIMES


def read_back(kind: str, value: Any) -> Any:
    """What a written value reads back as: a cleared Text is ``""``, an empty Set None."""
    if kind == "text" and value is None:
        return ""
    if kind == "set" and value is not None and not value:
        return None
    return value


class Sandbox(NamedTuple):
    server: SandboxServer
    crm: Client
    contact: int


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with SandboxServer(load_demo_snapshot(), SYSTEM, KEY) as server:
        with Client(SYSTEM, KEY, base_url=server.base_url, rate_limit=None) as crm:
            contact = crm.persons.create(Person(first_name="Round", last_name="Trip"))
            yield Sandbox(server, crm, contact)


def zero_dates_where_empty(server: SandboxServer, project_id: int) -> None:
    """Store a zero date in every empty DateTime, as older systems answer empty dates."""
    record = server.store.get(project_id, ("Project",))
    assert record is not None
    for target in TARGETS["datetime"]:
        api_name = target.model.model_fields[target.attribute].serialization_alias
        if api_name and record.data.get(api_name, "absent") is None:
            record.data[api_name] = "0000-00-00 00:00:00"
    server.store.update(project_id, record.data, "2026-01-01 00:00:00")


@pytest.mark.parametrize(
    ("kind", "target"),
    [(kind, target) for kind in sorted(TARGETS) for target in TARGETS[kind]],
    ids=lambda value: (
        f"{value.model.__name__}.{value.attribute}"
        if isinstance(value, Target)
        else value
    ),
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_a_value_survives_create_update_and_get(
    sandbox: Sandbox, kind: str, target: Target, data: st.DataObject
) -> None:
    first = data.draw(values(kind, target), label="created with")
    second = data.draw(values(kind, target), label="updated to")
    resource = getattr(sandbox.crm, target.resource)
    project = resource.create(
        target.model(contact_id=sandbox.contact, **{target.attribute: first})
    )
    if kind == "datetime":
        zero_dates_where_empty(sandbox.server, project)
    created = getattr(resource.get(project), target.attribute)
    if not (first is None and target.attribute in SERVER_DEFAULTED):
        assert created == read_back(kind, first)
    resource.update(project, target.model(**{target.attribute: second}))
    updated = getattr(resource.get(project), target.attribute)
    assert updated == read_back(kind, second)
    if isinstance(updated, (ChoiceEnum, ChoiceFlag)) and updated:
        assert type(updated) is annotation(target)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    kind=st.sampled_from(list(ContactType)), name=st.text(TEXT, min_size=1, max_size=30)
)
def test_contact_type_survives_create_update_get_and_search(
    sandbox: Sandbox, kind: ContactType, name: str
) -> None:
    crm = sandbox.crm
    if kind is ContactType.PERSON:
        contact = crm.persons.create(Person(first_name=name, type=kind))
        crm.persons.update(contact, Person(last_name=name))  # Type: create only
        record: Person | Business = crm.persons.get(contact)
    else:
        contact = crm.businesses.create(Business(name=name, type=kind))
        crm.businesses.update(contact, Business(name=name))  # Type: create only
        record = crm.businesses.get(contact)
    assert record.type is kind
    found = [item for item in crm.contacts.search(type=kind) if item.id == contact]
    assert [item.type for item in found] == [kind]

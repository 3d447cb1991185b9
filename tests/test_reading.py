"""Issue 8: values are read as MiniCRM meant them: numeric labels, contact Type, warnings, filters.

The demo's Projects module has a Set ``Attendance`` labelled "1".."4" (bits 1, 2, 4, 8), an
Enum ``Rating`` labelled "1".."5" (ids 2001..2005) and an Enum ``Grade`` whose ids and labels
cross ({"1": "2", "2": "1", "3": "3"}).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import sys
import warnings
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.sandbox.server import SandboxServer
from generator.snapshot import Snapshot, load_demo_snapshot

from tools import REPO

EXAMPLE = REPO / "generated_example"
sys.path.insert(0, str(EXAMPLE))

from minicrm_demo import (  # noqa: E402 - the generated package lives outside the source tree
    ReadOnlyFieldError,
    AmbiguousValueWarning,
    AsyncClient,
    Business,
    Client,
    ContactSearchItem,
    ContactType,
    Person,
    Projects,
    ProjectsAttendance,
    ProjectsGrade,
    ProjectsRating,
    Sales,
    SalesReferrer,
    SalesSet1035,
    Support,
    UnknownOptionWarning,
)

from minicrm_demo import _values  # noqa: E402
from minicrm_demo.models import sales_filters  # noqa: E402

SYSTEM, KEY = "42", "reading-test-key-0123456789"


@pytest.fixture(autouse=True)
def fresh_warnings() -> None:
    """Warnings come once per type and value in a process; each test starts afresh."""
    _values._warned.clear()


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(load_demo_snapshot(), SYSTEM, KEY) as running:
        yield running


def connect(server: SandboxServer, **options: Any) -> Client:
    return Client(SYSTEM, KEY, base_url=server.base_url, rate_limit=None, **options)


def new_person(server: SandboxServer) -> int:
    return int(
        server.sandbox.put_contact(None, {"Type": "Person", "FirstName": "Ada"})["Id"]
    )


def quietly(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """Call ``function`` and return its result and the categories of what it warned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, [w.category.__name__ for w in caught]


# -- numeric labels: read by where the value came from ---------------------------------------


def test_a_detail_answer_reads_numeric_labels_as_labels() -> None:
    record, warned = quietly(
        Projects.from_api,
        {"Attendance": "3", "Rating": "5", "Grade": "1"},
        source="detail",
    )
    assert warned == []
    assert record.attendance == ProjectsAttendance.OPTION_3 and record.attendance == 4
    assert record.rating is ProjectsRating.OPTION_5
    assert record.grade is ProjectsGrade.OPTION_1 and record.grade.id == 2
    assert record.to_api() == {"Attendance": 4, "Rating": 2005, "Grade": 2}
    joined = Projects.from_api({"Attendance": "1, 3"}, source="detail")
    assert (
        joined.attendance == ProjectsAttendance.OPTION_1 | ProjectsAttendance.OPTION_3
    )


def test_a_detail_answer_reads_a_number_that_is_no_label_as_a_new_label() -> None:
    # Where labels are numbers, a detail answer is read by label: "6" and "5" are options
    # added since generation, not the id 6 nor the bits of "1" and "3".
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        searched = Projects.from_api({"Attendance": "5"}, source="search")
        assert searched.attendance == 5  # read first, remembered for search only
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        record = Projects.from_api(
            {"Rating": "6", "Attendance": "5", "Grade": "3"}, source="detail"
        )
    assert [w.category for w in caught] == [UnknownOptionWarning] * 2
    assert record.rating is not None and not record.rating.known
    assert record.rating.label == "6" and record.rating.id is None
    assert record.attendance is not None and record.attendance.unknown_labels == ("5",)
    assert record.attendance.labels == ["5"] and record.attendance == 0
    assert record.to_api() == {"Rating": "6", "Attendance": "5", "Grade": 3}
    joined = Projects.from_api({"Attendance": "3, 5"}, source="detail").attendance
    assert joined is not None and joined.labels == ["3", "5"]
    for read in (
        Projects.from_api_json(b'{"Rating": "6", "Attendance": "5"}', source="detail"),
        Projects.from_api({"Rating": "6", "Attendance": "5"}, source="detail"),
    ):
        assert read.model_dump(mode="json", exclude_unset=True) == {
            "Rating": "6",
            "Attendance": "5",
        }
    # Where no label is a number, a number in a detail answer is still an id or bitmask.
    assert Sales.from_api({"Set1035": "3"}, source="detail").set1035 == 3


def demo_with_option(module: int, field: str, option_id: str, label: str) -> Snapshot:
    """The demo system once an option was added to a field: the server knows it, the
    generated package does not."""
    snapshot = load_demo_snapshot()
    endpoints = dict(snapshot.endpoints)
    schema = dict(endpoints[f"Schema/Project/{module}"])
    schema[field] = {**schema[field], option_id: label}
    endpoints[f"Schema/Project/{module}"] = schema
    return Snapshot(endpoints, snapshot.base_url, snapshot.system_id)


def test_a_new_numeric_label_goes_back_to_the_sandbox_unchanged() -> None:
    grown = demo_with_option(6, "Rating", "2006", "6")
    with SandboxServer(grown, SYSTEM, KEY) as running:
        contact = new_person(running)
        pid = running.sandbox.put_project(
            None, {"CategoryId": 6, "ContactId": contact, "Rating": 2006}
        )["Id"]
        with connect(running) as crm, warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownOptionWarning)
            fetched = crm.projects.get(pid)
            assert isinstance(fetched, Projects) and fetched.rating is not None
            assert fetched.rating.label == "6" and fetched.rating.id is None
            crm.projects.update(pid, Projects(rating=fetched.rating))
        stored = running.store.get(pid, ("Project",))
    assert stored is not None and stored.data["Rating"] == 2006


def test_a_search_answer_reads_ids_and_bitmasks() -> None:
    record, warned = quietly(
        Projects.from_api,
        {"Attendance": "3", "Rating": "2005", "Grade": "1"},
        source="search",
    )
    assert warned == []
    assert (
        record.attendance == ProjectsAttendance.OPTION_1 | ProjectsAttendance.OPTION_2
    )
    assert record.rating is ProjectsRating.OPTION_5
    assert record.grade is ProjectsGrade.OPTION_2 and record.grade.id == 1


def test_json_numbers_are_always_ids_and_bitmasks() -> None:
    for source in ("detail", "search", None):
        record, warned = quietly(
            Projects.from_api, {"Attendance": 3, "Grade": 1}, source=source
        )
        assert warned == []
        assert record.attendance == 3 and record.grade is ProjectsGrade.OPTION_2


def test_without_a_source_an_id_wins_and_an_ambiguous_text_warns() -> None:
    # Both an id (or bitmask) and another option's label: the id wins, with a warning.
    with pytest.warns(
        AmbiguousValueWarning, match="ProjectsGrade: '1'.*source='detail'"
    ):
        grade = Projects.from_api({"Grade": "1"}).grade
    assert grade is ProjectsGrade.OPTION_2
    with pytest.warns(AmbiguousValueWarning, match="ProjectsAttendance: '4'"):
        attendance = Projects.from_api({"Attendance": "4"}).attendance
    assert attendance == ProjectsAttendance.OPTION_3
    # Not ambiguous: only a label ("5" is no Rating id), or the same option either way.
    record, warned = quietly(
        Projects.from_api, {"Rating": "5", "Attendance": "2", "Grade": "3"}
    )
    assert warned == []
    assert record.rating is ProjectsRating.OPTION_5
    assert record.attendance == ProjectsAttendance.OPTION_2
    assert record.grade is ProjectsGrade.OPTION_3


def test_records_built_by_python_names_follow_the_same_rule() -> None:
    assert Projects(rating="4").rating is ProjectsRating.OPTION_4  # type: ignore[arg-type]
    assert Projects(rating=2004).rating is ProjectsRating.OPTION_4  # type: ignore[arg-type]
    with pytest.warns(AmbiguousValueWarning):
        assert ProjectsGrade("2") is ProjectsGrade.OPTION_1
    assert ProjectsRating("3") is ProjectsRating.OPTION_3


def test_field_docs_say_which_labels_are_numbers() -> None:
    source = (EXAMPLE / "minicrm_demo" / "models" / "projects.py").read_text("utf-8")
    numbers = "Some labels are numbers: a detail answer is read by label"
    for field in ("attendance", "grade", "rating"):
        doc = source.split(f"    {field}: ", 1)[1].split("\n\n", 1)[0]
        assert numbers in doc
    assert numbers not in source.split("    phase: ", 1)[1].split("\n\n", 1)[0]


def test_non_numeric_labels_keep_their_fast_path() -> None:
    record, warned = quietly(
        Sales.from_api, {"Set1035": "3", "Referrer": "1255"}, source="detail"
    )
    assert warned == []
    assert record.set1035 == SalesSet1035.FIRST_CHOICE | SalesSet1035.SECOND_CHOICE
    assert record.referrer is not None and record.referrer.label == "Google"


def test_an_answer_reads_labels_exactly_and_keeps_a_new_option_that_differs_by_case() -> (
    None
):
    # MiniCRM answers a label exactly as the schema holds it, and labels may differ only by
    # case: in an answer, "google" is an option added after generation, not Google.
    with pytest.warns(UnknownOptionWarning, match="'google'"):
        first = Sales.from_api({"Referrer": "google"}, source="detail").referrer
    for source in ("detail", "search"):
        record = Sales.from_api({"Referrer": "google"}, source=source)
        assert record.referrer is first
        assert record.referrer is not None and not record.referrer.known
        assert record.referrer.label == "google" and record.referrer.id is None
        assert record.to_api() == {"Referrer": "google"}
        json_read = Sales.from_api_json(b'{"Referrer": "google"}', source=source)
        assert json_read.referrer is record.referrer
    # Typed by hand (no source), case is forgiven when it names one option.
    assert Sales(referrer="google").referrer is SalesReferrer.GOOGLE  # type: ignore[arg-type]
    assert Sales.from_api({"Referrer": "cold call"}).referrer is SalesReferrer.COLD_CALL


def test_a_new_option_differing_by_case_goes_back_to_the_sandbox_unchanged() -> None:
    grown = demo_with_option(3, "Referrer", "1400", "other")
    with SandboxServer(grown, SYSTEM, KEY) as running:
        contact = new_person(running)
        pid = running.sandbox.put_project(
            None, {"CategoryId": 3, "ContactId": contact, "Referrer": 1400}
        )["Id"]
        with connect(running) as crm:
            with pytest.warns(UnknownOptionWarning, match="'other'"):
                fetched = crm.sales.get(pid)
            assert isinstance(fetched, Sales) and fetched.referrer is not None
            assert fetched.referrer is not SalesReferrer.OTHER
            crm.sales.update(pid, Sales(referrer=fetched.referrer))
        stored = running.store.get(pid, ("Project",))
    assert stored is not None and stored.data["Referrer"] == 1400


# -- contact Type ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Person", ContactType.PERSON),
        ("Személy", ContactType.PERSON),
        (2, ContactType.PERSON),
        ("2", ContactType.PERSON),
        ("Business", ContactType.BUSINESS),
        ("Cég", ContactType.BUSINESS),
        (1, ContactType.BUSINESS),
    ],
)
def test_contact_type_reads_english_labels_and_ids(
    raw: Any, expected: ContactType
) -> None:
    for model in (Person, Business):
        for source in ("detail", "search", None):
            record, warned = quietly(model.from_api, {"Type": raw}, source=source)
            assert warned == [] and record.type is expected
    item = ContactSearchItem.from_api({"Id": "7", "Type": raw}, source="search")
    assert item.type is expected


def test_contact_type_is_written_in_english() -> None:
    assert Person(type=ContactType.PERSON).to_api() == {"Type": "Person"}
    assert Business.from_api({"Type": "Cég"}).to_api() == {"Type": "Business"}
    assert ContactType.PERSON.label == "Személy" and ContactType.PERSON.id == 2
    assert ContactType.BUSINESS.label == "Cég" and ContactType.BUSINESS.id == 1


def test_contact_type_against_the_sandbox(server: SandboxServer) -> None:
    sent: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [sent.append]})
    with connect(server, http_client=http) as crm:
        ada = crm.persons.create(Person(first_name="Ada", type=ContactType.PERSON))
        acme = crm.businesses.create(Business(name="Acme"))
        crm.persons.update(ada, Person(position="CTO"))
        puts = len([r for r in sent if r.method == "PUT"])
        with pytest.raises(ReadOnlyFieldError):  # Type is written on create only
            crm.persons.update(ada, Person(type=ContactType.BUSINESS))
        assert len([r for r in sent if r.method == "PUT"]) == puts
        assert crm.persons.get(ada).type is ContactType.PERSON
        assert crm.businesses.get(acme).type is ContactType.BUSINESS
        people = list(crm.contacts.search(type=ContactType.PERSON))
        companies = list(crm.contacts.search(type=ContactType.BUSINESS))
    http.close()
    assert [(p.id, p.type) for p in people] == [(ada, ContactType.PERSON)]
    assert [(c.id, c.type) for c in companies] == [(acme, ContactType.BUSINESS)]
    searches = [
        r for r in sent if r.method == "GET" and r.url.path.endswith("/Contact")
    ]
    assert [r.url.params["Type"] for r in searches] == ["Person", "Business"]
    writes = [r for r in sent if r.method == "PUT"]
    assert all(b'"Type":"Person"' in r.content for r in writes if b"Ada" in r.content)


# -- the client reads get() as detail and searches as search --------------------------------


def test_get_reads_numeric_labels_and_search_filters_by_id(
    server: SandboxServer,
) -> None:
    with connect(server) as crm:
        contact = new_person(server)
        pid = crm.projects.create(
            Projects(
                contact_id=contact,
                name="Numbers",
                attendance=ProjectsAttendance.OPTION_3,
                rating=ProjectsRating.OPTION_5,
                grade=ProjectsGrade.OPTION_1,
            )
        )
        other = crm.projects.create(
            Projects(contact_id=contact, name="Other", grade=ProjectsGrade.OPTION_2)
        )
        record, warned = quietly(crm.projects.get, pid)
        found = [item.id for item in crm.projects.search(grade=ProjectsGrade.OPTION_1)]
        full = list(crm.projects.search_records(grade=ProjectsGrade.OPTION_2))
    assert warned == []
    assert record.attendance == ProjectsAttendance.OPTION_3
    assert record.rating is ProjectsRating.OPTION_5
    assert record.grade is ProjectsGrade.OPTION_1
    assert found == [pid]
    assert [(r.id, r.grade) for r in full] == [(other, ProjectsGrade.OPTION_2)]


CROSSED = {"1": "2", "2": "1", "3": "3"}


def numeric_snapshot() -> Snapshot:
    """The demo where users and one module's statuses are labelled by numbers that cross
    their ids."""
    endpoints = dict(load_demo_snapshot().endpoints)
    for endpoint, schema in list(endpoints.items()):
        if endpoint.startswith("Schema/"):
            users = {name: CROSSED for name in ("UserId", "CreatedBy", "UpdatedBy")}
            endpoints[endpoint] = {
                **schema,
                **{k: v for k, v in users.items() if k in schema},
            }
    endpoints["Schema/Project/5"] = {
        **endpoints["Schema/Project/5"],
        "StatusId": CROSSED,
    }
    return Snapshot(endpoints, "http://127.0.0.1/Api/R3", "numeric")


@pytest.fixture(scope="module")
def numeric_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from click.testing import CliRunner

    from generator.cli import main

    root = tmp_path_factory.mktemp("numeric")
    numeric_snapshot().write(root / "numeric.snapshot.json")
    result = CliRunner().invoke(
        main,
        [
            "generate",
            "--schema",
            str(root / "numeric.snapshot.json"),
            "--output",
            str(root / "out"),
            "--package-name",
            "numeric_crm",
        ],
    )
    assert result.exit_code == 0, result.output
    return root / "out"


def test_search_items_read_ids_and_records_read_labels(numeric_package: Path) -> None:
    sys.path.insert(0, str(numeric_package))
    try:
        import numeric_crm
    finally:
        sys.path.remove(str(numeric_package))
    status, user = numeric_crm.SupportStatus, numeric_crm.User
    with SandboxServer(numeric_snapshot(), SYSTEM, KEY) as running:
        contact = new_person(running)
        pid = running.sandbox.put_project(
            None, {"CategoryId": 5, "ContactId": contact, "StatusId": 1, "UserId": 1}
        )["Id"]
        todo = running.sandbox.put_todo(None, {"ProjectId": pid, "UserId": 1})["Id"]
        sent: list[httpx.Response] = []

        def keep(response: httpx.Response) -> None:
            response.read()  # the client streams answers; a hook reads one to keep it
            sent.append(response)

        http = httpx.Client(event_hooks={"response": [keep]})
        with numeric_crm.Client(
            SYSTEM, KEY, base_url=running.base_url, http_client=http
        ) as crm:
            (item,), warned_search = quietly(list, crm.support.search())
            record, warned_get = quietly(crm.support.get, pid)
            by_filter = [i.id for i in crm.support.search(status_id=status(1))]
            (listed,), warned_list = quietly(crm.todos.list, pid)
            shown, warned_todo = quietly(crm.todos.get, todo)
        http.close()
    search_item = list(sent[0].json()["Results"].values())[0]
    assert search_item["StatusId"] == "1" and sent[1].json()["StatusId"] == "2"
    assert warned_search == warned_get == warned_list == warned_todo == []
    assert item.status_id is record.status_id is status(1)
    assert item.user_id is record.user_id is user(1)
    assert record.status_id.label == "2"
    assert by_filter == [pid]
    assert listed.user_id is shown.user_id is user(1)


def test_todo_notes_read_their_writer_as_an_id_in_a_detail_answer(
    numeric_package: Path,
) -> None:
    # A ToDo's detail answers user names, but its notes' CreatedBy as user ids (manual
    # p.93-94): with users labelled by numbers, "1" there is user 1, not the user named "1".
    sys.path.insert(0, str(numeric_package))
    try:
        import numeric_crm
    finally:
        sys.path.remove(str(numeric_package))
    user = numeric_crm.User
    with SandboxServer(numeric_snapshot(), SYSTEM, KEY) as running:
        contact = new_person(running)
        pid = running.sandbox.put_project(
            None, {"CategoryId": 5, "ContactId": contact, "UserId": 1}
        )["Id"]
        todo = running.sandbox.put_todo(None, {"ProjectId": pid, "UserId": 1})["Id"]
        running.sandbox.add_todo_note(todo, "first", 1)
        running.sandbox.add_todo_note(todo, "second", 2)
        answer = running.sandbox.get_todo(todo)
        with numeric_crm.Client(SYSTEM, KEY, base_url=running.base_url) as crm:
            shown, warned = quietly(crm.todos.get, todo)
    assert [n["CreatedBy"] for n in answer["Notes"]] == ["1", "2"]
    assert warned == []
    assert shown.user_id is user(1) and shown.user_id.label == "2"
    assert [note.created_by for note in shown.notes] == [user(1), user(2)]
    stored = numeric_crm.ToDo.from_api(answer, source="detail")
    assert [note.created_by for note in stored.notes] == [user(1), user(2)]
    raw = json.dumps(answer)
    from_json = numeric_crm.ToDo.from_api_json(raw, source="detail")
    assert [note.created_by for note in from_json.notes] == [user(1), user(2)]
    dumped = from_json.model_dump(mode="json")["Notes"]
    assert dumped == stored.model_dump(mode="json")["Notes"]
    assert [(n["Comment"], n["CreatedBy"]) for n in dumped] == [
        ("first", 1),
        ("second", 2),
    ]


def generated_package(snapshot: Snapshot, root: Path, package: str) -> Any:
    """``snapshot``'s client, generated into ``root`` as ``package`` and imported."""
    from click.testing import CliRunner

    from generator.cli import main

    snapshot.write(root / "variant.snapshot.json")
    result = CliRunner().invoke(
        main,
        ["generate", "--schema", str(root / "variant.snapshot.json")]
        + ["--output", str(root / "out"), "--package-name", package, "--quiet"],
    )
    assert result.exit_code == 0, result.output
    sys.path.insert(0, str(root / "out"))
    try:
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(root / "out"))


def test_a_field_named_like_another_fields_api_name_reads_only_its_own_value(
    tmp_path: Path,
) -> None:
    snapshot = load_demo_snapshot()
    endpoints = dict(snapshot.endpoints)
    endpoints["Schema/Project/3"] = {
        **endpoints["Schema/Project/3"],
        "name": "Text(64)",  # a custom field whose API name is the Python name of Name
    }
    named_crm = generated_package(
        Snapshot(endpoints, snapshot.base_url, snapshot.system_id),
        tmp_path,
        "named_crm",
    )
    record = named_crm.Sales.from_api({"Id": 7, "name": "custom"}, source="search")
    as_json = named_crm.Sales.from_api_json(b'{"Id": 7, "name": "custom"}')
    for read in (record, as_json):
        dumped = read.model_dump(mode="json", exclude_none=True)
        assert dumped == {"Id": 7, "name": "custom"}
    assert record.to_api() == {"Id": 7, "name": "custom"}


@pytest.fixture(scope="module")
def repeated_labels(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo where two LeadSource options are labelled "Web" and two Set1035 options
    "First choice" (labels can repeat)."""
    snapshot = load_demo_snapshot()
    endpoints = dict(snapshot.endpoints)
    sales = dict(endpoints["Schema/Project/3"])
    sales["LeadSource"] = {**sales["LeadSource"], "1406": "Web"}
    sales["Set1035"] = {**sales["Set1035"], "8": "First choice"}
    endpoints["Schema/Project/3"] = sales
    return generated_package(
        Snapshot(endpoints, snapshot.base_url, snapshot.system_id),
        tmp_path_factory.mktemp("repeated"),
        "repeated_crm",
    )


@pytest.mark.parametrize("source", ["detail", None])
def test_a_label_several_options_share_is_read_with_a_warning(
    repeated_labels: Any, source: str | None
) -> None:
    # "Web" may be option 1404 or 1406: the first is taken, but never silently.
    sales, ambiguous = repeated_labels.Sales, repeated_labels.AmbiguousValueWarning
    repeated_labels._values._warned.clear()
    for read in (
        lambda: sales.from_api({"LeadSource": "Web"}, source=source),
        lambda: sales.from_api_json(b'{"LeadSource": "Web"}', source=source),
    ):
        with pytest.warns(ambiguous, match="'Web'.*1404"):
            record = read()
        assert record.lead_source.id == 1404
        repeated_labels._values._warned.clear()
    for text in ("First choice", "First choice, Second choice"):
        with pytest.warns(ambiguous, match="'First choice'"):
            flags = sales.from_api({"Set1035": text}, source=source).set1035
        assert flags & 1 and not flags & 8
        repeated_labels._values._warned.clear()
    # Ids are never ambiguous; labels no other option has are read silently.
    record, warned = quietly(
        sales.from_api, {"LeadSource": 1406, "Set1035": "Second choice"}, source=source
    )
    assert warned == [] and record.lead_source.id == 1406 and record.set1035 == 2


def test_datetimes_are_written_to_the_second_with_four_digit_years() -> None:
    written = Projects(
        start_date=datetime(2026, 1, 2, 3, 4, 5, 678901), end_date=datetime(5, 1, 1)
    ).to_api()
    assert written == {
        "StartDate": "2026-01-02 03:04:05",
        "EndDate": "0005-01-01 00:00:00",
    }


# -- warnings point at the caller's line, once per value ------------------------------------


def test_unknown_option_warning_points_at_the_callers_line_once() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        Sales.from_api({"Qualification": 91001})
        Sales.from_api({"Qualification": 91001})
        Sales.from_api({"Qualification": "91001"})
        Sales.from_api({"Set1035": "First choice, Brand new 91002"})
        Sales.from_api({"Set1035": "First choice, Brand new 91002"})
    assert [w.category for w in caught] == [UnknownOptionWarning] * 2
    assert [(Path(w.filename), w.lineno) for w in caught] == [
        (Path(__file__), line),
        (Path(__file__), line + 3),
    ]


def test_warnings_through_the_client_point_at_the_callers_line(
    server: SandboxServer,
) -> None:
    contact = new_person(server)
    pid = server.sandbox.put_project(
        None, {"CategoryId": 5, "ContactId": contact, "Priority": 1602}
    )["Id"]
    record = server.store.get(pid, ("Project",))
    assert record is not None
    record.data["Priority"] = 91003  # an option added to the system after generation
    server.store.update(pid, record.data, "2026-01-01 00:00:00")
    with connect(server) as crm, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        first = crm.support.get(pid)
        again = crm.support.get(pid)
    assert isinstance(first, Support) and first.priority is again.priority
    assert [(Path(w.filename), w.lineno) for w in caught] == [(Path(__file__), line)]

    async def main() -> int:
        async with AsyncClient(
            SYSTEM, KEY, base_url=server.base_url, rate_limit=None
        ) as crm:
            await crm.support.get(pid)  # the line the warning names
            return inspect.currentframe().f_lineno - 1  # type: ignore[union-attr]

    record.data["Priority"] = (
        91004  # another new option: it warns once, in async code too
    )
    server.store.update(pid, record.data, "2026-01-02 00:00:00")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = asyncio.run(main())
    assert [(Path(w.filename), w.lineno) for w in caught] == [(Path(__file__), line)]


def test_ambiguous_value_warning_points_at_the_callers_line() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        Projects(grade="2")  # type: ignore[arg-type]
        Projects(grade="2")  # type: ignore[arg-type]
    assert [(w.category, Path(w.filename), w.lineno) for w in caught] == [
        (AmbiguousValueWarning, Path(__file__), line)
    ]


# -- search filters --------------------------------------------------------------------------


def test_none_leaves_a_filter_out_and_a_built_filter_is_reused(
    server: SandboxServer,
) -> None:
    """``None`` is no filter (not a filter on an empty value), and the module's keywords
    function builds the same search as the keywords themselves, in both clients."""
    with connect(server) as crm:
        contact = new_person(server)
        google = crm.sales.create(
            Sales(contact_id=contact, name="G", referrer=SalesReferrer.GOOGLE)
        )
        other = crm.sales.create(
            Sales(contact_id=contact, name="O", referrer=SalesReferrer.OTHER)
        )
        everything = {item.id for item in crm.sales.search()}
        assert {google, other} <= everything
        assert {
            item.id for item in crm.sales.search(referrer=None, name=None)
        } == everything
        built = sales_filters(referrer=SalesReferrer.GOOGLE, name=None)
        assert [item.id for item in crm.sales.search(**built)] == [google]
        assert [
            item.id for item in crm.sales.search(referrer=SalesReferrer.GOOGLE)
        ] == [google]
        assert crm.sales.search_page(0, **built).count == 1
        assert [r.id for r in crm.sales.search_records(**built)] == [google]

    async def search_async() -> list[int | None]:
        async with AsyncClient(
            SYSTEM, KEY, base_url=server.base_url, rate_limit=None
        ) as crm:
            return [item.id async for item in crm.sales.search(**built)]

    assert asyncio.run(search_async()) == [google]


# -- one API parameter, one keyword ---------------------------------------------------------


def test_a_keyword_that_reaches_a_search_parameter_of_its_own_is_refused(
    server: SandboxServer,
) -> None:
    # The types have no such keywords (test_client checks that mypy says so); untyped callers
    # get a TypeError instead of two keywords silently racing for one API parameter, and
    # nothing is sent.
    with connect(server) as crm:
        sent = len(server.arrivals)
        for keyword in ("user_id", "category_id", "no_such_field"):
            search: dict[str, Any] = {keyword: 3200}
            for call in (
                crm.sales.search_page,
                crm.sales.search,
                crm.sales.search_records,
            ):
                with pytest.raises(
                    TypeError, match=f"unexpected keyword argument '{keyword}'"
                ):
                    list(call(**search))
        assert len(server.arrivals) == sent

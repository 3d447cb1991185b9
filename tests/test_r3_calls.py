"""The R3 calls beyond the public page (status history, ...), generated client against the
sandbox on 127.0.0.1, sync and async."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from generator.sandbox.domain import ApiError
from generator.sandbox.server import SandboxServer
from generator.snapshot import Snapshot, load_demo_snapshot

from fake_minicrm import FakeMiniCRM, Scripted, serve
from tools import REPO, mypy_strict, run, run_generator

EXAMPLE = REPO / "generated_example"
sys.path.insert(0, str(EXAMPLE))

from minicrm_demo import (  # noqa: E402 - the generated package lives outside the source tree
    AddressListItem,
    APIStatusError,
    AsyncClient,
    BadRequestError,
    EmailList,
    Client,
    FileURLs,
    Module,
    NotFoundError,
    PurgeRefusedError,
    ProjectConnection,
    ResponseValidationError,
    Sales,
    SalesStatus,
    StatusChange,
    SupportStatus,
    Template,
    TemplateItem,
    TemplateType,
    ToDo,
    UnknownOptionWarning,
    UnknownUserError,
    User,
)

from r3_calls_usage import (  # noqa: E402
    async_file_fields,
    file_fields,
    async_emails,
    emails,
    async_templates,
    templates,
    async_move_card,
    move_card,
    async_structured_addresses,
    structured_addresses,
    async_purge,
    purge,
    async_history,
    async_links,
    sync_history,
    sync_links,
)

SYSTEM, KEY = "42", "r3-calls-test-key-0123456789"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(load_demo_snapshot(), SYSTEM, KEY) as running:
        yield running


def connect(server: SandboxServer) -> Client:
    return Client(SYSTEM, KEY, base_url=server.base_url, retry_backoff=0.01)


def aconnect(server: SandboxServer) -> AsyncClient:
    return AsyncClient(SYSTEM, KEY, base_url=server.base_url, retry_backoff=0.01)


def new_contact(server: SandboxServer) -> int:
    return int(
        server.sandbox.put_contact(None, {"Type": "Person", "FirstName": "Test"})["Id"]
    )


def test_usage_script_passes_mypy_strict() -> None:
    mypy_strict(REPO / "tests" / "r3_calls_usage.py", cwd=EXAMPLE)


# -- status history -------------------------------------------------------------------------------


def test_status_history_is_typed_newest_first_sync(server: SandboxServer) -> None:
    with connect(server) as crm:
        seen = sync_history(crm, new_contact(server))
    typed = seen["typed"]
    assert isinstance(typed, list) and all(isinstance(c, StatusChange) for c in typed)
    assert [(c.old_status, c.new_status) for c in typed] == [
        (SalesStatus.CONTRACTING, SalesStatus.CUSTOMER),
        (SalesStatus.CONTACTED, SalesStatus.CONTRACTING),
        (None, SalesStatus.CONTACTED),
    ]
    assert all(type(c.new_status) is SalesStatus for c in typed)
    first = typed[-1]
    assert first.old_status_name is None and first.new_status_name == "Contacted"
    assert all(isinstance(c.user, User) for c in typed)
    assert all(isinstance(c.changed_at, datetime) for c in typed)
    assert len({c.id for c in typed}) == 3 and all(
        c.project_id == first.project_id for c in typed
    )
    ids = seen["ids"]
    assert isinstance(ids, list)
    assert [(c.old_status, c.new_status) for c in ids] == [
        (2512, 2540),
        (2509, 2512),
        (None, 2509),
    ]
    assert [c.new_status_name for c in ids] == ["Customer", "Contracting", "Contacted"]
    # Trashed cards have no status history (manual p.85): an empty list, not an error.
    assert seen["trashed"] == []


def test_status_history_is_typed_newest_first_async(server: SandboxServer) -> None:
    async def tour() -> dict[str, object]:
        async with aconnect(server) as crm:
            return await async_history(crm, new_contact(server))

    seen = asyncio.run(tour())
    typed = seen["typed"]
    assert isinstance(typed, list)
    assert [(c.old_status, c.new_status) for c in typed] == [
        (SalesStatus.IN_PROGRESS, SalesStatus.LOST),
        (None, SalesStatus.IN_PROGRESS),
    ]
    ids = seen["ids"]
    assert isinstance(ids, list)
    assert [c.new_status for c in ids] == [2541, 2500]


def test_the_sandbox_answers_history_as_documented(server: SandboxServer) -> None:
    """``Count`` a string, every value a string, keyed by history id, the first status with
    empty old values (manual p.74-75)."""
    sandbox = server.sandbox
    project = sandbox.put_project(
        None, {"CategoryId": 3, "ContactId": new_contact(server), "Name": "Raw"}
    )["Id"]
    sandbox.put_project(project, {"StatusId": 2541})
    answer = sandbox.status_history(project, {"Type": "StatusHistory"})
    assert answer["Count"] == "2"
    entries = list(answer["Results"].values())
    assert [key for key in answer["Results"]] == [e["Id"] for e in entries]
    assert all(isinstance(v, str) for e in entries for v in e.values())
    assert (
        entries[0]["Status_Old_Id"] == "2500" and entries[0]["Status_New_Id"] == "2541"
    )
    assert entries[1]["Status_Old_Id"] == "" and entries[1]["Status_Old_Name"] == ""
    assert entries[1]["Status_New_Name"] == "In progress"
    with pytest.raises(ApiError, match="Project not found"):
        sandbox.status_history(project + 10_000, {"Type": "StatusHistory"})
    with pytest.raises(ApiError, match="Type parameter"):
        sandbox.status_history(project, {"Type": "Emails"})


def test_an_empty_history_is_an_empty_list(server: SandboxServer) -> None:
    sandbox = server.sandbox
    project = sandbox.put_project(
        None, {"CategoryId": 3, "ContactId": new_contact(server), "Name": "Empty"}
    )["Id"]
    sandbox.put_project(project, {"Deleted": 1})
    assert sandbox.status_history(project, {"Type": "StatusHistory"}) == {
        "Count": "0",
        "Results": [],
    }
    with connect(server) as crm:
        assert crm.sales.status_history(project) == []
        assert crm.history.status_changes(project) == []


def test_a_history_reads_without_a_time_or_a_good_count_and_dumps_its_wire_form() -> (
    None
):
    """A change without ``ClosedAt`` sorts last, a bad ``Count`` is ignored, and every
    change dumps to MiniCRM's wire form and back (the fields are honestly optional)."""
    newer = (
        '{"Id": "902", "ProjectId": "731", "UserId": "0", "ClosedAt": "2024-06-03 10:00:00",'
        ' "Status_Old_Id": "2509", "Status_New_Id": "2512",'
        ' "Status_Old_Name": "Contacted", "Status_New_Name": "Contracting"}'
    )
    undated = '{"Id": "880", "ProjectId": "731", "Status_New_Name": "Contacted"}'
    older = newer.replace("902", "870").replace("2024-06-03", "2024-05-01")
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        fake.queue(
            "ProjectHistory/731?Type=StatusHistory",
            Scripted(
                200,
                '{"Count": "abc", "Results": {"880": %s, "870": %s, "902": %s}}'
                % (undated, older, newer),
            ),
        )
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            changes = crm.history.status_changes(731)
    assert [c.id for c in changes] == [902, 870, 880]
    assert changes[-1].changed_at is None and changes[-1].new_status is None
    for change in changes:
        wire = change.model_dump(mode="json")
        assert None not in wire and wire["ClosedAt"] == (
            None if change.changed_at is None else str(change.changed_at)
        )
        assert StatusChange[int].from_api(wire, source="search") == change
    assert "ClosedAt" in StatusChange[int].model_json_schema()["properties"]


def test_misuse_of_a_history_status_is_a_type_error(tmp_path: Path) -> None:
    script = tmp_path / "misuse.py"
    script.write_text(
        "from minicrm_demo import Client, SupportStatus\n"
        "crm = Client('1', 'key')\n"
        "for change in crm.sales.status_history(1):\n"
        "    if change.new_status == SupportStatus.UJ_BEJELENTES:\n"
        "        pass\n"
        "    change.new_status.no_such_attribute\n",
        encoding="utf-8",
    )
    result = mypy_strict(script, cwd=EXAMPLE, check=False)
    assert "Non-overlapping equality check" in result.stdout, result.stdout
    missing = 'Item "SalesStatus" of "SalesStatus | None" has no attribute "no_such_attribute"'
    assert missing in result.stdout, result.stdout


# -- owner safety ---------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore", category=UnknownOptionWarning)
def test_a_write_naming_an_unknown_user_is_refused_before_any_request(
    server: SandboxServer,
) -> None:
    """Real systems answer 200 to an unknown UserId and give the card to a random user."""
    sent: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [sent.append]})
    contact = new_contact(server)
    with Client(SYSTEM, KEY, base_url=server.base_url, http_client=http) as crm:
        project = crm.sales.create(
            Sales(contact_id=contact, name="Owned", user_id=User.KOVACS_EVA)
        )
        before = len(sent)
        for owner in (9999, "9999", "Nobody We Know"):
            with pytest.raises(
                UnknownUserError, match="UserId .*nothing was sent"
            ) as caught:
                crm.sales.update(project, Sales(user_id=owner))
            assert caught.value.fields == ("UserId",)
        record = crm.sales.get(project)
        record.user_id = 4242  # type: ignore[assignment]
        with pytest.raises(UnknownUserError):
            crm.sales.update(project, record)
        with pytest.raises(UnknownUserError):
            crm.sales.create(Sales(contact_id=contact, name="New", user_id=9999))
        with pytest.raises(UnknownUserError):
            crm.todos.create(ToDo(project_id=project, comment="x", user_id=9999))
        assert len(sent) == before + 1  # only the get
        assert crm.sales.get(project).user_id is User.KOVACS_EVA
    http.close()


@pytest.mark.filterwarnings("ignore", category=UnknownOptionWarning)
def test_an_unknown_user_is_refused_by_the_async_client_too(
    server: SandboxServer,
) -> None:
    sent: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        sent.append(request)

    async def tour() -> None:
        http = httpx.AsyncClient(event_hooks={"request": [hook]})
        async with AsyncClient(
            SYSTEM, KEY, base_url=server.base_url, http_client=http
        ) as crm:
            with pytest.raises(UnknownUserError):
                await crm.sales.create(
                    Sales(contact_id=new_contact(server), name="x", user_id=9999)
                )
        await http.aclose()

    asyncio.run(tour())
    assert sent == []


@pytest.mark.filterwarnings("ignore", category=UnknownOptionWarning)
def test_extra_user_ids_let_a_user_added_after_generation_through(
    server: SandboxServer,
) -> None:
    contact = new_contact(server)
    with Client(SYSTEM, KEY, base_url=server.base_url, extra_user_ids=[9999]) as crm:
        project = crm.sales.create(Sales(contact_id=contact, name="New", user_id=9999))
        crm.sales.update(project, Sales(user_id="9999"))
        with pytest.raises(UnknownUserError):  # a name cannot be checked against an id
            crm.sales.update(project, Sales(user_id="Somebody New"))
    # The sandbox, like real systems, answers 200 and picks a user itself.
    assert server.sandbox.get_project(project)["UserId"] == "John Doe"


# -- card links -----------------------------------------------------------------------------------


def new_project(server: SandboxServer, module: int = 3, **fields: object) -> int:
    body = {
        "CategoryId": module,
        "ContactId": new_contact(server),
        "Name": "Card",
        **fields,
    }
    return int(server.sandbox.put_project(None, body)["Id"])


def test_card_links_sync(server: SandboxServer) -> None:
    source = new_project(server)
    target = new_project(server, 3, Name="Follow-up job", StatusId=2512)
    with connect(server) as crm:
        seen = sync_links(crm, source, target)
    created = seen["created"]
    assert isinstance(created, ProjectConnection)
    assert created.project_id == target and created.project_name == "Follow-up job"
    assert created.status is SalesStatus.CONTRACTING and created.module is Module.SALES
    listed = seen["listed"]
    assert isinstance(listed, list) and len(listed) == 1
    assert listed[0].description == "Follow-up" and listed[0].status_id == 2512
    assert seen["module"] is Module.SALES and seen["status"] is SalesStatus.CONTRACTING
    assert seen["after"] == []


def test_card_links_async(server: SandboxServer) -> None:
    source, target = new_project(server), new_project(server, 5)

    async def tour() -> dict[str, object]:
        async with aconnect(server) as crm:
            return await async_links(crm, source, target)

    seen = asyncio.run(tour())
    listed = seen["listed"]
    assert isinstance(listed, list) and [link.project_id for link in listed] == [target]
    assert listed[0].module is Module.SUPPORT and listed[0].description == "Async"
    assert listed[0].status is SupportStatus.UJ_BEJELENTES
    assert seen["after"] == []


def test_listing_links_pages_past_100(server: SandboxServer) -> None:
    sandbox = server.sandbox
    source = new_project(server)
    targets = [new_project(server, 6) for _ in range(105)]
    for target in targets:
        sandbox.create_connection({"FromProjectId": source, "ToProjectId": target})
    first = sandbox.list_connections({"FromProjectId": str(source)})
    assert (first["TotalCount"], first["Page"], first["ItemPerPage"]) == (105, 0, 100)
    assert list(first["Connections"])[:2] == ["0", "1"]  # keyed by position
    pages: list[str] = []
    http = httpx.Client(
        event_hooks={"request": [lambda r: pages.append(r.url.params.get("Page", ""))]}
    )
    with Client(SYSTEM, KEY, base_url=server.base_url, http_client=http) as crm:
        listed = [link.project_id for link in crm.links.list(source)]
    assert listed == targets and pages == ["0", "1"]

    async def alist() -> list[int]:
        async with aconnect(server) as crm:
            return [link.project_id async for link in crm.links.list(source)]

    assert asyncio.run(alist()) == targets
    http.close()


def test_a_linked_card_of_a_module_the_package_does_not_know_is_untyped() -> None:
    """Its status and module stay ids (None typed); a list of items is read like an object."""
    card = (
        '{"ProjectId": 740, "ProjectName": "x", "Description": "", "CategoryId": 99,'
        ' "StatusId": 3001, "MainContactId": 5100}'
    )
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        fake.queue(
            "ListProjectConnection?FromProjectId=1&Page=0",
            Scripted(
                200,
                '{"TotalCount": 1, "Page": 0, "ItemPerPage": 100, "Connections": [%s]}'
                % card,
            ),
        )
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            (link,) = list(crm.links.list(1))
    assert (link.project_id, link.category_id, link.status_id) == (740, 99, 3001)
    assert link.status is None and link.module is None


CARD = (
    '{"ProjectId": %d, "ProjectName": "x", "Description": "", "CategoryId": 3,'
    ' "StatusId": 2509, "MainContactId": 5100}'
)


def connections(first: int, count: int, envelope: str) -> str:
    cards = ", ".join(f'"{i}": {CARD % (first + i)}' for i in range(count))
    return '{%s, "Connections": {%s}}' % (envelope, cards)


def test_listing_links_stops_when_the_server_ignores_page() -> None:
    """A server that answers page 0 whatever is asked must not repeat the cards."""
    page = connections(1000, 100, '"TotalCount": 250, "Page": 0, "ItemPerPage": 100')
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        for number in range(3):
            fake.queue(
                f"ListProjectConnection?FromProjectId=1&Page={number}",
                Scripted(200, page),
            )
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            ids = [link.project_id for link in crm.links.list(1)]
        assert len(ids) == len(set(ids)) == 100
        assert len(fake.paths()) == 2


def test_listing_links_stops_when_a_server_without_page_or_total_repeats_a_page() -> (
    None
):
    """With neither ``Page`` nor ``TotalCount`` in the answer, a server that ignores the page
    asked for would be paged forever; a page equal to the one before ends the list."""
    page = connections(1000, 100, '"ItemPerPage": 100')
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        for number in range(5):
            fake.queue(
                f"ListProjectConnection?FromProjectId=1&Page={number}",
                Scripted(200, page),
            )
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            ids = [link.project_id for link in crm.links.list(1)]
        assert ids == list(range(1000, 1100))
        assert len(fake.paths()) == 2


def test_listing_links_without_a_total_pages_until_a_short_page() -> None:
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        for number, count in enumerate((100, 100, 5)):
            envelope = f'"Page": {number}, "ItemPerPage": 100'
            fake.queue(
                f"ListProjectConnection?FromProjectId=1&Page={number}",
                Scripted(200, connections(number * 100, count, envelope)),
            )
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            ids = [link.project_id for link in crm.links.list(1)]
    assert ids == list(range(205))


def test_a_link_dumps_its_wire_form_without_the_typed_module_and_status() -> None:
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        fake.queue("CreateProjectConnection", Scripted(200, CARD % 9))
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            link = crm.links.create(1, 9)
    assert link.module is Module.SALES and link.status is SalesStatus.CONTACTED
    assert link.model_dump(mode="json") == {
        "ProjectId": 9,
        "ProjectName": "x",
        "Description": "",
        "CategoryId": 3,
        "StatusId": 2509,
        "MainContactId": 5100,
    }
    schema = ProjectConnection.model_json_schema(mode="serialization")
    assert set(schema["properties"]) == {
        "ProjectId",
        "ProjectName",
        "Description",
        "CategoryId",
        "StatusId",
        "MainContactId",
    }


def test_the_sandbox_refuses_bad_links(server: SandboxServer) -> None:
    sandbox = server.sandbox
    source, target = new_project(server), new_project(server)
    with pytest.raises(ApiError, match="itself"):
        sandbox.create_connection({"FromProjectId": source, "ToProjectId": source})
    with pytest.raises(ApiError, match="ToProjectId"):
        sandbox.create_connection({"FromProjectId": source, "ToProjectId": 1})
    with pytest.raises(ApiError, match="Connection not found"):
        sandbox.delete_connection({"FromProjectId": source, "ToProjectId": target})
    sandbox.create_connection({"FromProjectId": source, "ToProjectId": target})
    sandbox.create_connection({"FromProjectId": source, "ToProjectId": target})
    assert sandbox.list_connections({"FromProjectId": str(source)})["TotalCount"] == 1


# -- purge a person -------------------------------------------------------------------------------


def test_purging_a_person_deletes_them_sync_and_async(server: SandboxServer) -> None:
    first, second = new_contact(server), new_contact(server)
    with connect(server) as crm:
        assert purge(crm, first) == ""
        with pytest.raises(NotFoundError):
            crm.persons.get(first)

    async def tour() -> None:
        async with aconnect(server) as crm:
            await async_purge(crm, await crm.persons.get(second))

    asyncio.run(tour())
    assert server.sandbox.store.get(second, ("Person",)) is None


def test_purging_a_main_contact_is_refused_with_the_message(
    server: SandboxServer,
) -> None:
    person = new_contact(server)
    server.sandbox.put_project(
        None, {"CategoryId": 3, "ContactId": person, "Name": "x"}
    )
    with connect(server) as crm:
        with pytest.raises(PurgeRefusedError, match="main contact") as refused:
            crm.persons.purge(person)
        assert refused.value.person_id == person
        assert "move them to another contact" in refused.value.message
        assert crm.persons.get(person).id == person

    async def tour() -> None:
        async with aconnect(server) as crm:
            with pytest.raises(PurgeRefusedError, match="main contact"):
                await crm.persons.purge(person)

    asyncio.run(tour())


def test_purge_reads_a_refusal_answered_200_and_falls_back_to_put() -> None:
    """The refusal's status is undocumented, and so is the method (GET or PUT)."""
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        fake.queue(
            "PurgePerson/7",
            Scripted(405, "PurgePerson (GET): Method not allowed!"),
            Scripted(200, '{"Message": "A kontakt nem törölhető."}'),
            Scripted(200, '{"Message": "Successfully deleted"}'),
        )
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            with pytest.raises(PurgeRefusedError, match="nem törölhető"):
                crm.persons.purge(7)
            crm.persons.purge(7)
        assert fake.paths() == ["PurgePerson/7"] * 3


def test_a_purge_refusal_hides_the_key_and_any_4xx_refusal_is_read() -> None:
    """The key never reaches the error; a refusal is a JSON Message with a 4xx (not the
    key's 401/403, not 404); a 200 that does not say no is success, in any language."""
    echo = '{"Message": "Key %s not accepted: the person is not deleted."}' % KEY
    refusal = '{"Message": "The person is the main contact of project 731"}'
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        fake.queue(
            "PurgePerson/7",
            Scripted(200, echo),
            Scripted(409, refusal),
            Scripted(422, refusal),
            Scripted(403, refusal),
            Scripted(404, refusal),
            Scripted(200, '{"Message": "Sikeresen törölve"}'),
            Scripted(200, '{"Message": "Deleted"}'),
        )
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            with pytest.raises(PurgeRefusedError, match="not accepted") as echoed:
                crm.persons.purge(7)
            assert KEY not in str(echoed.value) and KEY not in echoed.value.message
            for _ in range(2):
                with pytest.raises(PurgeRefusedError, match="main contact"):
                    crm.persons.purge(7)
            with pytest.raises(APIStatusError) as forbidden:
                crm.persons.purge(7)
            assert not isinstance(forbidden.value, PurgeRefusedError)
            with pytest.raises(NotFoundError):
                crm.persons.purge(7)
            crm.persons.purge(7)
            crm.persons.purge(7)
        assert fake.paths() == ["PurgePerson/7"] * 7


# -- structured address list ----------------------------------------------------------------------


def test_structured_address_list_sync_and_async(server: SandboxServer) -> None:
    contact = new_contact(server)
    with connect(server) as crm:
        items = structured_addresses(crm, contact)
        assert crm.addresses.list(contact) == {items[0].id: "Billing (Fő utca 1.)"}
    assert [type(item) for item in items] == [AddressListItem]
    assert items[0].address == "Billing (Fő utca 1.)"
    assert items[0].url == f"{server.base_url}/Address/{items[0].id}"

    async def tour() -> list[AddressListItem]:
        async with aconnect(server) as crm:
            return await async_structured_addresses(crm, contact)

    assert asyncio.run(tour()) == items
    with connect(server) as crm:
        assert crm.addresses.list_structured(new_contact(server)) == []


def test_structured_address_list_accepts_the_array_wrapped_shape() -> None:
    """The public page wraps Results in a one-element array; the manual does not."""
    item = (
        '{"Id": 88, "Address": "Billing (Fő utca 1.)", "Url": "https://x/Address/88"}'
    )
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        fake.queue(
            "AddressList/5?Structured=1",
            Scripted(200, '{"Count": 1, "Results": [{"88": %s}]}' % item),
            Scripted(200, '{"Count": 1, "Results": {"88": %s}}' % item),
        )
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            wrapped = crm.addresses.list_structured(5)
            plain = crm.addresses.list_structured(5)
    assert wrapped == plain and [i.id for i in plain] == [88]


def test_a_structured_address_keyed_by_id_takes_the_key_as_its_id() -> None:
    item = '{"Address": "Home (Main st)", "Url": "https://x/Address/307"}'
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        fake.queue(
            "AddressList/5?Structured=1",
            Scripted(200, '{"Count": 1, "Results": {"307": %s}}' % item),
            Scripted(200, '{"Count": 1, "Results": [{"307": %s}]}' % item),
        )
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            plain = crm.addresses.list_structured(5)
            wrapped = crm.addresses.list_structured(5)
    assert plain == wrapped and [(i.id, i.address) for i in plain] == [
        (307, "Home (Main st)")
    ]


@pytest.mark.parametrize("body", ['{"Count": 2}', '{"Count": 1, "Results": "oops"}'])
@pytest.mark.parametrize(
    "path", ["AddressList/5?Structured=1", "AddressList/5", "EmailList/5"]
)
def test_a_list_answer_without_results_is_a_validation_error(
    path: str, body: str
) -> None:
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        fake.queue(path, Scripted(200, body))
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            with pytest.raises(ResponseValidationError, match="no Results"):
                if path.startswith("EmailList"):
                    crm.emails.list(5)
                elif path.endswith("Structured=1"):
                    crm.addresses.list_structured(5)
                else:
                    crm.addresses.list(5)


# -- moving a card --------------------------------------------------------------------------------


def company_person(server: SandboxServer, company_name: str) -> tuple[int, int]:
    sandbox = server.sandbox
    company = int(
        sandbox.put_contact(None, {"Type": "Business", "Name": company_name})["Id"]
    )
    body = {"Type": "Person", "FirstName": company_name, "BusinessId": company}
    return company, int(sandbox.put_contact(None, body)["Id"])


def test_moving_a_card_to_another_contact_sync(server: SandboxServer) -> None:
    alfa, first = company_person(server, "Alfa")
    colleague = int(
        server.sandbox.put_contact(
            None, {"Type": "Person", "FirstName": "Col", "BusinessId": alfa}
        )["Id"]
    )
    beta, outsider = company_person(server, "Beta")
    project = new_project_for(server, first)
    with connect(server) as crm:
        with pytest.raises(BadRequestError, match="BusinessId"):
            crm.sales.move(project, outsider)  # another company needs its id too
        move_card(crm, project, colleague, outsider, beta)
        moved = crm.sales.get(project)
    assert (moved.contact_id, moved.business_id) == (outsider, beta)


def test_moving_a_card_async(server: SandboxServer) -> None:
    _, first = company_person(server, "Alfa")
    beta, outsider = company_person(server, "Beta")
    project = new_project_for(server, first)

    async def tour() -> None:
        async with aconnect(server) as crm:
            await async_move_card(crm, project, outsider, beta)

    asyncio.run(tour())
    stored = server.sandbox.get_project(project)
    assert (stored["ContactId"], stored["BusinessId"]) == (outsider, beta)


def new_project_for(server: SandboxServer, contact: int) -> int:
    body = {"CategoryId": 3, "ContactId": contact, "Name": "Moving"}
    return int(server.sandbox.put_project(None, body)["Id"])


# -- templates ------------------------------------------------------------------------------------


def test_templates_typed_and_normalised_sync(server: SandboxServer) -> None:
    raw = server.sandbox.template_list(3)["Results"]
    assert isinstance(raw, list) and raw[1]["Type"] == "Todo"
    assert server.sandbox.get_template(raw[1]["Id"])["Type"] == "To do"
    with connect(server) as crm:
        listed, detail, is_todo = templates(crm)
        assert crm.templates.list(3) == listed
        with pytest.raises(NotFoundError):
            crm.templates.get(1)
    assert [type(item) for item in listed] == [TemplateItem] * 4
    assert [item.type for item in listed] == [
        TemplateType.EMAIL,
        TemplateType.TODO,
        TemplateType.SMS,
        TemplateType.FILE,
    ]
    assert isinstance(detail, Template) and is_todo and detail.type is TemplateType.TODO
    assert detail.category_id == 3 and detail.name == "Call back"
    assert detail.content is not None and detail.content.startswith("<!DOCTYPE html>")


def test_templates_async(server: SandboxServer) -> None:
    async def tour() -> tuple[list[TemplateItem], Template]:
        async with aconnect(server) as crm:
            return await async_templates(crm)

    listed, detail = asyncio.run(tour())
    assert detail.id == listed[0].id and detail.category_id == 5
    assert detail.type is TemplateType.EMAIL and detail.subject == "Welcome to {Name}"


def test_an_unknown_template_type_is_kept_as_text() -> None:
    item = TemplateItem.from_api({"Id": 1, "Type": "Letter", "Name": "x"})
    assert item.type == "Letter" and not isinstance(item.type, TemplateType)
    assert TemplateItem.from_api({"Id": 2, "Type": " to DO "}).type is TemplateType.TODO


# -- e-mails of a card ----------------------------------------------------------------------------


def test_emails_of_a_card_as_a_loose_envelope(server: SandboxServer) -> None:
    project = new_project(server)
    server.sandbox.add_email(project, "Offer", "ada@example.invalid", "me@x", "Hello")
    with connect(server) as crm:
        every, old_day = emails(crm, project)
        assert crm.emails.list(new_project(server)) == EmailList(count=0, emails=[])
        with pytest.raises(BadRequestError, match="CreatedAt"):
            crm.emails.list(project, created_at="soon")  # type: ignore[arg-type]
    assert isinstance(every, EmailList) and every.count == 1
    assert every.emails[0]["Subject"] == "Offer" and every.emails[0]["From"] == (
        "ada@example.invalid"
    )
    assert old_day.count == 0 and old_day.emails == []

    async def tour() -> EmailList:
        async with aconnect(server) as crm:
            return await async_emails(crm, project)

    assert asyncio.run(tour()) == every


def test_an_email_answer_of_another_shape_is_kept_not_refused() -> None:
    """The answer is undocumented: a list of results and extra keys are kept as sent."""
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as fake:
        fake.queue(
            "EmailList/9",
            Scripted(
                200, '{"Count": "1", "Results": [{"Id": "5", "Body": [1]}], "X": 2}'
            ),
        )
        with Client(SYSTEM, KEY, base_url=fake.base_url) as crm:
            answer = crm.emails.list(9)
    assert answer.count == 1 and answer.emails == [{"Id": "5", "Body": [1]}]
    assert answer.model_extra == {"X": 2}
    wire = answer.model_dump(mode="json")
    assert wire == {"Count": 1, "Results": [{"Id": "5", "Body": [1]}], "X": 2}
    assert EmailList.from_api(wire) == answer
    assert "Results" in EmailList.model_json_schema()["properties"]


# -- a system without modules or users ------------------------------------------------------------


def test_the_family_modules_of_a_system_without_modules_or_users_are_clean(
    tmp_path: Path,
) -> None:
    """No unused import where there is no module to link, page or type a history for."""
    empty = {
        "Category": [],
        "Category?Detailed=1": [],
        "Schema/Business": [],
        "Schema/Person": {"Id": "Int"},
    }
    schema = tmp_path / "empty.json"
    Snapshot(empty, "http://127.0.0.1:1/Api/R3", "empty").write(schema)
    out = tmp_path / "out"
    run_generator(
        "generate",
        "--schema",
        schema,
        "--output",
        out,
        "--quiet",
        cwd=REPO,
    )
    run(sys.executable, "-m", "pyflakes", out / "minicrm_empty")
    run(
        sys.executable,
        "-m",
        "ruff",
        "check",
        "--select",
        "ALL",
        "--quiet",
        out / "minicrm_empty",
        cwd=out,
    )


# -- file fields ----------------------------------------------------------------------------------

FIRST = "https://files.example.invalid/quote.pdf"
SECOND = "https://reader:s3cret@files.example.invalid/plan%2Cv2.pdf"
WITH_COMMA = "https://reader:hunter2@files.example.invalid/a,b.pdf"


def test_a_multi_file_field_round_trips_sync(server: SandboxServer) -> None:
    project = new_project_for(server, new_contact(server))
    with connect(server) as crm:
        assert file_fields(crm, project, FIRST, SECOND) == [
            (FIRST, SECOND),
            FIRST,
            None,
        ]
        # Sent as ONE comma-joined text (the sandbox, like MiniCRM, refuses a list).
        record = crm.sales.get(project)
        record.file1113 = [FIRST, SECOND]  # type: ignore[assignment]
        crm.sales.update(project, record)
        assert server.sandbox.get_project(project)["File1113"] == f"{FIRST},{SECOND}"
        record.file1113 = SECOND  # type: ignore[assignment]  # one URL, as text
        crm.sales.update(project, record)
        assert crm.sales.get(project).file1113 == FileURLs(SECOND)
        record.file1113 = ""  # type: ignore[assignment]
        crm.sales.update(project, record)
        assert crm.sales.get(project).file1113 is None
    assert server.sandbox.get_project(project)["File1113"] == ""


def test_a_multi_file_field_round_trips_async(server: SandboxServer) -> None:
    project = new_project_for(server, new_contact(server))
    sent: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        sent.append(request)

    async def tour() -> list[object]:
        http = httpx.AsyncClient(event_hooks={"request": [hook]})
        async with AsyncClient(
            SYSTEM, KEY, base_url=server.base_url, http_client=http
        ) as crm:
            with pytest.raises(ValueError, match="contains a comma"):
                await crm.sales.update(project, Sales(file1113=[FIRST, WITH_COMMA]))  # type: ignore[arg-type]
            assert sent == []
            seen = await async_file_fields(crm, project, FIRST, SECOND)
        await http.aclose()
        return seen

    assert asyncio.run(tour()) == [(FIRST, SECOND), SECOND, None]


def test_a_file_url_with_a_comma_is_refused_before_any_request(
    server: SandboxServer,
) -> None:
    sent: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [sent.append]})
    project = new_project_for(server, new_contact(server))
    with Client(SYSTEM, KEY, base_url=server.base_url, http_client=http) as crm:
        record = crm.sales.get(project)
        for value in (WITH_COMMA, [FIRST, WITH_COMMA]):
            with pytest.raises(ValueError, match="contains a comma") as caught:
                record.file1113 = value  # type: ignore[assignment]
            assert "hunter2" not in str(caught.value)
            assert "reader:***@files.example.invalid" not in str(caught.value)
            assert "https://***@files.example.invalid/a,b.pdf" in str(caught.value)
        with pytest.raises(ValueError, match="contains a comma"):
            FileURLs(FIRST, "https://files.example.invalid/x,y")
        assert record.model_fields_set == set()
        crm.sales.update(project, record)  # nothing set: no call
    http.close()
    assert len(sent) == 1  # only the get
    assert server.sandbox.get_project(project)["File1113"] == ""


def test_file_urls_read_every_shape_and_hide_credentials() -> None:
    for answer in (f"{FIRST},{SECOND}", f" {FIRST}, {SECOND} ", [FIRST, SECOND]):
        record = Sales.from_api({"Id": 1, "File1113": answer}, source="detail")
        assert record.file1113 == FileURLs(FIRST, SECOND)
        assert record.file1113 is not None and record.file1113.urls == (FIRST, SECOND)
    raw = b'{"Id": 1, "File1113": "%s,%s"}' % (FIRST.encode(), SECOND.encode())
    assert Sales.from_api_json(raw, source="search").file1113 == (FIRST, SECOND)
    assert Sales.from_api({"File1113": ""}, source="detail").file1113 is None
    record = Sales(file1113=FileURLs(FIRST, SECOND))
    assert "s3cret" not in repr(record) and "s3cret" not in str(record.file1113)
    assert "https://***@files.example.invalid/plan%2Cv2.pdf" in repr(record)
    assert record.to_api() == {"File1113": f"{FIRST},{SECOND}"}
    assert record.model_dump(mode="json")["File1113"] == f"{FIRST},{SECOND}"
    schema = Sales.model_json_schema()["properties"]["File1113"]["anyOf"][0]
    assert schema["type"] == "string" and "commas" in schema["description"]
    with pytest.raises(ValueError, match="None to clear"):
        FileURLs()


def test_every_generated_module_has_its_header_once() -> None:
    """The "Generated by" block heads each module, and is not repeated inside one."""
    modules = sorted((EXAMPLE / "minicrm_demo").rglob("*.py"))
    assert modules
    for module in modules:
        text = module.read_text(encoding="utf-8")
        assert text.count("# Generated by minicrm-codegen") == 1, module


def test_the_readme_names_every_family_and_sandbox_module() -> None:
    """The file list and the architecture paragraph keep up with the families."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listing = readme.split("DIR/NAME/_sync/<family>.py", 1)[1].split(
        "DIR/NAME/_calls.py"
    )[0]
    families = sorted(
        path.stem
        for path in (EXAMPLE / "minicrm_demo" / "_sync").glob("*.py")
        if path.stem not in ("__init__", "transport")
    )
    assert {"history", "links", "templates", "emails"} <= set(families)
    assert all(family in listing for family in families), (families, listing)
    models = sorted((EXAMPLE / "minicrm_demo" / "models").glob("_*.py"))
    assert all(
        f"models/{path.name}" in readme for path in models if path.stem != "__init__"
    )
    built = readme.split("A family of calls has the same name everywhere", 1)[1]
    built = built.split("- Record models come from", 1)[0]
    sandbox = sorted((REPO / "generator" / "sandbox").glob("*.py"))
    names = [path.name for path in sandbox if path.stem not in ("__init__", "__main__")]
    assert {"history.py", "webhooks.py"} <= set(names)
    assert all(name in built or name.removesuffix(".py") in built for name in names), (
        names,
        built,
    )

"""The generated client (generated_example/) against the sandbox on 127.0.0.1, sync and async."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from generator.sandbox.app import Faults
from generator.sandbox.server import SandboxServer
from generator.snapshot import load_demo_snapshot

from tools import REPO, mypy_strict, run

EXAMPLE = REPO / "generated_example"
sys.path.insert(0, str(EXAMPLE))

from minicrm_demo import (  # noqa: E402 - the generated package lives outside the source tree
    APIConnectionError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    MethodNotAllowedError,
    MiniCRMError,
    NotFoundError,
    RateLimitError,
    Sales,
    SalesReferrer,
    SalesStatus,
    ServerError,
    Support,
    User,
)
from minicrm_demo._errors import error_for  # noqa: E402

from client_usage import async_tour, sync_tour  # noqa: E402

SYSTEM, KEY = "42", "client-test-key-0123456789"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(load_demo_snapshot(), SYSTEM, KEY) as running:
        yield running


def connect(server: SandboxServer, **options: object) -> Client:
    return Client(SYSTEM, KEY, base_url=server.base_url, retry_backoff=0.01, **options)  # type: ignore[arg-type]


def aconnect(server: SandboxServer, **options: object) -> AsyncClient:
    return AsyncClient(SYSTEM, KEY, base_url=server.base_url, retry_backoff=0.01, **options)  # type: ignore[arg-type]


def new_contact(server: SandboxServer) -> int:
    return int(
        server.sandbox.put_contact(None, {"Type": "Person", "FirstName": "Test"})["Id"]
    )


def test_every_resource_sync(server: SandboxServer) -> None:
    with connect(server) as crm:
        seen = sync_tour(crm, new_contact(server))
    record = seen["record"]
    assert (
        isinstance(record, Sales)
        and record.referrer is SalesReferrer.WOM
        and record.name == "Tour"
    )
    assert (
        isinstance(seen["by_reference"], Sales) and seen["by_reference"].id == record.id
    )
    assert [item.id for item in seen["found"]] == [record.id]  # type: ignore[attr-defined]
    assert [r.status_id for r in seen["full"]] == [SalesStatus.CONTRACTING]  # type: ignore[attr-defined]
    assert seen["trashed"] == [record.id]
    assert seen["person"].position == "CTO"  # type: ignore[attr-defined]
    assert len(seen["people"]) == 1 and seen["companies"] == [] and len(seen["mixed"]) == 1  # type: ignore[arg-type]
    assert seen["todo"].comment == "Tour todo, changed"  # type: ignore[attr-defined]
    assert [t.status for t in seen["todos"]] == ["Closed"]  # type: ignore[attr-defined]
    assert seen["address"].city == "Szeged"  # type: ignore[attr-defined]
    assert list(seen["addresses"].values()) == ["Home (Fő utca 1.)"]  # type: ignore[attr-defined]
    assert seen["modules"] == {
        3: "Sales",
        5: "Support",
        6: "Projects",
        8: "Invoicing",
        11: "Értékesítés",
    }
    assert seen["detailed"][11].name == "Értékesítés"  # type: ignore[index]


def test_every_resource_async(server: SandboxServer) -> None:
    async def main() -> dict[str, object]:
        async with aconnect(server) as crm:
            return await async_tour(crm, new_contact(server))

    seen = asyncio.run(main())
    record = seen["record"]
    assert isinstance(record, Sales) and record.referrer is SalesReferrer.GOOGLE
    assert [r.status_id for r in seen["full"]] == [SalesStatus.CUSTOMER]  # type: ignore[attr-defined]
    assert seen["trashed"] == [record.id]
    assert seen["person"].position == "CEO"  # type: ignore[attr-defined]
    assert [t.status for t in seen["todos"]] == ["Closed"]  # type: ignore[attr-defined]
    assert seen["address"].city == "Pécs"  # type: ignore[attr-defined]
    assert seen["businesses"] == []


def test_usage_scripts_pass_mypy_strict(tmp_path: Path) -> None:
    mypy_strict(
        REPO / "tests" / "client_usage.py",
        REPO / "docs" / "client_session.py",
        cwd=EXAMPLE,
    )


def test_generated_readme_session_passes_mypy_strict(tmp_path: Path) -> None:
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    session = (
        readme.split("## A session", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    )
    script = tmp_path / "session.py"
    script.write_text(session, encoding="utf-8")
    mypy_strict(script, cwd=EXAMPLE)


def test_misuse_of_search_filters_is_a_type_error(tmp_path: Path) -> None:
    script = tmp_path / "misuse.py"
    script.write_text(
        "from minicrm_demo import Client, SupportPriority, User\n"
        "crm = Client('1', 'k')\n"
        "crm.sales.search(referrer=SupportPriority.SURGOS)\n"
        "crm.sales.search(no_such_field=1)\n"
        "crm.sales.search_page(status_group='Won')\n"
        "crm.sales.search(user_id=User.JOHN_DOE)\n"
        "crm.sales.search_page(category_id=5)\n"
        "crm.contacts.search(type='Person')\n",
        encoding="utf-8",
    )
    result = mypy_strict(script, cwd=EXAMPLE, check=False)
    assert result.returncode == 1
    assert (
        'Argument "referrer" to "search" of "SalesResource" has incompatible type "SupportPriority"'
        in result.stdout
    )
    assert 'Unexpected keyword argument "no_such_field"' in result.stdout
    assert (
        'Argument "status_group" to "search_page" of "SalesResource" has incompatible type'
        in result.stdout
    )
    # One API parameter, one keyword: UserId is user=, CategoryId is the resource's.
    assert 'Unexpected keyword argument "user_id"' in result.stdout
    assert 'Unexpected keyword argument "category_id"' in result.stdout
    assert 'Argument "type" to "search" of "ContactsResource"' in result.stdout


def test_readme_session_runs_against_the_sandbox(server: SandboxServer) -> None:
    contact = new_contact(server)
    pid = server.sandbox.put_project(
        None,
        {"CategoryId": 3, "ContactId": contact, "Name": "Lead", "Referrer": "Google"},
    )["Id"]
    env = {
        "MINICRM_BASE_URL": server.base_url,
        "MINICRM_SYSTEM_ID": SYSTEM,
        "MINICRM_API_KEY": KEY,
        "PYTHONPATH": str(EXAMPLE),
    }
    result = run(sys.executable, REPO / "docs" / "client_session.py", env=env)
    lines = result.stdout.splitlines()
    assert lines[0] == "Lead In progress Google"
    assert lines[1] == (
        f"project {pid} belongs to module 3 (Sales), not to module 5 (Support); "
        "crm.all_projects.get() fetches a project of any module"
    )
    assert lines[2] == "Sales"
    assert lines[3].endswith("['Send the offer: Closed']")
    assert lines[4] == "404 Project (GET): Project not found: 999999"
    sent = [(m, p, json.loads(b)) for m, p, b in server.received]
    assert sent[0] == (
        "PUT",
        f"/Api/R3/Project/{pid}",
        {"Name": "Lead (called back)", "Referrer": 1254},
    )
    assert sent[-1][0] == "POST" and sent[-1][2] == {
        "Status": "Closed",
        "ClosedAt": "2026-11-30 17:00:00",
    }
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert (REPO / "docs" / "client_session.py").read_text(encoding="utf-8").split(
        '"""', 2
    )[2].strip() in readme


def test_paging_over_several_pages_and_an_empty_search(server: SandboxServer) -> None:
    contact = new_contact(server)
    for index in range(250):
        server.sandbox.put_project(
            None,
            {
                "CategoryId": 5,
                "ContactId": contact,
                "Name": f"p{index}",
                "Priority": 1600 + index % 3,
            },
        )
    with connect(server, rate_limit=None) as crm:
        ids = [item.id for item in crm.support.search()]
        assert len(ids) == len(set(ids)) == 250
        assert (
            crm.support.search_page(2).count == 250
            and len(crm.support.search_page(2).items) == 50
        )
        assert crm.support.search_page(3).items == []
        assert list(crm.sales.search()) == []
        assert crm.sales.search_page().count == 0

    async def main() -> list[int | None]:
        async with aconnect(server, rate_limit=None) as crm:
            return [item.id async for item in crm.support.search()]

    assert asyncio.run(main()) == ids


def test_search_items_have_ids_and_records_have_labels(server: SandboxServer) -> None:
    contact = new_contact(server)
    server.sandbox.put_project(
        None,
        {
            "CategoryId": 3,
            "ContactId": contact,
            "StatusId": "Contacted",
            "UserId": "Kovács Éva",
        },
    )
    seen: list[httpx.Response] = []

    def keep(response: httpx.Response) -> None:
        response.read()  # the client streams answers; a hook reads one to keep it
        seen.append(response)

    http = httpx.Client(event_hooks={"response": [keep]})
    with connect(server, http_client=http) as crm:
        item = next(crm.sales.search())
        record = crm.sales.get(item)
    assert item.status_id is record.status_id is SalesStatus.CONTACTED
    assert item.user_id is record.user_id is User.KOVACS_EVA
    search_answer, get_answer = seen[0].json(), seen[1].json()
    assert list(search_answer["Results"].values())[0]["StatusId"] == "2509"
    assert get_answer["StatusId"] == "Contacted"
    assert not http.is_closed  # an injected client is not closed for you
    http.close()


def test_every_error_code_with_its_plain_text_body(server: SandboxServer) -> None:
    with connect(server, max_retries=0) as crm:
        with pytest.raises(NotFoundError) as not_found:
            crm.sales.get(1)
        assert (
            not_found.value.status,
            not_found.value.method,
            not_found.value.path,
        ) == (404, "GET", "Project/1")
        assert not_found.value.message == "Project (GET): Project not found: 1"
        project = crm.sales.create(Sales(contact_id=new_contact(server), name="x"))
        with pytest.raises(
            BadRequestError, match="Invalid value 'x' for the Int1107 field"
        ) as bad:
            crm._core.request("PUT", f"Project/{project}", json={"Int1107": "x"})
        assert bad.value.status == 400
        with pytest.raises(MethodNotAllowedError) as wrong_method:
            crm._core.request("POST", "ToDo", json={}, idempotent=False)
        assert wrong_method.value.message == "ToDo (POST): Method not allowed!"
    with Client(SYSTEM, "wrong-key", base_url=server.base_url) as intruder:
        with pytest.raises(AuthenticationError) as denied:
            intruder.modules.list()
    assert denied.value.status == 401 and "wrong-key" not in str(denied.value)
    denied_404 = error_for(404, "GET", "Category", "Unauthorized: Access denied")
    assert isinstance(denied_404, AuthenticationError)
    with SandboxServer(
        load_demo_snapshot(), SYSTEM, KEY, faults=Faults(rate_limit=1)
    ) as limited:
        with connect(limited, max_retries=0) as crm:
            crm.modules.list()
            with pytest.raises(RateLimitError):
                crm.modules.list()
    with SandboxServer(
        load_demo_snapshot(), SYSTEM, KEY, faults=Faults(fail_rate=1.0)
    ) as failing:
        with (
            connect(failing, max_retries=0) as crm,
            pytest.raises(ServerError) as failed,
        ):
            crm.modules.list()
        assert (
            failed.value.status == 500
            and failed.value.message == "Internal Server Error"
        )
    with SandboxServer(
        load_demo_snapshot(), SYSTEM, KEY, faults=Faults(latency_ms=500)
    ) as slow:
        with (
            connect(slow, max_retries=0, timeout=0.1) as crm,
            pytest.raises(APITimeoutError),
        ):
            crm.modules.list()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Client(
        SYSTEM,
        KEY,
        base_url=f"http://127.0.0.1:{port}/Api/R3",
        max_retries=1,
        retry_backoff=0.01,
    ) as crm:
        with pytest.raises(APIConnectionError):
            crm.modules.list()


@pytest.mark.parametrize("faults", [Faults(fail_rate=1.0), Faults(rate_limit=1)])
def test_retries_on_500_and_429_are_bounded(
    faults: Faults, caplog: pytest.LogCaptureFixture
) -> None:
    with SandboxServer(load_demo_snapshot(), SYSTEM, KEY, faults=faults) as running:
        if faults.rate_limit:
            connect(
                running, max_retries=0
            ).modules.list()  # spend the one request of the window
        before = len(running.arrivals)
        with (
            caplog.at_level(logging.WARNING, logger="minicrm_demo"),
            connect(running, max_retries=3) as crm,
        ):
            with pytest.raises((ServerError, RateLimitError)):
                crm.modules.list()
        assert len(running.arrivals) - before == 4
        retries = [
            r.getMessage() for r in caplog.records if "retrying" in r.getMessage()
        ]
        assert len(retries) == 3 and "attempt 4 of 4" in retries[-1]
        assert KEY not in caplog.text


def test_a_transient_failure_is_retried_and_succeeds(server: SandboxServer) -> None:
    calls = 0

    def fail_first(request: httpx.Request) -> None:
        nonlocal calls
        calls += 1
        server.faults.fail_rate = 1.0 if calls == 1 else 0.0

    with connect(
        server, http_client=httpx.Client(event_hooks={"request": [fail_first]})
    ) as crm:
        assert crm.modules.list()[3] == "Sales"
    assert calls == 2


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_pacing_keeps_inside_the_rate_limit_measured_by_the_server(mode: str) -> None:
    # Time scaled down: 5 requests per 0.5 s stands for 60 a minute; 15 calls must spread out.
    faults = Faults(rate_limit=5, rate_period=0.5)
    with SandboxServer(load_demo_snapshot(), SYSTEM, KEY, faults=faults) as running:
        if mode == "sync":
            with connect(running, rate_limit=5, rate_period=0.5, max_retries=0) as crm:
                for _ in range(15):
                    crm.modules.list()
        else:

            async def burst() -> None:
                async with aconnect(
                    running, rate_limit=5, rate_period=0.5, max_retries=0
                ) as crm:
                    await asyncio.gather(*(crm.modules.list() for _ in range(15)))

            asyncio.run(burst())
        assert len(running.arrivals) == 15
        assert running.max_in_window(0.5) <= 5


def test_without_pacing_the_server_does_throttle() -> None:
    # The measurement is sound: the same burst with pacing off trips the server's limit.
    with SandboxServer(
        load_demo_snapshot(), SYSTEM, KEY, faults=Faults(rate_limit=5, rate_period=0.5)
    ) as running:
        with (
            connect(running, rate_limit=None, max_retries=0) as crm,
            pytest.raises(RateLimitError),
        ):
            for _ in range(15):
                crm.modules.list()


def test_async_search_records_fetches_concurrently_inside_the_budget() -> None:
    faults = Faults(rate_limit=10, rate_period=0.5, latency_ms=20)
    with SandboxServer(load_demo_snapshot(), SYSTEM, KEY, faults=faults) as running:
        contact = new_contact(running)
        for index in range(30):
            running.sandbox.put_project(
                None, {"CategoryId": 3, "ContactId": contact, "Name": f"r{index}"}
            )

        async def main() -> list[str | None]:
            async with aconnect(
                running, rate_limit=10, rate_period=0.5, max_retries=0
            ) as crm:
                return [record.name async for record in crm.sales.search_records()]

        names = asyncio.run(main())
        assert names == [f"r{index}" for index in range(30)]
        assert running.max_in_window(0.5) <= 10


def test_create_with_reference_id_across_a_dropped_connection_makes_one_record(
    server: SandboxServer,
) -> None:
    contact = new_contact(server)

    def drop_creates(request: httpx.Request) -> None:
        server.faults.drop_rate = (
            1.0
            if request.method == "PUT" and request.url.path.endswith("/Project")
            else 0.0
        )

    http = httpx.Client(event_hooks={"request": [drop_creates]})
    with connect(server, http_client=http) as crm:
        project_id = crm.sales.create(
            Sales(contact_id=contact, name="Once"), reference_id="ext-42"
        )
        assert crm.sales.get_by_reference("ext-42") is not None
    matches = server.sandbox.search_projects({"ReferenceId": "ext-42"})
    assert matches["Count"] == 1 and list(matches["Results"]) == [str(project_id)]
    puts = [path for _, method, path in server.arrivals if method == "PUT"]
    assert puts == ["/Api/R3/Project"]


def test_a_create_without_reference_id_is_never_blindly_retried(
    server: SandboxServer,
) -> None:
    server.faults.drop_rate = 1.0
    with connect(server) as crm, pytest.raises(APIConnectionError):
        crm.sales.create(Sales(contact_id=new_contact(server), name="Maybe"))
    assert [method for _, method, _ in server.arrivals] == ["PUT"]
    assert server.sandbox.search_projects({"Query": "Maybe"})["Count"] == 1


def test_credentials_from_the_environment_and_never_in_repr(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINICRM_SYSTEM_ID", SYSTEM)
    monkeypatch.setenv("MINICRM_API_KEY", KEY)
    monkeypatch.setenv("MINICRM_BASE_URL", server.base_url)
    with Client() as crm:
        assert crm.modules.list()[5] == "Support"
        assert KEY not in repr(crm) and KEY not in repr(crm.__dict__)
    monkeypatch.delenv("MINICRM_API_KEY")
    with pytest.raises(MiniCRMError, match="no API key"):
        Client()


def test_unknown_options_from_the_server_do_not_break_the_client(
    server: SandboxServer,
) -> None:
    contact = new_contact(server)
    pid = server.sandbox.put_project(
        None, {"CategoryId": 5, "ContactId": contact, "Priority": 1602}
    )["Id"]
    record = server.store.get(pid, ("Project",))
    assert record is not None
    record.data["Priority"] = 1700  # an option added to the system after generation
    server.store.update(pid, record.data, "2026-01-01 00:00:00")
    with connect(server) as crm, pytest.warns(UserWarning, match="not known"):
        support = crm.support.get(pid)
    assert (
        isinstance(support, Support)
        and support.priority is not None
        and not support.priority.known
    )


def test_default_headers_and_credentials_go_on_every_call(
    server: SandboxServer,
) -> None:
    sent: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [sent.append]})
    with connect(
        server, http_client=http, default_headers={"X-Integration": "acme"}
    ) as crm:
        crm.modules.list()
        crm.sales.search_page()
    assert [request.headers["X-Integration"] for request in sent] == ["acme", "acme"]
    assert all(
        request.headers["Authorization"].startswith("Basic ") for request in sent
    )
    assert all(KEY not in str(request.url) for request in sent)
    http.close()

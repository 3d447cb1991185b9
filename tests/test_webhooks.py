"""Webhooks: the sandbox posts them (filters, retries, never blocking a request), the generated
package reads them (parse_webhook), and the README's Starlette receiver takes them.

Every test talks HTTP on 127.0.0.1: the sandbox posts to a receiver started here.
"""

from __future__ import annotations

import importlib
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from generator.build_model import build_tenant
from generator.sandbox.server import SandboxServer
from generator.sandbox.webhooks import RETRY_DELAYS, Webhook, shown, webhook_setting
from generator.snapshot import load_demo_snapshot

from tools import REPO, mypy_strict, run, run_generator

EXAMPLE = REPO / "generated_example"
sys.path.insert(0, str(EXAMPLE))
sys.path.insert(0, str(REPO / "docs"))  # the README's receiver

from minicrm_demo import (  # noqa: E402 - the generated package lives outside the source tree
    Client,
    ContactEvent,
    ContactType,
    MiniCRMError,
    Person,
    ProjectEvent,
    Sales,
    SalesFields,
    SalesReferrer,
    SalesStatus,
    Support,
    WebhookError,
    parse_webhook,
)

SYSTEM, KEY = "42", "webhook-test-key-0123456789"
TENANT = build_tenant(load_demo_snapshot())
#: How long a test waits for a delivery before it fails (a bound, not a speed target).
PATIENCE = 20.0


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every body posted to it and answers the
    statuses it is given in turn (200 once they run out)."""

    def __init__(self, statuses: tuple[int, ...] = ()) -> None:
        self.bodies: list[bytes] = []
        self.times: list[float] = []
        self.statuses = list(statuses)
        self.release = threading.Event()
        self.release.set()
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.release.wait(PATIENCE)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.arrived:
                    receiver.bodies.append(body)
                    receiver.times.append(time.monotonic())
                    receiver.arrived.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int) -> list[bytes]:
        """The first ``count`` bodies, once they arrived."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.bodies) >= count, PATIENCE):
                raise AssertionError(f"{len(self.bodies)} of {count} webhooks arrived")
            return self.bodies[:count]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


def sandbox(*specs: str, scale: float = 1.0) -> SandboxServer:
    webhooks = tuple(webhook_setting(spec, TENANT) for spec in specs)
    return SandboxServer(
        load_demo_snapshot(),
        SYSTEM,
        KEY,
        webhooks=webhooks,
        webhook_retry_scale=scale,
    )


def connect(server: SandboxServer) -> Client:
    return Client(SYSTEM, KEY, base_url=server.base_url)


def new_sale(crm: Client) -> int:
    person = crm.persons.create(Person(first_name="Webhook", last_name="Tester"))
    return crm.sales.create(
        Sales(name="Hooked", contact_id=person, referrer=SalesReferrer.WOM)
    )


# -- end to end: sandbox -> receiver -> parse_webhook -----------------------------------------------


def test_a_status_change_and_a_field_change_arrive_as_typed_events(
    receiver: Receiver,
) -> None:
    with sandbox(receiver.url) as server, connect(server) as crm:
        sale = new_sale(crm)
        receiver.wait_for(2)  # the person, then the project, created
        crm.sales.update(sale, Sales(status_id=SalesStatus.CONTACTED))
        crm.sales.update(sale, Sales(referrer=SalesReferrer.GOOGLE))
        bodies = receiver.wait_for(4)
    person, created, status, field = map(parse_webhook, bodies)
    assert isinstance(person, ContactEvent) and isinstance(person.record, Person)
    assert person.record.first_name == "Webhook"
    assert person.record.type is ContactType.PERSON
    assert "created_at" in person.changed
    assert isinstance(created, ProjectEvent) and created.id == sale
    assert "created_at" in created.changed and "referrer" in created.changed
    for event in (status, field):
        assert isinstance(event, ProjectEvent) and isinstance(event.record, Sales)
        assert event.id == sale and event.record.id == sale
        assert event.internal_url is not None
        assert event.internal_url.endswith(f"/{SYSTEM}/#Project-3/{sale}")
    assert isinstance(status, ProjectEvent) and isinstance(status.record, Sales)
    # StatusUpdatedAt changes too unless the status moved within the second of the create.
    assert set(status.changed) - {"status_updated_at"} == {"status_id", "updated_at"}
    assert status.record.status_id is SalesStatus.CONTACTED
    assert status.record.referrer is SalesReferrer.WOM
    assert isinstance(field, ProjectEvent) and isinstance(field.record, Sales)
    assert field.changed == ("referrer", "updated_at")
    assert field.changed_api_names == (SalesFields.referrer, SalesFields.updated_at)
    assert field.record.referrer is SalesReferrer.GOOGLE
    # Values travel as text, choices as ids, as MiniCRM sends them.
    raw = json.loads(bodies[3])
    assert raw["Type"] == "Project" and raw["Id"] == str(sale)
    assert raw["Data"]["Referrer"] == "1255" and raw["Data"]["CategoryId"] == "3"
    assert raw["Data"]["MainContactId"] == raw["Data"]["ContactId"] == str(person.id)
    assert all(isinstance(value, str) for value in raw["Data"].values())


def test_a_write_that_changes_nothing_posts_nothing(receiver: Receiver) -> None:
    with sandbox(receiver.url) as server, connect(server) as crm:
        sale = new_sale(crm)
        receiver.wait_for(2)
        crm.sales.update(sale, Sales(name="Hooked"))
        crm.sales.update(sale, Sales(name="Renamed"))
        bodies = receiver.wait_for(3)
    assert parse_webhook(bodies[2]).changed == ("name", "updated_at")


def test_filters_pick_the_type_the_module_and_the_fields(receiver: Receiver) -> None:
    statuses, contacts, support = Receiver(), Receiver(), Receiver()
    specs = (
        f"{statuses.url} module=Sales fields=StatusId",
        f"{contacts.url} type=Contact",
        f"{support.url} module=5",
    )
    try:
        with sandbox(*specs, receiver.url) as server, connect(server) as crm:
            sale = new_sale(crm)
            crm.sales.update(sale, Sales(referrer=SalesReferrer.GOOGLE))
            crm.sales.update(sale, Sales(status_id=SalesStatus.CUSTOMER))
            # Everything reached the unfiltered webhook: person, project, two updates.
            receiver.wait_for(4)
            status_only = statuses.wait_for(
                2
            )  # the create sets a status, then the move
            person_only = contacts.wait_for(1)
        # One thread delivers in order: anything else for them came before the last one.
        assert len(statuses.bodies) == 2 and len(contacts.bodies) == 1
        for body in status_only:
            assert "StatusId" in parse_webhook(body).changed_api_names
        assert parse_webhook(status_only[1]).record.status_id is SalesStatus.CUSTOMER  # type: ignore[union-attr]
        assert isinstance(parse_webhook(person_only[0]).record, Person)
        assert support.bodies == []
    finally:
        for extra in (statuses, contacts, support):
            extra.close()


def test_a_receiver_that_fails_twice_gets_the_event_a_third_time() -> None:
    failing = Receiver(statuses=(500, 500))
    scale = 0.01
    try:
        with sandbox(f"{failing.url} type=Project", scale=scale) as server:
            with connect(server) as crm:
                sale = new_sale(crm)
            bodies = failing.wait_for(3)
        attempts = server.emitter.attempts if server.emitter else []
    finally:
        failing.close()
    assert bodies[0] == bodies[1] == bodies[2]
    assert parse_webhook(bodies[2]).id == sale
    assert [(a.attempt, a.status) for a in attempts] == [(0, 500), (1, 500), (2, 200)]
    # Each retry waits (at least) its step of MiniCRM's schedule, scaled.
    first, second, third = failing.times
    assert second - first >= RETRY_DELAYS[0] * scale
    assert third - second >= RETRY_DELAYS[1] * scale


def test_delivery_never_holds_up_the_request_that_made_the_change() -> None:
    slow = Receiver()
    slow.release.clear()  # the receiver holds every delivery until released
    try:
        with sandbox(slow.url) as server, connect(server) as crm:
            sale = new_sale(crm)
            crm.sales.update(sale, Sales(name="Still answered"))
            assert crm.sales.get(sale).name == "Still answered"
            assert slow.bodies == []  # nothing was delivered yet, every call returned
            slow.release.set()
            assert len(slow.wait_for(3)) == 3  # person, project, rename
    finally:
        slow.close()


def test_the_sandbox_stops_cleanly_with_retries_pending() -> None:
    failing = Receiver(statuses=(500,) * 10)
    try:
        server = sandbox(failing.url).start()  # real schedule: next try in 10 s
        with connect(server) as crm:
            crm.persons.create(Person(first_name="Never delivered"))
        failing.wait_for(1)
        server.stop()
    finally:
        failing.close()
    assert not any(t.name == "sandbox-webhooks" for t in threading.enumerate())
    assert len(failing.bodies) == 1


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("  ", "give the URL to post to"),
        ("ftp://example.com/hook", "is not an http(s) URL"),
        ("http://127.0.0.1/hook colour=red", "expected type=Project|Contact"),
        ("http://127.0.0.1/hook type=Invoice", "expected Project or Contact"),
        ("http://127.0.0.1/hook module=Nope", "not a module of this system"),
        ("http://127.0.0.1/hook type=Contact module=3", "cannot go with type=Contact"),
        ("http://127.0.0.1/hook module=3 fields=Priority", "no field 'Priority'"),
        ("http://127.0.0.1:abc/x", "is not an http(s) URL"),
        ("http://127.0.0.1:99999/x", "is not an http(s) URL"),
        ("http://u:pw@[::1/x", "is not an http(s) URL"),
        ("http://u:pw@exa mple.com/x", "expected type=Project|Contact"),
        ("http://u:pw@\N{FULLWIDTH COLON}80/x", "is not an http(s) URL"),
    ],
)
def test_a_bad_webhook_setting_is_one_line_saying_what_is_wrong(
    spec: str, problem: str
) -> None:
    with pytest.raises(ValueError) as caught:
        webhook_setting(spec, TENANT)
    assert problem in str(caught.value)
    assert "pw" not in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://u:pw@[::1/x",
        "http://u:pw@host:abc/x",
        "http://u:pw@[::1]:80/x",
        "http://u:pw@h@st/x",
        "u:pw@host",
        "http://[",
    ],
)
def test_shown_never_fails_and_never_shows_the_password(url: str) -> None:
    assert "pw" not in shown(url)


def test_a_delivery_that_raises_is_a_failed_attempt_and_later_ones_still_go(
    receiver: Receiver,
) -> None:
    """One broken URL must not stop the delivery thread for every other webhook."""
    broken = Webhook("http://127.0.0.1:abc/hook")  # bypasses webhook_setting's checks
    server = SandboxServer(
        load_demo_snapshot(),
        SYSTEM,
        KEY,
        webhooks=(broken, webhook_setting(receiver.url, TENANT)),
        webhook_retry_scale=0.0001,
    )
    with server, connect(server) as crm:
        crm.persons.create(Person(first_name="First"))
        receiver.wait_for(1)
        crm.persons.create(Person(first_name="Second"))
        bodies = receiver.wait_for(2)
    attempts = server.emitter.attempts if server.emitter else []
    assert [json.loads(body)["Data"]["FirstName"] for body in bodies] == [
        "First",
        "Second",
    ]
    failed = [a for a in attempts if a.url == broken.url]
    assert failed and all(a.status is None and a.error for a in failed)


def test_cli_webhook_flag_posts_and_refuses_bad_settings(receiver: Receiver) -> None:
    bad = run_generator(
        "sandbox",
        "--webhook",
        "http://user:secret@127.0.0.1/hook type=Invoice",
        check=False,
        cwd=REPO,
    )
    assert bad.returncode == 2 and "secret" not in bad.stderr
    assert bad.stderr.strip().splitlines()[-1].startswith("error: --webhook")
    for url in ("http://user:secret@[::1/hook", "http://user:secret@127.0.0.1:abc/x"):
        bad = run_generator(
            "sandbox",
            "--webhook",
            url,
            check=False,
            cwd=REPO,
        )
        assert bad.returncode == 2 and "secret" not in bad.stderr, bad.stderr
        assert bad.stderr.strip().startswith("error: --webhook"), bad.stderr
        assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as probe:
        port = probe.server_address[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generator",
            "sandbox",
            "--quiet",
            "--seed",
            "2",
            "--port",
            str(port),
            "--system-id",
            SYSTEM,
            "--api-key",
            KEY,
            "--webhook",
            f"{receiver.url} module=3 fields=StatusId",
            "--webhook-retry-scale",
            "0.01",
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        banner = [process.stderr.readline() for _ in range(3)]
        assert banner[2].strip() == f"webhook -> {receiver.url}", banner
        base = f"http://127.0.0.1:{port}/Api/R3"
        with Client(SYSTEM, KEY, base_url=base) as crm:
            sale = new_sale(crm)
            crm.sales.update(sale, Sales(status_id=SalesStatus.CONTRACTING))
        events = [parse_webhook(body) for body in receiver.wait_for(2)]
        # Seeded projects posted nothing: the first events are the new sale's.
        assert [event.id for event in events] == [sale, sale]
        assert "status_id" in events[1].changed
        assert isinstance(events[1].record, Sales)
        assert events[1].record.status_id is SalesStatus.CONTRACTING
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(PATIENCE)
    assert process.returncode == 0


# -- parse_webhook ------------------------------------------------------------------------------

#: The Integrations Manual's example (p.25), in the demo system's module and ids.
MANUAL_EXAMPLE = {
    "Id": "731",
    "Type": "Project",
    "Data": {
        "CategoryId": "3",
        "ContactId": "5120",
        "MainContactId": "5120",
        "StatusId": "2509",
        "UserId": "3200",
        "Name": "Renewal",
        "CreatedBy": "3300",
        "CreatedAt": "2024-06-01 09:00:00",
        "UpdatedBy": "3200",
        "UpdatedAt": "2024-06-03 10:00:00",
        "Set1035": "5",
        "InternalUrl": "https://r3.minicrm.hu/12345/#Project-3/731",
    },
    "Changed": ["StatusId", "UpdatedAt", "FieldAddedLater"],
}


@pytest.mark.parametrize(
    "form",
    [
        lambda payload: json.dumps(payload).encode(),
        lambda payload: json.dumps(payload),
        lambda payload: payload,
    ],
    ids=["bytes", "str", "mapping"],
)
def test_parse_webhook_reads_bytes_text_or_a_mapping(
    form: Callable[[dict[str, Any]], Any],
) -> None:
    event = parse_webhook(form(MANUAL_EXAMPLE))
    assert isinstance(event, ProjectEvent) and isinstance(event.record, Sales)
    assert event.id == 731 and event.record.id == 731
    assert event.record.status_id is SalesStatus.CONTACTED
    assert event.record.set1035 is not None and int(event.record.set1035) == 5
    assert event.record.updated_at is not None and event.record.updated_at.day == 3
    # Unknown names are kept as sent; known ones become attribute names.
    assert event.changed == ("status_id", "updated_at", "FieldAddedLater")
    assert event.changed_api_names == ("StatusId", "UpdatedAt", "FieldAddedLater")
    assert event.internal_url == "https://r3.minicrm.hu/12345/#Project-3/731"
    assert "InternalUrl" not in (event.record.model_extra or {})
    # Like a fetched record, nothing counts as set: an update sends only what you change.
    assert event.record.to_api() == {}


def test_each_module_gets_its_own_record_type() -> None:
    payload = json.loads(json.dumps(MANUAL_EXAMPLE))
    payload["Data"].update(CategoryId="5", StatusId="")
    event = parse_webhook(payload)
    assert isinstance(event.record, Support)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ({"Type": "Person", "FirstName": "Anna"}, Person),
        ({"Type": "Személy", "FirstName": "Anna"}, Person),
        ({"Type": "Business", "Name": "Acme"}, "Business"),
        ({"Type": "Cég", "Name": "Acme"}, "Business"),
        ({"LastName": "Kovács"}, Person),
        ({"Name": "Acme"}, "Business"),
    ],
)
def test_a_contact_event_is_a_person_or_a_company(
    data: dict[str, str], kind: type | str
) -> None:
    event = parse_webhook({"Id": 12, "Type": "Contact", "Data": data, "Changed": []})
    assert isinstance(event, ContactEvent) and event.id == 12
    name = kind if isinstance(kind, str) else kind.__name__
    assert type(event.record).__name__ == name


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>502 Bad Gateway</html>", "it is not JSON"),
        (b"\xff\xfe", "it is not JSON"),
        (b"[" * 100_000, "it is not JSON"),
        (b'["Project"]', "it is not a JSON object"),
        ({"Id": "1", "Type": "Invoice", "Data": {}}, "its Type 'Invoice'"),
        ({"Id": "1", "Data": {}}, "its Type None"),
        ({"Id": "1", "Type": "Project", "Data": "x"}, "its Data is not an object"),
        ({"Id": "x", "Type": "Project", "Data": {}}, "its Id is not a whole number"),
        ({"Id": "1", "Type": "Project", "Data": {"CategoryId": "99"}}, "'99'"),
        (
            {"Id": "1", "Type": "Project", "Data": {"CategoryId": "3"}, "Changed": "x"},
            "its Changed is not a list",
        ),
        (
            {"Id": "1", "Type": "Project", "Data": {"CategoryId": "3", "Int1107": "x"}},
            "Int1107",
        ),
        ({"Id": "1", "Type": "Contact", "Data": {"Type": "Robot"}}, "'Robot'"),
        (42, "expected bytes, str or a mapping, got int"),
    ],
)
def test_a_body_that_is_no_webhook_is_a_typed_error(body: Any, problem: str) -> None:
    with pytest.raises(WebhookError) as caught:
        parse_webhook(body)
    assert isinstance(caught.value, MiniCRMError)
    message = str(caught.value)
    assert message.startswith("not a webhook this package can read: ")
    assert problem in message and "\n" not in message and len(message) < 800


def test_parse_webhook_imports_a_record_module_when_a_webhook_needs_it() -> None:
    script = """
import json, sys
from minicrm_demo import parse_webhook
before = sorted(m for m in sys.modules if m.startswith("minicrm_demo.models."))
parse_webhook(sys.argv[1])
after = sorted(m for m in sys.modules if m.startswith("minicrm_demo.models."))
print(json.dumps([before, after]))
"""
    result = run(
        sys.executable,
        "-W",
        "error",
        "-c",
        script,
        json.dumps(MANUAL_EXAMPLE),
        cwd=EXAMPLE,
    )
    before, after = json.loads(result.stdout)
    assert before == ["minicrm_demo.models._shared"]
    assert after == ["minicrm_demo.models._shared", "minicrm_demo.models.sales"]


# -- types: parse_webhook and the field-name constants ----------------------------------------------


def test_field_name_constants_are_the_api_names() -> None:
    assert SalesFields.referrer == "Referrer" and SalesFields.status_id == "StatusId"
    fields = Sales.model_fields
    for attribute, info in fields.items():
        assert getattr(SalesFields, attribute) == info.validation_alias


def test_webhook_usage_type_checks_and_misuse_is_a_type_error(tmp_path: Path) -> None:
    usage = tmp_path / "usage.py"
    usage.write_text(
        "from typing import Literal\n"
        "from minicrm_demo import (ContactEvent, PersonFields, ProjectEvent, Sales,\n"
        "    SalesFields, WebhookEvent, parse_webhook)\n"
        "event: WebhookEvent = parse_webhook(b'{}')\n"
        "referrer: Literal['Referrer'] = SalesFields.referrer\n"
        "email: str = PersonFields.email\n"
        "if isinstance(event, ProjectEvent) and isinstance(event.record, Sales):\n"
        "    changed: tuple[str, ...] = event.changed\n"
        "    wanted = SalesFields.status_id in event.changed_api_names\n"
        "elif isinstance(event, ContactEvent):\n"
        "    url: str | None = event.internal_url\n",
        encoding="utf-8",
    )
    mypy_strict(usage, REPO / "docs" / "webhook_receiver.py", cwd=EXAMPLE)
    misuse = tmp_path / "misuse.py"
    misuse.write_text(
        "from minicrm_demo import SalesFields, SupportFields, parse_webhook\n"
        "SalesFields.refferer\n"
        "SupportFields.referrer\n"
        "SalesFields.referrer = 'Other'\n"
        "parse_webhook(42)\n",
        encoding="utf-8",
    )
    result = mypy_strict(misuse, cwd=EXAMPLE, check=False)
    assert '"type[SalesFields]" has no attribute "refferer"' in result.stdout
    assert '"type[SupportFields]" has no attribute "referrer"' in result.stdout
    assert 'Cannot assign to final attribute "referrer"' in result.stdout
    assert 'Argument 1 to "parse_webhook" has incompatible type "int"' in result.stdout
    assert result.stdout.count("error:") == 4, result.stdout


# -- the README's receiver ------------------------------------------------------------------------


def test_the_readme_receiver_takes_real_shaped_webhooks_from_the_sandbox() -> None:
    module = importlib.import_module("webhook_receiver")
    module.events.clear()
    config = uvicorn.Config(module.app, host="127.0.0.1", port=0, log_level="warning")
    app_server = uvicorn.Server(config)
    thread = threading.Thread(target=app_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + PATIENCE
    while not app_server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    port = app_server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/minicrm"
    try:
        with sandbox(f"{url} module=Sales") as server, connect(server) as crm:
            sale = new_sale(crm)
            crm.sales.update(sale, Sales(status_id=SalesStatus.CUSTOMER))
            deadline = time.monotonic() + PATIENCE
            while len(module.events) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
        attempts = server.emitter.attempts if server.emitter else []
        answer = httpx.post(url, content=b"not json")
    finally:
        app_server.should_exit = True
        thread.join(PATIENCE)
    assert [event.id for event in module.events] == [sale, sale]
    assert module.won == [sale]
    assert [a.status for a in attempts] == [200, 200]
    assert answer.status_code == 400 and "it is not JSON" in answer.text
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    source = (REPO / "docs" / "webhook_receiver.py").read_text(encoding="utf-8")
    assert source.split('"""', 2)[2].strip() in readme

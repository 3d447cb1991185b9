"""The sandbox answers every malformed request as a real system would: 400 or 404 in plain text.

One table of malformed requests (ids beyond 64 bits, digits that are not ASCII, lone
surrogates, deep nesting, objects where text belongs, numbers no JSON parser should take) runs
over real HTTP; none may get a 5xx, and the server's log must hold no traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from generator.sandbox.server import SandboxServer
from generator.snapshot import load_demo_snapshot

KEY = "malformed-test-key"
HUGE = 2**63
DIGITS = "9" * 5000
DEEP = b'{"Name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
# The shape of every real error body: "Entity (METHOD): message", one line.
SHAPE = re.compile(r"[A-Za-z]+ \((GET|PUT|POST|DELETE)\): \S[^\n]*")


@dataclass(frozen=True)
class Bad:
    method: str
    path: str  # below /Api/R3/; {project}, {contact}, {todo}, {address} are filled in
    body: bytes | dict[str, Any] | None = None
    expected: int = 400


def create(entity: str, **fields: Any) -> Bad:
    base: dict[str, dict[str, Any]] = {
        "Project": {"CategoryId": 3, "ContactId": "{contact}", "Name": "x"},
        "Contact": {"Type": "Person", "FirstName": "x"},
        "ToDo": {"ProjectId": "{project}", "Comment": "x"},
        "Address": {"ContactId": "{contact}", "City": "x"},
    }
    return Bad("PUT", entity, {**base[entity], **fields})


def update(path: str, **fields: Any) -> Bad:
    return Bad("PUT", path, dict(fields))


SURROGATE = b'{"Name": "Acme \\ud800"}'
REQUESTS = [
    # ids in the path: beyond 64 bits, not ASCII digits, not digits at all
    *(
        Bad(method, f"{entity}/{raw}", {} if method == "PUT" else None, 404)
        for entity in ("Project", "Contact", "ToDo", "Address")
        for method in ("GET", "PUT")
        for raw in (str(HUGE), "%C2%B2", DIGITS)
    ),
    *(
        Bad("GET", f"{listing}/{raw}", None, 404)
        for listing in ("ToDoList", "AddressList")
        for raw in (str(HUGE), "%D9%A1%D9%A2", "-1", "1e3")
    ),
    Bad("GET", "Project/%ED%A0%80", None, 404),
    # ids in the body
    create("Project", ContactId=HUGE),
    create("Project", ContactId=str(HUGE)),
    create("Project", ContactId=DIGITS),
    create("Project", ContactId={"Id": 1}),
    create("Project", CategoryId=HUGE),
    create("Project", CategoryId=DIGITS),
    create("Project", CategoryId="\u00b3"),
    create("Contact", BusinessId=HUGE),
    create("Contact", Type={"a": 1}),
    create("ToDo", ProjectId=HUGE),
    create("ToDo", ProjectId="\u00b2"),
    create("Address", ContactId=HUGE),
    update("Project/{project}", Int1107=HUGE),
    update("Project/{project}", Int1107=-HUGE - 1),
    update("Project/{project}", Int1107=DIGITS),
    update("Project/{project}", Referrer=HUGE),
    update("Project/{project}", Set1035=2**64),
    # objects and lists where text or a single value belongs (they used to be stored as repr)
    update("Project/{project}", Name={"a": 1}),
    update("Project/{project}", Name=[1, 2]),
    update("Project/{project}", Name=True),
    update("Project/{project}", ReferenceId={"a": 1}),
    update("Project/{project}", ReferenceId=[1]),
    update("Project/{project}", Text1104={"x": "y"}),
    update("Project/{project}", DateTime1106={"a": 1}),
    update("Project/{project}", Referrer={"a": 1}),
    update("Project/{project}", Referrer=[1254]),
    update("Project/{project}", Set1035={"a": 1}),
    update("Project/{project}", StatusId={"a": 1}),
    update("Project/{project}", UserId={"a": 1}),
    update("Project/{project}", UserId=[3200]),
    update("Project/{project}", Deleted={"a": 1}),
    create("Project", ReferenceId={"a": 1}),
    update("Contact/{contact}", FirstName={"a": 1}),
    update("Contact/{contact}", Email=["a@b.c"]),
    update("ToDo/{todo}", Comment={"a": 1}),
    update("ToDo/{todo}", Status={"a": 1}),
    update("ToDo/{todo}", UserId={"a": 1}),
    update("Address/{address}", City={"a": 1}),
    update("Address/{address}", PostalCode={"a": 1}),
    update("Address/{address}", PostalCode=[6720]),
    update("Address/{address}", Default={"a": 1}),
    # bodies no JSON parser of a real system takes
    *(
        Bad("PUT", path, body)
        for path in ("Project/{project}", "Project", "Contact/{contact}", "ToDo")
        for body in (
            SURROGATE,
            DEEP,
            b'{"Int1107": NaN}',
            b'{"Int1107": 1e999}',
            b'{"Int1107": ' + DIGITS.encode() + b"}",
            b'{"Name": "\xff"}',
            b"[]",
        )
    ),
    Bad("PUT", "Address/{address}", b'{"City": "\\udfff"}'),
    Bad("PUT", "Project/{project}", b'{"\\ud800": 1}'),
    # query parameters
    Bad("GET", f"Project?Page={DIGITS}"),
    Bad("GET", "Project?Page=%C2%B2"),
    Bad("GET", f"Project?CategoryId={DIGITS}"),
    Bad("GET", f"Project?CategoryId={HUGE}"),
    Bad("GET", f"Contact?Page={DIGITS}"),
    Bad("GET", f"Project?CategoryId=3&Int1107={DIGITS}"),
    Bad("GET", "Project?CategoryId=3&Referrer=%ED%A0%80"),
]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(load_demo_snapshot(), "42", KEY) as running:
        yield running


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_log() -> Iterator[list[logging.LogRecord]]:
    """What uvicorn logs (it does not propagate to the root logger, so caplog misses it)."""
    collect = _Collect()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(collect)
    try:
        yield collect.records
    finally:
        logger.removeHandler(collect)


@pytest.fixture(scope="module")
def ids(server: SandboxServer) -> dict[str, str]:
    sandbox = server.sandbox
    contact = sandbox.put_contact(None, {"Type": "Person", "FirstName": "Kept"})["Id"]
    project = sandbox.put_project(
        None, {"CategoryId": 3, "ContactId": contact, "Name": "Kept"}
    )["Id"]
    todo = sandbox.put_todo(None, {"ProjectId": project, "Comment": "Kept"})["Id"]
    address = sandbox.put_address(None, {"ContactId": contact, "City": "Kept"})["Id"]
    return {
        "{contact}": str(contact),
        "{project}": str(project),
        "{todo}": str(todo),
        "{address}": str(address),
    }


def filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for placeholder, record_id in ids.items():
            value = value.replace(placeholder, record_id)
        return value
    if isinstance(value, dict):
        return {key: filled(item, ids) for key, item in value.items()}
    return value


def test_the_table_is_as_large_as_the_attack() -> None:
    assert len(REQUESTS) >= 80


@pytest.mark.parametrize(
    "bad",
    REQUESTS,
    ids=[f"{index}-{bad.method}-{bad.path[:30]}" for index, bad in enumerate(REQUESTS)],
)
def test_a_malformed_request_gets_a_plain_text_4xx(
    server: SandboxServer,
    ids: dict[str, str],
    server_log: list[logging.LogRecord],
    bad: Bad,
) -> None:
    before = {
        record.id: record.data
        for record in server.store.all(("Project", "Person", "ToDo", "Address"))
    }
    url = f"{server.base_url}/{filled(bad.path, ids)}"
    if isinstance(bad.body, dict):
        content = httpx.Request("PUT", url, json=filled(bad.body, ids)).content
    else:
        content = bad.body
    answer = httpx.request(
        bad.method, url, content=content, auth=("42", KEY), timeout=30
    )
    assert answer.status_code == bad.expected, answer.text[:300]
    assert answer.headers["content-type"].startswith("text/plain")
    assert SHAPE.fullmatch(answer.text), answer.text[:300]
    assert not [record for record in server_log if record.levelno >= logging.ERROR]
    after = {
        record.id: record.data
        for record in server.store.all(("Project", "Person", "ToDo", "Address"))
    }
    assert after == before, "a refused request changed nothing"


@pytest.mark.parametrize("flag", ["--system-id", "--api-key"])
def test_credentials_that_are_not_text_are_a_one_line_error(flag: str) -> None:
    from click.testing import CliRunner

    from generator.cli import main

    result = CliRunner().invoke(main, ["sandbox", "--port", "0", flag, "x\udcff"])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert flag in result.stderr and "not valid UTF-8" in result.stderr

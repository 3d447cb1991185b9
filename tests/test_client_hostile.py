"""The generated client (generated_example/) against a hostile server on 127.0.0.1.

Whatever the server answers, every failure of a call is a ``MiniCRMError``: malformed 200
answers, bad values, broken compression. Time and memory are bounded (a deadline per request, a
cap on the decoded answer, a capped ``Retry-After``), error messages and logs carry a short
excerpt of the body, and the API key never shows, even when the server echoes it.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import inspect
import json
import logging
import socket
import sys
import threading
import traceback
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from fake_minicrm import FakeMiniCRM, Scripted, serve
from tools import REPO

sys.path.insert(0, str(REPO / "generated_example"))

from minicrm_demo import (  # noqa: E402 - the generated package lives outside the source tree
    APITimeoutError,
    AsyncClient,
    BadRequestError,
    Client,
    MiniCRMError,
    NotFoundError,
    Person,
    ResponseTooLargeError,
    ResponseValidationError,
    Sales,
    ServerError,
)
from minicrm_demo._pacing import retry_after  # noqa: E402

SYSTEM, KEY = "42", "hostile-client-key-0123456789"
TOKEN = base64.b64encode(f"{SYSTEM}:{KEY}".encode()).decode()
MODES = ["sync", "async"]


@pytest.fixture
def fake() -> Iterator[FakeMiniCRM]:
    with serve(FakeMiniCRM(endpoints={}, system_id=SYSTEM, api_key=KEY)) as running:
        yield running


def call(
    mode: str, fake: FakeMiniCRM, action: Callable[[Any], Any], **options: Any
) -> Any:
    """``action(crm)`` on a sync or an async client; iterators are read to the end.

    The async run is bounded, so a client that hangs fails the test instead of stalling it.
    """
    settings = {
        "base_url": fake.base_url,
        "retry_backoff": 0.01,
        "max_retries": 0,
        "rate_limit": None,
        **options,
    }
    if mode == "sync":
        with Client(SYSTEM, KEY, **settings) as crm:
            result = action(crm)
            return list(result) if isinstance(result, Iterator) else result

    async def main() -> Any:
        async with AsyncClient(SYSTEM, KEY, **settings) as crm:
            result = action(crm)
            if inspect.isasyncgen(result):
                return [item async for item in result]
            return await result

    return asyncio.run(asyncio.wait_for(main(), timeout=60))


DEEP = "[" * 100_000 + "]" * 100_000
MALFORMED: list[tuple[str, str, Callable[[Any], Any]]] = [
    *(
        ("Project/1", body, lambda crm: crm.sales.get(1))
        for body in (
            "[]",
            "null",
            '"abc"',
            "[1, 2]",
            '{"Id": NaN}',
            '{"Id": Infinity}',
            '{"Id": "abc"}',
            '{"Id": 1, "DateTime1106": "2024-13-45"}',
            '{"Id": 1, "StatusId": {"a": 1}}',
            '{"Id": ' + "9" * 5000 + "}",
            DEEP,
            "<html>maintenance</html>",
        )
    ),
    *(
        ("Project", body, lambda crm: crm.sales.create(Sales(contact_id=1)))
        for body in ("{}", '{"Id": "abc"}', '{"Id": null}', "[]", '{"Id": 1.5}')
    ),
    *(
        ("Project?CategoryId=3&Page=0", body, lambda crm: crm.sales.search())
        for body in (
            '{"Count": "abc", "Results": {"1": {"Id": "1"}}}',
            '{"Count": 1, "Results": 5}',
            '{"Count": 1, "Results": [5]}',
            '{"Count": 1, "Results": {"1": {"Id": "x"}}}',
            "[]",
        )
    ),
    (
        "Project?CategoryId=3&Page=0",
        '{"Count": "1e3", "Results": []}',
        lambda crm: crm.sales.search_page(),
    ),
    (
        "Project?ReferenceId=r&CategoryId=3",
        '{"Count": 1, "Results": {"1": [1]}}',
        lambda crm: crm.sales.get_by_reference("r"),
    ),
    ("Category", "[1, 2]", lambda crm: crm.modules.list()),
    ("Category", '{"x": "Sales"}', lambda crm: crm.modules.list()),
    ("Category", "null", lambda crm: crm.modules.list()),
    ("Category?Detailed=1", '{"3": 5}', lambda crm: crm.modules.detailed()),
    ("AddressList/5", '{"Results": {"x": "y"}}', lambda crm: crm.addresses.list(5)),
    (
        "ToDoList/5?Status=Open",
        '{"Results": [{"Deadline": "bad"}]}',
        lambda crm: crm.todos.list(5),
    ),
    ("ToDo/5", "[]", lambda crm: crm.todos.get(5)),
    ("Contact/5", '{"Email": {"a": 1}}', lambda crm: crm.persons.get(5)),
    (
        "Contact",
        '{"Id": "abc"}',
        lambda crm: crm.persons.create(Person(first_name="x")),
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("path", "body", "action"),
    MALFORMED,
    ids=[
        f"{index}-{path}-{body[:20]}" for index, (path, body, _) in enumerate(MALFORMED)
    ],
)
def test_a_malformed_answer_is_a_response_validation_error(
    fake: FakeMiniCRM, mode: str, path: str, body: str, action: Callable[[Any], Any]
) -> None:
    fake.queue(path, Scripted(200, body))
    with pytest.raises(ResponseValidationError) as caught:
        call(mode, fake, action)
    error = caught.value
    assert isinstance(error, MiniCRMError)
    assert error.body == body, "the whole answer is kept"
    assert error.path == path.split("?")[0]
    message = str(error)
    assert "\n" not in message and len(message) < 1000


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"Id": 1, "DateTime1106": "2024-13-45"}', "DateTime1106"),
        ('{"Id": 1, "StatusId": {"a": 1}}', "StatusId"),
        ('{"Id": "1x"}', "Id"),
    ],
)
def test_pydantic_details_are_kept(
    fake: FakeMiniCRM, mode: str, body: str, field: str
) -> None:
    fake.queue("Project/1", Scripted(200, body))
    with pytest.raises(ResponseValidationError) as caught:
        call(mode, fake, lambda crm: crm.sales.get(1))
    assert [error["loc"] for error in caught.value.errors] == [(field,)]
    assert field in str(caught.value)


@pytest.mark.parametrize("mode", MODES)
def test_broken_compression_is_a_minicrm_error(fake: FakeMiniCRM, mode: str) -> None:
    fake.queue(
        "Category", Scripted(200, b"not gzip at all", {"Content-Encoding": "gzip"})
    )
    with pytest.raises(MiniCRMError):
        call(mode, fake, lambda crm: crm.modules.list())


@pytest.mark.parametrize("mode", MODES)
def test_a_hostile_count_does_not_page_forever(fake: FakeMiniCRM, mode: str) -> None:
    # Count claims a billion pages; the second page is empty, so the search ends there.
    fake.queue(
        "Project?CategoryId=3&Page=0",
        Scripted(200, '{"Count": 100000000000, "Results": {"1": {"Id": "1"}}}'),
    )
    empty = Scripted(200, '{"Count": 100000000000, "Results": []}')
    for page in range(1, 9):
        fake.queue(f"Project?CategoryId=3&Page={page}", empty)
    items = call(mode, fake, lambda crm: crm.sales.search())
    assert [item.id for item in items] == [1]
    assert len(fake.arrivals) <= 9


# -- Retry-After ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("value", ["nan", "-1", "inf", "1e400", "soon", "-nan"])
def test_an_invalid_retry_after_is_ignored(
    fake: FakeMiniCRM, mode: str, value: str
) -> None:
    fake.queue(
        "Category",
        Scripted(429, "Too Many Requests", {"Retry-After": value}),
        Scripted(200, '{"3": "Sales"}'),
    )
    assert call(mode, fake, lambda crm: crm.modules.list(), max_retries=1) == {
        3: "Sales"
    }
    assert fake.paths() == ["Category", "Category"]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2", 2.0), ("99999999999", 60.0), ("nan", None), ("-5", None), ("", None)],
)
def test_retry_after_is_capped_at_a_minute(value: str, seconds: float | None) -> None:
    assert retry_after(value) == seconds


# -- deadline and size cap -------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_trickling_answer_hits_the_deadline(fake: FakeMiniCRM, mode: str) -> None:
    # 100 bytes, one every 0.1 s: 10 s of reading, every read well inside the read timeout.
    body = '{"3": "Sales"' + " " * 86 + "}"
    fake.queue("Category", Scripted(200, body, trickle=0.1))
    with pytest.raises(APITimeoutError, match="not complete within 0.5s"):
        call(mode, fake, lambda crm: crm.modules.list(), deadline=0.5, max_retries=2)
    assert fake.paths() == ["Category"], "a trickle is not retried"


def bomb(decoded: int) -> bytes:
    """A JSON object padded with spaces to ``decoded`` bytes, gzip-compressed to a few KiB."""
    return gzip.compress(b"{" + b" " * (decoded - 2) + b"}", mtime=0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("options", "decoded", "limit"),
    [({}, 65 * 2**20, "64 MiB"), ({"max_answer_bytes": 2**20}, 2**21, "1 MiB")],
)
def test_an_answer_beyond_the_size_cap_is_refused(
    fake: FakeMiniCRM, mode: str, options: dict[str, int], decoded: int, limit: str
) -> None:
    fake.queue("Category", Scripted(200, bomb(decoded), {"Content-Encoding": "gzip"}))
    with pytest.raises(ResponseTooLargeError, match=f"more than {limit}") as caught:
        call(mode, fake, lambda crm: crm.modules.list(), max_retries=2, **options)
    assert isinstance(caught.value, MiniCRMError)
    assert fake.paths() == ["Category"], "a bomb is not fetched again"


@pytest.mark.parametrize("mode", MODES)
def test_an_answer_inside_the_size_cap_is_read(fake: FakeMiniCRM, mode: str) -> None:
    padded = b'{"3": "Sales"' + b" " * (2**20 - 20) + b"}"
    fake.queue(
        "Category",
        Scripted(200, gzip.compress(padded, mtime=0), {"Content-Encoding": "gzip"}),
    )
    assert call(
        mode, fake, lambda crm: crm.modules.list(), max_answer_bytes=2**20
    ) == {3: "Sales"}


def peak_memory(action: Callable[[], object]) -> int:
    """The most bytes Python held at once while ``action`` ran (tracemalloc's peak)."""
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("mode", MODES)
def test_stacked_compression_is_refused_before_it_expands(
    fake: FakeMiniCRM, mode: str
) -> None:
    # gzip inside gzip: 1 KiB on the wire, 128 MiB in ONE decompression step, far past any
    # check between chunks. The client must refuse it unread, however small max_answer_bytes.
    stacked = gzip.compress(bomb(128 * 2**20), mtime=0)
    assert len(stacked) < 2048
    fake.queue("Category", Scripted(200, stacked, {"Content-Encoding": "gzip, gzip"}))

    def list_modules() -> None:
        with pytest.raises(
            ResponseValidationError, match="Content-Encoding 'gzip, gzip'"
        ):
            call(
                mode,
                fake,
                lambda crm: crm.modules.list(),
                max_answer_bytes=2**20,
                max_retries=2,
            )

    assert peak_memory(list_modules) < 16 * 2**20
    assert fake.paths() == ["Category"], "a refused encoding is not fetched again"


@pytest.fixture
def brotli_and_zstd_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx as it is where brotli and zstandard are installed: it asks for both and decodes
    them (stood in for here by its gzip decoder)."""
    monkeypatch.setattr(httpx._client, "ACCEPT_ENCODING", "gzip, deflate, br, zstd")
    for name in ("br", "zstd"):
        monkeypatch.setitem(
            httpx._decoders.SUPPORTED_DECODERS, name, httpx._decoders.GZipDecoder
        )


@pytest.mark.usefixtures("brotli_and_zstd_installed")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "deflate, gzip"])
def test_only_gzip_or_deflate_is_asked_for_and_read(
    fake: FakeMiniCRM, mode: str, encoding: str
) -> None:
    # brotli and zstd expand far more than gzip in one step, and httpx decodes them whenever
    # their packages happen to be installed: the client neither asks for nor reads them.
    fake.queue("Category", Scripted(200, '{"3": "Sales"}'))
    assert call(mode, fake, lambda crm: crm.modules.list()) == {3: "Sales"}
    assert fake.request_headers[0]["Accept-Encoding"] == "gzip, deflate"
    encoded = gzip.compress(b'{"3": "Sales"}', mtime=0)
    fake.queue("Category", Scripted(200, encoded, {"Content-Encoding": encoding}))
    with pytest.raises(ResponseValidationError, match=f"Content-Encoding '{encoding}'"):
        call(mode, fake, lambda crm: crm.modules.list())


@pytest.mark.parametrize("mode", MODES)
def test_credentials_in_the_base_url_are_refused_unshown(mode: str) -> None:
    # MiniCRM's own examples write https://SystemId:APIKey@r3.minicrm.hu/...; kept, the key
    # would show in the client's repr and in every message naming the URL.
    client = Client if mode == "sync" else AsyncClient
    with pytest.raises(MiniCRMError, match="credentials") as caught:
        client(SYSTEM, KEY, base_url=f"https://{SYSTEM}:{KEY}@127.0.0.1:9/Api/R3")
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "typo",
    [
        "http:/{auth}@127.0.0.1/Api",
        " https://{auth}@127.0.0.1/Api",
        "http:{auth}@host/Api",
    ],
)
def test_a_mistyped_base_url_with_credentials_is_not_shown(
    mode: str, typo: str
) -> None:
    # Mistyped, such a URL has no userinfo to recognise; the message names the problem only.
    client = Client if mode == "sync" else AsyncClient
    with pytest.raises(MiniCRMError, match="base_url") as caught:
        client(SYSTEM, KEY, base_url=typo.format(auth=f"{SYSTEM}:{KEY}"))
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("mode", MODES)
def test_a_base_url_with_a_bad_punycode_host_is_refused_at_once(mode: str) -> None:
    # httpx's host property decodes IDNA and raises its own error on an invalid A-label.
    client = Client if mode == "sync" else AsyncClient
    with pytest.raises(MiniCRMError, match="base_url"):
        client(SYSTEM, KEY, base_url="http://xn--zz/Api/R3")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:99999/Api/R3", "port 99999"),
        ("http://127.0.0.1:1/Api\n/R3", "non-printable"),
        ("http:///Api/R3", "no host"),
        ("ftp://127.0.0.1/Api/R3", "http:// or https://"),
    ],
)
def test_an_unusable_base_url_is_refused_at_once(
    mode: str, url: str, problem: str
) -> None:
    # httpx would fail on these only when a call is sent, and not with an httpx error
    # (the async client's connect raises an ExceptionGroup around an OverflowError).
    client = Client if mode == "sync" else AsyncClient
    with pytest.raises(MiniCRMError, match=problem):
        client(SYSTEM, KEY, base_url=url)


class _NeverOpensOnce(httpx.HTTPTransport):
    """The first connection times out before it opens (nothing is sent); then the real one."""

    failed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not self.failed:
            self.failed = True
            raise httpx.ConnectTimeout("timed out while connecting", request=request)
        return super().handle_request(request)


class _AsyncNeverOpensOnce(httpx.AsyncHTTPTransport):
    """As :class:`_NeverOpensOnce`, for the async client."""

    failed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.failed:
            self.failed = True
            raise httpx.ConnectTimeout("timed out while connecting", request=request)
        return await super().handle_async_request(request)


@pytest.mark.parametrize("mode", MODES)
def test_a_create_whose_connection_never_opened_is_retried(
    fake: FakeMiniCRM, mode: str
) -> None:
    # The README: without a reference_id "only a 429 or a connection that never opened is
    # retried". A connect timeout is such a connection: the server cannot have seen the PUT.
    fake.queue("Project", Scripted(200, '{"Id": 7}'))
    http: httpx.Client | httpx.AsyncClient = (
        httpx.Client(transport=_NeverOpensOnce())
        if mode == "sync"
        else httpx.AsyncClient(transport=_AsyncNeverOpensOnce())
    )
    create = lambda crm: crm.sales.create(Sales(contact_id=1))  # noqa: E731
    assert call(mode, fake, create, http_client=http, max_retries=1) == 7
    assert fake.paths() == ["Project"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "setting",
    [
        {"max_retries": -1},
        {"timeout": -1.0},
        {"deadline": float("nan")},
        {"deadline": 0.0},
        {"rate_period": float("nan")},
        {"rate_limit": -1},
        {"rate_limit": 0},
        {"retry_backoff": float("nan")},
        {"max_answer_bytes": 0},
    ],
)
def test_an_impossible_setting_is_refused_at_once(
    mode: str, setting: dict[str, float]
) -> None:
    # Otherwise a call fails later and not with a MiniCRMError (max_retries=-1: an
    # AssertionError; timeout=-1: ValueError, or a bare TimeoutError after five tries), or
    # the limit silently does nothing (a deadline of nan).
    client = Client if mode == "sync" else AsyncClient
    (name,) = setting
    with pytest.raises(MiniCRMError, match=f"^{name} must be"):
        client(SYSTEM, KEY, base_url="http://127.0.0.1:9/Api/R3", **setting)


def test_a_cancelled_async_call_frees_its_rate_slot_and_its_connection(
    fake: FakeMiniCRM,
) -> None:
    # asyncio.timeout around a call cancels it mid-answer. With one rate slot and one
    # connection, the next call runs only if the cancelled one gave both back.
    fake.queue(
        "Category",
        Scripted(200, '{"3": "Sales"}' + " " * 50, trickle=0.05),
        Scripted(200, '{"5": "Support"}'),
    )

    async def main() -> dict[int, str]:
        http = httpx.AsyncClient(limits=httpx.Limits(max_connections=1), timeout=5)
        async with AsyncClient(
            SYSTEM,
            KEY,
            base_url=fake.base_url,
            rate_limit=1,
            rate_period=0.2,
            max_retries=0,
            http_client=http,
        ) as crm:
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.3):
                    await crm.modules.list()
            second = await crm.modules.list()
        await http.aclose()
        return second

    assert asyncio.run(asyncio.wait_for(main(), timeout=30)) == {5: "Support"}


def test_a_failed_async_search_leaves_no_call_running(fake: FakeMiniCRM) -> None:
    # search_records fetches 8 records at once. When one fails, the error reaches the caller
    # and the others are stopped, not left running (retrying, using the rate budget, logging)
    # for an answer nobody waits for.
    results = {str(n): {"Id": str(n)} for n in (1, 2)}
    fake.queue(
        "Project?CategoryId=3&Page=0",
        Scripted(200, json.dumps({"Count": 2, "Results": results})),
    )
    fake.queue("Project/1", Scripted(404, "Project (GET): Project not found: 1"))
    fake.queue("Project/2", Scripted(200, '{"Id": 2, "CategoryId": 3}', trickle=0.2))

    async def main() -> set[asyncio.Task[Any]]:
        before = asyncio.all_tasks()
        async with AsyncClient(
            SYSTEM, KEY, base_url=fake.base_url, rate_limit=None, max_retries=0
        ) as crm:
            with pytest.raises(NotFoundError):
                async for _ in crm.sales.search_records():
                    pass
            return {task for task in asyncio.all_tasks() - before if not task.done()}

    assert asyncio.run(asyncio.wait_for(main(), timeout=30)) == set()


# -- bodies in messages and logs ---------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_a_huge_error_body_is_cut_short_and_the_key_never_shows(
    fake: FakeMiniCRM, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    body = f"failed for key {KEY} with header Basic {TOKEN} " + "x" * 2**20
    fake.queue("Category", *[Scripted(500, body)] * 2)
    with (
        caplog.at_level(logging.DEBUG, logger="minicrm_demo"),
        pytest.raises(ServerError) as caught,
    ):
        call(mode, fake, lambda crm: crm.modules.list(), max_retries=1)
    error = caught.value
    assert len(str(error)) < 1000 and len(error.message) <= 500
    assert len(error.body) > 2**20, "the whole body stays on the exception"
    assert error.body.startswith("failed for key *** with header Basic *** ")
    for text in (str(error), error.message, error.body, caplog.text):
        assert KEY not in text and TOKEN not in text
    assert caplog.records and all(len(r.getMessage()) < 1000 for r in caplog.records)


@pytest.mark.parametrize("mode", MODES)
def test_an_echoed_key_is_redacted_in_every_error(fake: FakeMiniCRM, mode: str) -> None:
    fake.queue("Project/1", Scripted(400, f"Invalid API key: {KEY}"))
    with pytest.raises(BadRequestError) as bad:
        call(mode, fake, lambda crm: crm.sales.get(1))
    assert bad.value.message == "Invalid API key: ***"
    fake.queue("Project/1", Scripted(200, f'{{"Id": "{KEY}"}}'))
    with pytest.raises(ResponseValidationError) as malformed:
        call(mode, fake, lambda crm: crm.sales.get(1))
    assert KEY not in str(malformed.value) and KEY not in malformed.value.body
    assert malformed.value.errors, "pydantic's details are kept"
    assert KEY not in repr(malformed.value.errors)
    fake.queue("Project/1", Scripted(200, f'{{"Id": 1, "StatusId": ["{KEY}"]}}'))
    with pytest.raises(ResponseValidationError) as nested:
        call(mode, fake, lambda crm: crm.sales.get(1))
    assert nested.value.errors and KEY not in repr(nested.value.errors)
    fake.queue(
        "Project?CategoryId=3&Page=0",
        Scripted(200, f'{{"Count": 1, "Results": {{"{KEY}": {{"Id": "x"}}}}}}'),
    )
    with pytest.raises(ResponseValidationError) as keyed:
        call(mode, fake, lambda crm: crm.sales.search())
    assert keyed.value.errors and KEY not in repr(keyed.value.errors)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "answer", [f'{{"Id": "{KEY}"}}', f"[{KEY}]", f'{{"Id": 1, "x": "{TOKEN}"']
)
def test_an_echoed_key_is_not_in_the_traceback(
    fake: FakeMiniCRM, mode: str, answer: str, caplog: pytest.LogCaptureFixture
) -> None:
    # `except MiniCRMError: logger.exception(...)` prints the whole chain of causes: pydantic's
    # and json's errors quote the answer, so none of them may ride along unredacted.
    fake.queue("Project/1", Scripted(200, answer))
    with pytest.raises(ResponseValidationError) as caught:
        call(mode, fake, lambda crm: crm.sales.get(1))
    printed = "".join(traceback.format_exception(caught.value))
    logging.getLogger("integration").error("sync failed", exc_info=caught.value)
    for text in (printed, caplog.text):
        assert KEY not in text and TOKEN not in text


@contextmanager
def raw_server(answer: bytes) -> Iterator[str]:
    """A server on 127.0.0.1 that answers every connection with ``answer``, HTTP or not."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    stop = threading.Event()

    def serve_forever() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                connection.sendall(answer)

    thread = threading.Thread(target=serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/Api/R3"
    finally:
        stop.set()
        thread.join()
        listener.close()


@pytest.mark.parametrize("mode", MODES)
def test_a_huge_broken_status_line_is_cut_short(
    mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    # httpx quotes the whole line it could not read; 50 000 characters of it, holding the
    # key, must not become a 50 000-character error message or log line.
    answer = KEY.encode() + b"Y" * 50_000 + b"\r\n\r\n"
    with (
        raw_server(answer) as url,
        caplog.at_level(logging.DEBUG, logger="minicrm_demo"),
        pytest.raises(MiniCRMError) as caught,
    ):
        settings = {"base_url": url, "max_retries": 1, "retry_backoff": 0.01}
        if mode == "sync":
            with Client(SYSTEM, KEY, rate_limit=None, **settings) as crm:
                crm.modules.list()
        else:

            async def main() -> None:
                async with AsyncClient(SYSTEM, KEY, rate_limit=None, **settings) as crm:
                    await crm.modules.list()

            asyncio.run(main())
    assert len(str(caught.value)) < 1000 and KEY not in str(caught.value)
    assert caplog.records and all(len(r.getMessage()) < 1000 for r in caplog.records)
    assert KEY not in caplog.text


def test_the_documented_limits_are_the_defaults() -> None:
    for client in (Client, AsyncClient):
        parameters = inspect.signature(client).parameters
        assert parameters["timeout"].default == 30.0
        assert parameters["deadline"].default == 60.0
        assert parameters["max_answer_bytes"].default == 64 * 2**20

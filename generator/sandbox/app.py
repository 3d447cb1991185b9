"""The sandbox's HTTP face: an ASGI app (Starlette) speaking R3 at ``/Api/R3``.

Starlette and uvicorn are well kept, small, and let one app run both from the command line and
inside a test process on a free port. Errors are plain text, never JSON. Fault switches (rate
limit, latency, failures, dropped connections) sit in front of the routes, each off by default.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..snapshot import parse_json, value_problem
from .domain import ApiError, Sandbox, whole_number

ROOT = "/Api/R3"


@dataclass
class Faults:
    """Switches for testing clients; every one is off unless set."""

    rate_limit: int | None = None
    rate_period: float = 60.0
    latency_ms: int = 0
    fail_rate: float = 0.0
    drop_rate: float = 0.0
    seed: int = 0


class _DroppedConnection(Exception):
    """Raised after the answer's head is sent: the server closes the connection mid-answer."""


def _json(value: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(value, separators=(",", ":")),
        status_code=status,
        media_type="application/json; charset=utf-8",
    )


def _int_param(request: Request, name: str) -> int:
    """A record id in the path: ASCII digits within 64 bits (``²`` passes ``isdigit``)."""
    raw = request.path_params[name]
    record_id = whole_number(raw) if raw.isascii() and raw.isdigit() else None
    if record_id is None:
        raise ApiError(404, "Api", request.method, f"Not found: {request.url.path}")
    return record_id


def _body(request_body: bytes, entity: str) -> dict[str, Any]:
    """The JSON object of a write; what PHP's ``json_decode`` refuses is refused here too.

    That is invalid UTF-8, ``NaN``, nesting beyond its depth limit and lone surrogates; on top,
    numbers no 64-bit system holds.
    """
    try:
        body = parse_json(request_body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict) or value_problem(body) is not None:
        raise ApiError(400, entity, "PUT", 'Invalid parameter: "Data (JSON)"')
    return body


def build_app(
    sandbox: Sandbox, system_id: str, api_key: str, faults: Faults | None = None
) -> _Guard:
    """The R3 server for one sandbox, guarded by HTTP Basic credentials."""
    faults = faults or Faults()

    def handler(
        action: Callable[[Request], Awaitable[Any]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                return _json(await action(request))
            except ApiError as error:
                return PlainTextResponse(str(error), status_code=error.status)

        return endpoint

    async def run(function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(function, *args)

    async def category(request: Request) -> Any:
        return sandbox.category(request.query_params.get("Detailed") == "1")

    async def schema(request: Request) -> Any:
        return sandbox.schema_answer("Schema/" + request.path_params["rest"])

    def record(
        get: Callable[[int], Any],
        put: Callable[..., Any],
        entity: str,
        post: Callable[..., Any] | None = None,
    ) -> Callable[[Request], Awaitable[Any]]:
        """``Entity/{id}``: GET reads the record, PUT updates it (POST, where routed, too)."""

        async def action(request: Request) -> Any:
            record_id = _int_param(request, "id")
            if request.method == "GET":
                return await run(get, record_id)
            body = _body(await request.body(), entity)
            if request.method == "POST" and post is not None:
                return await run(post, record_id, body)
            return await run(put, record_id, body)

        return action

    def collection(
        search: Callable[[dict[str, str]], Any] | None,
        put: Callable[..., Any],
        entity: str,
    ) -> Callable[[Request], Awaitable[Any]]:
        """``Entity``: GET searches (where the entity can be searched), PUT creates."""

        async def action(request: Request) -> Any:
            if request.method == "GET" and search is not None:
                return await run(search, dict(request.query_params))
            return await run(put, None, _body(await request.body(), entity))

        return action

    async def todo_list(request: Request) -> Any:
        return await run(
            sandbox.todo_list, _int_param(request, "id"), dict(request.query_params)
        )

    async def address_list(request: Request) -> Any:
        return await run(
            sandbox.address_list,
            _int_param(request, "id"),
            dict(request.query_params),
        )

    async def project_history(request: Request) -> Any:
        return await run(
            sandbox.status_history,
            _int_param(request, "id"),
            dict(request.query_params),
        )

    def connection(
        change: Callable[[dict[str, Any]], Any], entity: str
    ) -> Callable[[Request], Awaitable[Any]]:
        """``Create``/``Update``/``DeleteProjectConnection``: a PUT with a JSON body."""

        async def action(request: Request) -> Any:
            return await run(change, _body(await request.body(), entity))

        return action

    async def purge_person(request: Request) -> Response:
        try:
            status, answer = await run(sandbox.purge_person, _int_param(request, "id"))
        except ApiError as error:
            return PlainTextResponse(str(error), status_code=error.status)
        return _json(answer, status)

    async def template_list(request: Request) -> Any:
        return await run(sandbox.template_list, _int_param(request, "id"))

    async def template(request: Request) -> Any:
        return await run(sandbox.get_template, _int_param(request, "id"))

    async def email_list(request: Request) -> Any:
        return await run(
            sandbox.email_list, _int_param(request, "id"), dict(request.query_params)
        )

    async def list_connections(request: Request) -> Any:
        return await run(sandbox.list_connections, dict(request.query_params))

    both = ["GET", "PUT"]
    routes = [
        Route(f"{ROOT}/Category", handler(category), methods=["GET"]),
        Route(f"{ROOT}/Schema/{{rest:path}}", handler(schema), methods=["GET"]),
        Route(
            f"{ROOT}/Project",
            handler(
                collection(sandbox.search_projects, sandbox.put_project, "Project")
            ),
            methods=both,
        ),
        Route(
            f"{ROOT}/Project/{{id}}",
            handler(record(sandbox.get_project, sandbox.put_project, "Project")),
            methods=both,
        ),
        Route(
            f"{ROOT}/Contact",
            handler(
                collection(sandbox.search_contacts, sandbox.put_contact, "Contact")
            ),
            methods=both,
        ),
        Route(
            f"{ROOT}/Contact/{{id}}",
            handler(record(sandbox.get_contact, sandbox.put_contact, "Contact")),
            methods=both,
        ),
        Route(
            f"{ROOT}/ToDo",
            handler(collection(None, sandbox.put_todo, "ToDo")),
            methods=["PUT"],
        ),
        Route(
            f"{ROOT}/ToDo/{{id}}",
            handler(
                record(sandbox.get_todo, sandbox.put_todo, "ToDo", sandbox.post_todo)
            ),
            methods=[*both, "POST"],
        ),
        Route(f"{ROOT}/ToDoList/{{id}}", handler(todo_list), methods=["GET"]),
        Route(
            f"{ROOT}/Address",
            handler(collection(None, sandbox.put_address, "Address")),
            methods=["PUT"],
        ),
        Route(
            f"{ROOT}/Address/{{id}}",
            handler(record(sandbox.get_address, sandbox.put_address, "Address")),
            methods=both,
        ),
        Route(f"{ROOT}/AddressList/{{id}}", handler(address_list), methods=["GET"]),
        Route(
            f"{ROOT}/ProjectHistory/{{id}}", handler(project_history), methods=["GET"]
        ),
        Route(f"{ROOT}/TemplateList/{{id}}", handler(template_list), methods=["GET"]),
        Route(f"{ROOT}/Template/{{id}}", handler(template), methods=["GET"]),
        Route(f"{ROOT}/EmailList/{{id}}", handler(email_list), methods=["GET"]),
        Route(f"{ROOT}/PurgePerson/{{id}}", purge_person, methods=["GET", "PUT"]),
        Route(
            f"{ROOT}/ListProjectConnection",
            handler(list_connections),
            methods=["GET"],
        ),
        *(
            Route(
                f"{ROOT}/{name}ProjectConnection",
                handler(connection(change, f"{name}ProjectConnection")),
                methods=["PUT"],
            )
            for name, change in (
                ("Create", sandbox.create_connection),
                ("Update", sandbox.update_connection),
                ("Delete", sandbox.delete_connection),
            )
        ),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return PlainTextResponse(
            f"Api ({request.method}): Not found: {request.url.path}", status_code=404
        )

    async def not_allowed(request: Request, exc: Exception) -> Response:
        entity = request.url.path.removeprefix(ROOT + "/").split("/")[0] or "Api"
        return PlainTextResponse(
            f"{entity} ({request.method}): Method not allowed!", status_code=405
        )

    app = Starlette(
        routes=routes, exception_handlers={404: not_found, 405: not_allowed}
    )
    return _Guard(app, system_id, api_key, faults)


class _Guard:
    """Credentials first, then the fault switches, then the routes."""

    def __init__(
        self, app: ASGIApp, system_id: str, api_key: str, faults: Faults
    ) -> None:
        self.app = app
        self.expected = (
            "Basic " + base64.b64encode(f"{system_id}:{api_key}".encode()).decode()
        )
        self.faults = faults
        self.random = random.Random(faults.seed)
        self.recent: deque[float] = deque()
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str, str]] = []
        """(monotonic time, method, path) of every authenticated request, for measurements."""
        self.injected = {"throttled": 0, "failed": 0, "dropped": 0}
        """How many answers each fault switch changed."""
        self.received: list[tuple[str, str, bytes]] = []
        """(method, path, body) of every authenticated write (not GET) that reached the routes."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        given = headers.get(b"authorization", b"").decode("latin-1")
        if not secrets.compare_digest(given, self.expected):
            await PlainTextResponse("Unauthorized", status_code=401)(
                scope, receive, send
            )
            return
        faults = self.faults
        with self.lock:
            now = time.monotonic()
            self.arrivals.append((now, scope["method"], scope["path"]))
            if faults.rate_limit is not None:
                while self.recent and now - self.recent[0] >= faults.rate_period:
                    self.recent.popleft()
                if len(self.recent) >= faults.rate_limit:
                    throttled = True
                else:
                    self.recent.append(now)
                    throttled = False
            else:
                throttled = False
            fail = not throttled and self.random.random() < faults.fail_rate
            drop = (
                not throttled and not fail and self.random.random() < faults.drop_rate
            )
            for name, happened in (
                ("throttled", throttled),
                ("failed", fail),
                ("dropped", drop),
            ):
                self.injected[name] += happened
        if throttled:
            await PlainTextResponse("Too Many Requests", status_code=429)(
                scope, receive, send
            )
            return
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if fail:
            await PlainTextResponse("Internal Server Error", status_code=500)(
                scope, receive, send
            )
            return
        if scope["method"] != "GET":
            receive = self._recording(scope, receive)
        if not drop:
            await self.app(scope, receive, send)
            return

        async def cut(message: Message) -> None:
            if message["type"] == "http.response.body":
                raise _DroppedConnection
            await send(message)

        await self.app(scope, receive, cut)

    def _recording(self, scope: Scope, receive: Receive) -> Receive:
        """``receive`` that keeps the body, so tests can see exactly what a client sent."""
        chunks: list[bytes] = []

        async def recording() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self.received.append(
                        (scope["method"], scope["path"], b"".join(chunks))
                    )
            return message

        return recording

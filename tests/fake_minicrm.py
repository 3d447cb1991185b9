"""A small real HTTP server that answers the R3 schema endpoints, for tests of ``pull``.

It checks HTTP Basic credentials like a real system, can be scripted to fail (status codes,
garbage bodies, dropped connections, trickled answers) and enforces a sliding-window rate limit
while recording when every request arrived, so tests can measure pacing from the server's side.
Scripted answers also feed hostile answers to the generated client (GET and PUT).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote


@dataclass
class Scripted:
    """One canned answer; ``drop`` closes the connection without answering, ``trickle`` sends
    the body one byte at a time with that many seconds between bytes."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    trickle: float = 0.0


@dataclass
class FakeMiniCRM:
    endpoints: dict[str, Any]
    system_id: str = "42"
    api_key: str = "s3cr3t-api-key-0123456789"
    rate_limit: int | None = None
    rate_period: float = 60.0
    auth_failure_status: int = 401
    script: dict[str, deque[Scripted]] = field(default_factory=dict)
    arrivals: list[tuple[float, str]] = field(default_factory=list)
    request_headers: list[dict[str, str]] = field(default_factory=list)
    throttled: int = 0
    base_url: str = ""

    def queue(self, path: str, *answers: Scripted) -> None:
        self.script.setdefault(path, deque()).extend(answers)

    def max_in_window(self) -> int:
        """The most requests that arrived within any ``rate_period`` window."""
        times = sorted(moment for moment, _ in self.arrivals)
        best, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= self.rate_period:
                start += 1
            best = max(best, end - start + 1)
        return best

    def paths(self) -> list[str]:
        return [path for _, path in self.arrivals]


def _handler(fake: FakeMiniCRM, lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    recent: deque[float] = deque()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(
            self, format: str, *args: Any
        ) -> None:  # noqa: A002 - quiet server
            pass

        def answer(
            self,
            status: int,
            body: bytes | str,
            headers: dict[str, str] | None = None,
            trickle: float = 0.0,
        ) -> None:
            data = body.encode("utf-8") if isinstance(body, str) else body
            self.send_response(status)
            content_type = (
                "application/json; charset=utf-8"
                if status == 200
                else "text/plain; charset=utf-8"
            )
            for name, value in {
                "Content-Type": content_type,
                **(headers or {}),
            }.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not trickle:
                self.wfile.write(data)
                return
            for index in range(len(data)):
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
                time.sleep(trickle)

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = unquote(self.path.removeprefix("/Api/R3/"))
            now = time.monotonic()
            with lock:
                fake.arrivals.append((now, path))
                fake.request_headers.append(dict(self.headers.items()))
                if fake.rate_limit is not None:
                    while recent and now - recent[0] >= fake.rate_period:
                        recent.popleft()
                    if len(recent) >= fake.rate_limit:
                        fake.throttled += 1
                        self.answer(429, "Too Many Requests")
                        return
                    recent.append(now)
                scripted = fake.script.get(path)
                canned = scripted.popleft() if scripted else None
            expected = base64.b64encode(
                f"{fake.system_id}:{fake.api_key}".encode()
            ).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                if fake.auth_failure_status == 404:
                    self.answer(404, "Unauthorized: Access denied")
                else:
                    self.answer(401, "Unauthorized")
                return
            if canned is not None:
                if canned.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
                self.answer(canned.status, canned.body, canned.headers, canned.trickle)
                return
            if path not in fake.endpoints:
                self.answer(404, f"Not found: {path}")
                return
            self.answer(200, json.dumps(fake.endpoints[path]))

        def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
            """Writes get their scripted answer (as a GET of the same path would)."""
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.do_GET()

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-answer (cancelled pulls) are normal here."""


@contextmanager
def serve(fake: FakeMiniCRM) -> Iterator[FakeMiniCRM]:
    """Run ``fake`` on a free port of 127.0.0.1 for the duration of the block."""
    server = _QuietServer(("127.0.0.1", 0), _handler(fake, threading.Lock()))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}/Api/R3"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

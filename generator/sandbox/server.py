"""Run the sandbox with uvicorn: from the command line, or in a thread of a test process."""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field

import uvicorn

from ..snapshot import Snapshot
from .app import ROOT, Faults, build_app
from .domain import Sandbox
from .store import Store
from .webhooks import Emitter, Webhook


class _HideDrops(logging.Filter):
    """A deliberately dropped connection is the point of --drop-rate, not an error to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return type(error).__name__ != "_DroppedConnection"


@dataclass
class SandboxServer:
    """A sandbox on ``host:port`` (port 0 picks a free one); ``base_url`` is known after start."""

    snapshot: Snapshot
    system_id: str
    api_key: str = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 0
    db: str | None = None
    faults: Faults = field(default_factory=Faults)
    access_log: bool = False
    webhooks: tuple[Webhook, ...] = ()
    #: Multiplies the webhook retry delays (10 s ... 1 h); tests make them short.
    webhook_retry_scale: float = 1.0

    def __post_init__(self) -> None:
        self.store = Store(self.db)
        self.sandbox = Sandbox(self.snapshot, self.store)
        self.guard = build_app(self.sandbox, self.system_id, self.api_key, self.faults)
        config = uvicorn.Config(
            self.guard,
            host=self.host,
            port=self.port,
            access_log=self.access_log,
            log_level="info" if self.access_log else "warning",
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        logging.getLogger("uvicorn.error").addFilter(_HideDrops())
        self._thread: threading.Thread | None = None
        self.emitter: Emitter | None = None

    @property
    def arrivals(self) -> list[tuple[float, str, str]]:
        """When every authenticated request arrived: (monotonic time, method, path)."""
        return self.guard.arrivals

    @property
    def received(self) -> list[tuple[str, str, bytes]]:
        """(method, path, body) of every write that reached the routes, in arrival order."""
        return self.guard.received

    def max_in_window(self, period: float) -> int:
        """The most requests that arrived within any ``period`` seconds."""
        times = [moment for moment, _, _ in self.arrivals]
        best, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= period:
                start += 1
            best = max(best, end - start + 1)
        return best

    @property
    def base_url(self) -> str:
        return self.sandbox.base_url

    def _bound(self) -> None:
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.sandbox.base_url = f"http://{self.host}:{port}{ROOT}"

    def start(self) -> SandboxServer:
        """Serve in a background thread; returns once the port is bound."""
        self._check_port()
        self._thread = threading.Thread(target=self.server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the sandbox could not start on {self.host}:{self.port}"
                )
            time.sleep(0.01)
        self._bound()
        if self.webhooks:
            root = self.base_url.removesuffix(ROOT)
            self.emitter = Emitter(
                self.webhooks, root, self.system_id, self.webhook_retry_scale
            )
            self.emitter.start()
            self.store.listeners.append(self.emitter.changed)
        return self

    def _check_port(self) -> None:
        """Fail with one clear message (not uvicorn's log) when the address cannot be bound."""
        try:
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind((self.host, self.port))
        except OSError as exc:
            raise RuntimeError(
                f"cannot listen on {self.host}:{self.port} ({exc.strerror or exc})"
            ) from None

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C raises KeyboardInterrupt here)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.emitter is not None:
            self.emitter.stop()
        self.store.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

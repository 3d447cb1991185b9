"""The sandbox's webhooks: POST the documented payload to each configured URL on every change.

MiniCRM posts ``{"Id", "Type", "Data", "Changed"}`` when a project or contact changes, with every
value as text and choices as ids (Integrations Manual p.24-26). A webhook can be limited to one
``Type`` (Project or Contact), to the projects of one module (``CategoryId``) and to a list of
fields (it fires when any of them changed). Anything but HTTP 200 is a failed delivery, tried
again after 10 s, 1 min, 5 min, 15 min, 30 min and 1 h; then the change is dropped.

Deliveries run in one background thread, so the request that made the change never waits for
a receiver; pending retries are dropped when the sandbox stops. The contact payload is not
documented: the sandbox sends the project payload's shape with the contact's fields.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..model import Tenant
from .store import Change

#: Seconds before each retry of a failed delivery, as MiniCRM waits (manual p.25).
RETRY_DELAYS = (10.0, 60.0, 300.0, 900.0, 1800.0, 3600.0)
#: Fields every project payload carries beyond the schema's (manual p.25).
PROJECT_EXTRAS = frozenset({"MainContactId", "InternalUrl"})
TYPES = ("Project", "Contact")
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Webhook:
    """One webhook setting: where to post, and which changes (every change when unfiltered)."""

    url: str
    type: str | None = None
    module: int | None = None
    fields: frozenset[str] = frozenset()

    def wants(self, kind: str, category_id: int | None, changed: list[str]) -> bool:
        """Whether a change of a record of ``kind`` (``Project``/``Contact``) fires this."""
        if self.type is not None and self.type != kind:
            return False
        if self.module is not None and self.module != category_id:
            return False
        return not self.fields or not self.fields.isdisjoint(changed)


def webhook_setting(spec: str, tenant: Tenant) -> Webhook:
    """``URL [type=Project|Contact] [module=ID|NAME] [fields=A,B]`` as ``--webhook`` takes it.

    A URL holds no spaces, so the settings follow it separated by spaces. ValueError says what
    is wrong with a setting.
    """
    if not spec.split():
        raise ValueError("give the URL to post to")
    url, *settings = spec.split()
    if not _postable(url):
        raise ValueError(
            f"{shown(url)!r} is not an http(s) URL with a host (and a port from 1 to 65535)"
        )
    values: dict[str, str] = {}
    for setting in settings:
        key, equals, value = setting.partition("=")
        if key not in ("type", "module", "fields") or not equals or key in values:
            raise ValueError(
                f"{setting!r}: expected type=Project|Contact, module=ID or fields=A,B "
                "after the URL, each once"
            )
        values[key] = value
    kind = values.get("type")
    if kind is not None and kind not in TYPES:
        raise ValueError(f"type={kind!r}: expected Project or Contact")
    module = None
    if "module" in values:
        wanted = values["module"]
        found = [m for m in tenant.modules if wanted in (str(m.id), m.label)]
        if not found or kind == "Contact":
            raise ValueError(
                f"module={wanted!r}: not a module of this system"
                if not found
                else "module= limits projects; it cannot go with type=Contact"
            )
        module, kind = found[0].id, "Project"
    entities = [
        *(m.entity for m in tenant.modules if module in (None, m.id)),
        *((tenant.person, tenant.business) if kind != "Project" else ()),
    ]
    known = {f.api_name for e in entities for f in e.fields} | PROJECT_EXTRAS
    fields = frozenset(filter(None, values.get("fields", "").split(",")))
    unknown = sorted(fields - known)
    if unknown:
        raise ValueError(f"fields=: no field {', '.join(map(repr, unknown))} here")
    return Webhook(url, kind, module, fields)


def _postable(url: str) -> bool:
    """Whether both the standard library and httpx read ``url`` as an http(s) URL with a host
    and a valid port: httpx alone takes port 99999, and a URL it refuses only at delivery
    time would fail every delivery."""
    try:
        parts = urlsplit(url)
        port = parts.port
        target = httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and bool(target.host)
        and port != 0
    )


#: What may carry credentials: the text before the last ``@`` of the authority, whether or
#: not the rest of the URL parses (``u:pw@host`` and ``http://u:pw@[::1`` too).
_USERINFO = re.compile(r"^(?P<head>(?:[A-Za-z][A-Za-z0-9+.-]*:)?/*)[^/?#]*@")


def shown(url: str) -> str:
    """The URL without the credentials it may carry (``https://user:pass@host/...``).

    Never fails: it is what error messages show, for URLs that may not parse.
    """
    return _USERINFO.sub(r"\g<head>***@", url, count=1)


def _text(value: Any) -> Any:
    """Every value travels as text; None as ``""``; lists as they are."""
    if value is None:
        return ""
    return value if isinstance(value, (list, dict)) else str(value)


def payload(change: Change, root: str, system_id: str) -> dict[str, Any] | None:
    """The body MiniCRM posts for a change of a project or contact; None for anything else
    or for a write that changed nothing."""
    record, before = change.record, change.before
    if record.kind not in ("Project", "Person", "Business"):
        return None  # ToDos and addresses fire no webhook
    kind = "Project" if record.kind == "Project" else "Contact"
    after = {key: value for key, value in record.data.items() if key != "ReferenceId"}
    if before is None:
        changed = sorted({"CreatedAt", *(k for k, v in after.items() if v is not None)})
    else:
        keys = after.keys() | before.keys()
        changed = sorted(k for k in keys if before.get(k) != after.get(k))
        if not changed:
            return None
    if "UpdatedAt" not in changed:
        changed.append("UpdatedAt")
    data = {key: _text(value) for key, value in after.items()}
    if kind == "Project":
        data["CategoryId"] = str(record.category_id)
        data["MainContactId"] = _text(after.get("ContactId"))
        anchor = f"Project-{record.category_id}/{record.id}"
    else:
        data["Type"] = record.kind
        anchor = f"Contact/{record.id}"
    data["UpdatedAt"] = record.updated_at
    data["InternalUrl"] = f"{root}/{system_id}/#{anchor}"
    return {"Id": str(record.id), "Type": kind, "Data": data, "Changed": changed}


@dataclass
class Delivery:
    """One attempt to come: a body for a URL, and how many attempts went before."""

    webhook: Webhook
    body: bytes
    attempt: int = 0


@dataclass
class Attempt:
    """What one delivery attempt got: the status, or the error when none came."""

    url: str
    attempt: int
    status: int | None
    error: str = ""


@dataclass
class Emitter:
    """Posts the payloads of matching changes from one background thread, retrying failures.

    ``scale`` multiplies the retry delays (tests run the schedule in fractions of a second).
    ``attempts`` lists every attempt made, in order.
    """

    webhooks: tuple[Webhook, ...]
    root: str
    system_id: str
    scale: float = 1.0
    timeout: float = 10.0
    attempts: list[Attempt] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._queue: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._ready = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name="sandbox-webhooks", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def changed(self, change: Change) -> None:
        """A store listener: queue the payload for every webhook it fires; never waits."""
        body = payload(change, self.root, self.system_id)
        if body is None:
            return
        category = change.record.category_id
        encoded = json.dumps(body, ensure_ascii=False).encode()
        for webhook in self.webhooks:
            if webhook.wants(body["Type"], category, body["Changed"]):
                self._schedule(Delivery(webhook, encoded), 0.0)

    def _schedule(self, delivery: Delivery, delay: float) -> None:
        with self._ready:
            due = time.monotonic() + delay
            heapq.heappush(self._queue, (due, next(self._order), delivery))
            self._ready.notify()

    def _next(self) -> Delivery | None:
        """The next delivery when it is due; None once stopping."""
        with self._ready:
            while not self._stopping:
                if self._queue and self._queue[0][0] <= time.monotonic():
                    return heapq.heappop(self._queue)[2]
                wait = self._queue[0][0] - time.monotonic() if self._queue else None
                self._ready.wait(wait)
            return None

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while (delivery := self._next()) is not None:
                self._deliver(client, delivery)

    def _deliver(self, client: httpx.Client, delivery: Delivery) -> None:
        url = delivery.webhook.url
        try:
            status: int | None = client.post(
                url,
                content=delivery.body,
                headers={"Content-Type": "application/json"},
            ).status_code
            error = "" if status == 200 else f"answered {status}"
        except Exception as exc:
            # Any error, not only httpx's: one failed delivery must not end the thread.
            status, error = None, type(exc).__name__
        self.attempts.append(Attempt(shown(url), delivery.attempt, status, error))
        if status == 200:
            return
        if delivery.attempt >= len(RETRY_DELAYS):
            _log.warning("webhook %s %s; dropped after 7 attempts", shown(url), error)
            return
        delay = RETRY_DELAYS[delivery.attempt] * self.scale
        _log.warning("webhook %s %s; next try in %gs", shown(url), error, delay)
        delivery.attempt += 1
        self._schedule(delivery, delay)

    def stop(self) -> None:
        """Stop after the attempt in flight (if any); retries still waiting are dropped."""
        with self._ready:
            self._stopping = True
            self._ready.notify()
        if self._thread.is_alive():
            self._thread.join(self.timeout + 5)

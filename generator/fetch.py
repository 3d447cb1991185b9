"""Fetch stage: read a live system's schema endpoints into a :class:`Snapshot`.

Requests run concurrently but inside the system's rate budget (60 requests a minute on real
systems), and are retried with exponential backoff and jitter on connection errors, timeouts,
429 and 5xx, honouring ``Retry-After``. Credentials travel only in the Authorization header.
Time and memory are bounded whatever the server does: every request must be complete within a
deadline, and an answer is read as a stream and refused once it decodes to more than a cap.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from . import snapshot as snap
from .errors import PullError, redact
from .settings import DEFAULT_BASE_URL

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class Connection:
    """Where a system lives and how to log in. The key is kept out of ``repr``."""

    system_id: str
    api_key: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL


@dataclass(frozen=True)
class FetchPolicy:
    """Timeouts, retries and the rate budget; tests scale ``rate_period`` down to stay fast."""

    timeout: float = 30.0
    deadline: float = 60.0
    max_answer_bytes: int = 16 * 2**20
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 20.0
    retry_after_cap: float = 120.0
    rate_limit: int = 60
    rate_period: float = 60.0
    concurrency: int = 8


class RateBudget:
    """At most ``limit`` requests in any window of ``period`` seconds, as the server sees them.

    A request holds a slot from the moment it is sent until ``period`` after its answer arrived.
    Because the server received it before the answer came back, two requests that share a slot
    reach the server at least ``period`` apart, whatever the network latency.
    """

    def __init__(self, limit: int, period: float) -> None:
        self._slots = asyncio.Semaphore(limit)
        self._period = period

    async def acquire(self) -> None:
        await self._slots.acquire()

    def release_later(self) -> None:
        asyncio.get_running_loop().call_later(self._period, self._slots.release)


_DELAY_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


def retry_after_seconds(value: str | None, cap: float) -> float | None:
    """The wait a ``Retry-After`` header asks for, at most ``cap`` seconds; None when invalid.

    RFC 9110 allows whole seconds or an HTTP date; anything else (``nan``, ``-5``, ``inf``,
    ``1e9``, a date no calendar has) is ignored, so the caller falls back to its own backoff.
    """
    value = (value or "").strip()
    if _DELAY_SECONDS.fullmatch(value):
        return min(float(value), cap)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    return min(max(0.0, moment.timestamp() - time.time()), cap)


def backoff_seconds(attempt: int, policy: FetchPolicy) -> float:
    """Exponential backoff with full jitter: a random wait in [0, base * 2**attempt], capped."""
    ceiling = min(policy.backoff_cap, policy.backoff_base * (2**attempt))
    return random.uniform(0.0, ceiling)


def one_line(text: str, limit: int = 200) -> str:
    """A server message squeezed onto one short line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def is_auth_failure(status: int, text: str) -> bool:
    """401 on live systems; the manual documents 404 ``Unauthorized: Access denied`` instead."""
    return status == 401 or (status == 404 and "unauthorized" in text.lower())


class _TooLarge(Exception):
    """An answer decoded to more than the cap; reading stopped there."""


READABLE_CODINGS = frozenset({"gzip", "deflate"})
"""The content codings an answer may come in, one at most (``identity`` is none)."""


class _UnreadableCoding(Exception):
    """An answer in a content coding that could outrun the size cap; it was not read."""


def check_coding(value: str) -> None:
    """Raise :class:`_UnreadableCoding` unless ``value`` is no coding, gzip or deflate, once.

    The cap is checked between chunks: one gzip or deflate step expands a network read of
    64 KiB to 64 MiB at most, but stacked codings (``gzip, gzip``), brotli or zstd (which httpx
    decodes whenever their packages are installed) can expand it to gigabytes in one step.
    """
    codings = [
        coding
        for coding in (part.strip().lower() for part in value.split(","))
        if coding not in ("", "identity")
    ]
    if len(codings) > 1 or not READABLE_CODINGS.issuperset(codings):
        raise _UnreadableCoding(value)


def base_url_problem(url: str) -> str | None:
    """What makes ``url`` unusable as a base URL (httpx would crash on it), or None.

    A ``user:password@`` in it (MiniCRM's examples put the key there) would be written to the
    snapshot and shown in messages, so it is refused.
    """
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        return str(exc)
    if parsed.userinfo:
        return (
            "it holds credentials (user:password@); pass them with --system-id and "
            "MINICRM_API_KEY (or the configuration's api-key-env) instead"
        )
    # The URL is never shown: mistyped, a URL holding credentials has no userinfo.
    if parsed.scheme not in ("http", "https"):
        return "it does not start with http:// or https://"
    try:
        host = parsed.host
    except UnicodeError:  # httpx decodes an IDNA host (xn--…) when it is used
        return "its host is not a valid domain name"
    if not host:
        return "it names no host"
    if parsed.port is not None and not 0 < parsed.port < 2**16:
        return f"its port {parsed.port} is not between 1 and 65535"
    return None


@dataclass(frozen=True)
class _Answer:
    """A complete answer: status, headers and the decoded body, read within the limits."""

    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _Puller:
    def __init__(
        self,
        connection: Connection,
        policy: FetchPolicy,
        progress: ProgressCallback | None,
    ) -> None:
        self.connection = connection
        self.policy = policy
        self.progress = progress
        self.done = 0
        self.total = 0

    def _redact(self, text: str) -> str:
        """``text`` without the key, nor the Authorization token a server might echo."""
        key = self.connection.api_key
        token = base64.b64encode(f"{self.connection.system_id}:{key}".encode()).decode()
        return redact(text, key, token)

    def _fail(self, message: str) -> PullError:
        return PullError(self._redact(message))

    def _shown(self, text: str, limit: int = 200) -> str:
        """The start of a server's text on one line, quoted, the key hidden before the cut
        (a key that straddles the cut would otherwise show its first characters)."""
        return repr(one_line(self._redact(text), limit))

    async def run(self) -> snap.Snapshot:
        base_url = self.connection.base_url.rstrip("/") + "/"
        budget = RateBudget(self.policy.rate_limit, self.policy.rate_period)
        async with httpx.AsyncClient(
            base_url=base_url,
            auth=httpx.BasicAuth(self.connection.system_id, self.connection.api_key),
            timeout=self.policy.timeout,
            headers={"Accept": "application/json", "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,
        ) as client:
            self.total = 1
            category = await self._fetch(client, budget, snap.CATEGORY)
            module_ids = snap.sorted_module_ids(category)
            endpoints = [
                snap.CATEGORY_DETAILED,
                snap.SCHEMA_BUSINESS,
                snap.SCHEMA_PERSON,
                *(snap.project_schema_endpoint(module_id) for module_id in module_ids),
            ]
            self.total += len(endpoints)
            limit = asyncio.Semaphore(self.policy.concurrency)

            async def bounded(endpoint: str) -> Any:
                async with limit:
                    return await self._fetch(client, budget, endpoint, category)

            tasks = [asyncio.ensure_future(bounded(endpoint)) for endpoint in endpoints]
            try:
                answers = await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
        results = {snap.CATEGORY: category, **dict(zip(endpoints, answers))}
        snapshot = snap.Snapshot(
            endpoints=results,
            base_url=self.connection.base_url,
            system_id=self.connection.system_id,
        )
        problem = snap.find_problem(snapshot)
        if problem is not None:
            raise self._fail(f"the system answered an unusable schema: {problem}")
        return snapshot

    async def _fetch(
        self,
        client: httpx.AsyncClient,
        budget: RateBudget,
        endpoint: str,
        category: Any = None,
    ) -> Any:
        response = await self._send_with_retries(client, budget, endpoint)
        if is_auth_failure(response.status, response.text):
            raise self._fail(
                f"MiniCRM rejected the credentials for system {self.connection.system_id!r} "
                f"(HTTP {response.status} on {endpoint}); check --system-id and --api-key "
                "(or MINICRM_SYSTEM_ID / MINICRM_API_KEY)"
            )
        if response.status == 404 and endpoint.startswith(snap.SCHEMA_PROJECT_PREFIX):
            module_id = endpoint.removeprefix(snap.SCHEMA_PROJECT_PREFIX)
            name = category.get(module_id) if isinstance(category, dict) else None
            raise self._fail(
                f"module {module_id} ({name!r}) is listed by Category but has no schema: "
                f"{endpoint} answered 404 {self._shown(response.text)}"
            )
        if 300 <= response.status < 400 and "Location" in response.headers:
            raise self._fail(
                f"{endpoint} answered HTTP {response.status}, a redirect to "
                f"{self._shown(response.headers['Location'])}, which pull does not follow "
                "(the credentials go only where you send them); if the system lives there, "
                "pass its API root as --base-url"
            )
        if response.status != 200:
            raise self._fail(
                f"{endpoint} answered HTTP {response.status}: {self._shown(response.text)}"
                + (
                    f"; is the base URL {self.connection.base_url!r} right?"
                    if response.status == 404
                    else ""
                )
            )
        try:
            answer = snap.parse_json(response.body)
        except json.JSONDecodeError:
            content_type = response.headers.get("Content-Type", "no content type")
            raise self._fail(
                f"{endpoint} answered something that is not JSON ({content_type}): "
                f"{self._shown(response.text, 80)}"
            ) from None
        except ValueError as exc:
            raise self._fail(f"{endpoint} answered something that {exc}") from None
        problem = snap.endpoint_problem(endpoint, answer)
        if problem is not None:
            raise self._fail(f"{endpoint} answered a malformed schema: {problem}")
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total)
        return answer

    async def _get(self, client: httpx.AsyncClient, endpoint: str) -> _Answer:
        """One GET, read as a stream: done within the deadline, decoded size within the cap."""
        cap = self.policy.max_answer_bytes
        async with asyncio.timeout(self.policy.deadline):
            async with client.stream("GET", endpoint) as response:
                check_coding(response.headers.get("Content-Encoding", ""))
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > cap:
                        raise _TooLarge
                return _Answer(response.status_code, response.headers, bytes(body))

    async def _send_with_retries(
        self, client: httpx.AsyncClient, budget: RateBudget, endpoint: str
    ) -> _Answer:
        attempts = self.policy.max_attempts
        for attempt in range(attempts):
            last = attempt == attempts - 1
            await budget.acquire()
            try:
                response = await self._get(client, endpoint)
            except TimeoutError:
                raise self._fail(
                    f"{endpoint} was not complete within {self.policy.deadline:g}s; the "
                    "server may be overloaded or hostile (a slow system: raise --deadline)"
                ) from None
            except _TooLarge:
                raise self._fail(
                    f"{endpoint} answered more than {self.policy.max_answer_bytes / 2**20:g} MiB "
                    "(decompressed), more than any schema; if it is right, raise --max-answer-mb"
                ) from None
            except _UnreadableCoding as exc:
                raise self._fail(
                    f"{endpoint} answered in Content-Encoding {exc.args[0]!r}; pull reads "
                    "gzip or deflate, once (others could expand without bound before the "
                    "size check); the server or a proxy on the way is broken"
                ) from None
            except httpx.DecodingError as exc:
                raise self._fail(
                    f"{endpoint} answered a body that cannot be decompressed "
                    f"({one_line(self._redact(str(exc)))}); the server or a proxy on the way is broken"
                ) from None
            except httpx.TimeoutException:
                if last:
                    raise self._fail(
                        f"{endpoint} timed out {attempts} times (timeout {self.policy.timeout:g}s); "
                        "the system may be overloaded, try again later"
                    ) from None
                wait = backoff_seconds(attempt, self.policy)
            except httpx.TransportError as exc:
                if last:
                    raise self._fail(
                        f"cannot reach {self.connection.base_url}: {one_line(self._redact(str(exc))) or type(exc).__name__}; "
                        "check --base-url and the network"
                    ) from None
                wait = backoff_seconds(attempt, self.policy)
            else:
                if response.status != 429 and response.status < 500:
                    return response
                if last:
                    raise self._fail(
                        f"gave up on {endpoint} after {attempts} attempts: HTTP "
                        f"{response.status} {self._shown(response.text)}"
                    )
                requested = retry_after_seconds(
                    response.headers.get("Retry-After"), self.policy.retry_after_cap
                )
                wait = (
                    requested
                    if requested is not None
                    else backoff_seconds(attempt, self.policy)
                )
            finally:
                budget.release_later()
            await asyncio.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")


def pull(
    connection: Connection,
    policy: FetchPolicy | None = None,
    progress: ProgressCallback | None = None,
) -> snap.Snapshot:
    """Fetch every schema endpoint of a system and return them as a snapshot."""
    puller = _Puller(connection, policy or FetchPolicy(), progress)
    return asyncio.run(puller.run())

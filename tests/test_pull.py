"""``pull`` against a real HTTP server on 127.0.0.1: success, faults, credentials, pacing."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli import main
from generator.errors import PullError
from generator.fetch import Connection, FetchPolicy, pull
from generator.snapshot import load_demo_snapshot, load_snapshot

from fake_minicrm import FakeMiniCRM, Scripted, serve

FAST = FetchPolicy(backoff_base=0.01, backoff_cap=0.05, timeout=5.0)


def run_pull(
    fake: FakeMiniCRM, output: Path, *extra: str, api_key: str | None = None
) -> Result:
    env = {
        "MINICRM_API_KEY": api_key or fake.api_key,
        "MINICRM_SYSTEM_ID": fake.system_id,
    }
    return CliRunner().invoke(
        main,
        ["pull", "--output", str(output), "--base-url", fake.base_url, *extra],
        env=env,
    )


def connection(fake: FakeMiniCRM) -> Connection:
    return Connection(
        system_id=fake.system_id, api_key=fake.api_key, base_url=fake.base_url
    )


def assert_one_line_error(result: Result, *needles: str) -> str:
    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def test_pull_writes_the_snapshot_of_the_system(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    output = tmp_path / "tenant.snapshot.json"
    result = run_pull(fake_crm, output)
    assert result.exit_code == 0, result.output
    snapshot = load_snapshot(output)
    assert snapshot.endpoints == load_demo_snapshot().endpoints
    assert snapshot.system_id == fake_crm.system_id
    assert snapshot.base_url == fake_crm.base_url
    text = output.read_text(encoding="utf-8")
    assert fake_crm.api_key not in text
    assert fake_crm.api_key not in result.output
    expected = {"Category", "Category?Detailed=1", "Schema/Business", "Schema/Person"}
    expected |= {f"Schema/Project/{module}" for module in ("3", "5", "6", "8", "11")}
    assert sorted(fake_crm.paths()) == sorted(expected)


def test_same_schema_gives_the_same_bytes(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert run_pull(fake_crm, first).exit_code == 0
    # The server answers its maps in the reverse key order the second time.
    for endpoint, answer in list(fake_crm.endpoints.items()):
        if isinstance(answer, dict):
            fake_crm.endpoints[endpoint] = dict(reversed(list(answer.items())))
    assert run_pull(fake_crm, second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()


def test_credentials_only_travel_in_the_authorization_header(
    fake_crm: FakeMiniCRM,
) -> None:
    snapshot = pull(connection(fake_crm), FAST)
    assert fake_crm.api_key not in repr(connection(fake_crm))
    assert all(fake_crm.api_key not in path for path in fake_crm.paths())
    assert fake_crm.api_key not in snapshot.to_json()


def test_progress_counts_every_schema(fake_crm: FakeMiniCRM) -> None:
    seen: list[tuple[int, int]] = []
    pull(
        connection(fake_crm),
        FAST,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (9, 9)
    assert [done for done, _ in seen] == list(range(1, 10))


def test_quiet_when_output_is_not_a_terminal(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    result = run_pull(fake_crm, tmp_path / "s.json", "--quiet")
    assert result.exit_code == 0
    assert result.output == ""


def test_flaky_server_500_then_429_then_success(fake_crm: FakeMiniCRM) -> None:
    fake_crm.queue(
        "Schema/Person",
        Scripted(500, "Internal Server Error"),
        Scripted(429, "Too Many Requests", {"Retry-After": "0"}),
    )
    fake_crm.queue("Schema/Business", Scripted(drop=True))
    snapshot = pull(connection(fake_crm), FAST)
    assert fake_crm.paths().count("Schema/Person") == 3
    assert fake_crm.paths().count("Schema/Business") == 2
    assert snapshot.endpoints["Schema/Person"] == fake_crm.endpoints["Schema/Person"]


def test_retry_after_is_honoured(fake_crm: FakeMiniCRM) -> None:
    fake_crm.queue(
        "Schema/Person", Scripted(429, "Too Many Requests", {"Retry-After": "1"})
    )
    pull(connection(fake_crm), FAST)
    times = [moment for moment, path in fake_crm.arrivals if path == "Schema/Person"]
    assert len(times) == 2
    assert times[1] - times[0] >= 0.95


def test_retries_are_bounded(fake_crm: FakeMiniCRM) -> None:
    fake_crm.queue("Schema/Person", *[Scripted(503, "Service Unavailable")] * 10)
    with pytest.raises(
        PullError, match=r"gave up on Schema/Person after 5 attempts: HTTP 503"
    ):
        pull(connection(fake_crm), FAST)
    assert fake_crm.paths().count("Schema/Person") == 5


@pytest.mark.parametrize("status", [401, 404])
def test_wrong_credentials(fake_crm: FakeMiniCRM, tmp_path: Path, status: int) -> None:
    fake_crm.auth_failure_status = status
    output = tmp_path / "tenant.json"
    output.write_text("previous snapshot\n", encoding="utf-8")
    wrong_key = "wrong-key-that-must-not-leak"
    result = run_pull(fake_crm, output, api_key=wrong_key)
    line = assert_one_line_error(result, "rejected the credentials", f"HTTP {status}")
    assert wrong_key not in result.output and wrong_key not in line
    assert output.read_text(encoding="utf-8") == "previous snapshot\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tenant.json"]


def test_api_key_given_as_flag_never_leaks(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    fake_crm.auth_failure_status = 401
    result = CliRunner().invoke(
        main,
        [
            "pull",
            "-o",
            str(tmp_path / "s.json"),
            "--base-url",
            fake_crm.base_url,
            "--system-id",
            "42",
            "--api-key",
            "flag-key-XYZ",
        ],
        env={"MINICRM_API_KEY": ""},
    )
    assert_one_line_error(result, "rejected the credentials")
    assert "flag-key-XYZ" not in result.output


def test_non_json_answer_names_the_endpoint(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    fake_crm.queue(
        "Schema/Business",
        Scripted(200, "<html>maintenance</html>", {"Content-Type": "text/html"}),
    )
    result = run_pull(fake_crm, tmp_path / "s.json")
    assert_one_line_error(result, "Schema/Business", "not JSON", "text/html")
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize(
    ("endpoint", "answer", "needle"),
    [
        ("Schema/Project/5", [1, 2, 3], "expected a JSON object"),
        ("Schema/Person", {"FirstName": 12}, "'FirstName'"),
        ("Schema/Project/3", {"Referrer": {"abc": "x"}}, "option id 'abc'"),
        ("Category", {"x": "Sales"}, "module id 'x'"),
    ],
)
def test_malformed_answer_names_the_endpoint(
    fake_crm: FakeMiniCRM, tmp_path: Path, endpoint: str, answer: Any, needle: str
) -> None:
    fake_crm.queue(endpoint, Scripted(200, json.dumps(answer)))
    result = run_pull(fake_crm, tmp_path / "s.json")
    assert_one_line_error(result, endpoint, needle)
    assert list(tmp_path.iterdir()) == []


def test_module_without_schema(fake_crm: FakeMiniCRM, tmp_path: Path) -> None:
    del fake_crm.endpoints["Schema/Project/5"]
    result = run_pull(fake_crm, tmp_path / "s.json")
    assert_one_line_error(result, "module 5 ('Support')", "no schema", "404")


def test_unreachable_host() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = Connection(
        system_id="1",
        api_key="k-unreachable",
        base_url=f"http://127.0.0.1:{port}/Api/R3",
    )
    with pytest.raises(PullError) as caught:
        pull(target, FAST)
    message = str(caught.value)
    assert f"cannot reach http://127.0.0.1:{port}/Api/R3" in message
    assert "k-unreachable" not in message


def test_missing_credentials_are_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["pull", "-o", str(tmp_path / "s.json")],
        env={"MINICRM_SYSTEM_ID": "", "MINICRM_API_KEY": ""},
    )
    assert_one_line_error(result, "no system id")
    assert result.exit_code == 2


def test_output_folder_must_exist(fake_crm: FakeMiniCRM, tmp_path: Path) -> None:
    result = run_pull(fake_crm, tmp_path / "missing" / "s.json")
    assert_one_line_error(result, "does not exist")
    assert fake_crm.arrivals == []


def big_tenant(modules: int) -> dict[str, Any]:
    category = {str(100 + index): f"Modul {index}" for index in range(modules)}
    endpoints: dict[str, Any] = {
        "Category": category,
        "Category?Detailed=1": {
            key: {"Id": int(key), "Name": name, "Type": "Generic"}
            for key, name in category.items()
        },
        "Schema/Business": {"Id": "Int", "Name": "Text(255)"},
        "Schema/Person": {"Id": "Int", "FirstName": "Text(255)"},
    }
    for key in category:
        endpoints[f"Schema/Project/{key}"] = {
            "Id": "Int",
            "CategoryId": category,
            "Name": "Text(128)",
        }
    return endpoints


def test_thirty_module_pull_stays_inside_the_rate_budget() -> None:
    # Time scaled down: 10 requests per 0.5 s stands for 60 per minute; 34 requests must spread out.
    fake = FakeMiniCRM(endpoints=big_tenant(30), rate_limit=10, rate_period=0.5)
    with serve(fake):
        policy = FetchPolicy(rate_limit=10, rate_period=0.5, backoff_base=0.01)
        snapshot = pull(connection(fake), policy)
    assert len(snapshot.module_ids()) == 30
    assert fake.throttled == 0
    assert len(fake.arrivals) == 34
    assert fake.max_in_window() <= 10


def test_the_server_does_throttle_an_unpaced_client() -> None:
    # The measuring server is sound: a client with a budget far above the server's trips 429.
    fake = FakeMiniCRM(endpoints=big_tenant(30), rate_limit=10, rate_period=0.5)
    with serve(fake):
        pull(
            connection(fake),
            FetchPolicy(
                rate_limit=1000,
                rate_period=0.5,
                backoff_base=0.2,
                backoff_cap=0.5,
                max_attempts=10,
            ),
        )
    assert fake.throttled > 0


def test_progress_shows_on_a_terminal_and_ends_its_line(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    import os
    import pty
    import subprocess
    import sys

    def pull_on_a_terminal(*extra: str) -> str:
        master, slave = pty.openpty()
        env = {
            **os.environ,
            "MINICRM_API_KEY": fake_crm.api_key,
            "MINICRM_SYSTEM_ID": "42",
        }
        command = [
            sys.executable,
            "-m",
            "generator",
            "pull",
            "--base-url",
            fake_crm.base_url,
        ]
        process = subprocess.Popen(
            [*command, "-o", str(tmp_path / "s.json"), *extra], stderr=slave, env=env
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
        os.close(master)
        return b"".join(chunks).decode()

    shown = pull_on_a_terminal()
    assert "\rfetching schemas: 9/9\r\n" in shown
    assert shown.splitlines()[-1].startswith("wrote ")
    assert "fetching" not in pull_on_a_terminal("--quiet")
    fake_crm.queue("Schema/Person", Scripted(200, "<html>"))
    failed = pull_on_a_terminal()
    assert "fetching schemas: " in failed
    assert failed.splitlines()[-1].startswith("error: Schema/Person answered")


# -- hostile servers: bounded time and memory, one-line errors --------------------------------


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('{"3": {"Id": NaN}}', "holds NaN, which is not JSON"),
        ('{"3": {"Id": 1e999}}', "holds the number 1e999, which is out of range"),
        ('{"3": {"Id": ' + "7" * 5000 + "}}", "holds a number of 5000 digits"),
        ("[" * 100_000 + "]" * 100_000, "is nested too deeply"),
        ('{"3": {"Name": "Sales \\ud800"}}', "lone surrogate"),
    ],
    ids=["nan", "huge-float", "huge-int", "deep", "surrogate"],
)
def test_an_answer_no_snapshot_may_hold_is_a_one_line_error(
    fake_crm: FakeMiniCRM, tmp_path: Path, body: str, needle: str
) -> None:
    fake_crm.queue("Category?Detailed=1", Scripted(200, body))
    result = run_pull(fake_crm, tmp_path / "s.json")
    line = assert_one_line_error(result, "Category?Detailed=1", needle)
    assert line.isprintable()
    assert list(tmp_path.iterdir()) == []


def test_a_trickling_answer_hits_the_deadline(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    # 200 bytes, one every 0.1 s: 20 s of reading, every read well inside the read timeout.
    answer = json.dumps(fake_crm.endpoints["Schema/Person"]).encode()[:200]
    fake_crm.queue("Schema/Person", Scripted(200, answer, trickle=0.1))
    result = run_pull(fake_crm, tmp_path / "s.json", "--deadline", "0.5")
    assert_one_line_error(
        result, "Schema/Person", "was not complete within 0.5s", "--deadline"
    )
    assert fake_crm.paths().count("Schema/Person") == 1, "a trickle is not retried"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["0", "-1", "nan", "-nan"])
def test_deadline_must_be_positive(
    fake_crm: FakeMiniCRM, tmp_path: Path, value: str
) -> None:
    # nan passes every comparison click's range makes, and then no answer is ever in time.
    result = run_pull(fake_crm, tmp_path / "s.json", "--deadline", value)
    assert_one_line_error(result, "--deadline")
    assert result.exit_code == 2
    assert fake_crm.arrivals == []


def gzip_bomb(decoded_mib: int) -> bytes:
    """A JSON object padded with spaces: ``decoded_mib`` MiB once decompressed, a few KiB sent."""
    import gzip

    return gzip.compress(b"{" + b" " * (decoded_mib * 2**20) + b"}", mtime=0)


@pytest.mark.parametrize(
    ("flags", "decoded_mib", "limit"),
    [((), 20, "16 MiB"), (("--max-answer-mb", "1"), 2, "1 MiB")],
)
def test_an_answer_beyond_the_size_cap_is_refused(
    fake_crm: FakeMiniCRM,
    tmp_path: Path,
    flags: tuple[str, ...],
    decoded_mib: int,
    limit: str,
) -> None:
    bomb = gzip_bomb(decoded_mib)
    assert len(bomb) < 64 * 1024
    fake_crm.queue("Schema/Person", Scripted(200, bomb, {"Content-Encoding": "gzip"}))
    result = run_pull(fake_crm, tmp_path / "s.json", *flags)
    assert_one_line_error(
        result, "Schema/Person", f"more than {limit}", "--max-answer-mb"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_answer_inside_the_size_cap_is_read(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    import gzip

    person = json.dumps(fake_crm.endpoints["Schema/Person"]).encode()
    padded = person[:-1] + b" " * (2**20) + b"}"  # just over 1 MiB decoded
    fake_crm.queue(
        "Schema/Person",
        Scripted(200, gzip.compress(padded, mtime=0), {"Content-Encoding": "gzip"}),
    )
    result = run_pull(fake_crm, tmp_path / "s.json", "--max-answer-mb", "2")
    assert result.exit_code == 0, result.output
    assert (
        load_snapshot(tmp_path / "s.json").endpoints == load_demo_snapshot().endpoints
    )


def test_a_server_echoing_the_credentials_does_not_leak_them(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    import base64

    token = base64.b64encode(f"42:{fake_crm.api_key}".encode()).decode()
    echo = f"bad request from key {fake_crm.api_key}, header Basic {token}"
    fake_crm.queue("Schema/Person", Scripted(400, echo))
    result = run_pull(fake_crm, tmp_path / "s.json")
    line = assert_one_line_error(result, "Schema/Person answered HTTP 400")
    assert fake_crm.api_key not in result.output and token not in result.output
    assert "***" in line


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("nan", None),
        ("-5", None),
        ("inf", None),
        ("soon", None),
        ("Mon, 01 Jan 99999 00:00:00 GMT", None),
        ("3", 3.0),
        ("1e9", None),
        ("999999999999", 120.0),
    ],
)
def test_retry_after_values(header: str, expected: float | None) -> None:
    from generator.fetch import retry_after_seconds

    assert retry_after_seconds(header, cap=120.0) == expected


def test_an_invalid_retry_after_falls_back_to_backoff(fake_crm: FakeMiniCRM) -> None:
    fake_crm.queue(
        "Schema/Person",
        Scripted(429, "Too Many Requests", {"Retry-After": "nan"}),
        Scripted(429, "Too Many Requests", {"Retry-After": "-1"}),
    )
    snapshot = pull(connection(fake_crm), FAST)
    assert fake_crm.paths().count("Schema/Person") == 3
    assert snapshot.endpoints["Schema/Person"] == fake_crm.endpoints["Schema/Person"]


def test_the_documented_limits_are_the_defaults() -> None:
    from generator.cli import pull_command

    defaults = {param.name: param.default for param in pull_command.params}
    assert (defaults["deadline"], defaults["max_answer_mb"]) == (60.0, 16)
    policy = FetchPolicy()
    assert (policy.deadline, policy.max_answer_bytes) == (60.0, 16 * 2**20)
    assert policy.retry_after_cap == 120.0


def test_broken_compression_is_a_one_line_error(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    fake_crm.queue(
        "Schema/Person", Scripted(200, b"not gzip", {"Content-Encoding": "gzip"})
    )
    result = run_pull(fake_crm, tmp_path / "s.json")
    assert_one_line_error(result, "Schema/Person", "cannot be decompressed")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--system-id", "\udcff"),
        ("--api-key", "key\udcff"),
        ("--base-url", "http://x/\udcff"),
    ],
)
def test_a_flag_that_is_not_text_is_a_one_line_error(
    tmp_path: Path, flag: str, value: str
) -> None:
    # Python hands bytes that are not UTF-8 in argv or the environment over as lone surrogates.
    flags = {"--system-id": "42", "--api-key": "k", "--base-url": "http://x/Api/R3"}
    flags[flag] = value
    args = [part for pair in flags.items() for part in pair]
    result = CliRunner().invoke(
        main,
        ["pull", "-o", str(tmp_path / "s.json"), *args],
        env={"MINICRM_API_KEY": ""},
    )
    line = assert_one_line_error(result, flag, "not valid UTF-8")
    assert result.exit_code == 2 and "key" not in line.split(flag)[1]


def test_stacked_compression_is_refused_before_it_expands(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    # gzip inside gzip: 1 KiB on the wire, 128 MiB in ONE decompression step, far past any
    # check between chunks: pull must refuse it unread, however small --max-answer-mb.
    import gzip
    import tracemalloc

    stacked = gzip.compress(gzip_bomb(128), mtime=0)
    assert len(stacked) < 2048
    fake_crm.queue(
        "Schema/Person", Scripted(200, stacked, {"Content-Encoding": "gzip, gzip"})
    )
    tracemalloc.start()
    try:
        result = run_pull(fake_crm, tmp_path / "s.json", "--max-answer-mb", "1")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_one_line_error(result, "Schema/Person", "Content-Encoding 'gzip, gzip'")
    assert peak < 16 * 2**20
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "deflate, gzip"])
def test_only_gzip_or_deflate_is_asked_for_and_read(
    fake_crm: FakeMiniCRM,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    encoding: str,
) -> None:
    # httpx as it is where brotli and zstandard are installed: it asks for both and decodes
    # them (stood in for here by its gzip decoder), though they expand far more than gzip.
    import gzip

    import httpx

    monkeypatch.setattr(httpx._client, "ACCEPT_ENCODING", "gzip, deflate, br, zstd")
    for name in ("br", "zstd"):
        monkeypatch.setitem(
            httpx._decoders.SUPPORTED_DECODERS, name, httpx._decoders.GZipDecoder
        )
    person = gzip.compress(json.dumps(fake_crm.endpoints["Schema/Person"]).encode())
    fake_crm.queue(
        "Schema/Person", Scripted(200, person, {"Content-Encoding": encoding})
    )
    result = run_pull(fake_crm, tmp_path / "s.json")
    assert_one_line_error(result, "Schema/Person", f"Content-Encoding {encoding!r}")
    assert {headers["Accept-Encoding"] for headers in fake_crm.request_headers} == {
        "gzip, deflate"
    }


def test_an_echoed_key_cut_short_shows_no_part_of_it(
    fake_crm: FakeMiniCRM, tmp_path: Path
) -> None:
    # The message shows the start of the body: the key must be hidden before it is cut, or
    # a key that straddles the cut shows its first characters.
    fake_crm.queue("Schema/Person", Scripted(400, "x" * 190 + fake_crm.api_key))
    result = run_pull(fake_crm, tmp_path / "s.json")
    assert_one_line_error(result, "Schema/Person answered HTTP 400")
    assert fake_crm.api_key[:4] not in result.output


@pytest.mark.parametrize("scheme", ["https", "ftp"])
def test_credentials_in_the_base_url_are_refused_unshown(
    tmp_path: Path, scheme: str
) -> None:
    # MiniCRM's own examples write https://SystemId:APIKey@r3.minicrm.hu/...; such a URL
    # would put the key into the snapshot's source and into every message naming the URL,
    # whatever else is wrong with it.
    result = CliRunner().invoke(
        main,
        ["pull", "-o", str(tmp_path / "s.json"), "--base-url"]
        + [f"{scheme}://42:k3y-in-url@127.0.0.1:1/Api/R3"],
        env={"MINICRM_API_KEY": "k3y-in-env", "MINICRM_SYSTEM_ID": "42"},
    )
    assert_one_line_error(result, "--base-url", "credentials", "MINICRM_API_KEY")
    assert result.exit_code == 2 and "k3y-in-url" not in result.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "typo", ["http:/{auth}@127.0.0.1/Api", " https://{auth}@host/Api"]
)
def test_a_mistyped_base_url_with_credentials_is_not_shown(
    tmp_path: Path, typo: str
) -> None:
    # Mistyped, such a URL has no userinfo to recognise; the message names the problem only.
    result = CliRunner().invoke(
        main,
        ["pull", "-o", str(tmp_path / "s.json"), "--base-url"]
        + [typo.format(auth="42:k3y-in-url")],
        env={"MINICRM_API_KEY": "k3y-in-env", "MINICRM_SYSTEM_ID": "42"},
    )
    assert_one_line_error(result, "--base-url")
    assert result.exit_code == 2 and "k3y-in-url" not in result.output


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:99999/Api/R3", "port"),
        ("http://127.0.0.1:1/Api\n/R3", "non-printable"),
        ("http:///Api/R3", "host"),
        ("http://xn--zz/Api/R3", "host"),
    ],
)
def test_an_unusable_base_url_is_a_one_line_error(
    tmp_path: Path, url: str, problem: str
) -> None:
    result = CliRunner().invoke(
        main,
        ["pull", "-o", str(tmp_path / "s.json"), "--base-url", url],
        env={"MINICRM_API_KEY": "k3y", "MINICRM_SYSTEM_ID": "42"},
    )
    assert_one_line_error(result, "--base-url", problem)
    assert result.exit_code == 2


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_and_says_where_it_leads(
    fake_crm: FakeMiniCRM, tmp_path: Path, status: int
) -> None:
    # Following it would hand the Authorization header to whatever the server names; the
    # error says where it leads (the key hidden, should it ride in the URL) and what to do.
    target = f"https://elsewhere.example/Api/R3/Category?echo={fake_crm.api_key}"
    fake_crm.queue("Category", Scripted(status, "", {"Location": target}))
    result = run_pull(fake_crm, tmp_path / "s.json")
    assert_one_line_error(
        result,
        f"Category answered HTTP {status}, a redirect to "
        "'https://elsewhere.example/Api/R3/Category?echo=***'",
        "--base-url",
    )
    assert fake_crm.api_key not in result.output
    assert fake_crm.paths() == ["Category"]

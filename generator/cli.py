"""The ``minicrm-codegen`` command line: thin wiring of the pipeline stages to flags.

Every expected failure is a :class:`~generator.errors.CodegenError`; it is printed as one line
(``error: …``) with a non-zero exit code, never as a traceback, and never with the API key.
"""

from __future__ import annotations

import keyword
from collections import Counter
import re
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__, naming
from .build_model import build_tenant
from .config import load_config
from .errors import CodegenError, ConfigError, GenerationError
from .fetch import DEFAULT_BASE_URL, Connection, FetchPolicy, pull
from .render import DEFAULT_PACKAGE_VERSION, render_package
from .snapshot import Snapshot, load_demo_snapshot, load_snapshot
from .write import manifest_text, write_project

F = TypeVar("F", bound=Callable[..., Any])


def live_options(function: F) -> F:
    """The flags that say which live system to read, with their environment fallbacks."""
    options = [
        click.option(
            "--system-id",
            envvar="MINICRM_SYSTEM_ID",
            help="System id (env MINICRM_SYSTEM_ID).",
        ),
        click.option(
            "--api-key",
            envvar="MINICRM_API_KEY",
            help="API key (env MINICRM_API_KEY; prefer the variable: flags show up in process lists).",
        ),
        click.option(
            "--base-url",
            envvar="MINICRM_BASE_URL",
            default=DEFAULT_BASE_URL,
            show_default=True,
            help="API root (env MINICRM_BASE_URL).",
        ),
        click.option(
            "--rate-limit",
            type=click.IntRange(min=1),
            default=60,
            show_default=True,
            help="Requests per minute the system allows.",
        ),
        click.option(
            "--deadline",
            type=click.FloatRange(min=0, min_open=True),
            default=60.0,
            show_default=True,
            help="Seconds a request may take from sending to the last byte of its answer.",
        ),
        click.option(
            "--max-answer-mb",
            type=click.IntRange(min=1),
            default=16,
            show_default=True,
            help="Largest answer read, in MiB once decompressed.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def text_flag(name: str, value: str) -> str:
    """``value`` if it is text: Python passes bytes that are not UTF-8 on as lone surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(
            f"{name} is not valid UTF-8 text; check the flag or its environment variable"
        ) from None
    return value


def connection_from(
    system_id: str | None, api_key: str | None, base_url: str
) -> Connection:
    for name, value in (
        ("--system-id", system_id),
        ("--api-key", api_key),
        ("--base-url", base_url),
    ):
        text_flag(name, value or "")
    if not system_id:
        raise ConfigError("no system id: pass --system-id or set MINICRM_SYSTEM_ID")
    if not api_key:
        raise ConfigError("no API key: set MINICRM_API_KEY (or pass --api-key)")
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"--base-url must start with http:// or https://, got {base_url!r}"
        )
    return Connection(
        system_id=system_id, api_key=api_key, base_url=base_url.rstrip("/")
    )


class Progress:
    """``fetching schemas: k/n`` on one terminal line; silent when quiet or not a terminal."""

    def __init__(self, quiet: bool) -> None:
        self.active = not quiet and sys.stderr.isatty()
        self.open_line = False

    def __call__(self, done: int, total: int) -> None:
        if self.active:
            sys.stderr.write(f"\rfetching schemas: {done}/{total}")
            sys.stderr.flush()
            self.open_line = True

    def close(self) -> None:
        """End the progress line, so whatever is printed next starts on its own line."""
        if self.open_line:
            sys.stderr.write("\n")
            self.open_line = False


def pull_live(
    system_id: str | None,
    api_key: str | None,
    base_url: str,
    rate_limit: int,
    deadline: float,
    max_answer_mb: int,
    quiet: bool,
) -> Snapshot:
    connection = connection_from(system_id, api_key, base_url)
    policy = FetchPolicy(
        rate_limit=rate_limit, deadline=deadline, max_answer_bytes=max_answer_mb * 2**20
    )
    progress = Progress(quiet)
    try:
        return pull(connection, policy, progress)
    finally:
        progress.close()


class _OneLineUsage(click.Command):
    """Reports bad flags on one line (see ``_OneLineUsageError``); shared by group and commands."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            raise _one_line(exc) from None


class Cli(_OneLineUsage, click.Group):
    """Turns expected failures into one line on stderr and a non-zero exit code."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CodegenError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(130)


class _OneLineUsageError(click.UsageError):
    """A usage error shown as one line that says where help is, instead of click's three."""

    def show(self, file: Any = None) -> None:
        command = self.ctx.command_path if self.ctx else "minicrm-codegen"
        click.echo(f"error: {self.format_message()} (see `{command} --help`)", err=True)


def _one_line(exc: click.UsageError) -> _OneLineUsageError:
    return _OneLineUsageError(exc.format_message(), exc.ctx)


@click.group(cls=Cli)
@click.version_option(__version__, prog_name="minicrm-codegen")
def main() -> None:
    """Generate a typed Python client for one MiniCRM system from its schema."""


@main.command("pull", cls=_OneLineUsage)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Snapshot file to write.",
)
@live_options
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def pull_command(
    output: Path,
    system_id: str | None,
    api_key: str | None,
    base_url: str,
    rate_limit: int,
    deadline: float,
    max_answer_mb: int,
    quiet: bool,
) -> None:
    """Fetch a live system's schema into a snapshot file (the lock file).

    The snapshot holds the raw schema answers, the base URL and system id, never the API key.
    It is written atomically: on any failure an existing snapshot stays untouched.
    """
    if not output.parent.is_dir() and str(output.parent):
        raise ConfigError(
            f"cannot write {output}: folder {output.parent} does not exist"
        )
    snapshot = pull_live(
        system_id, api_key, base_url, rate_limit, deadline, max_answer_mb, quiet
    )
    snapshot.write(output)
    if not quiet:
        modules = len(snapshot.module_ids())
        click.echo(
            f"wrote {output}: {modules} modules, {snapshot.fingerprint}", err=True
        )


def snapshot_source(
    schema: Path | None,
    demo: bool,
    system_id: str | None,
    api_key: str | None,
    base_url: str,
    rate_limit: int,
    deadline: float,
    max_answer_mb: int,
    quiet: bool,
) -> Snapshot:
    """The one place that turns ``--schema`` / ``--demo`` / live flags into a snapshot."""
    chosen = [
        name
        for name, given in (("--schema", schema is not None), ("--demo", demo))
        if given
    ]
    if len(chosen) > 1:
        raise ConfigError(f"{' and '.join(chosen)} both name a schema; give only one")
    if schema is not None:
        return load_snapshot(schema)
    if demo:
        return load_demo_snapshot()
    if not system_id and not api_key:
        raise ConfigError(
            "no schema given: pass --schema FILE (a snapshot from `pull`), --demo, "
            "or --system-id with MINICRM_API_KEY to read a live system"
        )
    return pull_live(
        system_id, api_key, base_url, rate_limit, deadline, max_answer_mb, quiet
    )


PACKAGE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_package_name(name: str) -> str:
    if (
        not PACKAGE_NAME.fullmatch(name)
        or keyword.iskeyword(name)
        or name in sys.stdlib_module_names
    ):
        raise ConfigError(
            f"--package-name {name!r} is not usable: use lower-case letters, digits and _, "
            "not starting with a digit, and not a keyword or a standard-library module"
        )
    return name


#: A version as PEP 440 writes it in canonical form (``1.2.0``, ``2.0rc1``, ``1.0.post1``).
PACKAGE_VERSION = re.compile(
    r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*((a|b|rc)(0|[1-9][0-9]*))?"
    r"(\.post(0|[1-9][0-9]*))?(\.dev(0|[1-9][0-9]*))?"
)


def check_package_version(version: str) -> str:
    if not PACKAGE_VERSION.fullmatch(version):
        raise ConfigError(
            f"--package-version {version!r} is not usable: give a version as PEP 440 "
            "writes it, such as 1.2.0, 2.0rc1 or 1.0.post1"
        )
    return version


def default_package_name(snapshot: Snapshot) -> str:
    return "minicrm_" + naming.snake_case(snapshot.system_id, "system", frozenset())


@main.command("generate", cls=_OneLineUsage)
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder of the generated project.",
)
@click.option(
    "--package-name", help="Python package name (default: minicrm_<system id>)."
)
@click.option(
    "--package-version",
    default=DEFAULT_PACKAGE_VERSION,
    show_default=True,
    help="Version of the generated project (pyproject.toml and __version__).",
)
@click.option(
    "--schema",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Snapshot file written by `pull`.",
)
@click.option("--demo", is_flag=True, help="Use the bundled demo system's schema.")
@live_options
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file with per-field overrides.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a folder minicrm-codegen did not make, or over edited files.",
)
@click.option(
    "--strict", is_flag=True, help="Fail (and write nothing) when there are warnings."
)
@click.option("--quiet", "-q", is_flag=True, help="Only errors.")
def generate_command(
    output: Path,
    package_name: str | None,
    package_version: str,
    schema: Path | None,
    demo: bool,
    system_id: str | None,
    api_key: str | None,
    base_url: str,
    rate_limit: int,
    deadline: float,
    max_answer_mb: int,
    config_path: Path | None,
    force: bool,
    strict: bool,
    quiet: bool,
) -> None:
    """Generate a typed client package for one system into OUTPUT.

    The schema comes from a snapshot (--schema), the bundled demo (--demo) or a live system
    (--system-id and MINICRM_API_KEY). The same schema always gives the same bytes.
    """
    config = load_config(config_path)
    if package_name is not None:
        check_package_name(package_name)
    check_package_version(package_version)
    snapshot = snapshot_source(
        schema,
        demo,
        system_id,
        api_key,
        base_url,
        rate_limit,
        deadline,
        max_answer_mb,
        quiet,
    )
    package = package_name or check_package_name(default_package_name(snapshot))
    tenant = build_tenant(snapshot, config)
    warnings = tenant.diagnostics
    if warnings and strict:
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
        raise GenerationError(
            f"{len(warnings)} warning(s) and --strict is set; nothing was written"
        )
    files = render_package(tenant, package, package_version)
    manifest = manifest_text(
        files, f"minicrm-codegen {__version__}", tenant.fingerprint, package
    )
    report = write_project(files, output, manifest, force)
    if not quiet:
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
        summary = f"generated {package} into {output}: {report.written} files"
        if report.removed:
            summary += f", removed {len(report.removed)} stale"
        if warnings:
            by_code = Counter(warning.code for warning in warnings)
            kinds = ", ".join(
                f"{count} {code}" for code, count in sorted(by_code.items())
            )
            summary += f", {len(warnings)} warning(s) ({kinds})"
        click.echo(summary, err=True)


@main.command("sandbox", cls=_OneLineUsage)
@click.option(
    "--schema",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Snapshot whose schema to serve.",
)
@click.option(
    "--demo", is_flag=True, help="Serve the bundled demo system (the default)."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file (in memory when omitted).",
)
@click.option(
    "--system-id",
    default="sandbox",
    show_default=True,
    help="System id clients log in with.",
)
@click.option(
    "--api-key",
    default="sandbox-key",
    show_default=True,
    help="API key clients log in with.",
)
@click.option(
    "--seed",
    "seed_count",
    type=click.IntRange(min=0),
    default=0,
    help="Fill an empty system with N projects per module.",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    help="Requests per minute before 429 (real systems: 60).",
)
@click.option(
    "--latency-ms", type=click.IntRange(min=0), default=0, help="Delay every answer."
)
@click.option(
    "--fail-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of requests answered 500.",
)
@click.option(
    "--drop-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    help="Share of connections cut before the answer.",
)
@click.option("--quiet", "-q", is_flag=True, help="No access log.")
def sandbox_command(
    schema: Path | None,
    demo: bool,
    host: str,
    port: int,
    db: Path | None,
    system_id: str,
    api_key: str,
    seed_count: int,
    rate_limit: int | None,
    latency_ms: int,
    fail_rate: float,
    drop_rate: float,
    quiet: bool,
) -> None:
    """Serve a local MiniCRM R3 API for a snapshot's schema (the demo by default).

    Data lives in SQLite (--db FILE keeps it across restarts). Point `pull` or a generated
    client at the printed base URL. Stop with Ctrl-C.
    """
    from .sandbox.app import Faults
    from .sandbox.seed import seed
    from .sandbox.server import SandboxServer

    if schema is not None and demo:
        raise ConfigError("--schema and --demo both name a schema; give only one")
    text_flag("--system-id", system_id)
    text_flag("--api-key", api_key)
    snapshot = load_snapshot(schema) if schema is not None else load_demo_snapshot()
    faults = Faults(
        rate_limit=rate_limit,
        latency_ms=latency_ms,
        fail_rate=fail_rate,
        drop_rate=drop_rate,
    )
    try:
        server = SandboxServer(
            snapshot,
            system_id,
            api_key,
            host,
            port,
            str(db) if db else None,
            faults,
            access_log=not quiet,
        )
    except sqlite3.Error as exc:
        raise ConfigError(f"cannot open the database {db}: {exc}") from None
    if seed_count:
        if server.store.count():
            click.echo(
                f"the database already holds data; --seed {seed_count} left it as it is",
                err=True,
            )
        else:
            seed(server.sandbox, seed_count)
    try:
        server.start()
    except RuntimeError as exc:
        raise ConfigError(f"{exc}; choose another --port or --host") from None
    click.echo(
        f"MiniCRM sandbox for system {snapshot.system_id!r} at {server.base_url}",
        err=True,
    )
    click.echo(
        f"  MINICRM_BASE_URL={server.base_url} MINICRM_SYSTEM_ID={system_id} MINICRM_API_KEY={api_key}",
        err=True,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        click.echo("stopping the sandbox", err=True)
    finally:
        server.stop()


@main.command("diff", cls=_OneLineUsage)
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file with per-field overrides.",
)
@click.option(
    "--exit-zero", is_flag=True, help="Exit 0 even when a change breaks the client."
)
def diff_command(
    old: Path, new: Path, config_path: Path | None, exit_zero: bool
) -> None:
    """Say what changed between two snapshots and what breaks code using the client.

    Exits 1 when a change is breaking (a removed module, field or option, a changed type, a
    renamed Python name), so CI can stop before regenerating a client that breaks callers.
    """
    from .diff import diff_tenants

    config = load_config(config_path)
    changes = diff_tenants(
        build_tenant(load_snapshot(old), config),
        build_tenant(load_snapshot(new), config),
    )
    for change in changes:
        click.echo(str(change))
    breaking = sum(change.breaking for change in changes)
    click.echo(f"{len(changes)} change(s), {breaking} breaking", err=True)
    if breaking and not exit_zero:
        sys.exit(1)

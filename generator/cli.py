"""The ``minicrm-codegen`` command line: thin wiring of the pipeline stages to flags.

Every expected failure is a :class:`~generator.errors.CodegenError`; it is printed as one line
(``error: …``) with a non-zero exit code, never as a traceback, and never with the API key.
SIGTERM is handled as Ctrl-C is (``interrupted; nothing was written``), with exit code 143
instead of 130; the sandbox takes either as its cue to shut down.
"""

from __future__ import annotations

import math
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import CodegenError, ConfigError
from .jobs import (
    DiffOptions,
    GenerateOptions,
    Report,
    diff_job,
    generate_job,
    print_reports,
    pin_job,
    pull_job,
    run_systems,
)
from .settings import DEFAULT_BASE_URL, Flags, check_package_name, resolve, text_flag
from .snapshot import load_demo_snapshot, load_snapshot

F = TypeVar("F", bound=Callable[..., Any])


def _a_number(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """Refuse ``nan``, which passes every comparison a click range makes."""
    if math.isnan(value):
        raise click.BadParameter(f"{value} is not a number of seconds")
    return value


def live_options(function: F) -> F:
    """The flags that say which live system to read (environment and configuration fill gaps)."""
    options = [
        click.option(
            "--system-id",
            help="System id (configuration system-id, env MINICRM_SYSTEM_ID).",
        ),
        click.option(
            "--api-key",
            help="API key (env MINICRM_API_KEY, or the variable api-key-env names; "
            "prefer the variable: flags show up in process lists).",
        ),
        click.option(
            "--base-url",
            help=f"API root (configuration base-url, env MINICRM_BASE_URL; "
            f"default {DEFAULT_BASE_URL}).",
        ),
        click.option(
            "--rate-limit",
            type=click.IntRange(min=1),
            help="Requests per minute the system allows (default 60).",
        ),
        click.option(
            "--deadline",
            type=click.FloatRange(min=0, min_open=True),
            callback=_a_number,
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


def config_options(function: F) -> F:
    """``--config FILE`` and ``--system NAME``: which configuration, and which of its systems."""
    options = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Configuration file (default: minicrm-codegen.toml or pyproject.toml "
            "[tool.minicrm-codegen], in this folder or a parent).",
        ),
        click.option(
            "--system",
            "systems",
            multiple=True,
            help="Run for this configured system only (repeatable; default: all).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def finish(reports: list[Report]) -> None:
    """Print the reports of a run and exit with its code."""
    code = print_reports(reports, lambda line, err: click.echo(line, err=err))
    if code:
        sys.exit(code)


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
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            return super().invoke(ctx)
        except CodegenError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            click.echo("interrupted; nothing was written", err=True)
            sys.exit(143 if isinstance(exc, Terminated) else 130)
        finally:
            signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the run stops where it is, cleanly, in one line."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


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
    help="Snapshot file to write (default: the configuration's schema).",
)
@live_options
@config_options
@click.option("--quiet", "-q", is_flag=True, help="No progress output.")
def pull_command(
    output: Path | None,
    system_id: str | None,
    api_key: str | None,
    base_url: str | None,
    rate_limit: int | None,
    deadline: float,
    max_answer_mb: int,
    config_path: Path | None,
    systems: tuple[str, ...],
    quiet: bool,
) -> None:
    """Fetch a live system's schema into a snapshot file (the lock file).

    The snapshot holds the raw schema answers, the base URL and system id, never the API key.
    It is written atomically: on any failure an existing snapshot stays untouched. With a
    configuration that lists systems, every system (or each --system) is pulled, in parallel.
    """
    flags = Flags(
        config=config_path,
        systems=systems,
        schema=output,
        base_url=base_url,
        system_id=system_id,
        api_key=api_key,
        rate_limit=rate_limit,
        deadline=deadline,
        max_answer_mb=max_answer_mb,
    )
    chosen = resolve(flags, Path.cwd(), os.environ)
    quiet_progress = quiet or len(chosen) > 1
    finish(run_systems(chosen, pull_job(quiet_progress), parallel=True))


@main.command("generate", cls=_OneLineUsage)
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the generated project (or output in the configuration).",
)
@click.option(
    "--package-name", help="Python package name (default: minicrm_<system id>)."
)
@click.option(
    "--package-version",
    help="Version of the generated project, MAJOR.MINOR.PATCH (default 0.1.0).",
)
@click.option(
    "--schema",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Snapshot file written by `pull`.",
)
@click.option("--demo", is_flag=True, help="Use the bundled demo system's schema.")
@live_options
@config_options
@click.option(
    "--include-modules",
    multiple=True,
    help="Generate only this module (id or name; repeatable).",
)
@click.option(
    "--exclude-modules",
    multiple=True,
    help="Do not generate this module (id or name; repeatable).",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 0 when OUTPUT is up to date, 1 (listing the files) when not, "
    "2 on errors.",
)
@click.option(
    "--bump",
    is_flag=True,
    help="Raise the package version as `diff` suggests for the changes since OUTPUT was "
    "generated, and record it in the configuration file.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Render even when nothing changed, write into a folder minicrm-codegen did not "
    "make or over edited files, and move your files that stand where generated ones go aside "
    "(to NAME.mine).",
)
@click.option(
    "--strict", is_flag=True, help="Fail (and write nothing) when there are warnings."
)
@click.option("--quiet", "-q", is_flag=True, help="Only errors.")
def generate_command(
    output: Path | None,
    package_name: str | None,
    package_version: str | None,
    schema: Path | None,
    demo: bool,
    system_id: str | None,
    api_key: str | None,
    base_url: str | None,
    rate_limit: int | None,
    deadline: float,
    max_answer_mb: int,
    config_path: Path | None,
    systems: tuple[str, ...],
    include_modules: tuple[str, ...],
    exclude_modules: tuple[str, ...],
    check: bool,
    bump: bool,
    force: bool,
    strict: bool,
    quiet: bool,
) -> None:
    """Generate a typed client package for one system into OUTPUT.

    The schema comes from a snapshot (--schema), the bundled demo (--demo) or a live system
    (--system-id and MINICRM_API_KEY). The same schema always gives the same bytes, and when
    the schema, settings and generator are those OUTPUT was made with, nothing is rendered and
    no file is touched.
    """
    if package_name is not None:
        check_package_name(package_name)
    flags = Flags(
        config=config_path,
        systems=systems,
        schema=schema,
        output=output,
        package_name=package_name,
        package_version=package_version,
        base_url=base_url,
        system_id=system_id,
        api_key=api_key,
        rate_limit=rate_limit,
        deadline=deadline,
        max_answer_mb=max_answer_mb,
        strict=strict,
        include_modules=include_modules,
        exclude_modules=exclude_modules,
    )
    try:
        chosen = resolve(flags, Path.cwd(), os.environ)
    except CodegenError as exc:
        if check:
            exc.exit_code = 2
        raise
    if bump and (check or package_version):
        raise ConfigError(
            "--bump sets the version itself; not with --check or --package-version"
        )
    options = GenerateOptions(
        demo=demo, force=force, check=check, quiet=quiet, bump=bump
    )
    finish(
        run_systems(
            chosen,
            generate_job(options),
            parallel=False,
            error_code=2 if check else None,
        )
    )


@main.command("pin", cls=_OneLineUsage)
@click.option(
    "--schema",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Snapshot file written by `pull` (or schema in the configuration).",
)
@click.option("--demo", is_flag=True, help="Use the bundled demo system's schema.")
@config_options
@click.option("--quiet", "-q", is_flag=True, help="Only errors.")
def pin_command(
    schema: Path | None,
    demo: bool,
    config_path: Path | None,
    systems: tuple[str, ...],
    quiet: bool,
) -> None:
    """Pin the current Python names of every module, field and option.

    Writes minicrm-codegen.names.json beside the configuration file (in this folder when there
    is none). From then on a relabel keeps the old Python name, and new options never take a
    pinned name. Names already pinned stay as they are; pins of ids gone from the schema are
    dropped (and reported).
    """
    flags = Flags(config=config_path, systems=systems, schema=schema)
    chosen = resolve(flags, Path.cwd(), os.environ)
    finish(run_systems(chosen, pin_job(demo, quiet), parallel=False))


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
@click.option(
    "--webhook",
    "webhook_specs",
    multiple=True,
    metavar="'URL [type=Project|Contact] [module=ID] [fields=A,B]'",
    help="POST MiniCRM's webhook payload to URL on every matching change (repeatable).",
)
@click.option(
    "--webhook-retry-scale",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    help="Multiply the webhook retry delays (10 s, 1 min ... 1 h) by this factor.",
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
    webhook_specs: tuple[str, ...],
    webhook_retry_scale: float,
    quiet: bool,
) -> None:
    """Serve a local MiniCRM R3 API for a snapshot's schema (the demo by default).

    Data lives in SQLite (--db FILE keeps it across restarts). Point `pull` or a generated
    client at the printed base URL. Stop with Ctrl-C.
    """
    import sqlite3

    from .build_model import build_tenant
    from .sandbox.app import Faults
    from .sandbox.seed import seed
    from .sandbox.server import SandboxServer
    from .sandbox.webhooks import shown, webhook_setting

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
    webhooks = []
    if webhook_specs:
        tenant = build_tenant(snapshot)
        for spec in webhook_specs:
            try:
                webhooks.append(webhook_setting(spec, tenant))
            except ValueError as exc:
                raise ConfigError(f"--webhook {shown(spec)!r}: {exc}") from None

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
            webhooks=tuple(webhooks),
            webhook_retry_scale=webhook_retry_scale,
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
    for webhook in webhooks:
        click.echo(f"  webhook -> {shown(webhook.url)}", err=True)
    try:
        server.wait()
    except KeyboardInterrupt:
        click.echo("stopping the sandbox", err=True)
    finally:
        server.stop()


@main.command("diff", cls=_OneLineUsage)
@click.argument("snapshots", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--live",
    is_flag=True,
    help="Pull the live system in memory as the new side (credentials as for `pull`).",
)
@live_options
@config_options
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "markdown", "json", "github"]),
    default="text",
    show_default=True,
    help="text; markdown (a pull-request comment); json (docs/diff-report.schema.json); "
    "github (workflow annotations on the snapshot file).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["breaking", "dangerous", "any", "never"]),
    default="breaking",
    show_default=True,
    help="Exit 1 when a change is at least this severe.",
)
@click.option("--exit-zero", is_flag=True, help="Same as --fail-on never.")
def diff_command(
    snapshots: tuple[Path, ...],
    live: bool,
    system_id: str | None,
    api_key: str | None,
    base_url: str | None,
    rate_limit: int | None,
    deadline: float,
    max_answer_mb: int,
    config_path: Path | None,
    systems: tuple[str, ...],
    format_: str,
    fail_on: str,
    exit_zero: bool,
) -> None:
    """Say what changed between two schemas, in client terms, and how severe each change is.

    diff OLD NEW compares two snapshots; diff NEW compares the configured snapshot with NEW;
    diff --live compares the configured snapshot (or OLD) with the live system. Severities:
    breaking (removed module, field or option, changed type, changed Python name), dangerous
    (shorter text limit, removed user, options now sharing a label, Set <-> Enum), safe
    (additions, relabels keeping the name, longer limits). Exit codes: 0 nothing at or above
    --fail-on, 1 something is, 2 an error. Also suggests the next package version.
    """
    from .report import json_document

    if len(snapshots) > 2:
        raise click.UsageError("give at most two snapshots: OLD NEW")
    first = snapshots[0] if snapshots else None
    old, new = (
        (first, snapshots[1])
        if len(snapshots) == 2
        else (first, None) if live else (None, first)
    )
    flags = Flags(
        config=config_path,
        systems=systems,
        base_url=base_url,
        system_id=system_id,
        api_key=api_key,
        rate_limit=rate_limit,
        deadline=deadline,
        max_answer_mb=max_answer_mb,
    )
    try:
        chosen = resolve(flags, Path.cwd(), os.environ)
    except CodegenError as exc:
        exc.exit_code = 2
        raise
    if snapshots and len(chosen) > 1:
        raise ConfigError(
            f"snapshot files name one system's schemas but this run covers {len(chosen)} "
            "systems; choose one with --system NAME"
        )
    options = DiffOptions(
        old=old,
        new=new,
        live=live,
        format=format_,
        fail_on="never" if exit_zero else fail_on,
    )
    reports = run_systems(chosen, diff_job(options), parallel=live, error_code=2)
    if format_ == "json":
        click.echo(json_document([r.data for r in reports if r.data]), nl=False)
    finish(reports)

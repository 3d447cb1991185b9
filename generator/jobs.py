"""Run a command for every system it covers, and say in one summary how each went.

A configuration file can describe many systems; ``pull``, ``generate`` (and ``--check``) and
``diff`` run once per system. Each run's output is collected in a :class:`Report` rather than
printed, so runs can go in parallel threads where they wait on the network (pull, diff against
a live system) and still print in a stable order. Generating runs one system after another:
rendering already uses every core.

The heavy stages (model building, rendering, HTTP) are imported where they are used, so the
fast path of a no-change ``generate`` or ``--check`` never loads them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .check import KEY_FIELDS, drift, unchanged
from .errors import CodegenError, ConfigError, GenerationError, SnapshotError
from .select import Selected, select_modules
from .settings import System, check_package_name, default_package_name, text_flag
from .snapshot import Snapshot, canonical_json, fingerprint_of
from .write import MANIFEST

if TYPE_CHECKING:
    from .model import Diagnostic, Tenant
    from .pins import Pins
    from .render import EntityJob
    from .render.spool import Spool
    from .render.workers import Workers

GENERATOR = f"minicrm-codegen {__version__}"
#: The selected schema a client was generated from, kept beside it: ``--bump`` diffs against it.
SCHEMA_RECORD = ".minicrm-codegen.schema.json"
SCHEMA_RECORD_FORMAT = "minicrm-codegen schema 1"


@dataclass
class Report:
    """What one system's run has to say: lines for stdout and stderr, an exit code, a verdict."""

    system: System
    code: int = 0
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    verdict: str = ""
    #: Whether stdout lines get the system's name as prefix (not for Markdown or annotations).
    prefix_out: bool = True
    #: A diff's result, for reports that gather all systems into one document.
    data: Any = None


def run_systems(
    systems: Sequence[System],
    job: Callable[[System, Report], None],
    parallel: bool,
    error_code: int | None = None,
) -> list[Report]:
    """Run ``job`` for each system; an expected failure becomes that system's report.

    ``error_code`` replaces an error's own exit code, for commands whose codes mean something
    else (``--check`` and ``diff`` exit 1 for drift, 2 for an error).
    """

    def one(system: System) -> Report:
        report = Report(system)
        try:
            job(system, report)
        except CodegenError as exc:
            report.code = error_code or exc.exit_code
            report.err.append(f"error: {exc}")
            report.verdict = "failed"
        return report

    if parallel and len(systems) > 1:
        with ThreadPoolExecutor(max_workers=min(len(systems), 4)) as pool:
            return list(pool.map(one, systems))
    return [one(system) for system in systems]


def print_reports(reports: Sequence[Report], echo: Callable[[str, bool], None]) -> int:
    """Print every report (stdout lines, then stderr lines) and, for named systems, a summary.

    Returns the exit code of the whole run: the highest of the systems' codes.
    """
    named = any(report.system.name for report in reports)
    for report in reports:
        prefix = f"{report.system.name}: " if report.system.name else ""
        for line in report.out:
            echo((prefix if report.prefix_out else "") + line, False)
        for line in report.err:
            echo(prefix + line, True)
    if named:
        width = max(len(report.system.title) for report in reports)
        for report in reports:
            echo(f"{report.system.title:{width}}  {report.verdict}", True)
        failed = [report.system.title for report in reports if report.code]
        tail = f"; not ok: {', '.join(failed)}" if failed else ""
        echo(f"{len(reports)} system(s), {len(reports) - len(failed)} ok{tail}", True)
    return max((report.code for report in reports), default=0)


# -- sources -----------------------------------------------------------------------------------


def live_snapshot(system: System, quiet: bool) -> Snapshot:
    """Pull a system's schema in memory (the same path a snapshot file takes afterwards)."""
    from .fetch import Connection, FetchPolicy, base_url_problem, pull
    from .progress import Progress

    for name, value in (
        ("--system-id", system.system_id),
        ("--api-key", system.api_key),
        ("--base-url", system.base_url),
    ):
        text_flag(name, value or "")
    if not system.system_id:
        raise ConfigError(
            "no system id: pass --system-id, set system-id in the configuration, "
            "or set MINICRM_SYSTEM_ID"
        )
    if not system.api_key:
        raise ConfigError(f"no API key: set {system.api_key_env} (or pass --api-key)")
    # One check for every problem, so that a URL holding credentials is never shown.
    problem = base_url_problem(system.base_url)
    if problem is not None:
        raise ConfigError(f"--base-url is not usable: {problem}")
    connection = Connection(
        system_id=system.system_id,
        api_key=system.api_key,
        base_url=system.base_url.rstrip("/"),
    )
    progress = Progress(quiet)
    try:
        policy = FetchPolicy(
            rate_limit=system.rate_limit,
            deadline=system.deadline,
            max_answer_bytes=system.max_answer_bytes,
        )
        return pull(connection, policy, progress)
    finally:
        progress.close()


def source_snapshot(system: System, demo: bool, quiet: bool) -> Snapshot:
    """The one place that turns ``--schema`` / ``--demo`` / a live system into a snapshot."""
    from .snapshot import load_demo_snapshot, load_snapshot

    if demo and system.schema is not None:
        raise ConfigError("--schema and --demo both name a schema; give only one")
    if system.schema is not None:
        return load_snapshot(system.schema)
    if demo:
        return load_demo_snapshot()
    if not system.system_id and not system.api_key:
        raise ConfigError(
            "no schema given: pass --schema FILE (a snapshot from `pull`), --demo, "
            "or --system-id with MINICRM_API_KEY to read a live system"
        )
    return live_snapshot(system, quiet)


# -- generate ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a generation will be made of, known before anything is built or rendered."""

    selected: Selected
    package: str
    key: dict[str, Any]
    excluded: frozenset[int]


def settings_record(system: System) -> dict[str, Any]:
    """Every setting that shapes the generated files, as the manifest records it."""
    from .pins import file_digest

    return {
        "package-version": system.package_version,
        "choices": system.choices.record(),
        "modules": system.selection.record(),
        "names": file_digest(system.names_file),
    }


def manifest_key(system: System, fingerprint: str, package: str) -> dict[str, Any]:
    """The manifest entries that say what made a folder (see :data:`check.KEY_FIELDS`)."""
    key = {
        "generator": GENERATOR,
        "fingerprint": fingerprint,
        "package": package,
        "settings": settings_record(system),
    }
    assert set(key) == set(KEY_FIELDS)
    return key


def plan(system: System, snapshot: Snapshot, package: str) -> Plan:
    origin = str(system.config_file or "the command line")
    selected = select_modules(snapshot, system.selection, origin)
    key = manifest_key(system, selected.snapshot.fingerprint, package)
    every = {int(i) for i in snapshot.module_ids()}
    return Plan(selected, package, key, frozenset(every - set(selected.module_ids)))


def load_system_pins(system: System, planned: Plan) -> Pins | None:
    """The system's pins, less those of modules the configuration leaves out."""
    from .pins import load_pins

    pins = load_pins(system.names_file, system.name)
    return pins.without_modules(set(planned.excluded)) if pins else None


def build_plan(system: System, planned: Plan, pinned: bool = True) -> Tenant:
    """The model of a planned generation (with the system's pins unless ``pinned`` is off)."""
    from .build_model import build_tenant

    pins = load_system_pins(system, planned) if pinned else None
    return build_tenant(planned.selected.snapshot, system.choices, pins)


def schema_record(snapshot: Snapshot) -> str:
    """The selected schema, kept with the client: what ``--bump`` compares a new schema with."""
    return canonical_json(
        {
            "format": SCHEMA_RECORD_FORMAT,
            "fingerprint": snapshot.fingerprint,
            "system_id": snapshot.system_id,
            "endpoints": snapshot.endpoints,
        }
    )


def read_schema_record(output: Path) -> Snapshot | None:
    """The schema an output folder was generated from, or None when it holds no valid record."""
    try:
        document = json.loads((output / SCHEMA_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict) or document.get("format") != SCHEMA_RECORD_FORMAT:
        return None
    endpoints, system_id = document.get("endpoints"), document.get("system_id")
    if not isinstance(endpoints, dict) or not isinstance(system_id, str):
        return None
    if document.get("fingerprint") != fingerprint_of(endpoints):
        raise SnapshotError(
            f"{output / SCHEMA_RECORD} was changed after it was generated; "
            "generate without --bump once to rewrite it"
        )
    return Snapshot(endpoints, "", system_id)


@dataclass(frozen=True)
class Rendered:
    """A rendered generation: every file as the bytes to write (the manifest among them),
    spooled to a temporary file (:mod:`generator.render.spool`), each file's manifest hash
    (computed once, for the manifest and the comparison with the folder), and its warnings.
    """

    files: Spool
    digests: dict[str, str]
    warnings: tuple[Diagnostic, ...]


def render_plan(
    system: System,
    planned: Plan,
    workers: Workers[EntityJob, bytes] | None,
) -> Rendered:
    """Build and render a planned generation (close its files when done), entity files in
    ``workers`` (from :func:`generator.render.entity_workers`); ``strict`` turns warnings
    into an error."""
    from .render import render_package
    from .write import digest, manifest_text

    tenant = build_plan(system, planned)
    warnings = tuple(sorted({*planned.selected.diagnostics, *tenant.diagnostics}))
    if warnings and system.strict:
        raise StrictFailure(warnings)
    files = render_package(tenant, planned.package, system.package_version, workers)
    # After the render, so the workers get their jobs sooner (0.1 s at 30x300).
    files[SCHEMA_RECORD] = schema_record(planned.selected.snapshot).encode("utf-8")
    extra = {
        "settings": planned.key["settings"],
        "modules": list(planned.selected.module_ids),
        "warnings": [[w.code, w.location, w.message] for w in warnings],
    }
    digests = {path: digest(files[path]) for path in files}
    manifest = manifest_text(
        digests, GENERATOR, tenant.fingerprint, planned.package, extra
    ).encode("utf-8")
    files[MANIFEST], digests[MANIFEST] = manifest, digest(manifest)
    return Rendered(files, digests, warnings)


class StrictFailure(GenerationError):
    """``--strict`` and the model has warnings: they are printed, then this error."""

    def __init__(self, warnings: tuple[Diagnostic, ...]) -> None:
        super().__init__(
            f"{len(warnings)} warning(s) and --strict is set; nothing was written"
        )
        self.warnings = warnings


def warning_lines(warnings: Sequence[Any]) -> list[str]:
    """``warning: …`` lines, from diagnostics or from a manifest's ``[code, location, message]``."""
    return [
        (
            f"warning: {w.location}: {w.message}"
            if hasattr(w, "location")
            else f"warning: {w[1]}: {w[2]}"
        )
        for w in warnings
    ]


def warning_counts(warnings: Sequence[Any]) -> str:
    """``, 3 warning(s) (1 empty-options, 2 unknown-type)``, or nothing without warnings."""
    from collections import Counter

    if not warnings:
        return ""
    codes = Counter(w.code if hasattr(w, "code") else w[0] for w in warnings)
    kinds = ", ".join(f"{count} {code}" for code, count in sorted(codes.items()))
    return f", {len(warnings)} warning(s) ({kinds})"


# -- the commands' jobs ------------------------------------------------------------------------


@dataclass(frozen=True)
class GenerateOptions:
    demo: bool = False
    force: bool = False
    check: bool = False
    quiet: bool = False
    bump: bool = False


def generate_job(options: GenerateOptions) -> Callable[[System, Report], None]:
    """Generate (or with ``check``, compare) one system's client; see the module docs."""

    def job(system: System, report: Report) -> None:
        if system.output is None:
            raise ConfigError(
                "no output folder: pass --output DIR or set output in the configuration"
            )
        output = system.output
        if output.is_symlink() or (output.exists() and not output.is_dir()):
            from .write import refuse_unusable_output

            refuse_unusable_output(output)
        # A check must not read a folder another run is writing: the peek holds the output
        # (a second run fails at once, in one line; see write.output_lock). Rendering does
        # not, so a run killed meanwhile leaves nothing behind; the write takes it again.
        with _holding(output):
            if _unchanged_by_peeking(system, options, output, report):
                return
        from .render import entity_workers

        # Started now, the render workers import what they need while the schema is read.
        with entity_workers() as workers:
            found = _render_system(system, options, output, report, workers)
        if found is not None:
            rendered, package = found
            with rendered.files:
                _compare_or_write(rendered, options, output, package, report)

    return job


def _render_system(
    system: System,
    options: GenerateOptions,
    output: Path,
    report: Report,
    workers: Workers[EntityJob, bytes] | None,
) -> tuple[Rendered, str] | None:
    """A generate job's rendered client and its package name; None when the output is
    already what the schema, settings and generator would make."""
    snapshot = source_snapshot(system, options.demo, options.quiet)
    package = system.package_name or default_package_name(snapshot.system_id)
    check_package_name(package)
    if options.bump:
        system = bumped(system, snapshot, output, report, options.quiet)
    planned = plan(system, snapshot, package)
    if not options.force:
        document = unchanged(output, planned.key)
        if document is not None:
            _say_up_to_date(report, options, output, package, document["warnings"])
            return None
    try:
        return render_plan(system, planned, workers), package
    except StrictFailure as exc:
        report.err += warning_lines(exc.warnings)
        raise


def _compare_or_write(
    rendered: Rendered,
    options: GenerateOptions,
    output: Path,
    package: str,
    report: Report,
) -> None:
    """The end of a generate job: report the output up to date, out of date (``--check``),
    or write it."""
    found = drift(output, rendered.digests)
    if not found:
        _say_up_to_date(report, options, output, package, rendered.warnings)
        return
    if options.check:
        report.code = 1
        report.out += found.lines()
        report.err.append(
            f"{output} is out of date ({found.summary()}); "
            "run `minicrm-codegen generate` to update it"
        )
        report.verdict = f"out of date ({found.summary()})"
        return
    from .write import write_project

    files = rendered.files
    manifest = files.pop(MANIFEST)
    written = write_project(files, output, manifest, options.force)
    report.verdict = f"generated {len(files)} files"
    report.err += [
        f"note: moved your {output / path} aside to {output / aside}"
        for path, aside in written.moved_aside
    ]
    if not options.quiet:
        report.err += warning_lines(rendered.warnings)
        summary = f"generated {package} into {output}: {written.written} files"
        if written.removed:
            summary += f", removed {len(written.removed)} stale"
        report.err.append(summary + warning_counts(rendered.warnings))


@contextmanager
def _holding(output: Path) -> Iterator[None]:
    """The output's lock, where its folder can hold one (else the write reports the folder)."""
    folder = Path(os.path.abspath(output))
    if not folder.parent.is_dir():
        yield
        return
    from .write import output_lock

    with output_lock(folder):
        yield


def _unchanged_by_peeking(
    system: System, options: GenerateOptions, output: Path, report: Report
) -> bool:
    """The fast path at its fastest: an intact snapshot file, no module selection, and the
    manifest matching its recorded fingerprint; the schema's answers are not even parsed.
    """
    from .snapshot import peek_snapshot

    selection = system.selection
    if (
        options.force
        or options.bump
        or options.demo
        or system.schema is None
        or selection.include
        or selection.exclude
        or not (output / MANIFEST).is_file()  # nothing generated there to be up to date
    ):
        return False
    head = peek_snapshot(system.schema)
    if head is None:
        return False
    package = system.package_name or default_package_name(head.system_id)
    document = unchanged(output, manifest_key(system, head.fingerprint, package))
    if document is None:
        return False
    _say_up_to_date(report, options, output, package, document["warnings"])
    return True


def _say_up_to_date(
    report: Report,
    options: GenerateOptions,
    output: Path,
    package: str,
    warnings: Sequence[Any],
) -> None:
    report.verdict = "up to date"
    if not options.quiet:
        report.err += warning_lines(warnings)
        report.err.append(
            f"{package} in {output} is up to date: nothing written"
            + warning_counts(warnings)
        )


def pull_job(quiet: bool) -> Callable[[System, Report], None]:
    """Pull one system's schema into its snapshot file (``--output``, or ``schema``)."""

    def job(system: System, report: Report) -> None:
        target = system.schema
        if target is None:
            raise ConfigError(
                "no snapshot file: pass --output FILE or set schema in the configuration"
            )
        if str(target.parent) and not target.parent.is_dir():
            raise ConfigError(
                f"cannot write {target}: folder {target.parent} does not exist"
            )
        snapshot = live_snapshot(system, quiet)
        snapshot.write(target)
        modules = len(snapshot.module_ids())
        report.verdict = f"wrote {target} ({modules} modules)"
        if not quiet:
            report.err.append(
                f"wrote {target}: {modules} modules, {snapshot.fingerprint}"
            )

    return job


def pin_job(demo: bool, quiet: bool) -> Callable[[System, Report], None]:
    """Write the current names of one system into the names lock file."""

    def job(system: System, report: Report) -> None:
        from .pins import section_of, write_pins

        snapshot = source_snapshot(system, demo, quiet)
        package = system.package_name or default_package_name(snapshot.system_id)
        planned = plan(system, snapshot, package)
        tenant = build_plan(system, planned)
        section = section_of(tenant)
        write_pins(system.names_file, system.name, section)
        count = sum(len(names) for names in section["options"].values())
        fields = sum(len(names) for names in section["fields"].values())
        report.verdict = f"pinned in {system.names_file}"
        if not quiet:
            report.err += warning_lines(
                [w for w in tenant.diagnostics if w.code == "stale-pin"]
            )
            report.err.append(
                f"pinned {len(section['modules'])} modules, {fields} fields and {count} "
                f"options in {system.names_file}"
            )

    return job


@dataclass(frozen=True)
class DiffOptions:
    old: Path | None = None
    new: Path | None = None
    live: bool = False
    format: str = "text"
    fail_on: str = "breaking"


def diff_job(options: DiffOptions) -> Callable[[System, Report], None]:
    """Compare a system's snapshot (or OLD) with NEW or the live system, in client terms."""

    def job(system: System, report: Report) -> None:
        from .diff import diff_tenants, suggested_version
        from .report import DiffResult, lines_for
        from .snapshot import load_snapshot

        old_path = options.old or system.schema
        if old_path is None:
            raise ConfigError(
                "nothing to compare: give OLD (a snapshot) or set schema in the configuration"
            )
        if options.live and options.new is not None:
            raise ConfigError("NEW and --live both name the new side; give only one")
        if not options.live and options.new is None:
            raise ConfigError(
                "nothing to compare with: give NEW (a snapshot) or --live"
            )
        old = load_snapshot(old_path)
        new = (
            live_snapshot(system, quiet=True)
            if options.live
            else load_snapshot(options.new or old_path)
        )
        old_plan, new_plan = plan(system, old, "-"), plan(system, new, "-")
        new_tenant = build_plan(system, new_plan)
        unpinned = (
            build_plan(system, new_plan, pinned=False)
            if system.names_file.is_file()
            else None
        )
        changes = diff_tenants(build_plan(system, old_plan), new_tenant, unpinned)
        new_source = "live" if options.live else str(options.new)
        result = DiffResult(
            system=system.name,
            old={"source": str(old_path), "fingerprint": old_plan.key["fingerprint"]},
            new={"source": new_source, "fingerprint": new_plan.key["fingerprint"]},
            changes=changes,
            fail_on=options.fail_on,
            version=system.package_version,
            suggested=suggested_version(system.package_version, changes),
            annotate=_relative(old_path if options.live else options.new or old_path),
        )
        report.data = result
        report.prefix_out = options.format == "text"
        if options.format != "json":
            report.out += lines_for(result, options.format)
        report.err.append(result.summary())
        report.code = 1 if result.failed else 0
        counts = result.counts()
        report.verdict = (
            f"{'failed' if result.failed else 'ok'}: {counts['breaking']} breaking, "
            f"{counts['dangerous']} dangerous, {counts['safe']} safe"
        )

    return job


def bumped(
    system: System, snapshot: Snapshot, output: Path, report: Report, quiet: bool
) -> System:
    """The system with the version ``diff`` suggests for the change from the schema ``output``
    was generated from; the configuration file (when there is one) records it."""
    from dataclasses import replace

    from .diff import diff_tenants, suggested_version

    old = read_schema_record(output)
    if old is None:
        report.err.append(
            f"--bump: {output} holds no earlier generation; version stays "
            f"{system.package_version}"
        )
        return system
    old_plan, new_plan = plan(system, old, "-"), plan(system, snapshot, "-")
    changes = diff_tenants(build_plan(system, old_plan), build_plan(system, new_plan))
    version = suggested_version(system.package_version, changes)
    if version == system.package_version:
        return system
    if system.config_file is not None:
        record_version(system.config_file, system.name, version)
    if not quiet:
        where = f" (recorded in {system.config_file})" if system.config_file else ""
        report.err.append(
            f"--bump: {len(changes)} change(s) since the last generation: version "
            f"{system.package_version} -> {version}{where}"
        )
    return replace(system, package_version=version)


def record_version(path: Path, system: str | None, version: str) -> None:
    """Set ``package-version`` in a configuration file, keeping its comments and layout.

    tomlkit edits TOML in place (tomllib only reads); the key goes where the system's setting
    came from: its own table when it has one there, else the top level.
    """
    import tomlkit

    from .config import PYPROJECT_NAME, TOOL_TABLE
    from .snapshot import write_text_atomically

    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    root: Any = document
    if path.name == PYPROJECT_NAME:
        root = document["tool"][TOOL_TABLE]
    table = root
    if system is not None and (
        "package-version" in root["systems"][system] or "package-version" not in root
    ):
        table = root["systems"][system]
    table["package-version"] = version
    write_text_atomically(path, tomlkit.dumps(document))


def _relative(path: Path) -> str:
    """A path as annotations want it: relative to the working folder (the checkout) if inside."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)

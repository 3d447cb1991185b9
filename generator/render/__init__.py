"""Render stage: the intermediate model in, the generated project's files out (path -> UTF-8
bytes, kept in a :class:`.spool.Spool` until they are written).

Record models come from datamodel-code-generator (:mod:`.datamodel`); enums, flags, value types,
package files and the README come from Jinja templates (:mod:`.templates`). Every Python file is
emitted in black's style; :mod:`.black_fit` reformats only statements longer than the limit.
Entities are independent, so they are rendered in forked worker processes meanwhile.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace

from .. import __version__
from ..model import (
    CONTACT_TYPE,
    MODULE_TYPE,
    USER_TYPE,
    ChoiceType,
    Entity,
    Kind,
    Module,
    Tenant,
)
from ..naming import ERROR_EXPORTS, SHARED_RECORDS, VALUE_EXPORTS, WEBHOOK_EXPORTS
from .black_fit import fit_long_statements
from .ordering import all_order, import_order
from .spool import Spool
from .templates import render, render_utf8
from .value_types import type_name
from .workers import Workers, forked_workers

SHARED_TYPES = frozenset({USER_TYPE, MODULE_TYPE, CONTACT_TYPE})
#: The union of every module's record type (what ``crm.all_projects.get`` returns).
ANY_PROJECT = "AnyProject"
PARALLEL_THRESHOLD = 8
#: Fields of entity files still to render above which this process, its own files done,
#: renders some too: worth its import of datamodel-code-generator (about 0.4 s, the time of
#: about 1,300 fields) once the two of them save more than that.
HELP_FIELDS = 3000
#: The records of the calls beyond the public API page, by family: each family's records
#: come from ``package/<family>_models.py.jinja`` into ``models/_<family>.py``.
FAMILY_RECORDS = {
    "history": ("StatusChange",),
    "links": ("ProjectConnection",),
    "address_list": ("AddressListItem",),
    "templates": ("Template", "TemplateItem", "TemplateKind", "TemplateType"),
    "emails": ("EmailList",),
}
#: The client's families of calls: one template each under ``package/client/``, rendered
#: into one module each in ``_sync/`` and in ``_async/``.
CLIENT_FAMILIES = (
    "transport",
    "projects",
    "history",
    "links",
    "templates",
    "emails",
    "contacts",
    "todos",
    "addresses",
    "modules",
)


@dataclass(frozen=True)
class EntityJob:
    """Everything one entity file needs, picklable for a worker process."""

    entity: Entity
    choices: tuple[ChoiceType, ...]
    package: str
    header: str
    module: Module | None
    has_users: bool
    #: A worker renders only the record model class; the caller renders the rest around it.
    model_only: bool = False


#: What a search filter on a field of each kind takes (choice fields take their enum or flag).
FILTER_TYPES = {
    Kind.TEXT: "str",
    Kind.FILE: "str",
    Kind.DATETIME: "datetime",
    Kind.BOOLEAN: "bool",
    Kind.UNKNOWN: "str",
}
#: API parameters a project search sets itself or through its own keyword (``user`` is
#: ``UserId``), so no field filter may reach them too: one API parameter, one keyword.
UNFILTERED = frozenset(
    {
        "CategoryId",
        "Deleted",
        "Page",
        "Query",
        "UpdatedSince",
        "UpdatedAt",
        "StatusGroup",
        "UserId",
        "MainContactId",
    }
)


def project_search(has_users: bool) -> list[tuple[str, str, str]]:
    """What every project search takes besides a module's field filters, as (keyword, type,
    doc): ``ProjectSearch`` declares them and each module's keywords function takes them.
    """
    return [
        ("query", "str", "Full text."),
        ("updated_since", "datetime | date", "Projects changed after this moment."),
        (
            "updated_at",
            "datetime | date",
            "Projects changed at this moment (a date: on that day).",
        ),
        ("status_group", "StatusGroup", "Projects in this stage of the pipeline."),
        ("user", f"{USER_TYPE} | int" if has_users else "int", "The responsible user."),
        ("deleted", "bool", "True lists the module's trashed projects instead."),
        ("main_contact_id", "int", "Projects whose main contact is this contact."),
    ]


#: Keyword parameters of a project search; a field with the same Python name is reached
#: through the parameter, not through the filters.
SEARCH_PARAMETERS = frozenset(
    {"self", "page", *(keyword for keyword, _, _ in project_search(has_users=False))}
)


def filter_fields(entity: Entity) -> list[tuple[str, str, str]]:
    """(attribute, type, API name) of every schema field a project search can filter on."""
    return [
        (
            field.name,
            field.choice or FILTER_TYPES.get(field.kind, "int"),
            field.api_name,
        )
        for field in entity.fields
        if field.api_name not in UNFILTERED
        and field.name not in SEARCH_PARAMETERS
        and not field.system
    ]


def header_for(tenant: Tenant) -> str:
    return (
        f"# Generated by minicrm-codegen {__version__} for MiniCRM system {tenant.system_id!r}."
        + "\n# Do not edit: changes are lost when the client is regenerated.\n"
        + f"# Schema fingerprint: {tenant.fingerprint}"
    )


def model_class(job: EntityJob) -> str:
    """An entity's record model, rendered through datamodel-code-generator.

    Imported here, datamodel-code-generator (about half a second) loads only in a process
    that renders record models: a worker, while the caller renders the other files (the
    caller too with one CPU, or when it helps with many entities).
    """
    from .datamodel import render_model_class

    return render_model_class(job.entity, job.package, job.entity.module, SHARED_TYPES)


def render_entity(job: EntityJob, record_model: str | None = None) -> str:
    """One entity's file: its enum and flag types, its record model (``record_model`` if
    given, else rendered here) and, for a module, the search item model and the search
    filters type."""
    entity, module = job.entity, job.module
    types = {type_name(field) for field in entity.fields}
    filters = filter_fields(entity) if module else []
    status_type = module.status_type if module and module.status_type else "Int"
    user_type = USER_TYPE if job.has_users else "Int"
    if module:
        types |= {"Int", "Text", status_type, user_type}
    value_imports = sorted(
        {"MiniCRMModel", "api_field"}
        | (types & {"Int", "Bool", "DateTime", "Text", "JsonList", "FileURLs"})
        | {"ChoiceEnum" for choice in job.choices if choice.style == "enum"}
        | {"ChoiceFlag" for choice in job.choices if choice.style == "flag"}
    )
    source = render(
        "package/entity.py.jinja",
        header=job.header,
        doc=entity.doc,
        entity=entity,
        example=next(
            (f.name for f in entity.fields if f.api_name == "Name"),
            entity.fields[0].name,
        ),
        module=module,
        entity_subject=entity.doc[:1].lower() + entity.doc[1:].rstrip("."),
        filters=filters,
        search_parameters=project_search(job.has_users),
        uses_datetime=any(kind == "datetime" for _, kind, _ in filters)
        or "DateTime" in types,
        status_type=status_type,
        user_type=user_type,
        uses_json_value=bool(types & {"JsonValue", "JsonList"}),
        value_imports=value_imports,
        shared_imports=sorted(
            (types & SHARED_TYPES)
            | (
                {"ProjectSearch", "StatusGroup", user_type} - {"Int"}
                if module
                else set()
            )
        ),
        choices=job.choices,
        model_class=model_class(job) if record_model is None else record_model,
    )
    return fit_long_statements(source)


def render_workers() -> int:
    """How many forked processes render entity files: one CPU is left to the caller, which
    renders the other files meanwhile. On two CPUs one worker beside it was faster than two
    (5.5 s against 6.3 s at 30x300, about 17 s against 18 s at 60x600) and held a fifth less
    memory (benchmarks/README.md). 0 with one CPU."""
    return min((os.cpu_count() or 1) - 1, 4)


def _utf8(text: str) -> bytes:
    """A file as written: UTF-8 (see :class:`generator.jobs.Rendered`)."""
    return text.encode("utf-8")


def entity_file(job: EntityJob, record_model: str | None = None) -> bytes:
    return _utf8(render_entity(job, record_model))


def entity_work(job: EntityJob) -> bytes:
    """What a worker renders of an entity: its file, or only its record model."""
    return _utf8(model_class(job)) if job.model_only else entity_file(job)


def _python_file(name: str, **context: object) -> bytes:
    """A Python file from its template, long statements fitted by black, as UTF-8."""
    return _utf8(fit_long_statements(render(name, **context)))


def _import_datamodel() -> None:
    """A worker's preparation: import datamodel-code-generator before its first job."""
    importlib.import_module(".datamodel", __name__)


#: Render workers started for a whole command (:func:`entity_workers_in_advance`).
_IN_ADVANCE: list[Workers[EntityJob, bytes]] = []


@contextmanager
def entity_workers() -> Iterator[Workers[EntityJob, bytes] | None]:
    """Forked processes that render entity files (:mod:`.workers`: they end with the block,
    however it ends), one started at once: a run starts them before it reads the schema, so
    that they import datamodel-code-generator (the largest part of a small tenant's run)
    meanwhile. None with one CPU: entities render in this process then. Inside
    :func:`entity_workers_in_advance`, its workers."""
    if _IN_ADVANCE:
        yield _IN_ADVANCE[-1]
        return
    if render_workers() < 1:
        yield None
        return
    with forked_workers(entity_work, _import_datamodel) as workers:
        workers.start(1)
        yield workers


@contextmanager
def entity_workers_in_advance() -> Iterator[None]:
    """Start the render workers now for every :func:`entity_workers` block inside this one
    (the command starts them before it loads its command line); they end with it."""
    with entity_workers() as workers:
        if workers is None:
            yield
            return
        _IN_ADVANCE.append(workers)
        try:
            yield
        finally:
            _IN_ADVANCE.remove(workers)


@contextmanager
def _rendering_entities(
    jobs: list[EntityJob],
    files: MutableMapping[str, bytes],
    workers: Workers[EntityJob, bytes] | None,
) -> Iterator[Callable[[], None]]:
    """Start rendering every entity file into ``files``; the block's value waits for the last.

    They render in ``workers`` while the caller renders the other files: even a few
    entities go to a worker, which has imported datamodel-code-generator meanwhile. A few
    entities with one worker: it renders only the record models and this process the rest
    of each file, as each model arrives. Many: more workers if there are CPUs for them, and
    this process renders whole files too once its own are done, if enough are left.
    """
    paths = [f"{job.package}/models/{job.entity.module}.py" for job in jobs]
    if workers is None:
        for path, job in zip(paths, jobs):
            files[path] = entity_file(job)
        yield lambda: None
        return
    many = len(jobs) >= PARALLEL_THRESHOLD
    if many:
        workers.start(render_workers())
    elif workers.count == 1:
        # This process would wait for the one worker once its own files are done: it
        # renders each file around the record model the worker sends, as it arrives.
        jobs = [replace(job, model_only=True) for job in jobs]

    def keep(index: int, data: bytes) -> None:
        job = jobs[index]
        if job.model_only:
            data = entity_file(job, data.decode("utf-8"))
        files[paths[index]] = data

    with workers.map(jobs, keep) as handout:

        def finish() -> None:
            left = sum(len(job.entity.fields) for job in handout.left())
            if many and left >= HELP_FIELDS:
                while (taken := handout.take()) is not None:
                    files[paths[taken[0]]] = entity_file(taken[1])
            handout.wait()

        yield finish


def session_example(tenant: Tenant) -> dict[str, str] | None:
    """Names for the README's session: the first module with an Enum field and a Name field."""
    for module in tenant.modules:
        names = {field.api_name: field.name for field in module.entity.fields}
        for field in module.entity.fields:
            if field.kind is Kind.ENUM and field.choice and "Name" in names:
                choice = tenant.choice_type(field.choice)
                if choice.options:
                    return {
                        "name_field": names["Name"],
                        "resource": module.attribute,
                        "field": field.name,
                        "enum_type": choice.name,
                        "member": choice.options[0].name,
                    }
    return None


def render_package(
    tenant: Tenant,
    package: str,
    package_version: str,
    workers: Workers[EntityJob, bytes] | None = None,
) -> Spool:
    """Every file of the generated project as UTF-8, keyed by its path relative to the
    output folder (in sorted order); close it when done. Entity files render in
    ``workers`` (from :func:`entity_workers`), else in workers started for this call."""
    header = header_for(tenant)
    by_name = {choice.name: choice for choice in tenant.choice_types}
    jobs = []
    for entity in tenant.entities:
        owned = sorted(
            {
                field.choice
                for field in entity.fields
                if field.choice and field.choice not in SHARED_TYPES
            }
        )
        module = next((m for m in tenant.modules if m.entity is entity), None)
        jobs.append(
            EntityJob(
                entity,
                tuple(by_name[name] for name in owned),
                package,
                header,
                module,
                USER_TYPE in by_name,
            )
        )

    files = Spool()
    try:
        with ExitStack() as stack:
            if workers is None:
                workers = stack.enter_context(entity_workers())
            with _rendering_entities(jobs, files, workers) as entity_files_done:
                _package_files(tenant, package, package_version, header, jobs, files)
                entity_files_done()
    except BaseException:
        files.close()
        raise
    return files


def _entity_names(job: EntityJob) -> list[str]:
    """The public names an entity file defines."""
    names = [job.entity.name, job.entity.constants]
    names += [choice.name for choice in job.choices]
    if job.module:
        names += [job.module.search_item, job.module.filters, job.module.keywords]
    return import_order(names)


def _package_files(
    tenant: Tenant,
    package: str,
    package_version: str,
    header: str,
    jobs: list[EntityJob],
    files: MutableMapping[str, bytes],
) -> None:
    """Every file but the entity files, as UTF-8, into ``files``: shared types, client,
    package and project files."""
    by_name = {choice.name: choice for choice in tenant.choice_types}
    shared = [by_name[name] for name in sorted(SHARED_TYPES) if name in by_name]
    user_type = USER_TYPE if USER_TYPE in by_name else "Int"
    shared_exports = import_order(
        [choice.name for choice in shared] + list(SHARED_RECORDS)
    )
    # The models package imports each name from its module on first use (lazy import).
    homes = {name: "_shared" for name in shared_exports}
    if tenant.modules:
        homes[ANY_PROJECT] = "_any_project"
    for family, family_names in FAMILY_RECORDS.items():
        homes.update({name: f"_{family}" for name in family_names})
    entity_modules = [(job.entity.module, _entity_names(job)) for job in jobs]
    for module_name, names in entity_modules:
        homes.update({name: module_name for name in names})
    model_exports = import_order(homes)
    by_module: dict[str, list[str]] = {}
    for name in model_exports:
        by_module.setdefault(homes[name], []).append(name)
    model_modules = [(module, by_module[module]) for module in import_order(by_module)]
    context = {
        "header": header,
        "tenant": tenant,
        "package": package,
        "version": __version__,
        "package_version": package_version,
        "shared": shared,
        "jobs": jobs,
        "model_exports": model_exports,
        "model_all": all_order(model_exports),
        "model_modules": model_modules,
        "package_exports": all_order(
            [
                "AsyncClient",
                "Client",
                *ERROR_EXPORTS,
                *VALUE_EXPORTS,
                *WEBHOOK_EXPORTS,
                *model_exports,
            ]
        ),
        "webhook_exports": import_order(WEBHOOK_EXPORTS),
        "value_exports": import_order(VALUE_EXPORTS),
        "error_exports": import_order(ERROR_EXPORTS),
        "Kind": Kind,
        "user_type": user_type,
        "search_parameters": project_search(user_type == USER_TYPE),
        "example": session_example(tenant),
        "shared_exports": shared_exports,
    }
    # The client modules name each record type only in annotations (they reach it through
    # ``models`` when first used), so they import it only for type checkers.
    contact_records = {tenant.person.name, tenant.business.name}
    project_records = {
        name
        for module in tenant.modules
        for name in (
            module.entity.name,
            module.search_item,
            module.filters,
            module.status_type,
        )
        if name
    }
    typing_imports = {
        family: [
            (module_name, [name for name in names if name in wanted])
            for module_name, names in model_modules
            if module_name != "_any_project" and wanted.intersection(names)
        ]
        for family, wanted in (
            ("contact_typing", contact_records),
            ("project_typing", project_records),
        )
    }
    files[f"{package}/models/_shared.py"] = _python_file(
        "package/shared.py.jinja", choices=shared, **context
    )
    files[f"{package}/models/__init__.py"] = _python_file(
        "package/models_init.py.jinja", **context
    )
    if tenant.modules:
        records = {
            module.entity.module: module.entity.name for module in tenant.modules
        }
        files[f"{package}/models/_any_project.py"] = _python_file(
            "package/any_project.py.jinja",
            any_project_imports=[(m, records[m]) for m in import_order(records)],
            **context,
        )
    for family in FAMILY_RECORDS:
        files[f"{package}/models/_{family}.py"] = _python_file(
            f"package/{family}_models.py.jinja", **context
        )
    files[f"{package}/_errors.py"] = render_utf8("package/_errors.py.jinja", **context)
    files[f"{package}/_pacing.py"] = render_utf8("package/_pacing.py.jinja", **context)
    files[f"{package}/_calls.py"] = _python_file(
        "package/client/calls.py.jinja", **context
    )
    for folder, face, is_async in (
        ("_sync", "_client", False),
        ("_async", "_async_client", True),
    ):
        flavour = {
            "is_async": is_async,
            "project_resources": import_order(
                ["AllProjectsResource", *(m.resource for m in tenant.modules)]
            ),
            **typing_imports,
            **context,
        }
        files[f"{package}/{folder}/__init__.py"] = render_utf8(
            "package/client/package_init.py.jinja", **flavour
        )
        for family in CLIENT_FAMILIES:
            files[f"{package}/{folder}/{family}.py"] = _python_file(
                f"package/client/{family}.py.jinja", **flavour
            )
        files[f"{package}/{face}.py"] = _python_file(
            "package/client.py.jinja", **flavour
        )
    files[f"{package}/__init__.py"] = render_utf8("package/init.py.jinja", **context)
    files[f"{package}/_webhooks.py"] = _python_file(
        "package/_webhooks.py.jinja", **context
    )
    files[f"{package}/_values.py"] = render_utf8("package/_values.py.jinja", **context)
    files[f"{package}/py.typed"] = b""
    files["pyproject.toml"] = render_utf8("project/pyproject.toml.jinja", **context)
    files["README.md"] = render_utf8("project/README.md.jinja", **context)

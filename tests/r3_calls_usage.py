"""Calls every R3 call beyond the public page that the generated demo client covers, sync and
async: status history, owner safety, card links, purge,
structured address lists, moving a card, templates,
e-mails, file fields.

Type-checked with ``mypy --strict`` and run against the sandbox by test_r3_calls.py.
"""

from __future__ import annotations

from datetime import date

from minicrm_demo import (
    Address,
    AddressListItem,
    AsyncClient,
    EmailList,
    Client,
    FileURLs,
    Module,
    Person,
    PurgeRefusedError,
    ProjectConnection,
    Sales,
    SalesStatus,
    StatusChange,
    Template,
    TemplateItem,
    TemplateType,
    UnknownUserError,
    User,
)


def sync_history(crm: Client, contact_id: int) -> dict[str, object]:
    project_id = crm.sales.create(
        Sales(contact_id=contact_id, name="History", status_id=SalesStatus.CONTACTED)
    )
    crm.sales.update(project_id, Sales(status_id=SalesStatus.CONTRACTING))
    crm.sales.update(project_id, Sales(status_id=SalesStatus.CUSTOMER))
    typed: list[StatusChange[SalesStatus]] = crm.sales.status_history(project_id)
    ids: list[StatusChange[int]] = crm.history.status_changes(project_id)
    crm.sales.trash(project_id)
    return {
        "typed": typed,
        "ids": ids,
        "trashed": crm.sales.status_history(project_id),
    }


async def async_history(crm: AsyncClient, contact_id: int) -> dict[str, object]:
    project_id = await crm.sales.create(
        Sales(contact_id=contact_id, name="Async history")
    )
    await crm.sales.update(project_id, Sales(status_id=SalesStatus.LOST))
    typed: list[StatusChange[SalesStatus]] = await crm.sales.status_history(project_id)
    ids: list[StatusChange[int]] = await crm.history.status_changes(project_id)
    return {"typed": typed, "ids": ids}


def owner_safety(crm: Client, project_id: int) -> tuple[str, ...]:
    """The fields a write with an unknown owner names (none with a known one)."""
    try:
        crm.sales.update(project_id, Sales(user_id=User.JOHN_DOE))
    except UnknownUserError as error:
        return error.fields
    return ()


def with_a_new_user(base_url: str) -> Client:
    return Client("42", "key", base_url=base_url, extra_user_ids=[4410])


def sync_links(crm: Client, source: int, target: int) -> dict[str, object]:
    created: ProjectConnection = crm.links.create(source, target)
    crm.links.describe(source, target, "Follow-up")
    listed = list(crm.links.list(source))
    module: Module | None = listed[0].module
    status = listed[0].status
    sales_status = status if isinstance(status, SalesStatus) else None
    crm.links.delete(source, target)
    return {
        "created": created,
        "listed": listed,
        "module": module,
        "status": sales_status,
        "after": list(crm.links.list(source)),
    }


async def async_links(crm: AsyncClient, source: int, target: int) -> dict[str, object]:
    created = await crm.links.create(source, target)
    await crm.links.describe(source, target, "Async")
    listed = [link async for link in crm.links.list(source)]
    await crm.links.delete(source, target)
    return {
        "created": created,
        "listed": listed,
        "after": [link async for link in crm.links.list(source)],
    }


def purge(crm: Client, person_id: int) -> str:
    """``""`` when the person is deleted, else MiniCRM's reason."""
    try:
        crm.persons.purge(person_id)
    except PurgeRefusedError as refused:
        return refused.message
    return ""


async def async_purge(crm: AsyncClient, person: Person) -> None:
    await crm.persons.purge(person)


def structured_addresses(crm: Client, contact_id: int) -> list[AddressListItem]:
    crm.addresses.create(
        Address(contact_id=contact_id, name="Billing", address="Fő utca 1.")
    )
    return crm.addresses.list_structured(contact_id)


async def async_structured_addresses(
    crm: AsyncClient, contact_id: int
) -> list[AddressListItem]:
    return await crm.addresses.list_structured(contact_id)


def move_card(
    crm: Client, project_id: int, colleague: int, outsider: int, company: int
) -> None:
    crm.sales.move(project_id, colleague)
    crm.sales.move(project_id, outsider, business_id=company)


async def async_move_card(
    crm: AsyncClient, project_id: int, outsider: int, company: int
) -> None:
    await crm.sales.move(project_id, outsider, business_id=company)


def templates(crm: Client) -> tuple[list[TemplateItem], Template, bool]:
    listed = crm.sales.templates()
    detail = crm.templates.get(listed[1])
    return listed, detail, detail.type is TemplateType.TODO


async def async_templates(crm: AsyncClient) -> tuple[list[TemplateItem], Template]:
    listed = await crm.templates.list(Module.SUPPORT)
    return listed, await crm.templates.get(listed[0])


def emails(crm: Client, project_id: int) -> tuple[EmailList, EmailList]:
    every = crm.emails.list(project_id)
    return every, crm.emails.list(project_id, created_at=date(2000, 1, 1))


async def async_emails(crm: AsyncClient, project_id: int) -> EmailList:
    return await crm.emails.list(project_id)


def file_fields(crm: Client, project_id: int, first: str, second: str) -> list[object]:
    """Two files, then one, then none: what each write reads back."""
    crm.sales.update(project_id, Sales(file1113=FileURLs(first, second)))
    both = crm.sales.get(project_id).file1113
    urls: tuple[str, ...] = both.urls if both is not None else ()
    record = crm.sales.get(project_id)
    record.file1113 = FileURLs(first)
    crm.sales.update(project_id, record)
    one = crm.sales.get(project_id).file1113
    single: str | None = one.url if one is not None else None
    crm.sales.update(project_id, Sales(file1113=None))
    return [urls, single, crm.sales.get(project_id).file1113]


async def async_file_fields(
    crm: AsyncClient, project_id: int, first: str, second: str
) -> list[object]:
    await crm.sales.update(project_id, Sales(file1113=FileURLs(first, second)))
    both = (await crm.sales.get(project_id)).file1113
    await crm.sales.update(project_id, Sales(file1113=FileURLs(second)))
    one = (await crm.sales.get(project_id)).file1113
    await crm.sales.update(project_id, Sales(file1113=None))
    gone = (await crm.sales.get(project_id)).file1113
    return [both.urls if both else (), one.url if one else None, gone]

"""Calls every resource of the generated demo client, sync and async.

Type-checked with ``mypy --strict`` and run against the sandbox by test_client.py.
"""

from __future__ import annotations

from datetime import date, datetime

from minicrm_demo import (
    Address,
    AsyncClient,
    Client,
    ContactType,
    Person,
    Sales,
    SalesReferrer,
    SalesStatus,
    ToDo,
    User,
)


def sync_tour(crm: Client, contact_id: int) -> dict[str, object]:
    project_id = crm.sales.create(
        Sales(contact_id=contact_id, name="Tour", referrer=SalesReferrer.WOM),
        reference_id="tour-1",
    )
    record = crm.sales.get(project_id)
    by_reference = crm.sales.get_by_reference("tour-1")
    crm.sales.update(project_id, Sales(status_id=SalesStatus.CONTRACTING))
    page = crm.sales.search_page(0, referrer=SalesReferrer.WOM, user=User.JOHN_DOE)
    found = list(
        crm.sales.search(
            query="Tour", updated_since=date(2000, 1, 1), status_group="Open"
        )
    )
    full = list(crm.sales.search_records(referrer=SalesReferrer.WOM))
    crm.sales.trash(project_id)
    trashed = [item.id for item in crm.sales.search(deleted=True)]
    crm.sales.restore(project_id)
    person_id = crm.persons.create(
        Person(first_name="Ada", last_name="Tour", email="ada@example.invalid")
    )
    crm.persons.update(person_id, Person(position="CTO"))
    person = crm.persons.get(person_id)
    people = list(crm.persons.search(email="ada@example.invalid"))
    companies = list(crm.businesses.search(name="Tour"))
    mixed = list(crm.contacts.search(query="Tour", type=ContactType.PERSON))
    todo_id = crm.todos.create(
        ToDo(
            project_id=project_id,
            comment="Tour todo",
            deadline=datetime(2026, 12, 1, 9),
        )
    )
    crm.todos.update(todo_id, ToDo(comment="Tour todo, changed"))
    todo = crm.todos.get(todo_id)
    crm.todos.close(todo_id)
    todos = crm.todos.list(project_id, "All")
    address_id = crm.addresses.create(
        Address(
            contact_id=person_id, name="Home", address="Fő utca 1.", city="Budapest"
        )
    )
    crm.addresses.update(address_id, Address(city="Szeged"))
    return {
        "record": record,
        "by_reference": by_reference,
        "page": page,
        "found": found,
        "full": full,
        "trashed": trashed,
        "person": person,
        "people": people,
        "companies": companies,
        "mixed": mixed,
        "todo": todo,
        "todos": todos,
        "address": crm.addresses.get(address_id),
        "addresses": crm.addresses.list(person_id),
        "modules": crm.modules.list(),
        "detailed": crm.modules.detailed(),
    }


async def async_tour(crm: AsyncClient, contact_id: int) -> dict[str, object]:
    project_id = await crm.sales.create(
        Sales(contact_id=contact_id, name="Async tour", referrer=SalesReferrer.GOOGLE),
        reference_id="tour-2",
    )
    record = await crm.sales.get(project_id)
    by_reference = await crm.sales.get_by_reference("tour-2")
    await crm.sales.update(project_id, Sales(status_id=SalesStatus.CUSTOMER))
    page = await crm.sales.search_page(0, referrer=SalesReferrer.GOOGLE)
    found = [item async for item in crm.sales.search(query="Async tour")]
    full = [
        record
        async for record in crm.sales.search_records(referrer=SalesReferrer.GOOGLE)
    ]
    await crm.sales.trash(project_id)
    trashed = [item.id async for item in crm.sales.search(deleted=True)]
    await crm.sales.restore(project_id)
    person_id = await crm.persons.create(Person(first_name="Bea", last_name="Async"))
    await crm.persons.update(person_id, Person(position="CEO"))
    person = await crm.persons.get(person_id)
    mixed = [item async for item in crm.contacts.search(name="Async")]
    todo_id = await crm.todos.create(ToDo(project_id=project_id, comment="Async todo"))
    await crm.todos.update(todo_id, ToDo(comment="Async todo, changed"))
    todo = await crm.todos.get(todo_id)
    await crm.todos.close(todo_id)
    address_id = await crm.addresses.create(
        Address(contact_id=person_id, name="Office")
    )
    await crm.addresses.update(address_id, Address(city="Pécs"))
    return {
        "record": record,
        "by_reference": by_reference,
        "page": page,
        "found": found,
        "full": full,
        "trashed": trashed,
        "person": person,
        "mixed": mixed,
        "todo": todo,
        "todos": await crm.todos.list(project_id, "All"),
        "address": await crm.addresses.get(address_id),
        "addresses": await crm.addresses.list(person_id),
        "businesses": [item async for item in crm.businesses.search(query="x")],
        "modules": await crm.modules.list(),
        "detailed": await crm.modules.detailed(),
    }

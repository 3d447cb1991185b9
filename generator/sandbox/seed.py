"""``--seed N``: N realistic projects per module, with contacts, ToDos and addresses.

The same N gives the same data (a seeded generator and a fixed clock), written through the same
validating code paths as the HTTP API.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from ..model import ChoiceStyle, Field, Kind
from .domain import DATETIME, Sandbox

FIRST_NAMES = [
    "Anna",
    "Péter",
    "Éva",
    "Zoltán",
    "Ioana",
    "Mihai",
    "Ivana",
    "Marko",
    "Katalin",
    "Gábor",
]
LAST_NAMES = [
    "Kovács",
    "Nagy",
    "Szabó",
    "Tóth",
    "Popescu",
    "Ionescu",
    "Horvat",
    "Kovačević",
    "Varga",
    "Kiss",
]
COMPANIES = [
    "Alfa Kft.",
    "Béta Zrt.",
    "Gamma SRL",
    "Delta d.o.o.",
    "Epszilon Bt.",
    "Zéta Kft.",
]
WORDS = [
    "ajánlat",
    "megújítás",
    "bővítés",
    "support",
    "licenc",
    "tanácsadás",
    "bevezetés",
    "audit",
]


def _value(sandbox: Sandbox, field: Field, rng: random.Random, day: datetime) -> Any:
    choice = sandbox.codec.choice_of(field)
    if choice is not None and choice.options:
        if choice.style is ChoiceStyle.FLAG:
            return sum(option.id for option in choice.options if rng.random() < 0.3)
        return rng.choice(choice.options).id
    if field.kind is Kind.TEXT:
        return f"{rng.choice(WORDS)} {rng.randint(1, 999)}"[: field.text_limit or 1024]
    if field.kind is Kind.INT:
        return rng.randint(0, 1_000_000)
    if field.kind is Kind.DATETIME:
        return (day + timedelta(days=rng.randint(-30, 60))).strftime(DATETIME)
    if field.kind is Kind.BOOLEAN:
        return rng.randint(0, 1)
    if field.kind is Kind.FILE:
        return f"https://cdn.example.invalid/doc/{rng.randint(1, 9999)}.pdf"
    return None


def seed(sandbox: Sandbox, per_module: int) -> None:
    rng = random.Random(per_module)
    start = datetime(2026, 1, 5, 9, 0, 0)
    ticks = iter(range(10**9))
    clock = sandbox.clock
    sandbox.clock = lambda: (start + timedelta(minutes=next(ticks))).strftime(DATETIME)
    try:
        for module in sandbox.tenant.modules:
            skip = {"CategoryId", "ContactId", "StatusId", "UserId", "Name", "Deleted"}
            custom = [
                f
                for f in module.entity.fields
                if not f.server_set
                and not f.system
                and f.api_name not in skip
                and f.kind is not Kind.UNKNOWN
            ]
            for index in range(per_module):
                business = None
                if index % 3 == 0:
                    business = sandbox.put_contact(
                        None,
                        {
                            "Type": "Business",
                            "Name": f"{rng.choice(COMPANIES)} {index}",
                        },
                    )["Id"]
                person_body: dict[str, Any] = {
                    "Type": "Person",
                    "FirstName": rng.choice(FIRST_NAMES),
                    "LastName": rng.choice(LAST_NAMES),
                    "Email": f"contact{module.id}.{index}@example.invalid",
                    "Phone": f"0630{rng.randint(1000000, 9999999)}",
                }
                if business is not None:
                    person_body["BusinessId"] = business
                person = sandbox.put_contact(None, person_body)["Id"]
                sandbox.put_address(
                    None,
                    {
                        "ContactId": person,
                        "Type": "Számlázási",
                        "Name": "Iroda",
                        "CountryId": "Magyarország",
                        "City": "Budapest",
                        "PostalCode": 1000 + index,
                        "Address": f"Fő utca {index + 1}.",
                        "Default": 1,
                    },
                )
                body: dict[str, Any] = {
                    "CategoryId": module.id,
                    "ContactId": person,
                    "Name": f"{rng.choice(WORDS).capitalize()} {module.id}-{index}",
                }
                for field in custom:
                    if rng.random() < 0.7:
                        value = _value(sandbox, field, rng, start)
                        if value is not None:
                            body[field.api_name] = value
                status = sandbox.codec.choices.get(module.status_type or "")
                if status and status.options:
                    body["StatusId"] = rng.choice(status.options).id
                project = sandbox.put_project(None, body)["Id"]
                for todo in range(2):
                    todo_id = sandbox.put_todo(
                        None,
                        {
                            "ProjectId": project,
                            "Comment": f"{rng.choice(WORDS)} #{todo + 1}",
                            "Deadline": (start + timedelta(days=index + todo)).strftime(
                                DATETIME
                            ),
                            "Duration": 30,
                            "Reminder": rng.choice((0, 15, 60)),
                        },
                    )["Id"]
                    if todo == 0 and sandbox.users and sandbox.users.options:
                        author = rng.choice(sandbox.users.options).id
                        sandbox.add_todo_note(todo_id, rng.choice(WORDS), author)
    finally:
        sandbox.clock = clock

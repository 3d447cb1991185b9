"""A typed tour of the client generated from the demo snapshot (generated_example/).

The README quotes this file; tests run it and type-check it with ``mypy --strict``.
"""

from datetime import datetime

from minicrm_demo import (
    Ertekesites,
    ErtekesitesErdeklodes,
    Person,
    PersonType,
    Sales,
    SalesReferrer,
    SalesSet1035,
    SalesStatus,
    User,
)

# GET Project/1234 answers labels; a search answers ids. Both parse to the same members.
detail = Sales.from_api(
    {
        "Id": 1234,
        "CategoryId": 3,
        "ContactId": 12345,
        "StatusId": "Contacted",
        "UserId": "John Doe",
        "Name": "Very Motivated Customer",
        "Deleted": "0",
        "Referrer": "WOM",
        "Set1035": "First choice, Third choice",
        "DateTime1106": "2013-05-25 13:12:00",
    }
)
found = Sales.from_api(
    {"Id": "1234", "StatusId": "2509", "UserId": "3200", "Deleted": "0"}
)
assert detail.status_id is found.status_id is SalesStatus.CONTACTED
assert detail.user_id is User.JOHN_DOE and detail.user_id.label == "John Doe"
assert detail.referrer is SalesReferrer.WOM and detail.referrer.id == 1254
assert detail.set1035 == SalesSet1035.FIRST_CHOICE | SalesSet1035.THIRD_CHOICE
assert detail.date_time1106 == datetime(2013, 5, 25, 13, 12)

# Build a record by Python names; to_api() sends only what was set, under API names.
update = Sales(
    name="Renewal 2026", referrer=SalesReferrer.GOOGLE, set1035=SalesSet1035(6)
)
assert update.to_api() == {"Name": "Renewal 2026", "Referrer": 1255, "Set1035": 6}

# Accented schema names become readable attributes; Set labels may contain commas.
lead = Ertekesites.from_api({"Érdeklődés": "Termék A, Termék C, kiegészítővel"})
assert lead.erdeklodes is not None
assert lead.erdeklodes.labels == ["Termék A", "Termék C, kiegészítővel"]
assert ErtekesitesErdeklodes.TERMEK_A in lead.erdeklodes

# Contact Type {"1": "Cég", "2": "Személy"} is an enum, not a flag.
person = Person.from_api({"Id": 12345, "Type": "Személy", "FirstName": "John"})
assert person.type is PersonType.SZEMELY

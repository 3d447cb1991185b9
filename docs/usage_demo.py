"""A typed tour of the client generated from the demo snapshot (generated_example/).

The README quotes this file; tests run it and type-check it with ``mypy --strict``.
"""

import warnings
from datetime import datetime

from minicrm_demo import (
    AmbiguousValueWarning,
    ContactType,
    Ertekesites,
    ErtekesitesErdeklodes,
    Person,
    Projects,
    ProjectsAttendance,
    ProjectsGrade,
    Sales,
    SalesReferrer,
    SalesSet1035,
    SalesStatus,
    User,
)

# GET Project/1234 answers labels, a search (or a webhook) ids: from_api is told which
# (the client does it for you), and both parse to the same members.
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
    },
    source="detail",
)
found = Sales.from_api(
    {"Id": "1234", "StatusId": "2509", "UserId": "3200", "Deleted": "0"},
    source="search",
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

# Labels can be numbers. Attendance {"1": "1", "2": "2", "4": "3", "8": "4"}: "3" is the
# option labelled 3 in a detail answer, the bitmask 3 (labels 1 and 2) in a search answer.
# Grade {"1": "2", "2": "1", "3": "3"}: "1" is option 2 by label, option 1 by id.
shown = Projects.from_api({"Attendance": "3", "Grade": "1"}, source="detail")
listed = Projects.from_api({"Attendance": "3", "Grade": "1"}, source="search")
assert shown.attendance == ProjectsAttendance.OPTION_3
assert listed.attendance == ProjectsAttendance.OPTION_1 | ProjectsAttendance.OPTION_2
assert shown.grade is ProjectsGrade.OPTION_1 and listed.grade is ProjectsGrade.OPTION_2
# Without a source, an id wins; a text that is also another option's label warns.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    guessed = Projects.from_api({"Grade": "1"})
assert guessed.grade is ProjectsGrade.OPTION_2
assert [warning.category for warning in caught] == [AmbiguousValueWarning]

# Contact Type is Person or Business: read from English, the schema's labels ("Személy")
# or its ids, and always written in English.
person = Person.from_api({"Id": 12345, "Type": "Személy"}, source="detail")
assert person.type is ContactType.PERSON and person.type.label == "Személy"
assert Person(type=ContactType.PERSON).to_api() == {"Type": "Person"}

"""Round trips of every value kind through the generated demo package, id and label forms."""

from __future__ import annotations

import json
import sys
import warnings
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "generated_example"))

from minicrm_demo import (  # noqa: E402 - the generated package lives outside the source tree
    Business,
    ContactType,
    Ertekesites,
    ErtekesitesErdeklodes,
    Module,
    Person,
    Projects,
    Sales,
    SalesSearchItem,
    SalesQualification,
    SalesReferrer,
    SalesSet1035,
    SalesStatus,
    Support,
    SupportSet1220,
    TextTooLongError,
    ToDo,
    UnknownOptionWarning,
    User,
)

# The API page's examples.
SEARCH_ITEM = {
    "Id": "1234",
    "Name": "Test project",
    "Url": "https://r3.minicrm.hu/Api/R3/Project/1234",
    "StatusId": "2500",
    "UserId": "3200",
    "Deleted": "0",
}
DETAIL = {
    "Id": 1234,
    "CategoryId": 3,
    "ContactId": 12345,
    "StatusId": "Contacted",
    "UserId": "John Doe",
    "Name": "Very Motivated Customer",
    "Deleted": "0",
    "LeadSource": "WOM",
    "InterestedIn": "Premium products",
    "Text1105": "Lorem ipsum....",
    "Int1107": 12500,
    "File1103": "https://cdn.minicrm.hu/doc/2013/04-25/A/Q/AQFwQq7Os0kE5ykH_GSJfg-1",
}
BUSINESS = {
    "Id": 12346,
    "Type": "Business",
    "Name": "Test Business",
    "Email": "info@test.com",
    "EmailType": "",
    "Phone": "06-1 / 987-65432",
    "Employees": 0,
    "YearlyRevenue": 0,
}


def test_search_item_has_ids_and_detail_has_labels_same_members() -> None:
    item = Sales.from_api(SEARCH_ITEM)
    assert item.id == 1234 and item.deleted == 0
    assert item.status_id is SalesStatus.IN_PROGRESS and item.user_id is User.JOHN_DOE
    assert item.model_extra == {"Url": SEARCH_ITEM["Url"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detail = Sales.from_api(DETAIL)
    assert (
        detail.status_id is SalesStatus.CONTACTED and detail.category_id is Module.SALES
    )
    assert (
        detail.interested_in is not None
        and detail.interested_in.label == "Premium products"
    )
    # "WOM" is a Referrer option, not a LeadSource option of the demo: it comes through unknown.
    assert detail.lead_source is not None and not detail.lead_source.known
    assert [w.category for w in caught] == [UnknownOptionWarning]
    assert detail.to_api()["LeadSource"] == "WOM"
    assert detail.model_extra == {"File1103": DETAIL["File1103"]}


@pytest.mark.parametrize("raw", [1253, "1253", " 1253 ", "Cold Call", "cold call"])
def test_enum_accepts_id_or_label_and_writes_the_id(raw: Any) -> None:
    record = Sales.from_api({"Referrer": raw})
    assert record.referrer is SalesReferrer.COLD_CALL
    assert record.referrer.id == 1253 and record.referrer.label == "Cold Call"
    assert record.to_api() == {"Referrer": 1253}


def test_labels_that_differ_only_by_case_pick_the_exact_one() -> None:
    assert Sales.from_api({"UserId": "Nagy Péter"}).user_id is User.NAGY_PETER
    assert Sales.from_api({"UserId": "nagy péter"}).user_id is User.NAGY_PETER_3303


@pytest.mark.parametrize(
    "raw", [9998, "9997", "A brand new option"]
)  # each warns once per process
def test_unknown_enum_value_warns_and_round_trips(raw: Any) -> None:
    with pytest.warns(UnknownOptionWarning, match="SalesQualification"):
        record = Sales.from_api({"Qualification": raw})
    member = record.qualification
    assert member is not None and not member.known
    assert member.label == str(raw).strip()
    expected = int(raw) if str(raw).isdigit() else raw
    assert record.to_api() == {"Qualification": expected}
    assert Sales.from_api({"Qualification": raw}).qualification is member
    assert member not in list(SalesQualification)


def test_an_unknown_label_is_written_back_exactly_as_it_was_sent() -> None:
    with pytest.warns(UnknownOptionWarning, match="' Brand new, spaced '"):
        record = Sales.from_api(
            {"Qualification": " Brand new, spaced "}, source="detail"
        )
    member = record.qualification
    assert member is not None and not member.known
    assert member.label == " Brand new, spaced " and member.id is None
    assert record.to_api() == {"Qualification": " Brand new, spaced "}
    # A known label is still found with spaces around it.
    assert Sales.from_api({"Qualification": " Qualified "}).to_api() == {
        "Qualification": 1329
    }


@pytest.mark.parametrize(
    "raw",
    [
        5,
        "5",
        "First choice, Third choice",
        "First choice,Third choice",
        ["First choice", "Third choice"],
    ],
)
def test_set_accepts_bitmask_or_labels_and_writes_the_bitmask(raw: Any) -> None:
    record = Sales.from_api({"Set1035": raw})
    assert record.set1035 == SalesSet1035.FIRST_CHOICE | SalesSet1035.THIRD_CHOICE
    assert record.set1035 is not None and record.set1035.labels == [
        "First choice",
        "Third choice",
    ]
    assert record.to_api() == {"Set1035": 5}


def test_set_labels_containing_commas() -> None:
    record = Ertekesites.from_api({"Érdeklődés": "Termék C, kiegészítővel, Termék B"})
    assert (
        record.erdeklodes
        == ErtekesitesErdeklodes.TERMEK_B | ErtekesitesErdeklodes.TERMEK_C_KIEGESZITOVEL
    )
    assert record.to_api() == {"Érdeklődés": 6}


def test_set_with_a_2_to_the_35_bit_and_unknown_bits_round_trip() -> None:
    mask = 2**35 | 2**60 | 1
    record = Support.from_api({"Set1220": str(mask)})
    assert record.set1220 is not None
    assert (
        SupportSet1220.CSATORNA_36 in record.set1220
        and SupportSet1220.CSATORNA_1 in record.set1220
    )
    assert record.set1220.labels == ["Csatorna 1", "Csatorna 36"]
    assert record.to_api() == {"Set1220": mask}


def test_unknown_set_labels_are_kept_and_written_back() -> None:
    with pytest.warns(UnknownOptionWarning, match="'Brand new'"):
        record = Sales.from_api({"Set1035": "First choice, Brand new, Third choice"})
    assert record.set1035 is not None
    assert record.set1035 == SalesSet1035.FIRST_CHOICE | SalesSet1035.THIRD_CHOICE
    assert record.set1035.unknown_labels == ("Brand new",)
    assert record.to_api() == {"Set1035": "First choice, Third choice, Brand new"}
    assert SalesSet1035(5).unknown_labels == ()  # the shared member is untouched
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once per value, and this one was
        again = Sales.from_api(record.to_api())
    assert again.to_api() == record.to_api()


@pytest.mark.parametrize("raw", [-1, "-1", -3, " -4 ", -(2**40)])
def test_a_negative_bitmask_is_refused_not_read_as_bits(raw: Any) -> None:
    # Python reads -1 as every bit: "-1" would come back as all three choices, and be written
    # back as 7.
    with pytest.raises(ValueError, match="expected a bitmask"):
        Sales.from_api({"Set1035": raw}, source="search")
    with pytest.raises(ValueError, match="expected a bitmask"):
        Sales.from_api_json(json.dumps({"Set1035": raw}))
    record = Sales(set1035=SalesSet1035.FIRST_CHOICE)
    with pytest.raises(ValueError, match="expected a bitmask"):
        record.set1035 = raw
    assert record.set1035 == SalesSet1035.FIRST_CHOICE


@pytest.mark.parametrize(
    ("model", "answer"),
    [
        (
            Sales,
            {
                "Referrer": "google",
                "Set1035": "First choice, Zeta",
                "StatusId": "Contacted",
                "UserId": "nagy péter",
                "LeadSource": " New ",
                "Qualification": "9999",
                "DateTime1106": "2024-02-29 23:59:59",
                "File1113": "https://a.example/x,https://b.example/y",
                "Int1107": "12",
                "Text1105": 36201234567,
            },
        ),
        (Projects, {"Rating": "6", "Attendance": "5", "Grade": "1", "Skills": "C#"}),
        (Projects, {"Rating": "2001", "Attendance": "3, 5", "Grade": "2"}),
        (Person, {"Type": "Személy", "Hírlevél": "Feliratkozott"}),
    ],
)
def test_a_dump_read_back_as_detail_is_the_same_record(
    model: type[Sales | Projects | Person], answer: dict[str, Any]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownOptionWarning)
        record = model.from_api(answer, source="detail")
        dumped = record.model_dump_json()
        again = model.from_api_json(dumped, source="detail")
        from_dict = model.from_api(record.model_dump(mode="json"), source="detail")
    assert again == record and from_dict == record
    assert again.model_dump_json() == dumped


def test_single_checkbox_set() -> None:
    assert Support.from_api({"Callback": "Visszahívást kér"}).to_api() == {
        "Callback": 1
    }
    assert Support.from_api({"Callback": ""}).callback is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2013-05-25 13:12:00", datetime(2013, 5, 25, 13, 12)),
        ("2013-05-25", datetime(2013, 5, 25)),
        ("2013-05-25 23:59:59", datetime(2013, 5, 25, 23, 59, 59)),
        ("0000-00-00 00:00:00", None),
        ("0000-00-00", None),
        ("", None),
        (None, None),
    ],
)
def test_datetime_forms(raw: Any, expected: datetime | None) -> None:
    record = Sales.from_api({"DateTime1106": raw})
    assert record.date_time1106 == expected
    written = record.to_api()["DateTime1106"]
    assert written == (expected.strftime("%Y-%m-%d %H:%M:%S") if expected else None)


def test_datetime_written_naive_and_dates_accepted() -> None:
    assert Projects(start_date=date(2026, 1, 31)).to_api() == {
        "StartDate": "2026-01-31 00:00:00"
    }
    with pytest.raises(ValueError, match="naive"):
        Projects.from_api({"StartDate": datetime(2026, 1, 1).astimezone()})
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        Projects.from_api({"StartDate": "31/01/2026"})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(12500, 12500), ("12500", 12500), ("-3", -3), ("", None), (12.0, 12)],
)
def test_int_accepts_numbers_and_numeric_strings(
    raw: Any, expected: int | None
) -> None:
    assert Sales.from_api({"Int1107": raw}).int1107 == expected


@pytest.mark.parametrize("raw", ["12a", True, 1.5, [1]])
def test_int_refuses_what_is_not_a_whole_number(raw: Any) -> None:
    with pytest.raises(ValueError, match="whole number"):
        Sales.from_api({"Int1107": raw})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0", False), ("1", True), (0, False), (1, True), (True, True), ("", None)],
)
def test_boolean_forms(raw: Any, expected: bool | None) -> None:
    record = Projects.from_api({"Billable": raw})
    assert record.billable is expected
    assert record.to_api() == {"Billable": expected}


def test_text_limit_is_checked_on_write_not_on_read() -> None:
    long_name = "x" * 200
    record = Sales.from_api({"Name": long_name})
    assert record.name == long_name
    with pytest.raises(
        TextTooLongError, match="Name is 200 characters long; the field allows 128"
    ):
        record.to_api()
    assert Sales(name="x" * 128).to_api() == {"Name": "x" * 128}


def test_construct_by_python_or_api_names_and_dump_only_what_was_set() -> None:
    by_python = Sales(
        name="Deal", status_id=SalesStatus.CUSTOMER, user_id=User.KOVACS_EVA
    )
    by_api = Sales.from_api({"Name": "Deal", "StatusId": 2540, "UserId": "Kovács Éva"})
    assert by_python == by_api
    assert by_python.to_api() == {"Name": "Deal", "StatusId": 2540, "UserId": 3300}


def test_contact_type_is_an_enum_and_company_example_parses() -> None:
    assert Person.from_api({"Type": "2"}).type is ContactType.PERSON
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        company = Business.from_api(BUSINESS)
    assert company.type is ContactType.BUSINESS and company.type.label == "Cég"
    assert company.employees == 0 and company.email == "info@test.com"
    assert company.to_api()["Type"] == "Business"


def test_unknown_fields_are_kept_and_written_back() -> None:
    record = Sales.from_api({"Id": 1, "Enum9999": "new", "Tags": []})
    assert record.model_extra == {"Enum9999": "new", "Tags": []}
    assert record.to_api() == {"Id": 1, "Enum9999": "new", "Tags": []}


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"Id": "17", "Name": "Ada", "Referrer": "Google"},
        {"Id": 1, "Name": "by API name", "name": "by Python name"},
        {"id": 1, "name": "by Python name"},
        {"Id": 1, "Enum9999": "new"},
    ],
)
@pytest.mark.parametrize("source", ["detail", "search", None])
def test_from_api_reads_as_model_validate_whatever_the_keys(
    data: dict[str, Any], source: str | None
) -> None:
    """Data of API names only skips pydantic's search for unknown keys (issue 11); the record
    is the same, with the same (empty) ``model_extra``, and a Python name given beside its
    API name is still kept as unknown. Each case is tried alone and among every API name
    (the check is only made for records of many keys)."""
    every = {info.validation_alias: "" for info in Sales.model_fields.values()}
    assert len(every) > 16
    for given in (data, {**every, **data}):
        check_from_api_against_model_validate(given, source)
    if "name" in data and "Name" in data:
        assert Sales.from_api(data).model_extra == {"name": "by Python name"}
        assert Sales.from_api({**every, **data}).model_extra == {
            "name": "by Python name"
        }


def check_from_api_against_model_validate(
    data: dict[str, Any], source: str | None
) -> None:
    """``from_api`` gives what ``model_validate`` of a copy gives, fetched or not."""
    for fetched in (False, True):
        record = Sales.from_api(data, source=source, fetched=fetched)  # type: ignore[arg-type]
        reference = Sales.model_validate(dict(data), context={"source": source})
        if fetched:
            reference.__pydantic_fields_set__.clear()
        assert record == reference
        assert record.model_extra == reference.model_extra
        assert record.model_fields_set == reference.model_fields_set


def test_nested_records_keep_their_unknown_keys() -> None:
    """A record holding records (a ToDo's members) takes pydantic's full search, which keeps
    the unknown keys of the records inside."""
    member = {"Entity": "User", "EntityId": 2, "Role": "owner"}
    every = {info.validation_alias: None for info in ToDo.model_fields.values()}
    assert len(every) > 16
    todo = ToDo.from_api({**every, "Id": 1, "Members": [member]}, source="detail")
    assert todo.members is not None and todo.members[0].model_extra == {"Role": "owner"}
    assert todo.model_extra == {}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"Id": 5, "Name": "Infinity Kft"}',
        '{"Id": 5, "Name": "NaN \\" Infinity"}',
        b'{"Id": 5, "Name": "-Infinity", "Extra": ["NaN"]}',
    ],
)
def test_from_api_json_reads_nan_and_infinity_inside_texts(raw: bytes | str) -> None:
    """A name such as "Infinity Kft" is just text; only the bare tokens are refused."""
    record = Sales.from_api_json(raw)
    text = raw if isinstance(raw, str) else raw.decode()
    assert record.name == json.loads(text)["Name"]
    page = b'{"Count": 1, "Results": {"5": %s}}' % text.encode()
    assert Sales.page_from_json(page).items == [record]


@pytest.mark.parametrize(
    "raw",
    [
        b'{"Id": 5, "Name": "Infinity Kft", "Int1107": "x"}',
        b'{"Id": NaN}',
        b'{"Id": 5, "Int1107": -Infinity}',
        '{"Id": 5, "Name": "x\\"", "Int1107": Infinity}',
        b'{"Name": "Infinity Kft", "X": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"Name": "NaN", "X": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"Name": "\\ud800"}',
        b'{"Name": "NaN \\ud800"}',
        '{"Name": "NaN \ud800"}',
        b'{"Name": "NaN',
        b"[NaN]",
        b'{"Id": 5, "Name": NaN}',
        b'{"Id": 5, "Name": -Infinity}',
        b'{"Id": 5, "Enum9999": [1, {"a": NaN}]}',
        b'{"Id": 5, "Name": "NaN", "Enum9999": Infinity}',
    ],
)
def test_every_failure_of_the_json_readers_is_a_value_error(raw: bytes | str) -> None:
    """Whatever the text holds, a bad answer is a ValueError, never a RecursionError."""
    with pytest.raises(
        ValueError
    ):  # noqa: PT011 - the documented promise is ValueError
        Sales.from_api_json(raw)
    text = raw if isinstance(raw, str) else raw.decode(errors="surrogateescape")
    page = '{"Count": 1, "Results": {"5": %s}}' % text
    with pytest.raises(ValueError):  # noqa: PT011
        Sales.page_from_json(page.encode(errors="surrogatepass"))


def test_nan_and_infinity_are_refused_wherever_they_hide() -> None:
    """The bytes readers look for the bare tokens only where a float could have been kept
    (unknown keys, lists, a page's own keys); a text field refuses a float that is not a
    number, from Python too."""
    with pytest.raises(ValueError, match="not JSON"):
        Person.from_api_json(b'{"Id": 5, "Tags": ["a", NaN]}')
    page = b'{"Count": 1, "Results": {"5": {"Id": 5}}, "Next": NaN}'
    with pytest.raises(ValueError, match="not JSON"):
        SalesSearchItem.page_from_json(page)
    for number in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="expected text"):
            Sales.from_api({"Name": number})
    assert Sales.from_api({"Name": 1.5}).name == "1.5"


def test_records_with_unknown_options_validate_against_their_own_schema() -> None:
    """Real data keeps options this package does not know; its schema must accept them."""
    raw = {
        "Id": 7,
        "StatusId": 99999,
        "UserId": 424242,
        "Set1035": 2**40 + 3,
        "Referrer": "A referrer added later",
        "Qualification": 9996,
        "IsPrivate": 1,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        record = Sales.from_api(raw, source="search")
        flags = Sales.from_api({"Set1035": "First choice, A label added later"})
        item = SalesSearchItem.from_api({"Id": 8, "StatusId": 99998, "UserId": 1})
    for model, dumped in (
        (Sales, record.model_dump(mode="json")),
        (Sales, flags.model_dump(mode="json")),
        (SalesSearchItem, item.model_dump(mode="json")),
    ):
        assert dumped["StatusId"] is None or dumped["StatusId"] >= 99998
        jsonschema.validate(dumped, model.model_json_schema())
        jsonschema.validate(dumped, model.model_json_schema(mode="serialization"))
    assert record.model_dump(mode="json")["Referrer"] == "A referrer added later"
    assert (
        flags.model_dump(mode="json")["Set1035"] == "First choice, A label added later"
    )
    schema = Sales.model_json_schema()["properties"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"StatusId": 2.5}, Sales.model_json_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"Set1035": -1}, Sales.model_json_schema())
    status = schema["StatusId"]["anyOf"][0]
    assert status["examples"] == [2500, 2509, 2512, 2540, 2541]
    assert "2509: Contacted" in status["description"]

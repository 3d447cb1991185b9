"""The sandbox's R3 contract over real HTTP: endpoints, forms, paging, errors, persistence."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from generator.sandbox.app import Faults
from generator.sandbox.server import SandboxServer
from generator.snapshot import Snapshot, load_demo_snapshot

KEY = "sandbox-test-key"


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    with SandboxServer(load_demo_snapshot(), "42", KEY) as running:
        yield running


def client(server: SandboxServer) -> httpx.Client:
    return httpx.Client(base_url=server.base_url + "/", auth=("42", KEY), timeout=10)


def person(api: httpx.Client, **extra: Any) -> int:
    answer = api.put(
        "Contact",
        json={"Type": "Person", "FirstName": "John", "LastName": "Doe", **extra},
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["Id"])


def project(api: httpx.Client, contact: int, **extra: Any) -> int:
    answer = api.put(
        "Project",
        json={"CategoryId": 3, "ContactId": contact, "Name": "Test project", **extra},
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["Id"])


def test_schema_endpoints_answer_the_snapshot(server: SandboxServer) -> None:
    api = client(server)
    demo = load_demo_snapshot().endpoints
    assert api.get("Category").json() == demo["Category"]
    assert (
        api.get("Category", params={"Detailed": 1}).json()
        == demo["Category?Detailed=1"]
    )
    for endpoint in (
        "Schema/Business",
        "Schema/Person",
        "Schema/Project/3",
        "Schema/Project/11",
    ):
        assert api.get(endpoint).json() == demo[endpoint]
    assert api.get("Schema/Project/999").status_code == 404


def test_search_answers_ids_and_get_answers_labels(server: SandboxServer) -> None:
    api = client(server)
    contact = person(api)
    pid = project(
        api,
        contact,
        StatusId="Contacted",
        UserId=3300,
        Referrer="WOM",
        Set1035=5,
        DateTime1106="2026-02-03",
    )
    detail = api.get(f"Project/{pid}").json()
    assert (
        detail["StatusId"] == "Contacted"
        and detail["UserId"] == "Kovács Éva"
        and detail["Referrer"] == "WOM"
    )
    assert detail["Set1035"] == "First choice, Third choice"
    assert detail["DateTime1106"] == "2026-02-03 00:00:00"
    assert detail["CategoryId"] == 3
    found = api.get("Project", params={"Query": "test"}).json()
    assert found["Count"] == 1
    item = found["Results"][str(pid)]
    assert item == {
        "Id": str(pid),
        "Name": "Test project",
        "Url": f"{server.base_url}/Project/{pid}",
        "StatusId": "2509",
        "UserId": "3300",
        "Deleted": "0",
        "ContactId": str(contact),
        "BusinessId": "",
    }


def test_enum_and_set_values_by_id_or_label(server: SandboxServer) -> None:
    api = client(server)
    contact = person(api)
    by_label = project(
        api, contact, Referrer="Google", Set1035="First choice,Second choice"
    )
    by_id = project(api, contact, Referrer=1255, Set1035="3")
    for pid in (by_label, by_id):
        detail = api.get(f"Project/{pid}").json()
        assert (
            detail["Referrer"] == "Google"
            and detail["Set1035"] == "First choice, Second choice"
        )
    assert api.get("Project", params={"Referrer": "Google"}).json()["Count"] == 2
    assert api.get("Project", params={"Referrer": "1255"}).json()["Count"] == 2
    comma = api.put(
        "Project",
        json={
            "CategoryId": 11,
            "ContactId": contact,
            "Érdeklődés": "Termék C, kiegészítővel, Termék A",
        },
    )
    assert (
        api.get(f"Project/{comma.json()['Id']}").json()["Érdeklődés"]
        == "Termék A, Termék C, kiegészítővel"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"Referrer": "Nope"},
            "Project (PUT): Invalid value 'Nope' for the Referrer field.",
        ),
        ({"Name": "x" * 129}, "Invalid value"),
        (
            {"DateTime1106": "31/12/2026"},
            "Invalid value '31/12/2026' for the DateTime1106 field.",
        ),
        ({"Set1035": 64}, "Invalid value '64' for the Set1035 field."),
        ({"NoSuchField": 1}, "Unknown field: NoSuchField"),
        ({"CategoryId": 5}, "The CategoryId field can't be changed."),
    ],
)
def test_validation_errors_are_plain_text_400(
    server: SandboxServer, body: dict[str, Any], message: str
) -> None:
    api = client(server)
    pid = project(api, person(api))
    answer = api.put(f"Project/{pid}", json=body)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/plain")
    assert message in answer.text


def test_create_needs_category_and_contact(server: SandboxServer) -> None:
    api = client(server)
    assert api.put("Project", json={"Name": "x"}).status_code == 400
    assert (
        api.put("Project", json={"CategoryId": 3, "ContactId": 999999}).status_code
        == 400
    )
    assert (
        api.put("Project", content=b"not json").text
        == 'Project (PUT): Invalid parameter: "Data (JSON)"'
    )


def test_update_only_changes_sent_fields_and_trash_restore(
    server: SandboxServer,
) -> None:
    api = client(server)
    pid = project(api, person(api), Referrer="WOM", ReferenceId="ext-7")
    assert api.put(f"Project/{pid}", json={"Name": "Renamed"}).json() == {"Id": pid}
    detail = api.get(f"Project/{pid}").json()
    assert detail["Name"] == "Renamed" and detail["Referrer"] == "WOM"
    assert api.get("Project", params={"ReferenceId": "ext-7"}).json()["Count"] == 1
    api.put(f"Project/{pid}", json={"Deleted": 1})
    assert api.get("Project", params={"CategoryId": 3}).json() == {
        "Count": 0,
        "Results": [],
    }
    assert list(
        api.get("Project", params={"CategoryId": 3, "Deleted": 1}).json()["Results"]
    ) == [str(pid)]
    api.put(f"Project/{pid}", json={"Deleted": "0"})
    assert api.get("Project", params={"CategoryId": 3}).json()["Count"] == 1


def test_status_group_updated_since_and_main_contact(server: SandboxServer) -> None:
    api = client(server)
    contact = person(api)
    other = person(api)
    lead = project(api, contact, StatusId=2500)
    lost = project(api, other, StatusId=2541)
    assert list(
        api.get("Project", params={"StatusGroup": "Lead"}).json()["Results"]
    ) == [str(lead)]
    assert list(
        api.get("Project", params={"StatusGroup": "Failed"}).json()["Results"]
    ) == [str(lost)]
    assert list(
        api.get("Project", params={"MainContactId": other}).json()["Results"]
    ) == [str(lost)]
    assert (
        api.get("Project", params={"UpdatedSince": "2000-01-01"}).json()["Count"] == 2
    )
    assert (
        api.get("Project", params={"UpdatedSince": "2999-01-01 00:00:00"}).json()[
            "Count"
        ]
        == 0
    )
    assert api.get("Project", params={"StatusGroup": "Won"}).status_code == 400
    assert (
        api.get("Project", params={"Bogus": "1"}).text
        == "Project (GET): Unknown parameter: Bogus"
    )


@pytest.mark.parametrize("total", [0, 100, 101, 250])
def test_paging_boundaries(total: int) -> None:
    with SandboxServer(load_demo_snapshot(), "42", KEY) as running:
        sandbox = running.sandbox
        contact = sandbox.put_contact(None, {"Type": "Person", "FirstName": "P"})["Id"]
        for index in range(total):
            sandbox.put_project(
                None, {"CategoryId": 5, "ContactId": contact, "Name": f"p{index}"}
            )
        api = client(running)
        seen: list[str] = []
        page = 0
        while True:
            answer = api.get("Project", params={"CategoryId": 5, "Page": page}).json()
            assert answer["Count"] == total
            if answer["Results"] == []:
                break
            assert len(answer["Results"]) == min(100, total - page * 100)
            seen += list(answer["Results"])
            page += 1
        assert len(seen) == len(set(seen)) == total
        assert page == -(-total // 100)


def test_contacts_search_and_detail(server: SandboxServer) -> None:
    api = client(server)
    business = api.put(
        "Contact",
        json={"Type": "Business", "Name": "Test Business", "Email": "info@test.com"},
    ).json()["Id"]
    john = person(
        api, Email="jd@example.com", Phone="06 1 234-5678", BusinessId=business
    )
    assert api.get(f"Contact/{john}").json()["Type"] == "Személy"
    assert api.get(f"Contact/{business}").json()["Type"] == "Cég"
    by_email = api.get(
        "Contact", params={"Email": "jd@example.com", "Type": "Person"}
    ).json()
    assert by_email["Results"][str(john)]["Type"] == "Person"
    assert list(api.get("Contact", params={"Phone": "2345678"}).json()["Results"]) == [
        str(john)
    ]
    assert api.get("Contact", params={"Phone": "678"}).status_code == 400
    assert list(
        api.get("Contact", params={"MainContactId": business}).json()["Results"]
    ) == [str(john)]
    assert list(api.get("Contact", params={"Query": "Test Bus"}).json()["Results"]) == [
        str(business)
    ]
    assert api.get("Contact/424242").status_code == 404


def test_contact_type_is_written_in_english_and_localized_only_on_get(
    server: SandboxServer,
) -> None:
    api = client(server)
    for written in (2, "2", "Személy", "person"):
        refused = api.put("Contact", json={"Type": written, "FirstName": "Ada"})
        assert refused.status_code == 400
        assert (
            refused.text
            == f"Contact (PUT): Invalid value '{written}' for the Type field."
        )
    ada = person(api)
    assert api.put(f"Contact/{ada}", json={"Type": "Person"}).status_code == 200
    assert api.put(f"Contact/{ada}", json={"Type": 2}).status_code == 400
    assert api.get(f"Contact/{ada}").json()["Type"] == "Személy"
    found = api.get("Contact", params={"Type": "Person"}).json()["Results"]
    assert found[str(ada)]["Type"] == "Person"
    assert api.get("Contact", params={"Type": "2"}).status_code == 400
    english = dict(load_demo_snapshot().endpoints)
    for schema in ("Schema/Person", "Schema/Business"):
        english[schema] = {**english[schema], "Type": {"1": "Business", "2": "Person"}}
    snapshot = Snapshot(english, "http://x/Api/R3", "english")
    with SandboxServer(snapshot, "42", KEY) as running:
        api = client(running)
        ada = person(api)
        assert api.get(f"Contact/{ada}").json()["Type"] == "Person"


def test_numeric_labels_are_labels_on_get_and_ids_on_write_and_search(
    server: SandboxServer,
) -> None:
    api = client(server)
    contact = person(api)
    body = {"CategoryId": 6, "ContactId": contact, "Name": "Numbers"}
    pid = api.put(
        "Project", json={**body, "Attendance": 4, "Grade": 1, "Rating": 2005}
    ).json()["Id"]
    detail = api.get(f"Project/{pid}").json()
    assert (detail["Attendance"], detail["Grade"], detail["Rating"]) == ("3", "2", "5")
    # A JSON number is an id, never a label: Rating has no option 5.
    refused = api.put(f"Project/{pid}", json={"Rating": 5})
    assert refused.text == "Project (PUT): Invalid value '5' for the Rating field."
    # A text is an id when it is one (Grade "1" is id 1), else a label (Rating "4").
    assert (
        api.put(f"Project/{pid}", json={"Grade": "1", "Rating": "4"}).status_code == 200
    )
    assert api.get(f"Project/{pid}").json()["Rating"] == "4"
    by_grade = api.get("Project", params={"CategoryId": 6, "Grade": "1"}).json()
    assert list(by_grade["Results"]) == [str(pid)]
    other = api.get("Project", params={"CategoryId": 6, "Grade": "2"}).json()
    assert other["Count"] == 0


def test_todos(server: SandboxServer) -> None:
    api = client(server)
    pid = project(api, person(api))
    assert api.post("ToDo", json={"ProjectId": pid}).status_code == 405
    assert api.put("ToDo", json={"Comment": "no project"}).status_code == 400
    tid = api.put(
        "ToDo",
        json={
            "ProjectId": pid,
            "Comment": "Call",
            "Deadline": "2026-12-01 10:00:00",
            "UserId": "Nagy Péter",
        },
    ).json()["Id"]
    listed = api.get(f"ToDoList/{pid}", params={"Status": "Open"}).json()
    assert listed["Count"] == 1 and isinstance(listed["Results"], list)
    assert listed["Results"][0]["UserId"] == "3301"
    assert api.get(f"ToDo/{tid}").json()["UserId"] == "Nagy Péter"
    assert api.put(f"ToDo/{tid}", json={"Status": "Closed"}).status_code == 200
    assert (
        api.put(f"ToDo/{tid}", json={"Status": "Open"}).text
        == "ToDo (PUT): Only open ToDos can be changed."
    )
    assert api.get(f"ToDoList/{pid}", params={"Status": "Open"}).json() == {
        "Count": 0,
        "Results": [],
    }
    assert api.get(f"ToDoList/{pid}", params={"Status": "All"}).json()["Count"] == 1


def test_addresses(server: SandboxServer) -> None:
    api = client(server)
    contact = person(api)
    aid = api.put(
        "Address",
        json={
            "ContactId": contact,
            "Type": "HQ",
            "Name": "Office",
            "City": "Budapest",
            "Address": "Fő utca 1.",
            "Default": 1,
        },
    ).json()["Id"]
    assert api.get(f"Address/{aid}").json()["City"] == "Budapest"
    api.put(f"Address/{aid}", json={"Address": "Fő utca 2."})
    assert api.get(f"AddressList/{contact}").json() == {
        "Count": 1,
        "Results": {str(aid): "Office (Fő utca 2.)"},
    }
    assert api.put("Address", json={"City": "x"}).status_code == 400


def test_error_codes(server: SandboxServer) -> None:
    api = client(server)
    assert (
        httpx.get(server.base_url + "/Category", auth=("42", "wrong")).status_code
        == 401
    )
    assert api.get("Project/1").status_code == 404
    assert api.get("NoSuchThing").status_code == 404
    wrong_method = api.delete("Project/1")
    assert (
        wrong_method.status_code == 405
        and wrong_method.text == "Project (DELETE): Method not allowed!"
    )


def test_data_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "crm.db"
    with SandboxServer(load_demo_snapshot(), "42", KEY, db=str(db)) as first:
        pid = project(client(first), person(client(first)), Name="Persistent")
    with SandboxServer(load_demo_snapshot(), "42", KEY, db=str(db)) as second:
        assert client(second).get(f"Project/{pid}").json()["Name"] == "Persistent"


def test_eight_concurrent_writers_lose_nothing(server: SandboxServer) -> None:
    contact = person(client(server))
    created: list[int] = []
    lock = threading.Lock()

    def writer(number: int) -> None:
        api = client(server)
        for index in range(15):
            pid = project(api, contact, Name=f"w{number}-{index}")
            api.put(f"Project/{pid}", json={"Int1107": index})
            with lock:
                created.append(pid)

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(created)) == 120
    api = client(server)
    assert api.get("Project", params={"CategoryId": 3}).json()["Count"] == 120
    assert all(
        api.get(f"Project/{pid}").json()["Int1107"] != "" for pid in created[:10]
    )


def test_rate_limit_fail_and_drop_switches() -> None:
    faults = Faults(rate_limit=3, rate_period=60, fail_rate=0.0)
    with SandboxServer(load_demo_snapshot(), "42", KEY, faults=faults) as running:
        api = client(running)
        codes = [api.get("Category").status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
    with SandboxServer(
        load_demo_snapshot(), "42", KEY, faults=Faults(fail_rate=1.0)
    ) as running:
        answer = client(running).get("Category")
        assert answer.status_code == 500 and answer.text == "Internal Server Error"
    with SandboxServer(
        load_demo_snapshot(), "42", KEY, faults=Faults(drop_rate=1.0)
    ) as running:
        with pytest.raises(httpx.TransportError):
            client(running).put(
                "Contact", json={"Type": "Person", "FirstName": "Dropped"}
            )
        assert running.sandbox.search_contacts({"Name": "Dropped"})["Count"] == 1


def test_seed_is_the_same_for_the_same_n() -> None:
    from generator.sandbox.seed import seed

    answers = []
    for _ in range(2):
        with SandboxServer(load_demo_snapshot(), "42", KEY) as running:
            seed(running.sandbox, 3)
            api = client(running)
            answers.append(
                [
                    api.get(f"Project/{pid}").json()
                    for pid in api.get("Project").json()["Results"]
                ]
            )
    assert answers[0] == answers[1]
    assert len(answers[0]) == 15


def test_the_command_serves_prints_its_address_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    import signal
    import subprocess
    import sys

    db = tmp_path / "sandbox.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "generator",
            "sandbox",
            "--port",
            "0",
            "--seed",
            "2",
            "--db",
            str(db),
            "--quiet",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        first = process.stderr.readline()
        second = process.stderr.readline()
        assert first.startswith(
            "MiniCRM sandbox for system 'demo' at http://127.0.0.1:"
        )
        settings = dict(part.split("=", 1) for part in second.split())
        assert (
            settings["MINICRM_SYSTEM_ID"] == "sandbox"
            and settings["MINICRM_API_KEY"] == "sandbox-key"
        )
        answer = httpx.get(
            settings["MINICRM_BASE_URL"] + "/Project",
            params={"CategoryId": 3},
            auth=("sandbox", "sandbox-key"),
        )
        assert answer.json()["Count"] == 2
        snapshot = tmp_path / "pulled.json"
        pulled = subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "pull",
                "--output",
                str(snapshot),
                "--quiet",
            ],
            env={**__import__("os").environ, **settings},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert pulled.returncode == 0, pulled.stderr
        assert (
            json.loads(snapshot.read_text(encoding="utf-8"))["endpoints"]
            == load_demo_snapshot().endpoints
        )
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    assert db.exists()


def test_an_unknown_user_is_accepted_and_replaced_like_real_systems_do(
    server: SandboxServer,
) -> None:
    api = client(server)
    pid = project(api, person(api), UserId=999999)
    assert api.get(f"Project/{pid}").json()["UserId"] == "John Doe"
    assert api.put(f"Project/{pid}", json={"UserId": "Nobody"}).status_code == 200


def test_a_taken_port_is_one_clear_error(server: SandboxServer) -> None:
    port = int(server.base_url.split(":")[2].split("/")[0])
    second = SandboxServer(load_demo_snapshot(), "42", KEY, port=port)
    with pytest.raises(RuntimeError, match=f"cannot listen on 127.0.0.1:{port} \\("):
        second.start()
    second.store.close()

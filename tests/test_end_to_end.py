"""End to end: sandbox -> pull -> generate -> install -> a real job, sync and async, under faults."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from generator.sandbox.app import Faults
from generator.sandbox.server import SandboxServer
from generator.snapshot import load_demo_snapshot

from tools import run, venv_with

SYSTEM, KEY = "e2e", "e2e-secret-key-0123456789"

JOB = r"""
import asyncio, json, sys
from datetime import datetime
from e2e_crm import (
    APIConnectionError, AsyncClient, Client, Person, Projects, ProjectsPhase, Sales, SalesReferrer,
    ServerError, ToDo,
)

options = dict(max_retries=8, retry_backoff=0.01, rate_limit=None, timeout=5)
report = {}
with Client(**options) as crm:
    contact = crm.persons.create(Person(first_name="End", last_name="ToEnd"), reference_id="e2e-person")
    ids = [
        crm.sales.create(Sales(contact_id=contact, name=f"deal {n}", referrer=SalesReferrer.WOM), reference_id=f"sync-{n}")
        for n in range(120)
    ]
    for project_id in ids[:60]:
        crm.sales.update(project_id, Sales(referrer=SalesReferrer.GOOGLE))
    for project_id in ids[:10]:
        crm.sales.trash(project_id)
    for project_id in ids[:5]:
        crm.sales.restore(project_id)
    # A ToDo has no ReferenceId, so the client never retries its create blindly: the job checks.
    while not any(t.comment == "e2e" for t in crm.todos.list(ids[0])):
        try:
            crm.todos.create(ToDo(project_id=ids[0], comment="e2e", deadline=datetime(2026, 12, 24, 9)))
        except (APIConnectionError, ServerError):
            pass
    page = crm.sales.search_page(1)
    report["sync"] = {
        "ids": len(set(ids)),
        "live": len(list(crm.sales.search())),
        "google": len(list(crm.sales.search(referrer=SalesReferrer.GOOGLE))),
        "trashed": len(list(crm.sales.search(deleted=True))),
        "page1": len(page.items),
        "count": page.count,
        "todos": len(crm.todos.list(ids[0])),
    }

async def main():
    async with AsyncClient(**options) as crm:
        contact = await crm.persons.create(Person(first_name="Async", last_name="ToEnd"), reference_id="e2e-async-person")
        ids = await asyncio.gather(*(
            crm.projects.create(Projects(contact_id=contact, name=f"job {n}", phase=ProjectsPhase.OPTION_3_ALKALOM), reference_id=f"async-{n}")
            for n in range(110)
        ))
        await asyncio.gather(*(crm.projects.update(i, Projects(budget=n)) for n, i in enumerate(ids)))
        await asyncio.gather(*(crm.projects.trash(i) for i in ids[:4]))
        await crm.projects.restore(ids[0])
        records = [r async for r in crm.projects.search_records()]
        report["async"] = {
            "ids": len(set(ids)),
            "live": len(records),
            "budgets": sorted(r.budget for r in records) == sorted(n for n in range(110) if n not in (1, 2, 3)),
            "trashed": len([i async for i in crm.projects.search(deleted=True)]),
        }

asyncio.run(main())
print(json.dumps(report))
"""


def test_pull_generate_install_and_run_a_job_under_faults(tmp_path: Path) -> None:
    faults = Faults(latency_ms=2, fail_rate=0.08, drop_rate=0.05, seed=7)
    with SandboxServer(load_demo_snapshot(), SYSTEM, KEY, faults=faults) as sandbox:
        env = {
            "MINICRM_BASE_URL": sandbox.base_url,
            "MINICRM_SYSTEM_ID": SYSTEM,
            "MINICRM_API_KEY": KEY,
        }
        cli = [sys.executable, "-m", "generator"]
        snapshot = tmp_path / "e2e.snapshot.json"
        run(*cli, "pull", "--output", snapshot, "--quiet", env=env)
        assert KEY not in snapshot.read_text(encoding="utf-8")
        run(
            *cli,
            "generate",
            "--schema",
            snapshot,
            "--output",
            tmp_path / "client",
            "--package-name",
            "e2e_crm",
            "--quiet",
        )
        python = venv_with(tmp_path / "client", tmp_path / "venv")
        job = tmp_path / "job.py"
        job.write_text(JOB, encoding="utf-8")
        result = run(python, job, cwd=tmp_path, env=env)
        report = json.loads(result.stdout.splitlines()[-1])
        store = sandbox.sandbox

        assert report["sync"] == {
            "ids": 120,
            "live": 115,
            "google": 55,
            "trashed": 5,
            "page1": 15,
            "count": 115,
            "todos": 1,
        }
        assert report["async"] == {
            "ids": 110,
            "live": 107,
            "budgets": True,
            "trashed": 3,
        }
        # Nothing duplicated on the server either, though connections were dropped and 500s answered.
        sales = (
            store.search_projects({"CategoryId": "3"})["Count"]
            + store.search_projects({"CategoryId": "3", "Deleted": "1"})["Count"]
        )
        projects = (
            store.search_projects({"CategoryId": "6"})["Count"]
            + store.search_projects({"CategoryId": "6", "Deleted": "1"})["Count"]
        )
        assert (sales, projects) == (120, 110)
        assert store.search_contacts({"Name": "ToEnd"})["Count"] == 2
        assert (
            sandbox.guard.injected["failed"] > 5
            and sandbox.guard.injected["dropped"] > 5
        )

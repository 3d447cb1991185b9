"""Calls every R3 call beyond the public page that the generated demo client covers, sync and
async: status history so far.

Type-checked with ``mypy --strict`` and run against the sandbox by test_r3_calls.py.
"""

from __future__ import annotations

from minicrm_demo import AsyncClient, Client, Sales, SalesStatus, StatusChange


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

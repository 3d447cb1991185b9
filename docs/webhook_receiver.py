"""The README's webhook receiver; the tests serve it and post MiniCRM-shaped webhooks to it."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from minicrm_demo import (
    ProjectEvent,
    Sales,
    SalesStatus,
    WebhookError,
    WebhookEvent,
    parse_webhook,
)

# What arrived, newest last. A real handler would queue the work and answer at once.
events: list[WebhookEvent] = []
won: list[int] = []


async def minicrm_webhook(request: Request) -> PlainTextResponse:
    try:
        event = parse_webhook(await request.body())
    except WebhookError as error:
        # Not a webhook this package can read: a 4xx. MiniCRM retries anything but 200.
        return PlainTextResponse(str(error), status_code=400)
    events.append(event)
    if (
        isinstance(event, ProjectEvent)
        and isinstance(event.record, Sales)
        and "status_id" in event.changed
        and event.record.status_id is SalesStatus.CUSTOMER
    ):
        # Don't write the status back from here: your own writes fire webhooks too.
        won.append(event.id)
    return PlainTextResponse("ok")  # 200: delivered, no retry


app = Starlette(routes=[Route("/minicrm", minicrm_webhook, methods=["POST"])])

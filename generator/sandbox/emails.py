"""The sandbox's e-mails of cards (``EmailList/{projectId}``, optional ``CreatedAt``).

MiniCRM documents neither this answer nor a way to write e-mails through the API (they arrive
by mail at the card's ``ProjectEmail``). The sandbox keeps e-mails its owner adds
(:meth:`EmailRules.add_email`, as the app would) and answers them in the usual
``Count`` / ``Results`` envelope, keyed by id, ``[]`` when there are none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .rules import Rules
from .values import ApiError, parse_filter_date

EMAIL = "Email"


class EmailRules(Rules):
    """E-mails archived on cards."""

    def add_email(
        self, project_id: int, subject: str, sender: str, to: str, body: str
    ) -> int:
        """An e-mail that arrived on a card (the API cannot write e-mails)."""
        with self.store.transaction():
            if self.store.get(project_id, ("Project",)) is None:
                raise ApiError(
                    404, "EmailList", "GET", f"Project not found: {project_id}"
                )
            data = {
                "ProjectId": project_id,
                "Subject": subject,
                "From": sender,
                "To": to,
                "Content": body,
                "CreatedAt": self.clock(),
            }
            return self.store.insert(EMAIL, None, data, self.clock())

    def email_list(self, project_id: int, params: Mapping[str, str]) -> dict[str, Any]:
        if self.store.get(project_id, ("Project",)) is None:
            raise ApiError(404, "EmailList", "GET", f"Project not found: {project_id}")
        day = parse_filter_date(params, "CreatedAt", "EmailList")
        results = {
            str(record.id): {"Id": record.id, **record.data}
            for record in self.store.all((EMAIL,))
            if record.data["ProjectId"] == project_id
            and (day is None or record.data["CreatedAt"][:10] == day[:10])
        }
        return {"Count": len(results), "Results": results or []}

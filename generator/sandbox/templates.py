"""The sandbox's templates of modules (``TemplateList``, ``Template``; manual p.98-99).

Real systems' templates are made in the app and cannot be written through the API, so every
module of the sandbox has the same fixed ones, one of each type. The list writes a ToDo
template's type ``Todo`` and the detail ``To do``, as the manual shows.
"""

from __future__ import annotations

from typing import Any

from .rules import Rules
from .values import ApiError

#: (type in a list, type in a detail, name, subject) of every module's templates.
TEMPLATES = (
    ("Email", "Email", "Welcome", "Welcome to {Name}"),
    ("Todo", "To do", "Call back", ""),
    ("Sms", "Sms", "Reminder", ""),
    ("File", "File", "Offer", ""),
)
#: Template ids are ``FIRST_TEMPLATE + module id * 10 + position``, apart from record ids.
FIRST_TEMPLATE = 900_000


class TemplateRules(Rules):
    """The fixed templates of every module."""

    def template_list(self, category_id: int) -> dict[str, Any]:
        if category_id not in self.modules:
            raise ApiError(
                404, "TemplateList", "GET", f"Category not found: {category_id}"
            )
        results = [
            {
                "Id": FIRST_TEMPLATE + category_id * 10 + position,
                "Type": kind,
                "Name": name,
                "Url": f"{self.base_url}/Template/{FIRST_TEMPLATE + category_id * 10 + position}",
            }
            for position, (kind, _, name, _) in enumerate(TEMPLATES)
        ]
        return {"Count": len(results), "Results": results}

    def get_template(self, template_id: int) -> dict[str, Any]:
        category_id, position = divmod(template_id - FIRST_TEMPLATE, 10)
        if category_id not in self.modules or not 0 <= position < len(TEMPLATES):
            raise ApiError(404, "Template", "GET", f"Template not found: {template_id}")
        _, kind, name, subject = TEMPLATES[position]
        return {
            "Id": template_id,
            "CategoryId": category_id,
            "Type": kind,
            "Name": name,
            "Subject": subject,
            "Content": f"<!DOCTYPE html><html><body><p>{name}</p></body></html>",
            "FolderId": 0,
            "Folders": [],
        }

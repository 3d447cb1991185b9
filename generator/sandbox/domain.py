"""The R3 behaviour of the sandbox, independent of HTTP: validation, storage forms, answers.

An unknown ``UserId`` on write is accepted and replaced by the first user, as real systems
do (so client-side validation matters). Values are stored in their write form (option ids, Set bitmasks, ``YYYY-MM-DD HH:MM:SS``) and
presented the way real systems answer: search results carry ids and a few basic fields, GET
answers carry labels (Set values as ``", "``-joined labels) and every field. Status groups are
not in the schema; the sandbox derives them from each module's statuses in id order: the first
is Lead, the last Failed, the one before it Success, the rest Open. Contact ``Type`` is taken
only as ``Person`` / ``Business`` and searches answer it so, while a detail GET shows the
schema's (localized) label. A JSON number written to an Enum field is an id; a text is an id
when it is one, else a label (so a search filter by id works whatever the labels look like).

Each entity's rules live in a module named after it (``projects``, ``history``, ``links``,
``templates``, ``emails``, ``contacts``, ``todos``, ``addresses``) on the shared base in ``rules``; values, errors and paging are in ``values``.
"""

from __future__ import annotations

from .addresses import AddressRules
from .contacts import ContactRules
from .emails import EmailRules
from .links import LinkRules
from .projects import ProjectRules
from .templates import TemplateRules
from .todos import ToDoRules
from .values import DATETIME, ApiError, whole_number

__all__ = ["DATETIME", "ApiError", "Sandbox", "whole_number"]


class Sandbox(
    ProjectRules,
    LinkRules,
    TemplateRules,
    EmailRules,
    ContactRules,
    ToDoRules,
    AddressRules,
):
    """One system: its schema (from a snapshot) and its data (in a store), with the R3 rules
    of every entity."""

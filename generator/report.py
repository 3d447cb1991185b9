"""Diff reports for people and machines: text, Markdown, JSON and GitHub workflow annotations.

Labels are hostile input here too: Markdown cells go through :func:`escape.markdown`, GitHub
annotations escape their data and properties as the workflow-command syntax requires, and JSON
is JSON. The JSON document follows ``docs/diff-report.schema.json`` (version 1).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .diff import Change, Severity
from .render.escape import markdown

FORMATS = ("text", "markdown", "json", "github")
FAIL_ON = {
    "breaking": Severity.BREAKING,
    "dangerous": Severity.DANGEROUS,
    "any": Severity.SAFE,
    "never": None,
}
JSON_FORMAT = "minicrm-codegen diff"
JSON_VERSION = 1


@dataclass(frozen=True)
class DiffResult:
    """One system's diff: its changes, the two sides, the verdict and the next version."""

    system: str | None
    old: dict[str, str]
    new: dict[str, str]
    changes: list[Change]
    fail_on: str
    version: str
    suggested: str
    annotate: str

    @property
    def failed(self) -> bool:
        threshold = FAIL_ON[self.fail_on]
        return threshold is not None and any(
            change.severity >= threshold for change in self.changes
        )

    def counts(self) -> dict[str, int]:
        return {
            severity.word: sum(change.severity is severity for change in self.changes)
            for severity in (Severity.BREAKING, Severity.DANGEROUS, Severity.SAFE)
        }

    def summary(self) -> str:
        counts = self.counts()
        return (
            f"{len(self.changes)} change(s): {counts['breaking']} breaking, "
            f"{counts['dangerous']} dangerous, {counts['safe']} safe; "
            f"suggested version {self.suggested} (from {self.version})"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "old": self.old,
            "new": self.new,
            "summary": self.counts(),
            "fail_on": self.fail_on,
            "failed": self.failed,
            "version": self.version,
            "suggested_version": self.suggested,
            "changes": [
                {
                    "severity": change.severity.word,
                    "kind": change.kind,
                    "where": change.where,
                    "detail": change.detail,
                }
                for change in self.changes
            ],
        }


def text_lines(result: DiffResult) -> list[str]:
    return [str(change) for change in result.changes]


def _group(change: Change) -> str:
    """The table a change goes in: its record (``Sales``), or the shared types and modules."""
    head = change.where.split(".", 1)[0]
    return "Modules" if head == "crm" else head


def markdown_lines(result: DiffResult) -> list[str]:
    """A pull-request comment: a summary, then one table per record."""
    title = f"Schema changes: {result.system}" if result.system else "Schema changes"
    lines = [f"## {markdown(title)}", "", f"**{markdown(result.summary())}**"]
    if not result.changes:
        return [*lines, "", "No changes."]
    groups: dict[str, list[Change]] = {}
    for change in result.changes:
        groups.setdefault(_group(change), []).append(change)
    for group, changes in sorted(groups.items()):
        lines += ["", f"### {markdown(group)}", ""]
        lines += ["| Severity | Change | Where | Detail |", "| --- | --- | --- | --- |"]
        lines += [
            f"| {change.severity.word} | {change.kind} | {markdown(change.where)} "
            f"| {markdown(change.detail)} |"
            for change in changes
        ]
    return lines


def _annotation_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _annotation_property(text: str) -> str:
    return _annotation_data(text).replace(":", "%3A").replace(",", "%2C")


_LEVELS = {
    Severity.BREAKING: "error",
    Severity.DANGEROUS: "warning",
    Severity.SAFE: "notice",
}


def github_lines(result: DiffResult) -> list[str]:
    """GitHub Actions workflow commands: one annotation a change, on the snapshot file."""
    prefix = f"{result.system}: " if result.system else ""
    return [
        f"::{_LEVELS[change.severity]} file={_annotation_property(result.annotate)},"
        f"title={_annotation_property(f'{prefix}{change.severity.word} {change.kind}')}"
        f"::{_annotation_data(f'{change.where}: {change.detail}')}"
        for change in result.changes
    ]


def json_document(results: Sequence[DiffResult]) -> str:
    return (
        json.dumps(
            {
                "format": JSON_FORMAT,
                "version": JSON_VERSION,
                "systems": [result.as_json() for result in results],
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )


def lines_for(result: DiffResult, format_: str) -> list[str]:
    if format_ == "markdown":
        return markdown_lines(result)
    if format_ == "github":
        return github_lines(result)
    return text_lines(result)

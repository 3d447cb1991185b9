"""Errors a person can act on.

Every failure the tool expects (bad credentials, an unreachable host, a broken snapshot, a bad
flag) is raised as a :class:`CodegenError`; the command line prints its message as one line and
exits non-zero, never with a traceback. Messages never carry the API key.
"""

from __future__ import annotations


class CodegenError(Exception):
    """A failure with a message that says what is wrong and what to do."""

    exit_code = 1


class PullError(CodegenError):
    """The live system could not be read (credentials, network, bad answers)."""


class SnapshotError(CodegenError):
    """A snapshot file is missing, unreadable or not in the expected shape."""


class ConfigError(CodegenError):
    """A flag, environment variable or configuration file is wrong."""

    exit_code = 2


class GenerationError(CodegenError):
    """Generation failed, or ``--strict`` turned warnings into a failure."""


def redact(text: str, *secrets: str | None) -> str:
    """Return ``text`` with every secret replaced, so no message can leak one by accident."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text

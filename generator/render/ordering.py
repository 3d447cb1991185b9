"""The order isort (ruff's ``I001``) gives imported names and ruff's ``RUF022`` gives ``__all__``.

Generated code is committed into users' repositories and linted there, so its imports and
``__all__`` must already be in the order ruff would put them: CONSTANTS, then Classes, then the
rest, each in natural order (``Set9`` before ``Set10``) as the ``natord`` algorithm compares,
imports ignoring case and ``__all__`` minding it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cmp_to_key


def _digits(text: str, start: int) -> int:
    """Where the run of ASCII digits starting at ``start`` ends."""
    end = start
    while end < len(text) and text[end] in "0123456789":
        end += 1
    return end


def _compare_numbers(left: str, right: str) -> int:
    """natord's comparison of two digit runs: left-aligned (as a fraction) when either has a
    leading zero, else by value."""
    if left[0] == "0" or right[0] == "0":
        return (left > right) - (left < right)
    if len(left) != len(right):
        return (len(left) > len(right)) - (len(left) < len(right))
    return (left > right) - (left < right)


def natural_compare(left: str, right: str) -> int:
    """-1, 0 or 1 as ``left`` sorts before, with, or after ``right`` in natural order."""
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i] in "0123456789" and right[j] in "0123456789":
            end_i, end_j = _digits(left, i), _digits(right, j)
            order = _compare_numbers(left[i:end_i], right[j:end_j])
            if order:
                return order
            i, j = end_i, end_j
            continue
        if left[i] != right[j]:
            return -1 if left[i] < right[j] else 1
        i, j = i + 1, j + 1
    return (len(left) - i > len(right) - j) - (len(left) - i < len(right) - j)


def _kind(name: str) -> int:
    return 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2


def _compare(left: str, right: str, *, ignore_case: bool) -> int:
    if _kind(left) != _kind(right):
        return -1 if _kind(left) < _kind(right) else 1
    if ignore_case:
        order = natural_compare(left.lower(), right.lower())
        if order:
            return order
    return natural_compare(left, right)


def _import_compare(left: str, right: str) -> int:
    return _compare(left, right, ignore_case=True)


def _all_compare(left: str, right: str) -> int:
    return _compare(left, right, ignore_case=False)


def import_order(names: Iterable[str]) -> list[str]:
    """``names`` as isort orders the names of one ``from … import`` (or module names)."""
    return sorted(names, key=cmp_to_key(_import_compare))


def all_order(names: Iterable[str]) -> list[str]:
    """``names`` as ruff's ``RUF022`` orders ``__all__``."""
    return sorted(names, key=cmp_to_key(_all_compare))

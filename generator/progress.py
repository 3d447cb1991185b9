"""A one-line progress counter for pulls, shown only on a terminal."""

from __future__ import annotations

import sys


class Progress:
    """``fetching schemas: k/n`` on one terminal line; silent when quiet or not a terminal."""

    def __init__(self, quiet: bool) -> None:
        self.active = not quiet and sys.stderr.isatty()
        self.open_line = False

    def __call__(self, done: int, total: int) -> None:
        if self.active:
            sys.stderr.write(f"\rfetching schemas: {done}/{total}")
            sys.stderr.flush()
            self.open_line = True

    def close(self) -> None:
        """End the progress line, so whatever is printed next starts on its own line."""
        if self.open_line:
            sys.stderr.write("\n")
            self.open_line = False

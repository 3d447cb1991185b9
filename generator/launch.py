"""The ``minicrm-codegen`` command, with ``generate``'s render workers started first.

A generate run's render worker spends about 0.4 s importing datamodel-code-generator before
it can render anything: the longest part of a small tenant's run. Started here, before this
process loads the command line (click and the pipeline, about 0.2 s), it imports meanwhile.
The command line still decides everything: a run that renders nothing (bad flags, an output
already up to date) kills the unused worker when it ends; ``generate --help`` starts none.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def run() -> None:
    """The command's entry point (``minicrm-codegen``, ``python -m generator``)."""
    if sys.argv[1:2] != ["generate"] or "--help" in sys.argv:
        _command()
        return
    try:
        from .render import entity_workers_in_advance

        with entity_workers_in_advance():
            _command()
    except KeyboardInterrupt:  # before the command line handles it
        print("interrupted; nothing was written", file=sys.stderr)
        sys.exit(130)
    except SystemExit as done:  # how the command line ends, workers stopped by now
        _end(done)


def _end(done: SystemExit) -> NoReturn:
    """End without Python's teardown of every module and object (about 50 ms after a
    generate run, a twentieth of a small tenant's): what the run wrote is closed by now,
    and its workers have ended."""
    if done.code is not None and not isinstance(done.code, int):
        raise done
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can reach it
            pass
    os._exit(done.code or 0)


def _command() -> None:
    from .cli import main

    main()

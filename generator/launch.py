"""The ``minicrm-codegen`` command, with ``generate``'s render workers started first.

A generate run's render worker spends about 0.4 s importing datamodel-code-generator before
it can render anything: the longest part of a small tenant's run. Started here, before this
process loads the command line (click and the pipeline, about 0.2 s), it imports meanwhile.
The command line still decides everything: a run that renders nothing (bad flags, an output
already up to date) kills the unused worker when it ends; ``generate --help`` starts none.
"""

from __future__ import annotations

import sys


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


def _command() -> None:
    from .cli import main

    main()

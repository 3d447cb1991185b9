"""``python -m generator`` does what the ``minicrm-codegen`` command does."""

from .cli import main

main()

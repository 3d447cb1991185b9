"""``python -m generator`` does what the ``minicrm-codegen`` command does."""

from .launch import run

run()

"""The Jinja environment: strict about undefined names, with the escaping helpers as filters.

Templates live in the repository's ``templates/`` folder, which the wheel ships as
``generator/templates``; both places are looked up so a source checkout and an installed wheel
behave the same.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from . import escape

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    """``generator/templates`` in an installed wheel, ``templates/`` in a source checkout."""
    for candidate in (_PACKAGE_DIR / "templates", _PACKAGE_DIR.parent / "templates"):
        if (candidate / "package").is_dir():
            return candidate
    raise FileNotFoundError(
        "the generator's templates are missing; reinstall minicrm-codegen"
    )


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        py=escape.python_string,
        doc=escape.docstring,
        md=escape.markdown,
        toml=escape.toml_string,
    )
    return env


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context)

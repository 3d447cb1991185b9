"""The Jinja environment: strict about undefined names, with the escaping helpers as filters.

Templates live in the repository's ``templates/`` folder, which the wheel ships as
``generator/templates``; both places are looked up so a source checkout and an installed wheel
behave the same.

Compiling the templates costs about 0.4 s a run, so their compiled code is kept between runs,
as Python keeps ``.pyc`` files: in Jinja's per-user cache folder (private to the user, checked
by Jinja), keyed by each template's path and checked against a hash of its text, Python's version
and Jinja's, so an edited template or another Python or Jinja compiles afresh. The cache only
saves time: a folder that cannot be used means compiling, never a failed run.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import escape

if TYPE_CHECKING:
    import jinja2

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def templates_dir() -> Path:
    """``generator/templates`` in an installed wheel, ``templates/`` in a source checkout."""
    for candidate in (_PACKAGE_DIR / "templates", _PACKAGE_DIR.parent / "templates"):
        if (candidate / "package").is_dir():
            return candidate
    raise FileNotFoundError(
        "the generator's templates are missing; reinstall minicrm-codegen"
    )


def compiled_templates(owner: str = "") -> jinja2.BytecodeCache | None:
    """The cache of compiled templates, one per ``owner`` (environments compile alike
    templates differently)."""
    import jinja2
    from jinja2.bccache import Bucket

    class CompiledTemplates(jinja2.FileSystemBytecodeCache):
        """Jinja's file cache of compiled templates, which a failing disk never turns into
        an error."""

        def load_bytecode(self, bucket: Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except (OSError, ValueError, EOFError, TypeError):  # unreadable or not ours
                bucket.reset()

        def dump_bytecode(self, bucket: Bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:
                pass

    try:
        return CompiledTemplates(
            pattern=f"minicrm-codegen{owner}-jinja-{jinja2.__version__}-%s.cache"
        )
    except (OSError, RuntimeError):  # no private folder could be made or trusted
        return None


@cache
def environment() -> jinja2.Environment:
    """The environment, made on first use: Jinja is imported then, by the process that
    renders (the render worker imports it alongside datamodel-code-generator)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        bytecode_cache=compiled_templates(),
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


def render_utf8(name: str, **context: object) -> bytes:
    """A template rendered straight to UTF-8, piece by piece: a large README never exists as
    one ``str`` (two or four bytes a character once it holds a non-ASCII letter)."""
    out = io.BytesIO()
    for piece in environment().get_template(name).generate(**context):
        out.write(piece.encode("utf-8"))
    return out.getvalue()

"""Generation settings read from a TOML file: per-field overrides of the Enum-vs-Set inference.

A file such as::

    [choices]
    "Person.Level" = "enum"         # one field of contacts
    "Project.Set1035" = "set"       # that field in every module
    "Project/3.Enum1221" = "enum"   # that field in module 3 only

says how to read option maps whose keys alone cannot tell (``{"1": "Junior", "2": "Senior"}``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError
from .model import ChoiceStyle

_STYLE_WORDS = {"enum": ChoiceStyle.ENUM, "set": ChoiceStyle.FLAG}


@dataclass(frozen=True)
class GeneratorConfig:
    """Choices the schema cannot make by itself."""

    choice_overrides: Mapping[str, ChoiceStyle] = field(default_factory=dict)

    def override_for(
        self, entity: str, module_id: int | None, api_name: str
    ) -> ChoiceStyle | None:
        """The configured style of a field: the module-specific key wins over the general one."""
        if module_id is not None:
            specific = self.choice_overrides.get(f"Project/{module_id}.{api_name}")
            if specific is not None:
                return specific
        return self.choice_overrides.get(f"{entity}.{api_name}")


def load_config(path: Path | None) -> GeneratorConfig:
    """Read a configuration file; the defaults apply where it is silent."""
    if path is None:
        return GeneratorConfig()
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc}") from None
    unknown = sorted(set(document) - {"choices"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown section(s) {', '.join(unknown)}; only [choices] is read"
        )
    choices = document.get("choices", {})
    if not isinstance(choices, dict):
        raise ConfigError(
            f'{path}: [choices] must be a table of "Entity.Field" = "enum" | "set"'
        )
    overrides: dict[str, ChoiceStyle] = {}
    for key, value in choices.items():
        entity, dot, api_name = key.partition(".")
        valid_entity = entity in ("Business", "Person", "Project") or (
            entity.startswith("Project/") and entity[len("Project/") :].isdigit()
        )
        if not dot or not api_name or not valid_entity:
            raise ConfigError(
                f"{path}: choice key {key!r} must look like Business.Field, Person.Field, "
                "Project.Field or Project/<module id>.Field"
            )
        style = _STYLE_WORDS.get(value) if isinstance(value, str) else None
        if style is None:
            raise ConfigError(
                f'{path}: choice {key!r} must be "enum" or "set", not {value!r}'
            )
        overrides[key] = style
    return GeneratorConfig(choice_overrides=overrides)

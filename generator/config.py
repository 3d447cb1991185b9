"""The configuration file: where it is, what it may say, and the Enum-vs-Set overrides in it.

Settings live in ``minicrm-codegen.toml`` or under ``[tool.minicrm-codegen]`` in
``pyproject.toml``, found in the current folder or the nearest parent that has one (``--config
FILE`` wins). Keys are the long flag names; a ``[systems.NAME]`` table per system holds that
system's settings, and top-level keys are shared by every system. Paths are relative to the file.
Credentials are never read from the file: an API key comes from a flag or the environment.

Per-field overrides of the Enum-vs-Set inference sit in ``[choices]``::

    [choices]
    "Person.Level" = "enum"         # one field of contacts
    "Project.Set1035" = "set"       # that field in every module
    "Project/3.Enum1221" = "enum"   # that field in module 3 only

They say how to read option maps whose keys alone cannot tell (``{"1": "Junior", "2": "Senior"}``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .model import ChoiceStyle

CONFIG_NAME = "minicrm-codegen.toml"
PYPROJECT_NAME = "pyproject.toml"
TOOL_TABLE = "minicrm-codegen"

#: Keys a system may set (top level: shared by all systems), with the TOML types they take.
SETTING_KEYS: Mapping[str, tuple[type, ...]] = {
    "schema": (str,),
    "output": (str,),
    "package-name": (str,),
    "package-version": (str,),
    "base-url": (str,),
    "system-id": (str, int),
    "api-key-env": (str,),
    "rate-limit": (int,),
    "strict": (bool,),
    "include-modules": (list,),
    "exclude-modules": (list,),
    "choices": (dict,),
}
#: Keys only a system table may set: two systems cannot share them.
PER_SYSTEM_KEYS = frozenset({"schema", "output", "package-name", "system-id"})
_CREDENTIAL_KEYS = frozenset({"api-key", "api_key", "password", "token"})

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

    def record(self) -> dict[str, str]:
        """The overrides as plain data, for the manifest."""
        return {
            key: style.value for key, style in sorted(self.choice_overrides.items())
        }


@dataclass(frozen=True)
class ConfigFile:
    """One configuration file, read and checked: shared settings and one table per system."""

    path: Path
    shared: Mapping[str, Any]
    systems: Mapping[str, Mapping[str, Any]]

    @property
    def folder(self) -> Path:
        return self.path.parent


def discover(start: Path) -> Path | None:
    """The nearest ``minicrm-codegen.toml``, or ``pyproject.toml`` with our table, from ``start`` up.

    In one folder ``minicrm-codegen.toml`` wins; a ``pyproject.toml`` without
    ``[tool.minicrm-codegen]`` does not count, so the search goes on to the parent.
    """
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT_NAME
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if TOOL_TABLE not in text:
        return False
    try:
        return TOOL_TABLE in tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return True  # ours, but broken: reading it reports the error


def read_config(path: Path) -> ConfigFile:
    """Read and check a configuration file; every mistake is one line naming the file."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file {path} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc}") from None
    if Path(path).name == PYPROJECT_NAME:
        table = document.get("tool", {}).get(TOOL_TABLE)
        if not isinstance(table, dict):
            raise ConfigError(f"{path} has no [tool.{TOOL_TABLE}] table")
        document = table
    systems = document.get("systems", {})
    if not isinstance(systems, dict) or not all(
        isinstance(value, dict) for value in systems.values()
    ):
        raise ConfigError(f"{path}: systems must be a table of [systems.NAME] tables")
    shared = {key: value for key, value in document.items() if key != "systems"}
    _check_settings(shared, path, None)
    for name, settings in systems.items():
        _check_settings(settings, path, name)
    return ConfigFile(Path(path), shared, dict(systems))


def _check_settings(
    settings: Mapping[str, Any], path: Path, system: str | None
) -> None:
    where = f"{path}" + (f" [systems.{system}]" if system is not None else "")
    for key, value in settings.items():
        if key in _CREDENTIAL_KEYS:
            raise ConfigError(
                f"{where}: {key!r} is not read from a file: credentials come from the "
                "environment (MINICRM_API_KEY, or the variable named by api-key-env) or --api-key"
            )
        expected = SETTING_KEYS.get(key)
        if expected is None:
            raise ConfigError(
                f"{where}: unknown key {key!r}; see `minicrm-codegen --help`"
            )
        if not isinstance(value, expected) or (
            bool not in expected and isinstance(value, bool)
        ):
            wanted = " or ".join(kind.__name__ for kind in expected)
            raise ConfigError(
                f"{where}: {key!r} must be a {wanted}, not {type(value).__name__}"
            )
        if isinstance(value, list) and not all(
            isinstance(item, (str, int)) and not isinstance(item, bool)
            for item in value
        ):
            raise ConfigError(
                f"{where}: {key!r} lists module ids (numbers) or names (strings)"
            )


def parse_choices(choices: Mapping[str, Any], origin: str) -> GeneratorConfig:
    """The ``[choices]`` table as per-field overrides of the Enum-vs-Set inference."""
    overrides: dict[str, ChoiceStyle] = {}
    for key, value in choices.items():
        entity, dot, api_name = key.partition(".")
        valid_entity = entity in ("Business", "Person", "Project") or (
            entity.startswith("Project/") and entity[len("Project/") :].isdigit()
        )
        if not dot or not api_name or not valid_entity:
            raise ConfigError(
                f"{origin}: choice key {key!r} must look like Business.Field, Person.Field, "
                "Project.Field or Project/<module id>.Field"
            )
        style = _STYLE_WORDS.get(value) if isinstance(value, str) else None
        if style is None:
            raise ConfigError(
                f'{origin}: choice {key!r} must be "enum" or "set", not {value!r}'
            )
        overrides[key] = style
    return GeneratorConfig(choice_overrides=overrides)


def load_config(path: Path | None) -> GeneratorConfig:
    """The Enum-vs-Set overrides of a configuration file (shared ones); defaults without one."""
    if path is None:
        return GeneratorConfig()
    config = read_config(path)
    return parse_choices(config.shared.get("choices", {}), str(path))

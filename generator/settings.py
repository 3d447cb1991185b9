"""Settings of each system a command runs for: flags over the configuration file over the environment.

Precedence, for every setting: a command-line flag, then the system's table in the configuration
file, then the file's top-level (shared) keys, then the environment (``MINICRM_SYSTEM_ID``,
``MINICRM_BASE_URL``), then the default. The file describes the project and is reviewed with it;
the environment only fills in what the file leaves open, so an exported variable can never send
every configured system to one place. The API key is the exception: it comes only from
``--api-key`` or the environment (``MINICRM_API_KEY``, or the variable a system names in
``api-key-env``), never from a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import python_names
from .config import (
    PER_SYSTEM_KEYS,
    ConfigFile,
    GeneratorConfig,
    discover,
    parse_choices,
    read_config,
)
from .errors import ConfigError

DEFAULT_BASE_URL = "https://r3.minicrm.hu/Api/R3"
DEFAULT_RATE_LIMIT = 60
DEFAULT_PACKAGE_VERSION = "0.1.0"
API_KEY_ENV = "MINICRM_API_KEY"
SYSTEM_ID_ENV = "MINICRM_SYSTEM_ID"
BASE_URL_ENV = "MINICRM_BASE_URL"
NAMES_FILE = "minicrm-codegen.names.json"

_VERSION = re.compile(r"(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FLAG_OF = {
    "schema": "--schema",
    "output": "--output",
    "package-name": "--package-name",
    "system-id": "--system-id",
}


@dataclass(frozen=True)
class Flags:
    """What the command line said; ``None`` or empty where it said nothing."""

    config: Path | None = None
    systems: tuple[str, ...] = ()
    schema: Path | None = None
    output: Path | None = None
    package_name: str | None = None
    package_version: str | None = None
    base_url: str | None = None
    system_id: str | None = None
    api_key: str | None = field(default=None, repr=False)
    rate_limit: int | None = None
    strict: bool = False
    include_modules: tuple[str, ...] = ()
    exclude_modules: tuple[str, ...] = ()
    deadline: float = 60.0
    max_answer_mb: int = 16


@dataclass(frozen=True)
class ModuleSelection:
    """Which modules to generate: ids (numbers) or names (labels); empty include means all."""

    include: tuple[int | str, ...] = ()
    exclude: tuple[int | str, ...] = ()

    def record(self) -> dict[str, list[int | str]]:
        return {"include": list(self.include), "exclude": list(self.exclude)}


@dataclass(frozen=True)
class System:
    """Everything one run needs to know about one system, decided."""

    name: str | None
    config_file: Path | None
    schema: Path | None
    output: Path | None
    package_name: str | None
    package_version: str
    base_url: str
    system_id: str | None
    api_key: str | None = field(repr=False)
    api_key_env: str
    rate_limit: int
    strict: bool
    selection: ModuleSelection
    choices: GeneratorConfig
    names_file: Path
    deadline: float = 60.0
    """Seconds one request of a pull may take, from sending to the last byte of its answer."""
    max_answer_bytes: int = 16 * 2**20
    """The largest answer a pull reads, once decompressed."""

    @property
    def title(self) -> str:
        """How messages name this system: its configured name, else nothing."""
        return self.name or ""


PACKAGE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_package_name(name: str) -> str:
    """A usable import name: lower-case, not a keyword, not a standard-library module."""
    if (
        not PACKAGE_NAME.fullmatch(name)
        or name in python_names.KEYWORDS
        or name in python_names.STDLIB_MODULES
    ):
        raise ConfigError(
            f"--package-name {name!r} is not usable: use lower-case letters, digits and _, "
            "not starting with a digit, and not a keyword or a standard-library module"
        )
    return name


def default_package_name(system_id: str) -> str:
    """``minicrm_<system id>``: the id's words, lower-cased and joined by ``_``, cut to 63
    characters, so any system id gives a usable name (``12345`` -> ``minicrm_12345``).
    """
    from . import naming  # only here: the fast path of a no-change generate skips it

    words = [word.lower() for word in naming.words(system_id)] or ["system"]
    return "_".join(["minicrm", *words])[:63].rstrip("_")


def parse_version(text: str, origin: str) -> tuple[int, int, int]:
    """A ``MAJOR.MINOR.PATCH`` package version (semver's core, also a valid PEP 440 version)."""
    match = _VERSION.fullmatch(text)
    if match is None:
        raise ConfigError(
            f"{origin}: package version {text!r} must look like MAJOR.MINOR.PATCH, e.g. 1.4.0"
        )
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def module_refs(values: Sequence[str]) -> tuple[int | str, ...]:
    """Command-line module references: digits are ids, anything else is a name."""
    return tuple(int(value) if value.isdigit() else value for value in values)


def config_path(flags: Flags, cwd: Path) -> Path | None:
    """``--config`` when given, else the file found from ``cwd`` upwards."""
    return flags.config if flags.config is not None else discover(cwd)


def resolve(flags: Flags, cwd: Path, environ: Mapping[str, str]) -> list[System]:
    """The systems this run covers, each with its settings decided (see the module docs)."""
    path = config_path(flags, cwd)
    config = read_config(path) if path is not None else None
    names = _selected_names(flags, config)
    if len(names) > 1:
        given = [
            flag
            for key, flag in _FLAG_OF.items()
            if getattr(flags, key.replace("-", "_")) is not None
        ]
        if given:
            raise ConfigError(
                f"{given[0]} names one system's setting but this run covers {len(names)} "
                f"systems; choose one with --system NAME"
            )
    return [_system(name, flags, config, cwd, environ) for name in names]


def _selected_names(flags: Flags, config: ConfigFile | None) -> list[str | None]:
    systems = dict(config.systems) if config is not None else {}
    if not systems:
        if flags.systems:
            where = config.path if config is not None else "no configuration file"
            raise ConfigError(
                f"--system needs [systems.NAME] tables in the configuration ({where})"
            )
        return [None]
    assert config is not None
    unknown = [name for name in flags.systems if name not in systems]
    if unknown:
        raise ConfigError(
            f"no system {unknown[0]!r} in {config.path}; it has: {', '.join(systems)}"
        )
    chosen = flags.systems or tuple(systems)
    return list(dict.fromkeys(chosen))


def _system(
    name: str | None,
    flags: Flags,
    config: ConfigFile | None,
    cwd: Path,
    environ: Mapping[str, str],
) -> System:
    shared: Mapping[str, Any] = config.shared if config is not None else {}
    own: Mapping[str, Any] = (
        config.systems[name] if config is not None and name is not None else {}
    )
    origin = _origin(config, name)
    if name is not None:
        misplaced = sorted(PER_SYSTEM_KEYS & set(shared))
        if misplaced:
            assert config is not None
            raise ConfigError(
                f"{config.path}: {misplaced[0]!r} belongs in each [systems.NAME] table, "
                "not at the top level, when the file lists systems"
            )

    def setting(key: str) -> Any:
        return own[key] if key in own else shared.get(key)

    def path_setting(key: str, flag: Path | None) -> Path | None:
        if flag is not None:
            return flag
        value = setting(key)
        if value is None:
            return None
        assert config is not None
        return config.folder / str(value)

    key_env = setting("api-key-env") or API_KEY_ENV
    if not _ENV_NAME.fullmatch(key_env):
        raise ConfigError(f"{origin}: api-key-env {key_env!r} is not a variable name")
    system_id = flags.system_id or _text(setting("system-id"))
    version = flags.package_version or setting("package-version")
    if version is None:
        version = DEFAULT_PACKAGE_VERSION
    parse_version(version, "--package-version" if flags.package_version else origin)
    rate_limit = flags.rate_limit or setting("rate-limit") or DEFAULT_RATE_LIMIT
    if rate_limit < 1:
        raise ConfigError(f"{origin}: rate-limit must be at least 1, not {rate_limit}")
    choices = {**shared.get("choices", {}), **own.get("choices", {})}
    include = module_refs(flags.include_modules) or tuple(
        setting("include-modules") or ()
    )
    exclude = module_refs(flags.exclude_modules) or tuple(
        setting("exclude-modules") or ()
    )
    return System(
        name=name,
        config_file=config.path if config is not None else None,
        schema=path_setting("schema", flags.schema),
        output=path_setting("output", flags.output),
        package_name=flags.package_name or setting("package-name"),
        package_version=version,
        base_url=flags.base_url
        or setting("base-url")
        or environ.get(BASE_URL_ENV)
        or DEFAULT_BASE_URL,
        system_id=system_id or environ.get(SYSTEM_ID_ENV) or None,
        api_key=flags.api_key or environ.get(key_env) or None,
        api_key_env=key_env,
        rate_limit=rate_limit,
        strict=flags.strict or bool(setting("strict")),
        selection=ModuleSelection(include, exclude),
        choices=parse_choices(choices, origin),
        names_file=(config.folder if config is not None else cwd) / NAMES_FILE,
        deadline=flags.deadline,
        max_answer_bytes=flags.max_answer_mb * 2**20,
    )


def text_flag(name: str, value: str) -> str:
    """``value`` if it is text: Python passes bytes that are not UTF-8 on as lone surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(
            f"{name} is not valid UTF-8 text; check the flag or its environment variable"
        ) from None
    return value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _origin(config: ConfigFile | None, name: str | None) -> str:
    if config is None:
        return "the command line"
    return f"{config.path}" + (f" [systems.{name}]" if name is not None else "")

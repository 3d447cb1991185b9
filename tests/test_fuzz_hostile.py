"""A fuzzing campaign over hostile snapshots: every example generates a package that compiles,
imports without running injected code, keeps every label byte for byte and is black-clean, or
fails with a one-line error and writes nothing.

Names, labels and ids come from CRM admins; this throws all of Unicode at them (keywords,
builtins, dunders, pydantic's and our own reserved names, NFKC twins, control characters, lone
surrogates, 5,000-character labels, code-injection strings), odd ids (negative, huge,
non-numeric, equal as numbers) and odd types (``Text(0)``, ``Text(-1)``, a 20-digit limit,
``Int `` with a space, nested objects where a type string belongs, empty maps).

The suite runs a fixed set of 200 examples; a long campaign, drawing new ones, is
``MINICRM_FUZZ_EXAMPLES=10000 pytest tests/test_fuzz_hostile.py`` (or ``--fuzz-examples``).
"""

from __future__ import annotations

import functools
import importlib
import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import black
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import python_names
from generator.cli import main
from generator.naming import ERROR_EXPORTS, SHARED_RECORDS, VALUE_EXPORTS
from generator.snapshot import Snapshot

from hostile import canary_payloads

CANARY = Path(__file__).resolve().parent / ".fuzz-canary-must-never-exist"
BLACK_MODE = black.Mode(target_versions={black.TargetVersion.PY311})

SPECIAL_LABELS = [
    *sorted(python_names.KEYWORDS),
    "match",
    "type",
    "_",
    "print",
    "__init__",
    "__class__",
    "mro",
    "model_config",
    "model_fields",
    "schema",
    "copy",
    *VALUE_EXPORTS,
    *ERROR_EXPORTS,
    *SHARED_RECORDS,
    "Client",
    "AsyncClient",
    "ﬁle",
    "file",
    "Ｅｍａｉｌ",
    "E-mail",
    "EMail",
    "\x00",
    "\x1b[31mred",
    "tab\there",
    "line\nbreak\r\n",
    "\u2028\u2029",
    "\ud800",
    "a\udfffb",
    "\ufeffbom",
    "x" * 5000,
    "Ügyfélszolgálati bejelentések és reklamációk " * 3,
    '"""',
    "'''",
    "\\",
    "{{ 7 * 7 }}",
    "{% raw %}",
    *canary_payloads(CANARY),
]

labels = st.one_of(
    st.sampled_from(SPECIAL_LABELS),
    st.text(max_size=30),
    st.text(st.characters(codec=None, exclude_categories=[]), max_size=12),
)
numeric_ids = st.integers(-(2**70), 2**70).map(str)
odd_ids = st.sampled_from(
    ["0", "-0", "01", "1", "-1", "00", "+1", "1.5", "abc", "", " 7"]
)
ids = st.one_of(st.integers(1, 10_000).map(str), numeric_ids, odd_ids)
type_strings = st.sampled_from(
    [
        "Int",
        "Int ",
        "Text",
        "Text(0)",
        "Text(-1)",
        "Text(255)",
        "Text(99999999999999999999)",
        "Text(abc)",
        "DateTime",
        "Boolean",
        "File(10MB)",
        "Float",
        "",
    ]
)
options = st.dictionaries(ids, labels, max_size=6)
bit_options = st.dictionaries(
    st.integers(0, 63).map(lambda bit: str(2**bit)), labels, min_size=1, max_size=6
)
field_types = st.one_of(
    type_strings,
    options,
    bit_options,
    st.just({}),
    st.just([]),
    st.just({"nested": {"deeper": [1, 2]}}),
    st.just(None),
    st.integers(),
)
schemas = st.dictionaries(
    st.one_of(labels, st.sampled_from(["Id", "Type", "UserId"])),
    field_types,
    max_size=8,
)


@st.composite
def hostile_endpoints(draw: st.DrawFn) -> dict[str, Any]:
    modules = draw(st.dictionaries(ids, labels, max_size=3))
    endpoints: dict[str, Any] = {
        "Category": modules,
        "Category?Detailed=1": {
            key: {"Id": key, "Name": name, "Type": "Generic"}
            for key, name in modules.items()
        },
        "Schema/Business": draw(schemas),
        "Schema/Person": draw(schemas),
    }
    for key in modules:
        project = draw(schemas)
        if draw(st.booleans()):
            project["StatusId"] = draw(options)
            project["UserId"] = draw(options)
        endpoints[f"Schema/Project/{key}"] = project
    return endpoints


SUITE_EXAMPLES = 200


def fuzz_examples(request: pytest.FixtureRequest) -> int | None:
    """The campaign's length when asked for one (``--fuzz-examples``), else None."""
    given = request.config.getoption("--fuzz-examples")
    return None if given is None else int(given)


def labels_in(endpoints: dict[str, Any]) -> set[str]:
    """Every option label of the snapshot: each must reach the package byte for byte.

    Except a contact's ``Type``: it is the shared two-member ``ContactType`` (Person, Business),
    which keeps a schema label only where it names one of the two; any other is reported by a
    warning at generation (tests/test_schema_fidelity.py) and reads as an unknown member.
    """
    found: set[str] = set()
    for endpoint, answer in endpoints.items():
        if endpoint.startswith("Schema/") and isinstance(answer, dict):
            contact = not endpoint.startswith("Schema/Project/")
            for name, value in answer.items():
                if contact and name == "Type":
                    continue
                if isinstance(value, dict):
                    found.update(v for v in value.values() if isinstance(v, str))
    return found


def is_black_clean(source: str) -> bool:
    """Whether black leaves ``source`` as it is.

    Most files (``_values.py``, the errors, the client) are the same in every example but for
    the header's fingerprint, a comment of fixed length that black leaves alone: with it
    blanked, each text is formatted once.
    """
    return _black_leaves(FINGERPRINT.sub("sha256:" + "0" * 64, source))


FINGERPRINT = re.compile(r"sha256:[0-9a-f]{64}")


@functools.lru_cache(maxsize=256)
def _black_leaves(source: str) -> bool:
    return black.format_str(source, mode=BLACK_MODE) == source


def check_one(endpoints: dict[str, Any], work: Path) -> None:
    work.mkdir(parents=True)
    schema = work / "tenant.snapshot.json"
    try:
        Snapshot(endpoints, "http://127.0.0.1:1/Api/R3", "fuzz").write(schema)
    except UnicodeEncodeError:
        # Lone surrogates cannot be written as UTF-8; a hostile file holds them as JSON
        # escapes (and cannot have a valid fingerprint): generate must refuse it in one line.
        document = {
            "endpoints": endpoints,
            "fingerprint": "sha256:" + "0" * 64,
            "format_version": 1,
            "source": {"base_url": "http://127.0.0.1:1/Api/R3", "system_id": "fuzz"},
        }
        schema.write_text(json.dumps(document, ensure_ascii=True), encoding="ascii")
    assert not (work / "out").exists()
    package = (
        "fuzz_crm"  # one name, so files equal across examples are black-checked once
    )
    result = CliRunner().invoke(
        main,
        [
            "generate",
            "--schema",
            str(schema),
            "--output",
            str(work / "out"),
            "--package-name",
            package,
            "--quiet",
        ],
        env={"MINICRM_API_KEY": "", "MINICRM_SYSTEM_ID": ""},
    )
    if result.exit_code != 0:
        assert isinstance(result.exception, SystemExit), result.exception
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.output
        assert not (work / "out").exists(), "a failed run wrote output"
        return

    out = work / "out"
    for path in sorted(out.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        compile(source, str(path), "exec")
        assert is_black_clean(source), f"{path} is not black-clean"

    sys.path.insert(0, str(out))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            importlib.invalidate_caches()
            module = importlib.import_module(package)
            exported = [getattr(module, name) for name in module.__all__]
        assert not CANARY.exists(), "a label ran as code"
        choice_base = module._values.ChoiceEnum, module._values.ChoiceFlag
        found: set[str] = set()
        for value in exported:
            if isinstance(value, type) and issubclass(value, choice_base):
                found.update(member.label for member in value)
        assert labels_in(endpoints) <= found | {""}, "a label was altered or lost"
    finally:
        sys.path.remove(str(out))
        for name in [
            n for n in sys.modules if n == package or n.startswith(package + ".")
        ]:
            del sys.modules[name]


def test_hostile_snapshots_generate_clean_packages_or_fail_in_one_line(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    counter = iter(range(10**9))
    campaign_length = fuzz_examples(request)

    # The suite's run is derandomized: the same examples on every run, so a change is judged
    # by what it broke; a campaign asked for draws new examples each time.
    @settings(
        max_examples=campaign_length or SUITE_EXAMPLES,
        derandomize=campaign_length is None,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile_endpoints())
    def campaign(endpoints: dict[str, Any]) -> None:
        check_one(endpoints, tmp_path / str(next(counter)))

    campaign()
    assert not CANARY.exists()

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import pytest

from generator.snapshot import load_demo_snapshot

from fake_minicrm import FakeMiniCRM, serve


@pytest.fixture
def demo_endpoints() -> dict[str, Any]:
    return copy.deepcopy(dict(load_demo_snapshot().endpoints))


@pytest.fixture
def fake_crm(demo_endpoints: dict[str, Any]) -> Iterator[FakeMiniCRM]:
    with serve(FakeMiniCRM(endpoints=demo_endpoints)) as fake:
        yield fake


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-examples",
        default=os.environ.get("MINICRM_FUZZ_EXAMPLES"),
        help="examples of the hostile-snapshot fuzzing campaign (env MINICRM_FUZZ_EXAMPLES); "
        "given, the campaign draws new random examples; not given, the suite runs a fixed "
        "set of 200",
    )

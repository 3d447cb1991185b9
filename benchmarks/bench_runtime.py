#!/usr/bin/env python3
"""How fast the generated package imports and parses, as ratios against a baseline measured in
the same run, interleaved (these machines are noisy: read the ratios, not the seconds).

It generates the package of the large synthetic tenant (``shared/bench/make_big_tenant.py``,
30 modules x 300 fields by default), then measures, round after round:

- import: ``import <package>`` and ``from <package> import <OneModule>``, each in a fresh process,
  against ``import httpx, pydantic`` in a fresh process (time and peak memory); the one record
  also against that baseline plus the record's own module (its body, timed in a fresh process
  once the shared types it imports are loaded), which is what the target names;
- parse: 10,000 search items (``json.loads`` + ``from_api`` per item), one 100-item search page
  from its raw bytes through the public entry point the client uses (``SearchItem.page_from_json``
  when the package has one), and 2,000 full GET records (labels, ``", "`` sets, numeric strings,
  zero dates), each against ``json.loads`` of the same bytes. Beside them, for scale, the
  floors of any pydantic model: an empty model (``extra="allow"``) per search item, from the
  decoded items and, for the page, from its bytes; a model of the record's fields, each typed
  ``Any``, per full record; and the full records read from their bytes (``from_api_json``),
  as the client reads a GET answer, with that floor from bytes too.

    python benchmarks/bench_runtime.py [--rounds 5] [--modules 30] [--fields 300]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_generate import tenant_maker, write_big_tenant  # noqa: E402

from generator.build_model import build_tenant  # noqa: E402
from generator.config import load_config  # noqa: E402
from generator.snapshot import load_snapshot  # noqa: E402
from generator.model import Kind, Module, Tenant  # noqa: E402

TARGETS = {
    "import the whole package": 2.0,
    "one module's record vs base + module": 1.5,
    "parse 10,000 search items": 2.5,
    "parse a 100-item page from bytes": 1.5,
    "parse 2,000 full records": 2.0,
    "... from bytes (from_api_json)": 2.0,
}

CHILD_IMPORT = """
import resource, sys, time
start = time.perf_counter()
exec(sys.argv[1])
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


CHILD_MODULE_BODY = """
import importlib, sys, time
import httpx, pydantic
importlib.import_module(sys.argv[1])
start = time.perf_counter()
importlib.import_module(sys.argv[2])
print(time.perf_counter() - start)
"""


def module_body_in_fresh_process(shared: str, module: str, cwd: Path) -> float:
    """Seconds importing ``module`` takes once ``shared`` (what it imports) is loaded."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD_MODULE_BODY, shared, module],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out)


def import_in_fresh_process(statement: str, cwd: Path) -> tuple[float, int]:
    """Seconds the statement took in a new interpreter, and that process's peak RSS in KiB."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD_IMPORT, statement],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


def report(name: str, ratios: list[float], extra: str = "") -> None:
    target = TARGETS.get(name)
    verdict = ""
    if target is not None:
        verdict = f"  target <= {target}x: {'met' if statistics.median(ratios) <= target else 'NOT met'}"
    print(
        f"{name:36s} ratio median {statistics.median(ratios):6.2f}x"
        f"  range {min(ratios):.2f}-{max(ratios):.2f}{verdict}{extra}"
    )


def wire_value(
    field: Any, choices: dict[str, Any], rnd: random.Random, detail: bool
) -> Any:
    """A value as MiniCRM sends it: labels on GET (detail), ids in search answers."""
    if field.choice is not None and field.choice in choices:
        options = choices[field.choice].options
        if choices[field.choice].style == "flag":
            picked = rnd.sample(options, k=min(2, len(options)))
            if detail:
                return ", ".join(option.label for option in picked)
            return str(sum(option.id for option in picked))
        option = rnd.choice(options)
        return option.label if detail else str(option.id)
    if field.kind == Kind.INT:
        return (
            str(rnd.randint(0, 10**6)) if rnd.random() < 0.5 else rnd.randint(0, 10**6)
        )
    if field.kind == Kind.DATETIME:
        return "0000-00-00 00:00:00" if rnd.random() < 0.2 else "2024-06-03 10:00:00"
    if field.kind == Kind.TEXT:
        return "Értékesítés, megjegyzés" if rnd.random() < 0.8 else ""
    return ""


def payloads(tenant: Tenant, module: Module) -> tuple[bytes, bytes, list[bytes]]:
    """A 100-item search page, 10,000 search items and 2,000 full records, as JSON bytes."""
    rnd = random.Random(11)
    choices = {choice.name: choice for choice in tenant.choice_types}
    fields = module.entity.fields
    status = next((f for f in fields if f.api_name == "StatusId"), None)
    user = next((f for f in fields if f.api_name == "UserId"), None)

    def item(number: int) -> dict[str, Any]:
        found: dict[str, Any] = {
            "Id": number,
            "Name": f"Card {number}",
            "Url": f"https://r3.minicrm.hu/Api/R3/Project/{number}",
            "ContactId": str(5000 + number),
        }
        for field in (status, user):
            if field is not None:
                found[field.api_name] = wire_value(field, choices, rnd, detail=False)
        return found

    page = json.dumps(
        {"Count": 100, "Results": {str(n): item(n) for n in range(1, 101)}}
    ).encode()
    items = json.dumps([item(n) for n in range(10_000)]).encode()
    records = [
        json.dumps(
            {f.api_name: wire_value(f, choices, rnd, detail=True) for f in fields}
            | {"Id": n, "CategoryId": module.id}
        ).encode()
        for n in range(2_000)
    ]
    return page, items, records


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def arguments(description: str | None) -> argparse.Namespace:
    """The options of the benchmarks of the generated package (this one, bench_parse_floor)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--modules", type=int, default=30)
    parser.add_argument("--fields", type=int, default=300)
    parser.add_argument(
        "--bench-dir", type=Path, default=REPO.parent / "shared" / "bench"
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    return args


def big_package(args: argparse.Namespace, work: Path) -> Tenant:
    """Generate the large tenant's package, ``big_crm``, into ``work / "out"``; its model."""
    snapshot_file = write_big_tenant(
        tenant_maker(args.bench_dir), work, args.modules, args.fields
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "generate",
            "--schema",
            snapshot_file,
            "--output",
            work / "out",
            "--package-name",
            "big_crm",
            "--quiet",
        ],
        cwd=REPO,
        check=True,
    )
    return build_tenant(load_snapshot(snapshot_file), load_config(None))


def main() -> None:
    args = arguments(__doc__)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        tenant = big_package(args, work)
        module = tenant.modules[0]
        out = work / "out"
        print(
            f"tenant: {args.modules} modules x {args.fields} custom fields; "
            f"{args.rounds} rounds, interleaved"
        )

        baseline = "import httpx, pydantic"
        whole = "import big_crm"
        one = f"from big_crm import {module.entity.name}"
        # The target for one record is "the baseline plus that one module": the module's
        # own body, timed once the shared types it imports are loaded, joins the baseline.
        record_module = subprocess.run(
            [sys.executable, "-c", f"{one}; print({module.entity.name}.__module__)"],
            cwd=out,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        ratios: dict[str, list[float]] = {"whole": [], "one": [], "one+": []}
        memory: dict[str, list[int]] = {"base": [], "whole": [], "one": []}
        for _ in range(args.rounds):
            base_time, base_rss = import_in_fresh_process(baseline, out)
            whole_time, whole_rss = import_in_fresh_process(whole, out)
            one_time, one_rss = import_in_fresh_process(one, out)
            body_time = module_body_in_fresh_process(
                "big_crm.models._shared", record_module, out
            )
            ratios["whole"].append(whole_time / base_time)
            ratios["one"].append(one_time / base_time)
            ratios["one+"].append(one_time / (base_time + body_time))
            memory["base"].append(base_rss)
            memory["whole"].append(whole_rss)
            memory["one"].append(one_rss)
        mib = {key: statistics.median(values) / 1024 for key, values in memory.items()}
        report(
            "import the whole package",
            ratios["whole"],
            f"  (peak {mib['whole']:.0f} MiB vs {mib['base']:.0f} MiB)",
        )
        report(
            "import one module's record",
            ratios["one"],
            f"  (peak {mib['one']:.0f} MiB; against the baseline alone)",
        )
        report("one module's record vs base + module", ratios["one+"])

        sys.path.insert(0, str(out))
        import big_crm  # type: ignore[import-not-found]

        record_type = getattr(big_crm, module.entity.name)
        item_type = getattr(big_crm, module.search_item)
        page, items, records = payloads(tenant, module)
        page_entry = getattr(item_type, "page_from_json", None)

        def per_item() -> None:
            for raw in json.loads(items):
                item_type.from_api(raw)

        def full_records() -> None:
            for raw in records:
                record_type.from_api(json.loads(raw))

        def json_records() -> None:
            for raw in records:
                json.loads(raw)

        def bytes_records() -> None:
            for raw in records:
                record_type.from_api_json(raw, source="detail")

        # Imported only now: a child's peak memory counts the parent's pages it was forked from.
        from pydantic import BaseModel, ConfigDict, Field, create_model

        class Empty(BaseModel):
            model_config = ConfigDict(extra="allow")

        class EmptyPage(BaseModel):
            Count: int
            Results: dict[str, Empty] | list[Empty]

        # The floor of a model of the record's fields: each one kept as sent (``Any``).
        floor_record = create_model(  # type: ignore[call-overload]
            "FloorRecord",
            __config__=ConfigDict(extra="allow"),
            **{
                f"field_{number}": (
                    Any,
                    Field(None, validation_alias=info.validation_alias),
                )
                for number, info in enumerate(record_type.model_fields.values())
            },
        )

        def empty_items() -> None:
            for raw in json.loads(items):
                Empty.model_validate(raw)

        def floor_records() -> None:
            for raw in records:
                floor_record.model_validate(json.loads(raw))

        def floor_bytes() -> None:
            for raw in records:
                floor_record.model_validate_json(raw)

        parse: dict[str, list[float]] = {
            "items": [],
            "floor": [],
            "page": [],
            "page floor": [],
            "records": [],
            "records floor": [],
            "bytes": [],
            "bytes floor": [],
        }
        for _ in range(args.rounds):
            parse["items"].append(timed(per_item) / timed(lambda: json.loads(items)))
            parse["floor"].append(timed(empty_items) / timed(lambda: json.loads(items)))
            if page_entry is not None:
                base = min(timed(lambda: json.loads(page)) for _ in range(20))
                ours = min(timed(lambda: page_entry(page)) for _ in range(20))
                parse["page"].append(ours / base)
                floor = min(
                    timed(lambda: EmptyPage.model_validate_json(page))
                    for _ in range(20)
                )
                parse["page floor"].append(floor / base)
            parse["records"].append(timed(full_records) / timed(json_records))
            parse["records floor"].append(timed(floor_records) / timed(json_records))
            parse["bytes"].append(timed(bytes_records) / timed(json_records))
            parse["bytes floor"].append(timed(floor_bytes) / timed(json_records))
        report("parse 10,000 search items", parse["items"])
        report("... an empty model per item (floor)", parse["floor"])
        if parse["page"]:
            report("parse a 100-item page from bytes", parse["page"])
            report("... empty models, from bytes (floor)", parse["page floor"])
        else:
            print(
                "parse a 100-item page from bytes     the package has no page_from_json"
            )
        report("parse 2,000 full records", parse["records"])
        report("... a model of Any fields (floor)", parse["records floor"])
        report("... from bytes (from_api_json)", parse["bytes"])
        report("... Any fields, from bytes (floor)", parse["bytes floor"])


if __name__ == "__main__":
    main()

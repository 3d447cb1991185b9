#!/usr/bin/env python3
"""Time ``mypy --strict`` of a script using a large generated package against the demo's.

A developer's type check pays for every generated module the script reaches. This generates the
package of the large synthetic tenant of ``shared/bench/make_big_tenant.py`` (30 modules x 300
custom fields by default) and the demo package, writes the same kind of script for each (a
search with filters, a get, a field read, an update), and runs ``mypy --strict`` on each with a
cold cache (a fresh cache folder every run), alternately, as commands in fresh processes. It
prints each one's median and range and the median and range of the per-round ratios
(large / demo). Issue 11 asks to keep this cost measured (it was 2.4x the demo).

    python benchmarks/bench_mypy.py [--rounds 3] [--modules 30] [--fields 300] [--bench-dir DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_generate import REPO, spread, tenant_maker, write_big_tenant

SCRIPT = """\
from {package} import Client, {record}


def main(crm: Client) -> None:
    for item in crm.{resource}.search(name="x", query="y"):
        record: {record} = crm.{resource}.get(item)
        print(record.name)
        crm.{resource}.update(item.id or 0, {record}(name="z"))
"""


def generate(arguments: list[str], output: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "generator", "generate", *arguments]
        + ["--output", str(output), "--quiet"],
        cwd=REPO,
        check=True,
    )


def first_module(package: Path) -> tuple[str, str]:
    """(record class, client attribute) of the package's first module."""
    projects = (package / "_sync" / "projects.py").read_text(encoding="utf-8")
    found = re.search(r'class (\w+)\(ProjectResource\["(\w+)"', projects)
    if found is None:
        sys.exit(f"error: no module resource in {package}")
    resource, record = found.groups()
    client = (package / "_client.py").read_text(encoding="utf-8")
    attribute = re.search(rf"def (\w+)\(self\) -> {resource}:", client)
    if attribute is None:
        sys.exit(f"error: the client of {package} has no {resource}")
    return record, attribute.group(1)


def mypy_seconds(project: Path, script: Path) -> float:
    """Wall-clock seconds of one cold ``mypy --strict`` run."""
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "mypy",
                "--strict",
                "--cache-dir",
                cache,
                str(script),
            ],
            cwd=project,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modules", type=int, default=30)
    parser.add_argument("--fields", type=int, default=300)
    parser.add_argument(
        "--bench-dir", type=Path, default=REPO.parent / "shared" / "bench"
    )
    args = parser.parse_args()
    maker = tenant_maker(args.bench_dir)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        snapshot = write_big_tenant(maker, work, args.modules, args.fields)
        projects = {"large": work / "large", "demo": work / "demo"}
        generate(["--schema", str(snapshot)], projects["large"])
        generate(["--demo"], projects["demo"])
        scripts = {}
        for name, project in projects.items():
            package = next(project.glob("*/_client.py")).parent
            record, attribute = first_module(package)
            script = project / "use.py"
            script.write_text(
                SCRIPT.format(package=package.name, record=record, resource=attribute),
                encoding="utf-8",
            )
            scripts[name] = script
        times: dict[str, list[float]] = {"large": [], "demo": []}
        for _ in range(args.rounds):
            for name in ("demo", "large"):
                times[name].append(mypy_seconds(projects[name], scripts[name]))
    ratios = [large / demo for large, demo in zip(times["large"], times["demo"])]
    print(
        f"tenant: {args.modules} modules x {args.fields} custom fields;"
        f" {args.rounds} rounds, interleaved, cold mypy cache every run"
    )
    print(f"mypy --strict, demo package    {spread(times['demo'])}")
    print(f"mypy --strict, large package   {spread(times['large'])}")
    print(f"ratio (large / demo)           {spread(ratios, unit='x')}")


if __name__ == "__main__":
    main()

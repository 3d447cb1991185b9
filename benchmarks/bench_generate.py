#!/usr/bin/env python3
"""Time `minicrm-codegen generate` against openapi-python-client at several tenant sizes.

Both generators get the synthetic tenant of ``shared/bench/make_big_tenant.py`` (modules x
custom fields per module): ours its R3 answers as a snapshot, openapi-python-client the
equivalent OpenAPI document (with its default ruff formatting hooks). Each runs as a command in
a fresh process, alternately (ours, theirs, ours, theirs, ...), so a noisy machine slows both
alike. For every size the script prints each tool's median and range, the median and range of
the per-round ratios (ours / theirs), and the peak memory of each tool's whole process tree
(the generator and its worker processes together, sampled from /proc) as the sum of resident
sizes (RSS, which counts the pages forked workers share with the parent once per process) and
as the sum of proportional sizes (PSS, which counts them once). Target: ratio <= 0.5 at every
size; peak memory no more than the peer's.

    python benchmarks/bench_generate.py [--sizes 5x50,30x300,60x600,100x1000] [--repeat 3]

Our package is compiled to bytecode first, as pip compiles the peer when it installs it.
openapi-python-client is a benchmark-only dependency: ``pip install -r benchmarks/requirements.txt``;
its ruff hooks are found in the same environment.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.snapshot import Snapshot  # noqa: E402

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def snapshot_from_bench_files(folder: Path) -> Snapshot:
    """The tenant files written by make_big_tenant.py, as the snapshot `pull` would write."""
    endpoints = {}
    for path in folder.glob("*.json"):
        name = path.stem
        if name == "Category_Detailed":
            endpoint = "Category?Detailed=1"
        elif name.startswith("Schema_Project_"):
            endpoint = "Schema/Project/" + name.removeprefix("Schema_Project_")
        else:
            endpoint = name.replace("_", "/")
        endpoints[endpoint] = json.loads(path.read_text(encoding="utf-8"))
    return Snapshot(endpoints, "https://r3.minicrm.hu/Api/R3", "bench")


def tenant_maker(bench_dir: Path) -> Path:
    """``make_big_tenant.py`` in ``bench_dir``; a one-line error when it is not there."""
    maker = bench_dir / "make_big_tenant.py"
    if not maker.exists():
        sys.exit(f"error: {maker} not found; pass --bench-dir")
    return maker


def write_big_tenant(maker: Path, work: Path, modules: int, fields: int) -> Path:
    """Write the synthetic tenant (and its OpenAPI document) under ``work``; returns the
    snapshot file that ``generate --schema`` reads."""
    subprocess.run(
        [sys.executable, maker, work / "tenant", str(modules), str(fields)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    snapshot = work / "tenant.snapshot.json"
    snapshot_from_bench_files(work / "tenant").write(snapshot)
    return snapshot


def tree_memory_kb(root: int) -> tuple[int, int]:
    """Resident (RSS) and proportional (PSS) memory of ``root`` and all its descendants now,
    in KiB. Forked workers share the parent's pages: the RSS sum counts a shared page once per
    process, the PSS sum once in all (each process is charged its share)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                    fields = stat.read().rpartition(")")[2].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
    children_of: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children_of.setdefault(ppid, []).append(pid)
    tree, frontier = {root}, [root]
    while frontier:
        children = children_of.get(frontier.pop(), [])
        tree.update(children)
        frontier.extend(children)
    rss = pss = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
                rss += int(statm.read().split()[1]) * PAGE_KB
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
                pss += next(
                    int(line.split()[1]) for line in rollup if line.startswith("Pss:")
                )
        except (OSError, StopIteration):
            continue
    return rss, pss


def run_measured(command: list[str], cwd: Path) -> tuple[float, int, int]:
    """Wall-clock seconds and the peak RSS and PSS (KiB) of the command's process tree."""
    # openapi-python-client runs its ruff hooks by name: the benchmark environment's ruff,
    # found on PATH even when that environment is not activated.
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
    )
    peak_rss = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_rss, peak_pss
        while not done.is_set():
            rss, pss = tree_memory_kb(process.pid)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0 or b"ruff is not in PATH" in stderr:
        sys.exit(
            f"error: {command[0]} failed ({process.returncode}): {stderr.decode()[-500:]}"
        )
    return elapsed, peak_rss, peak_pss


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    return (
        f"median {statistics.median(values):.{digits}f}{unit}"
        f"  range {min(values):.{digits}f}-{max(values):.{digits}f}{unit}"
    )


def bench_size(
    modules: int, fields: int, repeat: int, maker: Path, theirs_cli: str, work: Path
) -> None:
    snapshot = write_big_tenant(maker, work, modules, fields)
    ours_command = [
        sys.executable,
        "-m",
        "generator",
        "generate",
        "--schema",
        str(snapshot),
        "--output",
        "ours",
        "--quiet",
        "--force",
    ]
    theirs_command = [
        theirs_cli,
        "generate",
        "--path",
        str(work / "tenant.openapi.json"),
        "--output-path",
        "theirs",
        "--overwrite",
    ]
    ours: list[tuple[float, int, int]] = []
    theirs: list[tuple[float, int, int]] = []
    for _ in range(repeat):
        shutil.rmtree(work / "ours", ignore_errors=True)
        ours.append(run_measured(ours_command, work))
        theirs.append(run_measured(theirs_command, work))
    lines = sum(
        len(path.read_text(encoding="utf-8").splitlines())
        for path in (work / "ours").rglob("*.py")
    )
    ratios = [mine[0] / peer[0] for mine, peer in zip(ours, theirs)]
    print(f"{modules} modules x {fields} fields ({lines} lines written by ours):")
    print(f"  minicrm-codegen        {spread([run[0] for run in ours])}")
    print(f"  openapi-python-client  {spread([run[0] for run in theirs])}")
    print(
        f"  time ratio (ours/theirs)    {spread(ratios, '')}  "
        f"target <= 0.5: {'met' if statistics.median(ratios) <= 0.5 else 'NOT met'}"
    )
    for label, index in (("RSS", 1), ("PSS", 2)):
        memory = [mine[index] / peer[index] for mine, peer in zip(ours, theirs)]
        print(
            f"  peak memory, {label} of the process tree:"
            f" ours {spread([run[index] / 1024 for run in ours], ' MB', 0)};"
            f" theirs {spread([run[index] / 1024 for run in theirs], ' MB', 0)};"
            f" ratio {spread(memory, '')}"
            f"  target <= 1: {'met' if statistics.median(memory) <= 1 else 'NOT met'}"
        )
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--sizes",
        default="5x50,30x300,60x600,100x1000",
        help="comma-separated MODULESxFIELDS tenant sizes",
    )
    parser.add_argument(
        "--bench-dir", type=Path, default=REPO.parent / "shared" / "bench"
    )
    args = parser.parse_args()
    try:
        sizes = [
            tuple(int(part) for part in size.split("x", 1))
            for size in args.sizes.split(",")
        ]
    except ValueError:
        sys.exit(f"error: --sizes {args.sizes!r}: use MODULESxFIELDS,... e.g. 5x50")
    maker = tenant_maker(args.bench_dir)
    theirs_cli = shutil.which(
        "openapi-python-client", path=str(Path(sys.executable).parent)
    )
    if theirs_cli is None:
        sys.exit(
            "error: openapi-python-client is not installed; "
            "pip install -r benchmarks/requirements.txt"
        )
    # Both tools run as installed: pip compiles openapi-python-client's modules to bytecode
    # when it installs them, so ours are compiled too (a source checkout under
    # PYTHONDONTWRITEBYTECODE=1 would otherwise recompile them on every run).
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "generator")],
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    )
    print(f"{args.repeat} interleaved rounds per size")
    for modules, fields in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            bench_size(modules, fields, args.repeat, maker, theirs_cli, Path(scratch))


if __name__ == "__main__":
    main()

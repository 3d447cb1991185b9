#!/usr/bin/env python3
"""Time a no-change ``generate`` and a no-change ``generate --check`` against a cold generate.

On the large synthetic tenant of ``shared/bench/make_big_tenant.py`` (30 modules x 300 custom
fields by default), each round runs, as commands in fresh processes: a cold generate into an
empty folder, a no-change generate into that folder, and a no-change ``--check`` of it. Rounds
are interleaved, so a noisy machine slows all three alike; the script prints each one's median
and range and the ratios of the medians to the cold generate's. Target: both ratios <= 0.1.

    python benchmarks/bench_regenerate.py [--repeat 5] [--modules 30] [--fields 300] [--bench-dir DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_generate import REPO, tenant_maker, write_big_tenant


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds of the process and its workers (less sensitive to
    other load on a shared machine than the wall clock)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def describe(
    name: str, runs: list[tuple[float, float]], cold: list[tuple[float, float]]
) -> str:
    wall = [run[0] for run in runs]
    cpu = [run[1] for run in runs]
    median = statistics.median(wall)
    cold_wall = statistics.median(run[0] for run in cold)
    cold_cpu = statistics.median(run[1] for run in cold)
    return (
        f"{name:28} median {median:6.3f}s  range {min(wall):.3f}-{max(wall):.3f}s"
        f"  ratio {median / cold_wall:.3f}  (CPU {statistics.median(cpu):.3f}s,"
        f" ratio {statistics.median(cpu) / cold_cpu:.3f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
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
        base = [
            sys.executable,
            "-m",
            "generator",
            "generate",
            "--schema",
            str(snapshot),
        ]
        base += ["--output", "out", "--quiet"]
        cold, again, check = [], [], []
        for _ in range(args.repeat):
            shutil.rmtree(work / "out", ignore_errors=True)
            cold.append(timed(base, work))
            again.append(timed(base, work))
            check.append(timed([*base, "--check"], work))
    print(
        f"tenant: {args.modules} modules x {args.fields} custom fields, {args.repeat} rounds"
    )
    print(describe("cold generate", cold, cold))
    print(describe("no-change generate", again, cold))
    print(describe("no-change generate --check", check, cold))
    print("target: no-change wall-clock ratios <= 0.1")


if __name__ == "__main__":
    main()

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
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_generate import REPO, snapshot_from_bench_files


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return time.perf_counter() - start


def describe(name: str, runs: list[float], cold: float) -> str:
    median = statistics.median(runs)
    return (
        f"{name:28} median {median:6.3f}s  range {min(runs):.3f}-{max(runs):.3f}s"
        f"  ratio {median / cold:.3f}"
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
    maker = args.bench_dir / "make_big_tenant.py"
    if not maker.exists():
        sys.exit(f"error: {maker} not found; pass --bench-dir")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        subprocess.run(
            [
                sys.executable,
                maker,
                work / "tenant",
                str(args.modules),
                str(args.fields),
            ],
            check=True,
        )
        snapshot = work / "tenant.snapshot.json"
        snapshot_from_bench_files(work / "tenant").write(snapshot)
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
    cold_median = statistics.median(cold)
    print(
        f"tenant: {args.modules} modules x {args.fields} custom fields, {args.repeat} rounds"
    )
    print(describe("cold generate", cold, cold_median))
    print(describe("no-change generate", again, cold_median))
    print(describe("no-change generate --check", check, cold_median))
    print("target: no-change ratios <= 0.1")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Time `minicrm-codegen generate` against openapi-python-client on the same large tenant.

Both generators get the synthetic tenant of ``shared/bench/make_big_tenant.py`` (30 modules x
300 custom fields by default): ours its R3 answers as a snapshot, openapi-python-client the
equivalent OpenAPI document (with its default ruff formatting hooks). Each runs as a command in
a fresh process, alternately, several times in the same run; the script prints the medians and
their ratio (ours / theirs). Target: ratio <= 1.0.

    python benchmarks/bench_generate.py [--repeat 3] [--modules 30] [--fields 300] [--bench-dir DIR]

openapi-python-client is a benchmark-only dependency: ``pip install -r benchmarks/requirements.txt``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from generator.snapshot import Snapshot  # noqa: E402


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


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modules", type=int, default=30)
    parser.add_argument("--fields", type=int, default=300)
    parser.add_argument(
        "--bench-dir", type=Path, default=REPO.parent / "shared" / "bench"
    )
    args = parser.parse_args()
    maker = args.bench_dir / "make_big_tenant.py"
    theirs_cli = shutil.which(
        "openapi-python-client", path=str(Path(sys.executable).parent)
    )
    if not maker.exists():
        sys.exit(f"error: {maker} not found; pass --bench-dir")
    if theirs_cli is None:
        sys.exit(
            "error: openapi-python-client is not installed; pip install -r benchmarks/requirements.txt"
        )

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
        ours, theirs = [], []
        for _ in range(args.repeat):
            shutil.rmtree(work / "ours", ignore_errors=True)
            ours.append(timed(ours_command, REPO if False else work))
            theirs.append(timed(theirs_command, work))
        lines = sum(
            len(p.read_text(encoding="utf-8").splitlines())
            for p in (work / "ours").rglob("*.py")
        )

    ours_median, theirs_median = statistics.median(ours), statistics.median(theirs)
    print(
        f"tenant: {args.modules} modules x {args.fields} custom fields; ours wrote {lines} lines of Python"
    )
    print(
        f"minicrm-codegen generate:        median {ours_median:.2f}s  runs {', '.join(f'{t:.2f}' for t in ours)}"
    )
    print(
        f"openapi-python-client generate:  median {theirs_median:.2f}s  runs {', '.join(f'{t:.2f}' for t in theirs)}"
    )
    print(
        f"ratio (ours / openapi-python-client): {ours_median / theirs_median:.2f}  (target <= 1.0)"
    )


if __name__ == "__main__":
    main()

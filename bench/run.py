"""Run every benchmark under bench/ in turn and print its numbers."""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    benchmarks = sorted(p for p in HERE.glob("*.py") if p.name not in {"run.py", "__init__.py", "common.py"})
    # BENCH_SCALE=10: the campaign ten times over (docs/operations.md): the admin's table (every
    # page, the dashboard, the report, the API), the dashboard's own, and code generation's
    # linearity from 1M to 10M codes. The other benchmarks do not depend on the campaign's size.
    scaled = os.environ.get("BENCH_SCALE", "1") != "1"
    arguments = {"access_codes": ["--linear"]} if scaled else {}
    if scaled:
        benchmarks = [p for p in benchmarks if p.stem in {"admin", "dashboard", "access_codes"}]
    if not benchmarks:
        print("no benchmarks yet")
        return 0
    failed = 0
    for bench in benchmarks:
        print(f"== {bench.stem}", flush=True)
        command = [sys.executable, str(bench), *arguments.get(bench.stem, [])]
        failed += subprocess.call(command, cwd=HERE.parent) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Run every benchmark under bench/ in turn and print its numbers."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    benchmarks = sorted(p for p in HERE.glob("*.py") if p.name not in {"run.py", "__init__.py", "common.py"})
    if not benchmarks:
        print("no benchmarks yet")
        return 0
    failed = 0
    for bench in benchmarks:
        print(f"== {bench.stem}", flush=True)
        failed += subprocess.call([sys.executable, str(bench)], cwd=HERE.parent) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

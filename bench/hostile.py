"""What opening each hostile trace file costs: CPU seconds and peak memory, on the command line and on Open a
trace's path, each file in a fresh child of one warmed-up process (``tests/limits.py``, the tests' own
measurer), repeated and given as the median with its range.

    .venv/bin/python bench/hostile.py [--repeat 5]
    .venv/bin/python bench/readme.py --save hostile -- .venv/bin/python bench/hostile.py

The tests (tests/test_hostile_files.py) check what each file ends in -- opened, or refused in one line naming
what is wrong -- and its memory; how long it takes is measured here, never asserted in a test: a loaded laptop
may take twice as long for the same work.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hostile_files import HOSTILE  # noqa: E402
from limits import Opener  # noqa: E402

GOAL_CPU_SECONDS, GOAL_MB = 5.0, 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="times each file is opened each way (default 5)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"{len(HOSTILE)} files, each opened {args.repeat} times each way; load average {load:.1f} (2 cores)")
    print(f"{'file':<46} {'way':<4} {'outcome':<8} {'CPU s, median (range)':>24} {'MB, median':>11}")
    worst = 0.0
    opener = Opener()
    try:
        for name, build in HOSTILE.items():
            raw = build()
            file_name = "hostile.zip" if raw[:2] == b"PK" else "hostile.json"
            for way in ("cli", "app"):
                costs = [opener.cost(way, raw, file_name) for _ in range(args.repeat)]
                cpu = [c.cpu_seconds for c in costs]
                mb = statistics.median(c.memory_mb for c in costs)
                worst = max(worst, statistics.median(cpu))
                print(f"{name[:46]:<46} {way:<4} {costs[0].outcome:<8} "
                      f"{f'{statistics.median(cpu):.2f} ({min(cpu):.2f}-{max(cpu):.2f})':>24} {mb:>11.0f}")
    finally:
        opener.close()
    print(f"the costliest file's median: {worst:.2f} CPU s (goal: each within {GOAL_CPU_SECONDS:g} CPU s and "
          f"{GOAL_MB:g} MB); load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

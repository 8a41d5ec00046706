"""The whole command line against a bare PyTorch script doing the same training, alternated.

    .venv/bin/python bench/cli.py [--pairs 6]

Each pair runs, as fresh processes in alternating order, ``pipeline-trace run sequence-classification
--epochs 5 --seed 0`` (import, train, trace the dataset, print the report) and ``bench/bare_train.py``
(the same data, model, batches and Adam in plain PyTorch, printing the validation accuracy), and
times each from start to exit (wall time: that is what a user waits). Torch uses one thread in both.
Reports the median of the paired ratios with its spread, and the medians of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "pipeline", "run", "sequence-classification", "--epochs", "5", "--seed", "0"]
BARE = [sys.executable, str(ROOT / "bench" / "bare_train.py")]


def timed(command: list[str]) -> float:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=6)
    args = parser.parse_args()
    if args.pairs < 5:
        parser.error("--pairs must be at least 5: a median of fewer paired ratios says little on a noisy machine")
    timed(CLI), timed(BARE)  # warm the disk cache of both
    cli, bare = [], []
    for i in range(args.pairs):
        first, second = (CLI, BARE) if i % 2 == 0 else (BARE, CLI)
        a, b = timed(first), timed(second)
        cli.append(a if first is CLI else b)
        bare.append(b if first is CLI else a)
    ratios = [c / b for c, b in zip(cli, bare, strict=True)]
    print(f"{args.pairs} alternated pairs, wall time from start to exit, OMP_NUM_THREADS=1")
    print(f"  pipeline-trace run sequence-classification --epochs 5: median {statistics.median(cli):.2f} s "
          f"({min(cli):.2f}-{max(cli):.2f})")
    print(f"  bare PyTorch script, same training:                  median {statistics.median(bare):.2f} s "
          f"({min(bare):.2f}-{max(bare):.2f})")
    print(f"  ratio: median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Mutation testing of the core, one module at a time, each against its own tests only (mutmut 3).

    .venv/bin/pip install -q -c constraints.txt -e ".[test,mutation]"
    .venv/bin/python bench/mutation.py gates              # one module
    .venv/bin/python bench/mutation.py                    # every module, the slow ones last
    .venv/bin/python bench/readme.py --save mutation -- .venv/bin/python bench/mutation.py --table

Each module runs in a scratch copy of the project (build/mutation/NAME/) whose pyproject.toml names only that
module's files to mutate and only its tests to run, with one worker; its summary goes to
bench/results/mutation/NAME.json. ``--table`` prints the score per module from those summaries: every mutant
that survived and is listed in bench/results/mutation-equivalent.md (one line each, with why) counts as
equivalent, not as a survivor; any other survivor fails the goal. The run is never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "build" / "mutation"
SUMMARIES = ROOT / "bench" / "results" / "mutation"
EQUIVALENT = ROOT / "bench" / "results" / "mutation-equivalent.md"
GOAL = 0.85  # of the mutants that are not equivalent, at least this share killed in each module


@dataclass(frozen=True)
class Module:
    name: str
    files: tuple[str, ...]  # what is mutated
    tests: tuple[str, ...]  # what runs against each mutant: the module's own tests
    skip: str = ""  # a pytest -k expression of tests left out (whole trainings: minutes per mutant)


# fastest first: the tracer and the file format import torch and run the most tests
MODULES = [
    Module("viewstate", ("pipeline/app/viewstate.py",), ("tests/test_viewstate.py",)),
    Module("access", ("pipeline/classroom/access.py",),
           ("tests/classroom/test_classroom_join.py", "tests/classroom/test_classroom_rejoin.py",
            "tests/classroom/test_classroom_credentials.py", "tests/classroom/test_classroom_access.py")),
    Module("credentials", ("pipeline/classroom/credentials.py",),
           ("tests/classroom/test_classroom_credentials.py", "tests/classroom/test_classroom_credentials_exact.py")),
    Module("observations", ("pipeline/training/observations.py",), ("tests/test_observations.py",),
           skip="not test_real_run"),
    Module("gates", ("pipeline/nn/gates.py",), ("tests/test_gates.py",)),
    # tests/test_hostile_files.py opens each hostile file in a child process and takes minutes: not per mutant
    Module("filechecks", ("pipeline/document/filechecks.py",),
           ("tests/test_filechecks.py", "tests/test_fileformat.py")),
    Module("fileformat", ("pipeline/document/fileformat.py",),
           ("tests/test_fileformat.py", "tests/test_fileformat_exact.py")),
    Module("trace", ("pipeline/trace/__init__.py", "pipeline/trace/record.py", "pipeline/trace/result.py",
                     "pipeline/trace/capture.py"),
           ("tests/test_trace.py", "tests/test_tensor_kinds.py", "tests/test_trace_exact.py")),
]
BY_NAME = {m.name: m for m in MODULES}


def _toml_list(items: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(json.dumps(i) for i in items) + "]"


def prepare(module: Module) -> Path:
    """A scratch copy of the project whose mutmut configuration names this module and its tests only."""
    where = SCRATCH / module.name
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "e2e", "artifacts")
    for folder in ("pipeline", "tests"):
        shutil.copytree(ROOT / folder, where / folder, ignore=ignore)
    tests = [t for t in module.tests if (ROOT / t).exists()]
    if not tests:  # no selection at all would run every test against every mutant
        raise SystemExit(f"{module.name}: none of its tests exist: {', '.join(module.tests)}")
    config = (ROOT / "pyproject.toml").read_text().split("\n[tool.mutmut]")[0]
    args = ["-q", "-x", "-n", "0", *(["-k", module.skip] if module.skip else [])]  # -n 0: in mutmut's process
    config += (f"\n[tool.mutmut]\nsource_paths = [\"pipeline\"]\nonly_mutate = {_toml_list(module.files)}\n"
               f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
               f"pytest_add_cli_args = {_toml_list(args)}\n"
               "use_git_change_detection = false\n")
    (where / "pyproject.toml").write_text(config)
    return where


MUTMUT = Path(sys.executable).with_name("mutmut")
CAUGHT = ("killed", "timeout")  # a mutant that makes its tests fail, or hang past mutmut's limit, is caught


def run(module: Module) -> dict:
    """Mutate ``module`` in its scratch copy, one worker; then :func:`collect` its outcome."""
    where = prepare(module)
    started = time.monotonic()
    subprocess.run([str(MUTMUT), "run", "--max-children", "1"], cwd=where, check=False)
    return collect(module, round((time.monotonic() - started) / 60, 1))


def collect(module: Module, minutes: float | None = None) -> dict:
    """The counts by outcome and the names of the mutants not caught ("survived", "no tests", ...), saved."""
    where = SCRATCH / module.name
    shown = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=where, capture_output=True, text=True)
    outcomes: dict[str, list[str]] = {}
    for line in shown.stdout.splitlines():
        found = re.match(r"\s*([\w.]+__mutmut_\d+):\s*(.+)$", line)
        if found:
            outcomes.setdefault(found.group(2).strip(), []).append(found.group(1))
    saved = SUMMARIES / f"{module.name}.json"
    if minutes is None and saved.exists():
        minutes = json.loads(saved.read_text()).get("minutes")
    summary = {"module": module.name, "files": list(module.files), "tests": list(module.tests), "minutes": minutes,
               "counts": {k: len(v) for k, v in sorted(outcomes.items())},
               "survived": sorted(m for k, v in outcomes.items() if k not in CAUGHT for m in v)}
    SUMMARIES.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def show(module: Module) -> None:
    """Every mutant of ``module`` not caught, as a diff (``mutmut show``), from its last run."""
    for name in collect(module)["survived"]:
        diff = subprocess.run([str(MUTMUT), "show", name], cwd=SCRATCH / module.name, capture_output=True, text=True)
        print(diff.stdout.rstrip() + "\n")


def equivalent() -> set[str]:
    """The mutants written down as equivalent: a line starting with ``- `name` --`` in the equivalent file."""
    if not EQUIVALENT.exists():
        return set()
    return set(re.findall(r"^- `([\w.]+__mutmut_\d+)`", EQUIVALENT.read_text(), flags=re.M))


def table() -> int:
    """The score per module from the saved summaries; exit 1 if a module misses the goal or was not run."""
    same = equivalent()
    rows, ok = [], True
    print(f"{'module':<13} {'mutants':>7} {'killed':>6} {'equivalent':>10} {'survived':>8} {'score':>6}  tests")
    for module in MODULES:
        path = SUMMARIES / f"{module.name}.json"
        if not path.exists():
            print(f"{module.name:<13} not run")
            ok = False
            continue
        s = json.loads(path.read_text())
        counts = s["counts"]
        total = sum(counts.values())
        killed = sum(counts.get(k, 0) for k in CAUGHT)
        eq = sum(1 for m in s["survived"] if m in same)
        survived = total - killed - eq
        score = killed / (total - eq) if total - eq else 1.0
        ok &= score >= GOAL
        rows.append(survived)
        print(f"{module.name:<13} {total:>7} {killed:>6} {eq:>10} {survived:>8} {score:>6.1%}  {' '.join(s['tests'])}")
        for name in s["survived"]:
            if name not in same:
                print(f"  survived: {name}")
    print(f"goal: at least {GOAL:.0%} of the non-equivalent mutants killed in each module: "
          f"{'met' if ok else 'NOT met'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"default: all, the slow ones last ({', '.join(BY_NAME)})")
    parser.add_argument("--table", action="store_true", help="print the score per module from the saved runs")
    parser.add_argument("--show", action="store_true", help="print the diff of every mutant not caught, last run")
    args = parser.parse_args()
    if args.table:
        return table()
    unknown = set(args.modules) - set(BY_NAME)
    if unknown:
        parser.error(f"no such module: {', '.join(sorted(unknown))}; the modules are {', '.join(BY_NAME)}")
    if args.show:
        for name in args.modules or list(BY_NAME):
            show(BY_NAME[name])
        return 0
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    for name in args.modules or list(BY_NAME):
        s = run(BY_NAME[name])
        print(f"{name}: {s['counts']} in {s['minutes']} min", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

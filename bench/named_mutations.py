"""The five mutations issue 23 names, each applied to a scratch copy of the project and run against the one test of
its own module that must catch it.

    .venv/bin/python bench/readme.py --save named-mutations -- .venv/bin/python bench/named_mutations.py

Each line says the mutation, the test, and whether that test failed with it ("caught") or passed ("MISSED"); the
exit status is 1 if any is missed. The working tree is never edited: each mutant lives in build/named/N/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = ROOT / "build" / "named"

# (what the issue calls it, file, the text, what the mutation makes of it, the test that must fail)
MUTATIONS = [
    ("gates: a one-word input loses its forget-gate sentence (> -> >=)", "pipeline/nn/gates.py",
     "return 1 if gates.f.size(0) > 1 and", "return 1 if gates.f.size(0) >= 1 and",
     "tests/test_gates.py::test_a_one_word_input_keeps_its_forget_gate_sentence"),
    ("file format: the epochs' probe answers dropped on reading", "pipeline/document/fileformat.py",
     "seconds=e.seconds, probes=dict(e.probes),", "seconds=e.seconds, probes={},",
     "tests/test_fileformat.py::test_a_lessons_whole_document_round_trips_in_both_forms"),
    ("observations: skill threshold 0.1 -> 0.3", "pipeline/training/observations.py",
     "SKILL = 0.1 ", "SKILL = 0.3 ",
     "tests/test_observations.py::test_a_flat_curve_at_50_percent_of_three_classes_is_a_plateau_not_barely_learning"),
    ("trace result: names looked up in the wrong index", "pipeline/trace/result.py",
     "            return key in self._by_name\n", "            return key in self._by_key\n",
     "tests/test_trace.py::test_names_and_calls_are_found_in_their_own_index"),
    ("class access: the teacher's class found without expired_ok=True", "pipeline/classroom/access.py",
     "row = find_class(session, code, lock=lock, expired_ok=True)", "row = find_class(session, code, lock=lock)",
     "tests/classroom/test_classroom_access.py::test_a_wrong_secret_on_an_expired_class_is_a_wrong_secret_not_the_"
     "expiry"),
    ("class access: the teacher's class checked with expired_ok=True", "pipeline/classroom/access.py",
     "secret for class {row.code}\")\n    check_open(row, live=live, expired_ok=expired_ok)",
     "secret for class {row.code}\")\n    check_open(row, live=live, expired_ok=True)",
     "tests/classroom/test_classroom_access.py::test_the_right_secret_on_an_expired_class_is_refused_unless_"
     "expired_ok"),
]


def mutant(n: int, path: str, old: str, new: str) -> Path:
    """A copy of pipeline/ and tests/ (and pyproject.toml, for pytest's settings) with one edit made."""
    where = SCRATCH / str(n)
    shutil.rmtree(where, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "e2e")
    for folder in ("pipeline", "tests"):
        shutil.copytree(ROOT / folder, where / folder, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", where)
    source = (where / path).read_text()
    if source.count(old) != 1:
        raise SystemExit(f"{path}: expected {old!r} exactly once, found it {source.count(old)} times")
    (where / path).write_text(source.replace(old, new))
    return where


def main() -> int:
    missed = 0
    for n, (what, path, old, new, test) in enumerate(MUTATIONS, start=1):
        where = mutant(n, path, old, new)
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-n", "0", "-p", "no:cacheprovider", test,
                              "-o", "addopts="], cwd=where, capture_output=True, text=True)
        imported = subprocess.run([sys.executable, "-c", "import pipeline; print(pipeline.__file__)"], cwd=where,
                                  capture_output=True, text=True).stdout.strip()
        if not imported.startswith(str(where)):
            raise SystemExit(f"the copy in {where} is not what Python imports there ({imported})")
        caught = run.returncode == 1
        missed += not caught
        print(f"{'caught' if caught else 'MISSED'}  {what}\n        {path}: {old.strip()!r} -> {new.strip()!r}\n"
              f"        {test}  (pytest exit {run.returncode})")
    print(f"{len(MUTATIONS) - missed} of {len(MUTATIONS)} caught by their module's own test")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

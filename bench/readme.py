"""Regenerate the README's benchmark section from the saved outputs in bench/results/.

    .venv/bin/python bench/readme.py            # rewrite README.md between the bench markers
    .venv/bin/python bench/readme.py --check    # exit 1 if the README is out of date

Each benchmark's output is saved with ``bench/readme.py --save NAME -- COMMAND...``, which runs the
command, prints its output as it comes and writes it, headed by the command line and the date, to
bench/results/NAME.txt. The README shows, for each entry of SECTIONS, what the benchmark is
compared with and that saved output as it was printed: no number is typed by hand.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
README = ROOT / "README.md"
START, END = "<!-- bench:start (bench/readme.py writes this section) -->", "<!-- bench:end -->"

# (saved output, title, what it measures against what, the goal)
SECTIONS = [
    ("trace-cpu", "Tracer, CPU",
     "A traced forward against a plain forward and torchinfo's `summary` of the same model and input (both "
     "record every module's output), and with functional ops against TorchLens; the product's own path "
     "(`pipeline.trace.trace`).", "ours/torchinfo median ≤ 1.0 and upper quartile ≤ 1.05 on each model; with ops "
     "at most a tenth of TorchLens's time"),
    ("trace-cuda-h200", "Tracer, GPU (NVIDIA H200, lent for this run)",
     "The same comparison on an accelerator, where samples and statistics are copied to the host once per "
     "forward. `gpu-checks-h200.txt` beside it: one device-to-host copy per traced forward, statistics equal "
     "to the CPU's. `trace-cuda-h200-per-record.txt` holds the earlier per-record path's figures.",
     "ours/torchinfo ≤ 1"),
    ("cli", "Command line",
     "`pipeline-trace run sequence-classification --epochs 5` (import, train, trace, report) against "
     "`bench/bare_train.py`, the same training in a bare PyTorch script with `torch.optim.Adam`; fresh "
     "processes, alternated.", "≤ 1.1×"),
    ("app", "App in Chromium",
     "Cold start (server start until the Overview is drawn, run cache warm on disk), warm open (a new tab "
     "until its first chart is drawn), a Next click until the new step is drawn (in the page's own clock, "
     "from the click event to the last change it caused; `Next, 1st` is the first pass through the stages of "
     "three freshly opened pages, each begun after 3 s on its first stage, where the browser meets each kind of "
     "picture for the first time, `Next click` the passes after it), against a one-chart Streamlit app doing the same; "
     "the page script of that click (AppTest, the whole page: an upper bound on the server's fragment rerun); "
     "then memory over many Next clicks in one session.",
     "cold and warm ≤ 1.3×, Next ≤ 1.5×, memory ± 30 MB"),
    ("load", "A whole class at once",
     "N learners (Streamlit sessions speaking the browser's protocol) press Train on the Training page at the "
     "same moment, each with a seed of its own; the class's wall time over the ideal (N × a lone learner ÷ "
     "cores); each learner's epochs compared with the same run trained alone; memory before, at the peak and "
     "after every session has gone (`--ttl` stands in for Streamlit's 120 s disconnected-session timeout).",
     "wall ≤ 1.5× the ideal, every learner's numbers equal, memory after within 150 MB of before"),
    ("inside", "What a run keeps of the model's insides",
     "Each lesson's default run, and a wide, long LSTM run (hidden 256, 20 epochs): per epoch, the numbers "
     "the time-lapse keeps (the probes' views and the words in space), the memory a fresh copy of them takes "
     "(tracemalloc while it is unpickled: every float, tuple and view made anew) and the bytes they add to "
     "the trace file.", "bounded per run: 131,072 numbers of views and 200 words × 2 per epoch, whatever the "
                        "settings"),
    ("budget", "The work budget's cost model",
     "`bench/budget.py`: each budgeted lesson trained over a grid of settings (a few samples to 20,000, batch 4 to "
     "256, wide and narrow models, learners' files with huge vocabularies), each run in a fresh process forked from "
     "a warm one with one torch thread, as a training worker runs; the CPU seconds and peak memory of the run and "
     "its packing against `pipeline.runs.budget.estimate`'s figures. The constants were fitted with `--calibrate` "
     "on this machine.", "estimate / measured within 0.5-2x for every run"),
    ("hostile", "Hostile trace files",
     "`bench/hostile.py`: each hostile file of the tests (`tests/hostile_files.py`: huge counts, deep nesting, "
     "samples that declare billions of values, zip bombs, ragged matrices) opened 5 times each way -- the command "
     "line's `pipeline-trace show` and Open a trace's loader with the app's figure builders -- each time in a "
     "fresh child of one warmed-up process; CPU seconds (user + system) and peak memory above the child's start.",
     "each file refused or opened within 5 CPU s and 300 MB"),
    ("classroom", "A lecture hall",
     "A teacher and N learners on one `pipeline-trace serve` (SQLite), every learner a websocket session speaking "
     "the browser's protocol (`bench/stclient.py`): it opens the QR link `/?class=CODE`, joins through the dialog "
     "and keeps every fragment timer as Streamlit's frontend does; learners arrive over 30 s; two more are "
     "Chromium pages (their follows are printed above the table). The server is warm when the class arrives (a "
     "first page opened and its warm-up -- torch, every lesson's default run -- over). The teacher clicks Next on "
     "the Prediction page 5 times, 8 s apart; the page runs the learners' sessions made meanwhile are counted, "
     "whole pages and fragments. Follow: the click to the learner's new stage heading; lost: not shown within 15 s; no "
     "longer following: no class-bar timer armed, or the last move never shown; CPU: the server process, 100 % = "
     "one core; load: the machine's load average before and after (2 cores, shared).",
     "every learner joined; at 200: follow p95 ≤ 1.5 s, no follow lost, every learner still following, server "
     "CPU at rest ≤ 35 %"),
    ("classroom-replicas", "A lecture hall on two replicas",
     "The same, with two `pipeline-trace serve` processes on one PostgreSQL and one data folder (two ports), the "
     "learners split evenly, the teacher on the first: each process's CPU and RSS are given.",
     "everyone follows; p95 within the one-process goal"),
    ("mutation", "Mutation score of the core",
     "`bench/mutation.py`: mutmut 3 mutates each core module in a scratch copy and runs that module's own tests "
     "against every mutant (one worker); a mutant is caught when a test fails or hangs. Mutants no test can tell "
     "from the code are listed with why in `bench/results/mutation-equivalent.md` and counted apart; any other "
     "survivor is named under its module.", "at least 85 % of the non-equivalent mutants caught in each module"),
]


def save(name: str, command: list[str]) -> int:
    """Run ``command`` in the project root, echo its output and keep it, headed by how it was made."""
    shown = " ".join(shlex.quote(part) for part in command).replace(sys.executable, ".venv/bin/python")
    lines = [f"$ {shown}", f"# {datetime.date.today().isoformat()}"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            print(line, end="", flush=True)
            if "missing ScriptRunContext" not in line:  # Streamlit's warning when AppTest runs a page bare
                lines.append(line.rstrip("\n"))
    if proc.returncode == 0:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{name}.txt").write_text("\n".join(lines) + "\n")
    else:
        print(f"exit status {proc.returncode}: bench/results/{name}.txt left as it was", file=sys.stderr)
    return proc.returncode


def section() -> str:
    parts = [START]
    for name, title, what, goal in SECTIONS:
        path = RESULTS / f"{name}.txt"
        parts.append(f"### {title}\n\n{what} Goal: {goal}.\n")
        if path.exists():
            parts.append(f"```\n{path.read_text().rstrip()}\n```\n")
        else:
            parts.append(f"Not measured yet: `bench/results/{name}.txt` is missing.\n")
    parts.append(END)
    return "\n".join(parts)


def updated(text: str) -> str:
    if START not in text or END not in text:
        raise SystemExit(f"README.md lacks the markers {START!r} and {END!r}")
    head, rest = text.split(START, 1)
    return head + section() + rest.split(END, 1)[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the README's section is out of date")
    parser.add_argument("--save", metavar="NAME", help="run the command after -- and save its output as NAME")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.save:
        command = args.command[1:] if args.command[:1] == ["--"] else args.command
        if not command:
            parser.error("--save needs a command after --")
        return save(args.save, command)
    text = README.read_text()
    new = updated(text)
    if args.check:
        print("README.md is up to date" if new == text else "README.md's benchmark section is out of date")
        return 0 if new == text else 1
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main())

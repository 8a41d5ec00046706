"""A class pressing Train together: N real Streamlit sessions against `streamlit run` on 127.0.0.1.

    python bench/load.py --learners 10 [--ttl 20] [--lone 3]

Each learner is a websocket session speaking Streamlit's own protocol (the protobuf messages in
``streamlit.proto``), as a browser would but without drawing: it opens the Training page, then all
press Train at the same moment (default settings, a seed of their own, so no two runs are the same and
the run cache cannot share them). A learner's time runs from its Train message to the end of that
script run, the final chart received. Reported:

- wall time of the whole class, each learner's median and p95, a lone learner's time (the median of
  ``--lone`` learners one after another, just before the class), the ideal (learners x lone / cores)
  and the ratio to it; the machine's load average before; the CPU seconds of server and workers, and
  their ratio to the CPU seconds of the lone learners (what the class cost beyond the same work alone);
- whether each learner's epoch losses and accuracies (read from the final chart) equal those of a run
  of the same settings trained here, alone, in this process;
- RSS and PSS of the server and of its children (forkserver, training workers): before (pool warm),
  the peak during the load, and after every session has gone (websockets closed, Streamlit's
  ``server.disconnectedSessionTTL`` = ``--ttl`` seconds passed, a new session made Streamlit drop them).

Loopback only; every wait is bounded. This is a benchmark: it prints figures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from servers import free_port, process_cpu_seconds, wait_healthy
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
LESSON = "sequence-classification"
SERIES = {"training loss": "loss", "validation loss": "val_loss", "training accuracy": "accuracy",
          "validation accuracy": "val_accuracy"}
TIMEOUT = 600.0  # seconds any one wait may take


@dataclass
class Learner:
    """One browser tab, as far as the server can tell: a session, its widgets, what it was last sent."""

    port: int
    seed: int
    ws: object = None
    widgets: list[str] = field(default_factory=list)  # widget ids (each ends with its key, if it has one)
    page_hash: str = ""
    seconds: float = 0.0
    curves: dict[str, list[float]] = field(default_factory=dict)
    saw_queue: str = ""
    messages: list[str] = field(default_factory=list)

    async def open(self) -> None:
        self.ws = await connect(f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
                                max_size=None, ping_interval=None, open_timeout=60)
        await self._run([])

    async def train(self) -> None:
        started = time.perf_counter()
        seed, train = (next(i for i in self.widgets if i.endswith(end)) for end in (f":{LESSON}:seed", "-Train"))
        await self._run([WidgetState(id=seed, int_value=self.seed), WidgetState(id=train, trigger_value=True)])
        self.seconds = time.perf_counter() - started

    async def close(self) -> None:
        await self.ws.close()

    async def _run(self, widgets: list[WidgetState]) -> None:
        """Ask for a run of the Training page and read every message until it finishes."""
        msg = BackMsg()
        msg.rerun_script.page_name = "training"
        msg.rerun_script.page_script_hash = self.page_hash
        msg.rerun_script.widget_states.widgets.extend(widgets)
        await self.ws.send(msg.SerializeToString())
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await asyncio.wait_for(self.ws.recv(), TIMEOUT))
            kind = fwd.WhichOneof("type")
            if kind == "navigation":  # the page this run shows (st.navigation's, not app.py's)
                self.page_hash = fwd.navigation.page_script_hash
            elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                self._read(fwd.delta.new_element)
            elif kind == "script_finished" and fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return

    def _read(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind in ("number_input", "button"):
            self.widgets.append(getattr(element, kind).id)
        elif kind == "progress" and element.progress.text.startswith("Waiting") and not self.saw_queue:
            self.saw_queue = element.progress.text
        elif kind == "alert":
            self.messages.append(element.alert.body)
        elif kind == "plotly_chart":
            spec = json.loads(element.plotly_chart.spec)
            panels = {axis.replace("axis", ""): (v.get("title") or {}).get("text", "").split("<br>")[0]
                      for axis, v in spec["layout"].items() if axis.startswith("yaxis")}  # y: loss, y2: accuracy
            curves = {name: t["y"] for t in spec["data"]
                      if (name := f"{t.get('name')} {panels.get(t.get('yaxis', 'y'), '')}") in SERIES}
            if curves:  # the training curves (the probes' chart comes after them)
                self.curves = curves


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def memory(root: int) -> dict[str, float]:
    """MB of RSS and PSS: the server itself and all its children together (from smaps_rollup)."""
    out = {"server RSS": 0.0, "server PSS": 0.0, "children RSS": 0.0, "children PSS": 0.0}
    for pid in process_tree(root):
        try:
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        values = {line.split(":")[0]: float(line.split()[1]) / 1024 for line in lines[1:] if ":" in line}
        who = "server" if pid == root else "children"
        out[f"{who} RSS"] += values.get("Rss", 0.0)
        out[f"{who} PSS"] += values.get("Pss", 0.0)
    out["total PSS"] = out["server PSS"] + out["children PSS"]
    return out


def cpu_seconds(root: int) -> dict[str, float]:
    """CPU seconds used so far by the server and by its children (the training workers)."""
    out = {"server": 0.0, "children": 0.0}
    for pid in process_tree(root):
        out["server" if pid == root else "children"] += process_cpu_seconds(pid)
    return out


class PeakSampler(threading.Thread):
    """Samples the server's memory four times a second, keeping the largest total PSS seen."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak, self.stop = root, memory(root), threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.25):
            now = memory(self.root)
            if now["total PSS"] > self.peak["total PSS"]:
                self.peak = now


def start_server(port: int, ttl: int, data: str, options: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.address", "127.0.0.1",
               "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.disconnectedSessionTTL", str(ttl)]
    for option in options:
        key, _, value = option.partition("=")
        command += [f"--{key}", value]
    env = {**os.environ, "PIPELINE_TRACE_DATA": data}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(port, server, timeout=120)
    except SystemExit:
        server.kill()
        raise
    return server


async def one_learner(port: int, seed: int) -> Learner:
    learner = Learner(port, seed)
    await learner.open()
    await learner.train()
    await learner.close()
    return learner


async def class_presses_train(port: int, seeds: list[int]) -> tuple[list[Learner], float]:
    """Every learner opens the page; then all press Train at once. (learners, wall seconds)."""
    learners = [Learner(port, seed) for seed in seeds]
    await asyncio.gather(*(learner.open() for learner in learners))
    started = time.perf_counter()
    await asyncio.gather(*(learner.train() for learner in learners))
    wall = time.perf_counter() - started
    await asyncio.gather(*(learner.close() for learner in learners))
    return learners, wall


def reference_curves(seeds: list[int]) -> dict[int, dict[str, list[float]]]:
    """Each seed's run trained here, alone, with one torch thread (as a worker trains it)."""
    import torch

    from pipeline.lessons import get_lesson

    torch.set_num_threads(1)
    lesson = get_lesson(LESSON)
    out = {}
    for seed in seeds:
        run = lesson.run(lesson.settings_type(seed=seed))
        out[seed] = {name: [getattr(e, attr) for e in run.epochs] for name, attr in SERIES.items()}
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[10], help="class sizes, one load run each")
    parser.add_argument("--ttl", type=int, default=20, help="server.disconnectedSessionTTL, seconds (default 20)")
    parser.add_argument("--lone", type=int, default=3, help="lone learners timed one after another (default 3)")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a Streamlit config option for the server, e.g. runner.postScriptGC=false")
    args = parser.parse_args()
    if not all(1 <= n <= 200 for n in args.learners) or not 1 <= args.lone <= 10 or not 1 <= args.ttl <= 600:
        parser.error("--learners 1..200, --lone 1..10, --ttl 1..600")
    port = free_port()
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="pipeline-trace-load-") as data:
        server = start_server(port, args.ttl, data, args.option)
        try:
            run_all(server.pid, port, args, cores)
        finally:
            server.terminate()
            try:
                server.wait(15)
            except subprocess.TimeoutExpired:
                server.kill()


def lone_learner(root: int, port: int, seeds: list[int]) -> tuple[float, float]:
    """(median seconds, CPU seconds of server and workers per learner) of learners pressing Train one after
    another, each alone on the server."""
    before = sum(cpu_seconds(root).values())
    seconds = statistics.median(asyncio.run(one_learner(port, seed)).seconds for seed in seeds)
    return seconds, (sum(cpu_seconds(root).values()) - before) / len(seeds)


def run_all(root: int, port: int, args: argparse.Namespace, cores: int) -> None:
    asyncio.run(one_learner(port, 10_000))  # starts the pool and warms every path once
    print(f"cores {cores}; disconnectedSessionTTL {args.ttl} s; Streamlit options: {args.option or 'none'}")
    rows, mem_rows, seed = [], [], 0
    for n in args.learners:
        load = os.getloadavg()[0]
        lone, lone_cpu = lone_learner(root, port, [10_001 + seed + i for i in range(args.lone)])  # the same machine
        seeds = list(range(seed, seed + n))
        seed += n
        before, cpu_before = memory(root), cpu_seconds(root)
        sampler = PeakSampler(root)
        sampler.start()
        learners, wall = asyncio.run(class_presses_train(port, seeds))
        sampler.stop.set()
        sampler.join()
        cpu = {k: v - cpu_before[k] for k, v in cpu_seconds(root).items()}
        left = time.monotonic() + args.ttl + 2
        expected = reference_curves(seeds)  # while Streamlit keeps the closed sessions
        time.sleep(max(0.0, left - time.monotonic()))
        for probe in range(2):  # a new session makes Streamlit drop the expired ones; its run collects them
            asyncio.run(one_learner(port, 20_000 + seed + probe))
        after = memory(root)
        times = [learner.seconds for learner in learners]
        equal = sum(learner.curves == expected[learner.seed] for learner in learners)
        ideal = n * lone / cores
        rows.append((n, load, lone, wall, statistics.median(times), percentile(times, 0.95), ideal, wall / ideal,
                     equal, sum(bool(learner.saw_queue) for learner in learners), cpu["server"], cpu["children"],
                     (cpu["server"] + cpu["children"]) / (n * lone_cpu)))
        mem_rows += [(n, "before", before), (n, "peak", sampler.peak), (n, "after", after)]
        told = [learner for learner in learners if learner.saw_queue]
        if told:  # what the queue told the learner who waited longest
            last = max(learners, key=lambda learner: learner.seconds)
            print(f"{n} learners: the last to finish waited {last.seconds:.1f} s; the queue first told them: "
                  f"\"{last.saw_queue}\"")
        problems = [m for learner in learners for m in learner.messages if "trained" not in m]
        if problems:
            print(f"{n} learners: messages other than success: {sorted(set(problems))[:3]}")
    print("learners  load  lone s  wall s  median s  p95 s  ideal s  ratio  equal  queued  server CPU s  workers CPU s"
          "  CPU ratio")
    for n, load, lone, wall, med, p95, ideal, ratio, equal, queued, scpu, wcpu, cpu_ratio in rows:
        print(f"{n:8d} {load:5.1f} {lone:7.2f} {wall:7.2f} {med:9.2f} {p95:6.2f} {ideal:8.2f} {ratio:6.2f} "
              f"{equal:3d}/{n:<3d}{queued:5d} {scpu:13.1f} {wcpu:14.1f} {cpu_ratio:10.2f}")
    print("\nlearners  when      server RSS  server PSS  children RSS  children PSS  total PSS   (MB)")
    for n, when, m in mem_rows:
        print(f"{n:8d}  {when:7s} {m['server RSS']:11.0f} {m['server PSS']:11.0f} {m['children RSS']:13.0f} "
              f"{m['children PSS']:13.0f} {m['total PSS']:10.0f}")


if __name__ == "__main__":
    main()

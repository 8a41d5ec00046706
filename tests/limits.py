"""Open a trace file in a child process and measure what it cost: CPU seconds and peak memory above the child's
memory before it started, as ``resource.getrusage`` reports them (never the wall clock of a shared machine).

Two ways in, as a user meets them: the command line (``pipeline-trace show FILE``) and Open a trace's path
(the loader, then the app's own builders: the data-flow animation, the stage and call tables, each prediction
layer's figure, every figure serialised as the browser gets it).

``Opener`` starts one warmed-up process (everything imported, Plotly's validators used once, as on a server)
that forks a fresh child for each file: each file is measured alone, without paying for the imports again.
A child runs under an address-space limit, so a file that asks for gigabytes fails there instead of
swamping the machine, and a child still running after ``WALL_SECONDS`` is killed and reported.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing as mp
import os
import pickle
import resource
import select
import signal
import tempfile
from dataclasses import dataclass

WALL_SECONDS = 60  # a child still running after this is killed: far past any limit a test sets
HEADROOM_BYTES = 3 << 30  # address space a child may add to what it has mapped once its imports are done


@dataclass(frozen=True)
class Cost:
    """What opening a file cost, and how it ended: ``opened``, ``refused`` (one line of why) or ``failed``."""

    outcome: str
    message: str
    cpu_seconds: float
    memory_mb: float


def _statm(field: int) -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[field]) * os.sysconf("SC_PAGE_SIZE")


def _cli(path: str) -> tuple[str, str]:
    from pipeline.cli.main import main

    err = io.StringIO()
    with open(os.devnull, "w") as out, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["show", path])
    return ("opened" if code == 0 else "refused"), err.getvalue()


def _app(path: str) -> tuple[str, str]:
    from pipeline.document.fileformat import TraceFileError, loads
    from pipeline.render import animation, figures, tables

    with open(path, "rb") as f:
        raw = f.read()
    try:
        doc = loads(raw, os.path.basename(path))
    except TraceFileError as e:
        return "refused", str(e)
    f"{doc.title} {doc.trace.root.num_params if '' in doc.trace else 0} {doc.source.get('made_by', '')}"
    animation.dataflow_animation(doc.stages).to_json()
    tables.frame(tables.stage_rows(doc.stages))
    tables.frame(tables.call_rows(doc.trace))
    for view in doc.prediction.layers if doc.prediction else ():
        figure = figures.layer_figure(view)
        if figure is not None:
            figure.to_json()
    return "opened", ""


WAYS = {"cli": _cli, "app": _app}


def _warm_up() -> None:
    """Import what either way uses and draw a shipped example once, as a server has before a file arrives."""
    import torch

    torch.set_num_threads(1)  # no thread pool: the process forks a child per file
    import pipeline.cli.commands
    import pipeline.cli.main
    import pipeline.render.report  # noqa: F401
    from pipeline.examples import EXAMPLES

    _app(str(EXAMPLES["digits-cnn"].path))


def _measure(way: str, raw: bytes, name: str) -> Cost:
    """In a fresh child: open the file and measure it."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(raw)
        del raw
        limit = _statm(0) + HEADROOM_BYTES
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        before, start = _statm(1), resource.getrusage(resource.RUSAGE_SELF)
        try:
            outcome, message = WAYS[way](path)
        except BaseException as e:  # whatever it was, the test reports it
            outcome, message = "failed", f"{type(e).__name__}: {e}"
        end = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)
    return Cost(outcome, message, cpu, max(0, end.ru_maxrss * 1024 - before) / 2**20)


def _fork_one(way: str, raw: bytes, name: str) -> Cost:
    """Fork a child to measure one file; wait for its answer at most ``WALL_SECONDS``."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        try:
            answer = pickle.dumps(_measure(way, raw, name))
        except BaseException as e:
            answer = pickle.dumps(Cost("failed", f"{type(e).__name__}: {e}", float("inf"), float("inf")))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(answer)
        os._exit(0)
    os.close(write)
    chunks = []
    with os.fdopen(read, "rb") as pipe:
        while select.select([pipe], [], [], WALL_SECONDS)[0]:
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
        else:
            os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return Cost("failed", f"the child ended without an answer (status {status}) or ran past {WALL_SECONDS} s",
                    float("inf"), float("inf"))
    return pickle.loads(b"".join(chunks))


def _serve(conn) -> None:
    _warm_up()
    conn.send("ready")
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(_fork_one(*job))


class Opener:
    """A warmed-up process that measures the cost of opening files, each in a child of its own."""

    def __init__(self) -> None:
        ctx = mp.get_context("forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn")
        self._conn, theirs = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(theirs,), daemon=True)
        self._process.start()
        theirs.close()
        if not self._conn.poll(WALL_SECONDS) or self._conn.recv() != "ready":
            self.close()
            raise RuntimeError("the measuring process did not start")

    def cost(self, way: str, raw: bytes, name: str) -> Cost:
        """Open ``raw`` (saved as ``name``) the ``way`` given ("cli" or "app"); what it cost."""
        self._conn.send((way, raw, name))
        if not self._conn.poll(WALL_SECONDS + 30):
            raise RuntimeError("the measuring process stopped answering")
        return self._conn.recv()

    def close(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._conn.send(None)
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

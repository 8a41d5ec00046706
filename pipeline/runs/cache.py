"""Finished runs, kept so that no model is trained twice: a memory tier over a disk tier.

Runs are deterministic under their settings and data, so a run is named by a key made of the
lesson, its settings, the sha256 of its data (uploaded bytes; the built-in corpora are generated from
the settings) and a hash of the ``pipeline/`` sources: a change of code is a new key, never a stale
hit. A run on disk is one zip -- its trace document (``pipeline-trace/2``) and its weights
(safetensors) -- rebuilt with ``Lesson.rebuild``; one that cannot be read is deleted and trained again.
Only completed runs are kept: a run stopped early raises and is never stored. Identical trainings
asked for at the same time are shared: the first trains, the others wait for its result.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import torch
from safetensors.torch import load, save

from pipeline.document.document import TraceDocument
from pipeline.document.fileformat import loads, zip_bytes
from pipeline.lessons import Lesson, LessonRun
from pipeline.paths import code_hash, data_dir
from pipeline.safeio import atomic_write
from pipeline.training.loop import Callback, TrainConfig

S = TypeVar("S", bound=TrainConfig)  # the lesson's settings type

MEMORY_RUNS = 12  # runs kept in memory (least recently used first out): each is a few MB
DISK_RUNS = 200  # run files kept on disk; the oldest are removed beyond this
RUN_FILE_LIMIT = 200_000_000


class RunFileError(ValueError):
    """A cached run that cannot be used (damaged, or not the run it claims to be)."""


def data_hash(data: Any) -> str:
    """The sha256 of a learner's data (its bytes), or ``"built-in"`` for the lesson's own corpus."""
    return getattr(data, "sha256", "") or ("built-in" if data is None else _content_hash(data))


def _content_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(dataclasses.asdict(data), sort_keys=True, default=str).encode()).hexdigest()


def run_key(lesson: Lesson[S], settings: S, data: Any = None, probes: Sequence[str] | None = None) -> str:
    """The name of a run: lesson, settings, data, code -- and the inputs followed epoch by epoch, when they
    are not the lesson's own -- hashed."""
    what = {"lesson": lesson.slug, "settings": dataclasses.asdict(settings), "data": data_hash(data),
            "code": code_hash()}
    if probes is not None and tuple(probes) != tuple(lesson.probes):
        what["probes"] = list(probes)
    return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:40]


def pack(lesson: Lesson[S], run: LessonRun[S], data: Any = None) -> bytes:
    """A finished run as one zip: ``run.json`` (what it is), ``document.zip`` (its trace), ``weights.safetensors``."""
    weights = {k: v.detach().to("cpu").contiguous().clone() for k, v in run.model.state_dict().items()}
    meta = {"key": run_key(lesson, run.settings, data, probes_of(run)), "lesson": lesson.slug,
            "settings": dataclasses.asdict(run.settings), "data": data_hash(data), "code": code_hash()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("run.json", json.dumps(meta))
        z.writestr("document.zip", zip_bytes(lesson.document(run, None, f"run {meta['key']}")))
        z.writestr("weights.safetensors", save(weights))
    return buffer.getvalue()


def probes_of(run: LessonRun[Any]) -> list[str]:
    """The inputs a run followed epoch by epoch."""
    return list(run.epochs[0].probes) if run.epochs else []


def unpack(raw: bytes, lesson: Lesson[S], settings: S, data: Any = None, device: str = "cpu",
           probes: Sequence[str] | None = None) -> LessonRun[S]:
    """The run a :func:`pack` zip holds, rebuilt on ``device``; RunFileError if it is damaged or not that run."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            if sorted(z.namelist()) != ["document.zip", "run.json", "weights.safetensors"]:
                raise RunFileError("not a run file")
            meta = json.loads(z.read("run.json"))
            if meta.get("key") != run_key(lesson, settings, data, probes):
                raise RunFileError("it holds another run")
            document: TraceDocument = loads(z.read("document.zip"), "document.zip")
            weights = load(z.read("weights.safetensors"))
    except RunFileError:
        raise
    except Exception as e:  # any damage at all: the run is trained again, never trusted
        raise RunFileError(f"damaged: {type(e).__name__}: {e}") from None
    try:
        return lesson.rebuild(settings, data, {k: v.to(device) for k, v in weights.items()}, document, device)
    except (RuntimeError, KeyError, ValueError) as e:
        raise RunFileError(f"its weights do not fit the model: {e}") from None


class RunCache:
    """Finished runs by key: ``memory`` most recently used in memory, all on disk in ``folder`` (None: memory only).

    Runs held here are shared by every session: they are read, traced and predicted with, never
    trained further (tracing is thread-safe: a trace records only its own thread's calls).
    """

    def __init__(self, folder: Path | None = None, memory: int = MEMORY_RUNS, disk: int = DISK_RUNS) -> None:
        self.folder, self.memory, self.disk = folder, memory, disk
        self._runs: OrderedDict[str, LessonRun[Any]] = OrderedDict()
        self._training: dict[str, Future[LessonRun[Any]]] = {}
        self._lock = threading.Lock()
        self.hits = {"memory": 0, "disk": 0, "shared": 0, "trained": 0}

    def get(self, lesson: Lesson[S], settings: S, data: Any = None, device: str = "cpu",
            probes: Sequence[str] | None = None) -> LessonRun[S] | None:
        """The finished run of these settings and data, from memory or disk, or None."""
        key = run_key(lesson, settings, data, probes)
        with self._lock:
            run = self._runs.get(key)
            if run is not None:
                self._runs.move_to_end(key)
                self.hits["memory"] += 1
                return run
        run = self._from_disk(key, lesson, settings, data, device, probes)
        if run is not None:
            self._remember(key, run)
            self.hits["disk"] += 1
        return run

    def by_key(self, key: str, lesson: Lesson[Any], device: str = "cpu") -> LessonRun[Any] | None:
        """The finished run called ``key`` (a class shares its teacher's run by key), or None when it is not kept.

        Only runs on the lesson's built-in data are handed out: a run trained on a learner's uploaded
        file cannot be rebuilt without that file (which stays in their session), and its examples and
        vocabulary would show others that file's rows. RunFileError says so.
        """
        with self._lock:
            run = self._runs.get(key)
        if run is not None:
            if run.lesson != lesson.slug or run_key(lesson, run.settings, None, probes_of(run)) != key:
                raise RunFileError("this run was trained on an uploaded data file: it stays with the learner "
                                   "who trained it")
            return run
        path = self._path(key) if self.folder is not None and key.isalnum() else None
        if path is None or not path.is_file() or path.stat().st_size > RUN_FILE_LIMIT:
            return None
        raw = path.read_bytes()
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as z:
                meta = json.loads(z.read("run.json"))
            if meta.get("lesson") != lesson.slug or meta.get("key") != key:
                raise RunFileError(f"run {key[:12]} is not a run of the {lesson.slug} lesson")
            if meta.get("data") != "built-in":
                raise RunFileError("this run was trained on an uploaded data file: it cannot be rebuilt without "
                                   "that file, which stays with the learner who trained it")
            settings = lesson.settings_type(**meta["settings"])
        except RunFileError:
            raise
        except Exception as e:  # damaged: not shared, and _from_disk removes it on the next ordinary get
            raise RunFileError(f"run {key[:12]} cannot be read: {type(e).__name__}") from None
        run = unpack(raw, lesson, settings, None, device)
        self._remember(key, run)
        self.hits["disk"] += 1
        return run

    def put(self, lesson: Lesson[S], run: LessonRun[S], data: Any = None) -> None:
        """Keep a finished run (in memory, and on disk when there is a folder); a run stopped early is refused."""
        if not run.complete:
            raise ValueError(f"only complete runs are kept: this one has {len(run.epochs)} of {run.settings.epochs} "
                             "epochs")
        key = run_key(lesson, run.settings, data, probes_of(run))
        self._remember(key, run)
        if self.folder is not None:
            atomic_write(self._path(key), pack(lesson, run, data))
            self._prune()

    def run(self, lesson: Lesson[S], settings: S, data: Any = None, callbacks: Sequence[Callback] = (),
            train: Callable[[], LessonRun[S]] | None = None, device: str = "cpu",
            probes: Sequence[str] | None = None) -> LessonRun[S]:
        """The cached run, else trained once: callers asking for the same run meanwhile wait for this one."""
        found = self.get(lesson, settings, data, device, probes)
        if found is not None:
            return found
        key = run_key(lesson, settings, data, probes)
        with self._lock:
            owner = key not in self._training
            pending = self._training.setdefault(key, Future())
        if not owner:
            self.hits["shared"] += 1
            return pending.result()
        try:
            run = train() if train is not None else lesson.run(settings, callbacks, data, device, probes)
            if run.complete:
                self.put(lesson, run, data)
            self.hits["trained"] += 1
            pending.set_result(run)
            return run
        except BaseException as e:
            pending.set_exception(e)
            raise
        finally:
            with self._lock:
                self._training.pop(key, None)

    def training(self, lesson: Lesson[S], settings: S, data: Any = None, probes: Sequence[str] | None = None) -> bool:
        """Whether this run is being trained right now (for another learner)."""
        return run_key(lesson, settings, data, probes) in self._training

    def _remember(self, key: str, run: LessonRun[Any]) -> None:
        with self._lock:
            self._runs[key] = run
            self._runs.move_to_end(key)
            while len(self._runs) > self.memory:
                self._runs.popitem(last=False)

    def _path(self, key: str) -> Path:
        assert self.folder is not None, "a memory-only cache has no files"
        return self.folder / f"{key}.run.zip"

    def _from_disk(self, key: str, lesson: Lesson[S], settings: S, data: Any, device: str,
                   probes: Sequence[str] | None = None) -> LessonRun[S] | None:
        if self.folder is None:
            return None
        path = self._path(key)
        try:
            if not path.is_file() or path.stat().st_size > RUN_FILE_LIMIT:
                return None
            raw = path.read_bytes()
            return unpack(raw, lesson, settings, data, device, probes)
        except (RunFileError, OSError):
            path.unlink(missing_ok=True)  # damaged or stale: train it again rather than trust it
            return None

    def _prune(self) -> None:
        assert self.folder is not None, "a memory-only cache has no files"
        files = sorted(self.folder.glob("*.run.zip"), key=lambda p: p.stat().st_mtime)
        for old in files[: max(0, len(files) - self.disk)]:
            old.unlink(missing_ok=True)


_shared: RunCache | None = None
_shared_lock = threading.Lock()


def shared_cache() -> RunCache:
    """The process's run cache, on disk in ``$PIPELINE_TRACE_DATA/runs``."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = RunCache(data_dir("runs"))
        return _shared


def weights_equal(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    """Whether two models hold exactly the same weights (for tests and checks)."""
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k].cpu(), sb[k].cpu()) for k in sa)

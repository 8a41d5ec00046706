"""What the CLI's commands do, once their arguments are parsed: run a lesson, show a file, trace a model."""

from __future__ import annotations

import argparse
import importlib.util
import math
import shlex
import sys
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from pipeline.cli.errors import PROG, UsageError, say
from pipeline.document.document import TraceDocument, trace_document
from pipeline.errors import InputError
from pipeline.lessons import get_lesson
from pipeline.lessons.protocol import Lesson
from pipeline.render.report import document_view, lit
from pipeline.safeio import read_user_file
from pipeline.trace import TraceError, TraceFault, trace
from pipeline.training.loop import Callback, resolve_device
from pipeline.training.results import BatchResult, EpochResult
from pipeline.training.settings import specs

MAX_DATA_BYTES = 5_000_000
MAX_INPUT_VALUES = 10_000_000  # of a generated input for `trace`


class ProgressCallback(Callback):
    """A progress bar on stderr that advances with every batch and shows the latest epoch's numbers."""

    def __init__(self, progress: Progress) -> None:
        self.progress, self.task = progress, TaskID(0)  # set when training starts

    def on_train_start(self, total_batches: int) -> None:
        self.task = self.progress.add_task("training", total=total_batches)

    def on_batch_end(self, result: BatchResult) -> None:
        self.progress.update(self.task, advance=1, description=f"epoch {result.epoch}")

    def on_epoch_end(self, result: EpochResult) -> None:
        self.progress.update(self.task, description=f"epoch {result.epoch} val acc {result.val_accuracy:.2f}")


def _command_line(args: argparse.Namespace) -> str:
    return " ".join(shlex.quote(a) for a in [PROG, *args.argv])[:500]


def _save(doc: TraceDocument, path: Path) -> None:
    from pipeline.document.fileformat import save  # the file format (and pydantic) only when a file is asked for

    save(doc, path)


def _export_json(doc: TraceDocument, path: Path) -> None:
    from pipeline.document.fileformat import export_json  # the file format (and pydantic) when a file is asked for

    export_json(doc, path)


def _save_handout(doc: TraceDocument, path: Path) -> None:
    from pipeline.render.handout import save_handout  # plotly is imported only when a handout is asked for

    save_handout(doc, path)


def _write(doc: TraceDocument, args: argparse.Namespace, out: Console) -> None:
    """Write the files asked for with ``--save``, ``--json`` and ``--html`` (``show`` has only ``--html``)."""
    for option, write, what in (("save", _save, "Trace"), ("json", _export_json, "Trace"),
                                ("html", _save_handout, "Handout")):
        path = getattr(args, option, None)
        if path is not None:
            write(doc, path)
            out.print(lit(f"{what} written to {path}"))


def run_lesson(args: argparse.Namespace, out: Console) -> int:
    """Train the lesson, print its report and the prediction of ``--text``, write the files asked for."""
    lesson = get_lesson(args.lesson)
    given = _given_input(lesson, args)  # before training, so a bad input costs nothing
    settings = lesson.settings_type(**{s.name: getattr(args, s.name) for s in specs(lesson.settings_type)})
    data = None
    if getattr(args, "data", None):
        data = lesson.load_data_path(args.data)
    device = resolve_device(args.device)
    if device == "cpu" and not args.yes:  # the budget is measured in seconds of one CPU core
        from pipeline.runs.budget import OverBudget, check  # only for a run on the CPU, whose seconds it counts

        try:
            check(lesson, settings, data)
        except OverBudget as e:
            raise UsageError(f"{e} Add --yes to train it anyway.") from None
    torch.set_num_threads(1)  # as the app trains: a seed gives the same numbers on every machine, whatever its cores
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        run = lesson.run(settings, [ProgressCallback(progress)], data, device)
    text = given if given is not None else run.examples[0][0]
    status, prediction = 0, None
    try:
        prediction = lesson.predict(run, text)
    except InputError as e:
        sys.stderr.write(say(f"{PROG}: cannot trace that text: {e}"))
        status = 2
    doc = lesson.document(run, prediction, _command_line(args))
    out.print(document_view(doc))
    _write(doc, args, out)
    return status


def _given_input(lesson: Lesson[Any], args: argparse.Namespace) -> str | None:
    """The input ``--text`` or ``--image`` gives (as the lesson reads it), checked; None when none is given."""
    option, value = ("image", getattr(args, "image", None)) if lesson.input_kind == "image" else \
        ("text", getattr(args, "text", None))
    if value is None:
        return None
    try:
        if option == "image":
            return lesson.picture_input(read_user_file(value, MAX_DATA_BYTES, "PNG image"), Path(value).name)
        return lesson.check_input(value)
    except InputError as e:
        raise UsageError(f"argument --{option}: {e}") from None


def show(args: argparse.Namespace, out: Console) -> int:
    """Print the report of a saved trace file (the same report ``run`` printed, without training); write
    its handout if ``--html`` asks for one."""
    from pipeline.document.fileformat import open_path  # the file format (and pydantic) when a file is opened

    doc = open_path(args.file)
    out.print(document_view(doc))
    _write(doc, args, out)
    return 0


def trace_model(args: argparse.Namespace, out: Console) -> int:
    """Build the user's model from their factory, trace one forward of a generated input, report it."""
    model = _load_factory(args.target)
    x = _make_input(model, args)
    model.eval()
    try:
        with torch.no_grad(), trace(model, ops=args.ops) as t:
            model(x)
    except (TraceError, TraceFault) as e:  # the model cannot be traced, or the tracer failed: never the forward's fault
        raise UsageError(_one_line(e, 600)) from None
    except (ValueError, TypeError) as e:
        raise UsageError(f"the model's forward failed on an input of shape {list(x.shape)} ({x.dtype}): "
                         f"{_one_line(e)}") from None
    except Exception as e:  # the user's own forward: report it in one line, whatever it raised
        raise UsageError(f"the model's forward failed on an input of shape {list(x.shape)} ({x.dtype}): "
                         f"{type(e).__name__}: {_one_line(e)}") from None
    doc = trace_document(t, _command_line(args))
    out.print(document_view(doc))
    _write(doc, args, out)
    return 0


def _one_line(e: BaseException, limit: int = 300) -> str:
    text = " ".join(str(e).split())
    return text[:limit] + ("…" if len(text) > limit else "")


def _load_factory(target: str) -> torch.nn.Module:
    path_text, sep, name = target.rpartition(":")
    if not sep or not path_text or not name.isidentifier():
        raise UsageError(f"expected PATH.py:FACTORY (a Python file and the function in it that returns the model), "
                         f"got {target!r}")
    path = Path(path_text)
    if path.suffix != ".py":
        raise UsageError(f"{path_text!r} is not a Python file (.py)")
    read_user_file(path, 5_000_000, "Python file")  # exists, is a regular file, not huge
    spec = importlib.util.spec_from_file_location(f"_pipeline_trace_user_{path.stem}", path)
    if spec is None or spec.loader is None:  # a .py path always has a spec and a loader
        raise UsageError(f"{path_text!r} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise UsageError(f"running {path_text!r} failed: {type(e).__name__}: {_one_line(e)}") from None
    factory = getattr(module, name, None)
    if not callable(factory):
        raise UsageError(f"{path_text!r} has no function {name!r}")
    try:
        model = factory()
    except Exception as e:
        raise UsageError(f"{name}() failed: {type(e).__name__}: {_one_line(e)}") from None
    if not isinstance(model, torch.nn.Module):
        raise UsageError(f"{name}() must return a torch.nn.Module, got {type(model).__name__}")
    return model


_DTYPES = {"float": torch.float32, "double": torch.float64, "half": torch.float16, "long": torch.long,
           "int": torch.int32, "bool": torch.bool}


def _make_input(model: torch.nn.Module, args: argparse.Namespace) -> torch.Tensor:
    try:
        shape = [int(d) for d in args.input_shape.split(",")]
    except ValueError:
        raise UsageError(f"--input-shape must be whole numbers separated by commas, e.g. 2,16; got "
                         f"{args.input_shape[:40]!r}") from None
    if not shape or any(d < 1 for d in shape) or len(shape) > 8 or math.prod(shape) > MAX_INPUT_VALUES:
        raise UsageError(f"--input-shape must have 1 to 8 dimensions, each at least 1, at most "
                         f"{MAX_INPUT_VALUES:,} values in all; got {args.input_shape[:40]!r}")
    generator = torch.Generator().manual_seed(args.seed)
    dtype = _DTYPES[args.dtype]
    if dtype.is_floating_point:
        return torch.randn(shape, generator=generator).to(dtype)
    if dtype is torch.bool:
        return torch.rand(shape, generator=generator) > 0.5
    sizes = [m.num_embeddings for m in model.modules() if isinstance(m, torch.nn.Embedding)]
    high = args.high if args.high is not None else min(sizes, default=10)
    if high < 1:
        raise UsageError(f"--high must be at least 1, got {high}")
    return torch.randint(0, high, shape, generator=generator, dtype=dtype)



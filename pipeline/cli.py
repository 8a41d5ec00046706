"""``pipeline-trace list | run LESSON [options]``: run a lesson headless, print its trace, write the JSON.

Every lesson's options come from its settings dataclass, so a new lesson needs no CLI code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline import tables
from pipeline.lessons import LESSONS, Lesson
from pipeline.report import frame_table, loss_chart, prediction_view
from pipeline.settings import SettingSpec, specs
from pipeline.text import InputError, check_text
from pipeline.train import BatchResult, Callback, EpochResult

PROG = "pipeline-trace"


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see '{self.prog} --help')\n")


def _bounded(spec: SettingSpec):
    def parse(raw: str):
        try:
            value = spec.kind(raw)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if spec.kind is int else 'a number'}, "
                                             f"got {raw!r}") from None
        if not spec.min <= value <= spec.max:
            raise argparse.ArgumentTypeError(f"must be between {spec.min:g} and {spec.max:g}, got {raw}")
        return value

    return parse


def _text(raw: str) -> str:
    try:
        return check_text(raw)
    except InputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _json_path(raw: str) -> Path:
    path = Path(raw)
    if path.is_dir() or not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"cannot write {raw!r}: no such directory, or it is a directory")
    return path


def _data_file(raw: str) -> Path:
    path = Path(raw)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {raw!r}")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Run a traced deep-learning lesson and show how data flows.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    commands.add_parser("list", help="list the lessons")
    run = commands.add_parser("run", help="train a lesson's model and print its trace")
    lessons = run.add_subparsers(dest="lesson", required=True, metavar="LESSON", parser_class=_Parser)
    for slug, lesson in LESSONS.items():
        sub = lessons.add_parser(slug, help=lesson.content.summary, description=lesson.content.summary)
        for spec in specs(lesson.settings_type):
            flag = "--" + spec.name.replace("_", "-")
            if spec.kind is bool:
                sub.add_argument(flag, action="store_true", default=spec.default, help=spec.help)
            else:
                sub.add_argument(flag, type=_bounded(spec), default=spec.default, metavar="N",
                                 help=f"{spec.help} ({spec.min:g} to {spec.max:g}; default {spec.default})")
        sub.add_argument("--text", type=_text, help="an input to trace through the trained model "
                                                    "(default: a held-out example)")
        sub.add_argument("--json", type=_json_path, metavar="PATH", help="write the trace JSON here")
        if lesson.data_format:
            sub.add_argument("--data", type=_data_file, metavar="PATH",
                             help=f"train on your own data instead of the embedded corpus: {lesson.data_format}")
    return parser


class ProgressCallback(Callback):
    """A progress bar on stderr that advances with every batch and shows the latest epoch's numbers."""

    def __init__(self, progress: Progress) -> None:
        self.progress, self.task = progress, None

    def on_train_start(self, total_batches: int) -> None:
        self.task = self.progress.add_task("training", total=total_batches)

    def on_batch_end(self, result: BatchResult) -> None:
        self.progress.update(self.task, advance=1, description=f"epoch {result.epoch}")

    def on_epoch_end(self, result: EpochResult) -> None:
        self.progress.update(self.task, description=f"epoch {result.epoch} val acc {result.val_accuracy:.2f}")


def run_lesson(lesson: Lesson, args: argparse.Namespace, out: Console) -> int:
    if args.text is not None:
        try:
            lesson.check_input(args.text)  # before training, so a bad --text costs nothing
        except InputError as e:
            print(f"{PROG}: error: argument --text: {e}", file=sys.stderr)
            return 2
    settings = lesson.settings_type(**{s.name: getattr(args, s.name) for s in specs(lesson.settings_type)})
    data = None
    if getattr(args, "data", None):
        try:
            data = lesson.load_data(args.data.read_bytes(), args.data.name)
        except InputError as e:
            print(f"{PROG}: error: {e}", file=sys.stderr)
            return 2
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        run = lesson.run(settings, [ProgressCallback(progress)], data)
    out.print(f"[bold]{lesson.content.title}[/bold] — {lesson.content.summary}\n")
    out.print(frame_table(tables.examples_table(run.examples), "Held-out examples"))
    out.print(frame_table(tables.stage_table(run.stages), "Data flow"))
    out.print(frame_table(tables.epoch_table(run.epochs), "Training, epoch by epoch"))
    out.print(loss_chart(run.epochs), highlight=False)
    text = args.text if args.text is not None else run.examples[0][0]
    status, prediction = 0, None
    try:
        prediction = lesson.predict(run, text)
        out.print(prediction_view(prediction))
    except InputError as e:
        print(f"{PROG}: cannot trace that text: {e}", file=sys.stderr)
        status = 2
    if args.json:
        args.json.write_text(json.dumps(lesson.to_json(run, prediction), indent=1))
        out.print(f"\nTrace written to {args.json}")
    return status


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = Console(width=None if sys.stdout.isatty() else 140)
    if args.command == "list":
        for slug, lesson in LESSONS.items():
            out.print(f"{slug:<26} {lesson.content.summary}", highlight=False)
        return 0
    try:
        return run_lesson(LESSONS[args.lesson], args, out)
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except OSError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

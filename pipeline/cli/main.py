"""``pipeline-trace``: run a lesson headless, open a trace file, or trace any model of your own.

    pipeline-trace list
    pipeline-trace run LESSON [settings] [--text T | --image F.png] [--data FILE] [--save F.zip] [--json F.json]
                       [--html F.html]
    pipeline-trace show FILE [--html F.html]
    pipeline-trace trace model.py:make --input-shape 2,16 [--dtype long] [--ops] [--save F.zip] [--html F.html]
    pipeline-trace serve [--port 8501] [--public]
    pipeline-trace schema

Every lesson's options come from its settings dataclass, so a new lesson needs no CLI code. Every
error is one line on stderr with exit code 2; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pipeline.cli.errors import PROG, UsageError, say
from pipeline.data.tokens import check_text
from pipeline.errors import InputError
from pipeline.safeio import check_destination
from pipeline.training.settings import parse_setting, specs

if TYPE_CHECKING:  # rich is imported when a command runs, after the arguments are read
    from rich.console import Console


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, say(f"{PROG}: error: {message} (see '{self.prog} --help')"))


def _help(text: str) -> str:
    return text.replace("%", "%%")  # argparse %-formats help texts


def _setting_type(spec):
    def parse(raw: str) -> Any:
        try:
            return parse_setting(spec, raw)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None

    return parse


def _text(raw: str) -> str:
    try:
        return check_text(raw)
    except InputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _destination(raw: str) -> Path:
    try:
        return check_destination(raw)
    except InputError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--save", type=_destination, metavar="FILE",
                        help="write the trace file (pipeline-trace/2 zip: trace.json + samples.safetensors)")
    parser.add_argument("--json", type=_destination, metavar="FILE",
                        help="write the trace as one readable JSON file, every sample inline")
    _html_output(parser)


def _html_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--html", type=_destination, metavar="FILE",
                        help="write the offline handout: one HTML file that opens in any browser, no network needed")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; lessons (and torch) are imported for ``run`` only, and for ``run LESSON ...`` only that
    lesson: ``serve``, ``show``, ``schema`` and ``list`` start without them."""
    def lessons_wanted() -> dict:
        if not argv or argv[0] != "run":
            return {}
        from pipeline.lessons import all_lessons, get_lesson  # torch: for `run` only, never for --help or `list`

        if len(argv) >= 2 and not argv[1].startswith("-"):
            with contextlib.suppress(KeyError):  # an unknown lesson: argparse lists the lessons there are
                one = get_lesson(argv[1])
                return {one.slug: one}
        return all_lessons()

    parser = _Parser(prog=PROG, description="See how a neural network turns data into a prediction: run a traced "
                                            "lesson, open a trace file, or trace a model of your own.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    commands.add_parser("list", help="list the lessons", description="List the lessons.")
    run = commands.add_parser("run", help="train a lesson's model and print its trace",
                              description="Train a lesson's model on its data and print its trace.")
    lessons = run.add_subparsers(dest="lesson", required=True, metavar="LESSON", parser_class=_Parser)
    for slug, lesson in lessons_wanted().items():
        sub = lessons.add_parser(slug, help=_help(lesson.content.summary), description=_help(lesson.content.summary))
        for spec in specs(lesson.settings_type):
            flag = "--" + spec.name.replace("_", "-")
            if spec.kind is bool:
                sub.add_argument(flag, action=argparse.BooleanOptionalAction, default=spec.default,
                                 help=_help(f"{spec.help} (default: {spec.fmt(spec.default)})"))
            else:
                sub.add_argument(flag, type=_setting_type(spec), default=spec.default, metavar="N",
                                 help=_help(f"{spec.help} ({spec.range_text}; default {spec.fmt(spec.default)})"))
        if lesson.input_kind == "image":
            sub.add_argument("--image", metavar="FILE.png", help="a PNG image to trace through the trained model, "
                                                                  "read as a drawing is (default: a held-out image)")
        else:
            sub.add_argument("--text", type=_text, help="an input to trace through the trained model "
                                                        "(default: a held-out example)")
        if lesson.data_format:
            sub.add_argument("--data", metavar="FILE", help=_help("train on your own data instead of the built-in "
                                                                   f"corpus: {lesson.data_format}"))
        _outputs(sub)
        sub.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                         help="where to train: auto picks a CUDA GPU when there is one (default: auto)")
        sub.add_argument("--yes", action="store_true",
                         help="train even a run over the work budget (PIPELINE_TRACE_BUDGET_SECONDS, default 120 s "
                              "of one core; PIPELINE_TRACE_BUDGET_MB, default 2000)")
    show = commands.add_parser("show", help="print the report of a saved trace file, without training",
                               description="Print the report of a trace file (from --save or --json); --html "
                                           "writes its offline handout.")
    show.add_argument("file", metavar="FILE")
    _html_output(show)
    tr = commands.add_parser("trace", help="trace a model of your own on a generated input",
                             description="Trace any nn.Module: FACTORY is a function in your Python file that "
                                         "returns the model.")
    tr.add_argument("target", metavar="PATH.py:FACTORY")
    tr.add_argument("--input-shape", required=True, metavar="D1,D2,...",
                    help="shape of the input tensor, batch first, e.g. 2,16")
    tr.add_argument("--dtype", default="float", choices=("float", "double", "half", "long", "int", "bool"),
                    help="dtype of the input; integers are drawn below --high (default: float)")
    tr.add_argument("--high", type=int, metavar="N",
                    help="integer inputs are drawn from 0..N-1 (default: the smallest Embedding's size, else 10)")
    tr.add_argument("--seed", type=int, default=0, help="seed of the generated input (default 0)")
    tr.add_argument("--ops", action="store_true", help="also record the torch functions called in forward")
    _outputs(tr)
    serve = commands.add_parser("serve", help="start the app with its safe settings (127.0.0.1 unless --public)",
                                description="Start the Streamlit app from any folder with its safe settings: "
                                            "loopback only, 5 MB uploads, no tracebacks shown, XSRF on.")
    serve.add_argument("--port", type=int, default=8501, help="port to listen on (default 8501)")
    serve.add_argument("--public", action="store_true",
                       help="listen on every network interface -- only behind a reverse proxy (see the README)")
    serve.add_argument("--no-warm-up", action="store_true",
                       help="do not load the lessons' default runs while the server starts")
    commands.add_parser("schema", help="print the JSON Schema of the trace file",
                        description="Print the JSON Schema of a pipeline-trace/2 document.")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv).parse_args(argv)
    gc.freeze()  # what the imports made lives to the end: later collections need not walk it again and again
    args.argv = argv  # recorded in the trace file: what made it
    from rich.console import Console

    out = Console(width=None if sys.stdout.isatty() else 140, highlight=False)
    try:
        if args.command == "list":
            return _list(out)
        if args.command == "serve":
            from pipeline.cli.serve import serve  # streamlit: only to serve

            if not 1 <= args.port <= 65535:
                raise UsageError(f"--port must be between 1 and 65535, got {args.port}")
            return serve(args.port, args.public, warm=not args.no_warm_up)
        if args.command == "schema":
            import json

            from pipeline.document.fileformat import json_schema  # pydantic: only for the schema

            print(json.dumps(json_schema(), indent=1))
            return 0
        from pipeline.cli import commands  # torch: only for the commands that run or read a model

        handler = {"run": commands.run_lesson, "show": commands.show, "trace": commands.trace_model}[args.command]
        return handler(args, out)
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
    except (UsageError, ValueError) as e:  # InputError, TraceFileError, TraceError: the user's input, one line
        sys.stderr.write(say(f"{PROG}: error: {e}"))
        return 2
    except OSError as e:
        sys.stderr.write(say(f"{PROG}: error: {e.strerror or e}" + (f": {e.filename!r}" if e.filename else "")))
        return 2
    except Exception as e:  # a case no check foresaw: still one line, never a traceback
        sys.stderr.write(say(f"{PROG}: error: could not finish ({type(e).__name__}: {e}); please report this"))
        return 2


def _list(out: Console) -> int:
    from pipeline.lessons import all_lessons  # torch: each lesson's module imports it
    from pipeline.render.report import lit

    for slug, lesson in all_lessons().items():
        out.print(lit(f"{slug:<28} {lesson.content.summary}"), soft_wrap=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

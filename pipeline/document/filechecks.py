"""What a trace file may hold, and the checks the schema cannot express, run before anything is built from it.

A file costs what its size warrants: every count, length, depth and size is bounded where no real trace
goes (a lesson's or a real architecture's trace stays far below each bound), so opening the largest file
the upload accepts takes seconds and a few hundred MB. ``pipeline.document.fileformat`` puts the bounds in its
schema; the functions here check the zip before it is unpacked, the safetensors header before its tensors
are made, and the parsed document (nesting, call numbers, sample sizes, the prediction's pictures) before a
document is built or drawn. Each problem is a ``ValueError`` naming where it is; the caller adds the file.
"""

from __future__ import annotations

import json
import math
import struct
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pipeline.document.views import (
    AttentionView,
    DecoderStep,
    DecoderStepsView,
    DecoderStepView,
    FeatureMapsView,
    LSTMGatesView,
    MatrixView,
    PanelsView,
    ProbabilitiesView,
    ScoresView,
    SpaceView,
    TextView,
    TokensView,
    VectorView,
    View,
)

MAX_FILE_BYTES = 50_000_000  # a trace file, zip or JSON, as given (an upload is capped lower, at 5 MB)
MAX_TRACE_JSON_BYTES = 12_000_000  # trace.json unpacked from a zip: a 10,000-call trace is 6-10 MB
MAX_SAMPLES_BYTES = 64_000_000  # samples.safetensors unpacked (a 674-call Swin-T with ops: 7.4 MB)
MAX_HEADER_BYTES = 4_000_000  # the safetensors header (JSON): about 100 bytes per sample
MAX_RECORDS = 10_000  # calls in a forward pass (a Swin-T with ops: 674; a 100-step decoding loop: about 1,000)
MAX_STAGES = 300  # a document groups a model's calls into this many stages at most (pipeline.document.document)
MAX_EPOCHS = 1_000  # a lesson trains 50 at most
MAX_DEPTH = 256  # module nesting (PyTorch's recursion limit stops a forward near 250 levels)
MAX_NESTING = 40  # levels of a described input or output (the tracer writes 33 at most)
MAX_ITEMS = 64  # items of one tuple, list or dict described (the tracer writes 16 at most)
MAX_DIMS = 64  # dimensions of a shape
MAX_DIM = 2**63 - 1  # a dimension's size (torch's own limit)
MAX_SAMPLE_VALUES = 1 << 20  # values of one sample (the tracer keeps 4,096 unless asked for more)
MAX_SAMPLE_TEXTS = 1 << 16  # texts of one text sample
MAX_NAME, MAX_TEXT = 2_000, 200_000  # characters of a name and of any other text
MAX_ENTRIES = 256  # entries of a small table: settings, metrics, probes, source, notes, quiz questions
MAX_EXAMPLES = 1_000
MAX_LAYERS = 100  # prediction layers (a lesson has fewer than ten)
MAX_POSITIONS = 1_000  # tokens, rows or decoder steps of one prediction layer (a lesson keeps 10 tokens)
MAX_WIDTH = 10_000  # numbers per row, or classes (a vocabulary of at most 10,000 words)
MAX_HEADS = 64
MAX_LAYER_VALUES = 1 << 15  # numbers one prediction layer draws (a lesson's largest, its gates: 15,360)
MAX_PREDICTION_VALUES = 1 << 17  # numbers all of them draw
MAX_PANELS = 8  # stacked panels of one picture (the queries, keys and values: 3)
MAX_WORDS = 2_000  # points of a words-in-space picture, and per epoch (a lesson keeps 200)
MAX_SPACE_POINTS = 1 << 16  # points every epoch places together (a lesson: 200 words x 50 epochs at most)
MAX_PROBES = 16  # inputs an epoch keeps views of (a lesson follows 4)
MAX_FRAME_VIEWS = 8  # views an epoch keeps per input (a lesson keeps 1 or 2)
MAX_FRAME_VALUES = 1 << 18  # numbers the views of every epoch hold together (a lesson keeps 131,072 at most)


def zip_entries(raw: bytes) -> int:
    """How many entries a zip's central directory declares, read from its end record before anything is
    unpacked (a zip of 100,000 empty entries would make 100,000 objects before the member check)."""
    at = raw.rfind(b"PK\x05\x06", max(0, len(raw) - 22 - 65_535))
    if at < 0 or at + 22 > len(raw):
        raise ValueError("it has no zip directory (cut short or altered?)")
    disk, disk_with_directory, here, total = struct.unpack("<4H", raw[at + 4:at + 12])
    if disk or disk_with_directory or here != total:
        raise ValueError("it is a multi-part zip")
    return total


def safetensors_header(samples: bytes) -> dict[str, dict[str, Any]]:
    """The tensors a safetensors file declares (key -> dtype, shape, data offsets), read before any is made."""
    if len(samples) < 8:
        raise ValueError("it is shorter than its header")
    (length,) = struct.unpack("<Q", samples[:8])
    if length > min(MAX_HEADER_BYTES, len(samples) - 8):
        raise ValueError(f"its header declares {length:,} bytes")
    try:
        header = json.loads(samples[8:8 + length])
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError("its header is not JSON") from None
    if not isinstance(header, dict):
        raise ValueError("its header is not a table of tensors")
    header.pop("__metadata__", None)
    return header


# keyed by whatever a header's "dtype" holds (any JSON value): what is not one of these names is no dtype of ours
_SAFETENSORS_DTYPES: dict[Any, str] = {"F16": "float16", "BF16": "bfloat16", "F32": "float32", "F64": "float64",
                                       "I8": "int8", "I16": "int16", "I32": "int32", "I64": "int64", "U8": "uint8",
                                       "BOOL": "bool"}


def check_samples_header(header: dict[str, Any], declared: Mapping[str, tuple[str, list[int]]]) -> None:
    """Every tensor the header declares is a sample a record names, with the dtype and shape it names."""
    extra = sorted(set(header) - set(declared))
    if extra:
        raise ValueError(f"it holds {len(extra):,} tensor(s) no record names, e.g. {extra[0][:60]!r}")
    for key, (dtype, shape) in declared.items():
        entry = header.get(key)
        if not isinstance(entry, dict):
            raise ValueError(f"the sample {key[:60]!r} is missing")
        if _SAFETENSORS_DTYPES.get(entry.get("dtype")) != dtype or entry.get("shape") != shape:
            raise ValueError(f"the sample {key[:60]!r} is not the {dtype} of shape {shape} trace.json says")


def check_nesting(node: Any, where: str) -> None:
    """A described input or output is at most ``MAX_NESTING`` levels deep (walked without recursion)."""
    stack = [(node, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ValueError(f"{where} is nested more than {MAX_NESTING} levels deep")
        items = getattr(item, "items", None)
        children = items.values() if isinstance(items, dict) else items if isinstance(items, list) else ()
        stack.extend((child, depth + 1) for child in children)


def check_calls(calls: Iterable[tuple[str, int]]) -> None:
    """Each name's calls are numbered 0, 1, 2, ... in the order they come (a trace records them so)."""
    seen: Counter[str] = Counter()
    for i, (name, call) in enumerate(calls):
        if call != seen[name]:
            expected = "call 0" if not seen[name] else f"call {seen[name]}"
            raise ValueError(f"records[{i}] is call {call:,} of {name[:80]!r}, but {expected} of it comes first")
        seen[name] += 1


def check_sample_size(shape: Sequence[int], where: str) -> None:
    n = math.prod(shape)
    if n > MAX_SAMPLE_VALUES:
        raise ValueError(f"{where}: its sample declares {n:,} values; a sample holds at most {MAX_SAMPLE_VALUES:,}")


def check_layers(layers: Sequence[View]) -> None:
    """Each prediction layer has the sizes its picture needs (rectangular, labels that fit) and draws a
    bounded number of values."""
    total = 0
    for i, view in enumerate(layers):
        where = f"prediction.layers[{i}] ({view.key[:60]!r})"
        try:
            total += _layer_values(view)
        except ValueError as e:
            raise ValueError(f"{where}: {e}") from None
        if total > MAX_PREDICTION_VALUES:
            raise ValueError(f"{where}: the prediction's layers hold more than {MAX_PREDICTION_VALUES:,} values")


def _layer_values(view: View) -> int:
    """The number of values ``view`` draws, after checking its sizes; ValueError says what does not fit."""
    _most("notes", view.notes, MAX_ENTRIES)
    if isinstance(view, TextView):
        _most("text", view.text, MAX_TEXT)
        return 0
    if isinstance(view, TokensView):
        for name in ("ids", "tokens", "marks"):
            _most(name, getattr(view, name), MAX_POSITIONS)
        return len(view.ids)
    if isinstance(view, MatrixView):
        _most("rows", view.rows, MAX_POSITIONS)
        _most("cols", view.cols, MAX_WIDTH)
        _most("row_marks", view.row_marks, MAX_POSITIONS)
        return _matrix("values", view.values)
    if isinstance(view, VectorView | ProbabilitiesView):
        _most("values", view.values, MAX_WIDTH)
        _most("labels", view.labels, MAX_WIDTH)
        return len(view.values)
    if isinstance(view, DecoderStepsView | DecoderStepView):
        steps = view.steps if isinstance(view, DecoderStepsView) else (view.step,)
        _most("steps", steps, MAX_POSITIONS)
        _most("source", view.source, MAX_POSITIONS)
        return sum(_step_values(s) for s in steps)
    if isinstance(view, AttentionView):
        return _attention(view)
    if isinstance(view, LSTMGatesView):
        return _gates(view)
    if isinstance(view, PanelsView):
        return _panels(view)
    if isinstance(view, ScoresView):
        return _scores(view)
    if isinstance(view, SpaceView):
        return _space(view)
    if isinstance(view, FeatureMapsView):
        return _feature_maps(view)
    raise ValueError(f"a layer of kind {type(view).__name__} cannot be drawn")


def _most(name: str, values: Sequence[Any], most: int) -> None:
    if len(values) > most:
        raise ValueError(f"its {name} has {len(values):,} items; at most {most:,} can be drawn")


def _matrix(name: str, rows: Sequence[Sequence[float]], height: int | None = None, width: int | None = None) -> int:
    """Check a matrix is rectangular (``height`` x ``width`` when given) and bounded; its number of values."""
    _most(name, rows, MAX_POSITIONS)
    if height is not None and len(rows) != height:
        raise ValueError(f"its {name} has {len(rows):,} rows, not {height:,}")
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        raise ValueError(f"its {name} is ragged: rows of {min(widths):,} to {max(widths):,} values")
    cols = widths.pop() if widths else 0
    if width is not None and rows and cols != width:
        raise ValueError(f"its {name} has rows of {cols:,} values, not {width:,}")
    if cols > MAX_WIDTH or len(rows) * cols > MAX_LAYER_VALUES:
        raise ValueError(f"its {name} is {len(rows):,} x {cols:,}; at most {MAX_LAYER_VALUES:,} values can be drawn")
    return len(rows) * cols


def _step_values(step: DecoderStep) -> int:
    _most("hidden state", step.hidden, MAX_WIDTH)
    _most("top choices", step.top, MAX_WIDTH)
    _most("attention", step.attention or (), MAX_POSITIONS)
    return len(step.hidden) + len(step.top) + len(step.attention or ())


def _attention(view: AttentionView) -> int:
    _most("heads", view.weights, MAX_HEADS)
    for name in ("rows", "cols", "row_marks", "col_marks", "heads"):
        _most(name, getattr(view, name), MAX_POSITIONS)
    total = sum(_matrix(f"head {h + 1}", head, len(view.rows), len(view.cols)) for h, head in enumerate(view.weights))
    if total > MAX_LAYER_VALUES:
        raise ValueError(f"its weights hold {total:,} values; at most {MAX_LAYER_VALUES:,} can be drawn")
    return total


def _gates(view: LSTMGatesView) -> int:
    _most("tokens", view.tokens, MAX_POSITIONS)
    _most("marks", view.marks, MAX_POSITIONS)
    _most("reading", view.reading, MAX_ENTRIES)
    width = len(view.h[0]) if view.h else 0
    total = sum(_matrix(f"gate {name}", getattr(view, name), len(view.tokens), width) for name, _ in view.GATES)
    if total > MAX_LAYER_VALUES:
        raise ValueError(f"its gates hold {total:,} values; at most {MAX_LAYER_VALUES:,} can be drawn")
    return total





def _panels(view: PanelsView) -> int:
    _most("panels", view.values, MAX_PANELS)
    for name in ("panels", "rows", "row_marks"):
        _most(name, getattr(view, name), MAX_POSITIONS)
    if not 1 <= view.groups <= MAX_HEADS:
        raise ValueError(f"its groups must be between 1 and {MAX_HEADS}, got {view.groups}")
    width = len(view.values[0][0]) if view.values and view.values[0] else 0
    total = sum(_matrix(f"panel {k + 1}", grid, len(view.rows), width) for k, grid in enumerate(view.values))
    _most("weights", view.weights, MAX_HEADS)
    n = len(view.rows)
    total += sum(_matrix(f"weights {h + 1}", grid, n, n) for h, grid in enumerate(view.weights))
    if total > MAX_LAYER_VALUES:
        raise ValueError(f"its panels hold {total:,} values; at most {MAX_LAYER_VALUES:,} can be drawn")
    return total


def _scores(view: ScoresView) -> int:
    _most("heads", view.scores, MAX_HEADS)
    for name in ("rows", "cols", "row_marks", "col_marks", "masked"):
        _most(name, getattr(view, name), MAX_POSITIONS)
    total = sum(_matrix(f"head {h + 1}", grid, len(view.rows), len(view.cols)) for h, grid in enumerate(view.scores))
    if total > MAX_LAYER_VALUES:
        raise ValueError(f"its scores hold {total:,} values; at most {MAX_LAYER_VALUES:,} can be drawn")
    return total


def _space(view: SpaceView) -> int:
    _most("words", view.words, MAX_WORDS)
    _most("marked", view.marked, MAX_POSITIONS)
    if len(view.points) != len(view.words):
        raise ValueError(f"it has {len(view.points):,} points for {len(view.words):,} words")
    outside = next((i for i in view.marked if not 0 <= i < len(view.words)), None)
    if outside is not None:  # the quiz and the word pills look the marked words up
        raise ValueError(f"its marked word {outside:,} is not one of its {len(view.words):,} words")
    if len(view.bounds) not in (0, 4):
        raise ValueError(f"its bounds hold {len(view.bounds)} numbers, not 4")
    return 2 * len(view.points)


def check_frames(epochs: Sequence[Sequence[View]], points: int = 0) -> None:
    """The views each epoch kept (the time-lapse) have the sizes their pictures need, and all of them together hold a
    bounded number of values; the epochs' words in space hold ``points`` points together, a bounded number."""
    if points > MAX_SPACE_POINTS:
        raise ValueError(f"the epochs' words in space hold more than {MAX_SPACE_POINTS:,} points ({points:,})")
    total = 0
    for e, views in enumerate(epochs):
        for view in views:
            try:
                total += _layer_values(view)
            except ValueError as error:
                raise ValueError(f"epochs[{e}]: a kept view ({view.key[:60]!r}): {error}") from None
            if total > MAX_FRAME_VALUES:
                raise ValueError(f"epochs[{e}]: the views the epochs kept hold more than {MAX_FRAME_VALUES:,} values")


def _feature_maps(view: FeatureMapsView) -> int:
    """Maps of one size, a channel named for each; kernels (when given) one per map, of one size too."""
    _most("maps", view.values, MAX_HEADS)
    if len(view.channels) != len(view.values):
        raise ValueError(f"it names {len(view.channels):,} channels for {len(view.values):,} maps")
    height = len(view.values[0]) if view.values else 0
    width = len(view.values[0][0]) if height else 0
    total = sum(_matrix(f"map {k + 1}", m, height, width) for k, m in enumerate(view.values))
    if view.kernels:
        if len(view.kernels) != len(view.values):
            raise ValueError(f"it holds {len(view.kernels):,} kernels for {len(view.values):,} maps")
        _most("kernel inputs", view.kernel_inputs, MAX_HEADS)
        first = view.kernels[0][0] if view.kernels[0] else ()
        size = (len(first), len(first[0]) if first else 0)
        for k, kernel in enumerate(view.kernels):
            _most(f"kernel {k + 1}", kernel, MAX_HEADS)
            total += sum(_matrix(f"kernel {k + 1}", slab, *size) for slab in kernel)
    if total > MAX_LAYER_VALUES:
        raise ValueError(f"its maps hold {total:,} values; at most {MAX_LAYER_VALUES:,} can be drawn")
    return total

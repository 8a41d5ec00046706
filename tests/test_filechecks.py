"""pipeline.document.filechecks on its own: each check at its bound and one past it, in its exact words, with the
bounds made small here so that nothing large is built. (tests/test_hostile_files.py opens whole hostile files in a
child process; these tests are what bench/mutation.py filechecks runs against every mutant.)"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from types import SimpleNamespace

import pytest

from pipeline.document import filechecks
from pipeline.document.views import (
    AttentionView,
    DecoderStep,
    DecoderStepsView,
    DecoderStepView,
    FeatureMapsView,
    ImageView,
    LSTMGatesView,
    Mark,
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


def refused(check, *args) -> str:
    with pytest.raises(ValueError) as caught:
        check(*args)
    return str(caught.value)


# --- the zip's directory, read before anything is unpacked ---

def a_zip(entries: int, comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for i in range(entries):
            z.writestr(f"f{i}", b"x")
        z.comment = comment
    return buffer.getvalue()


def test_zip_entries_are_read_from_the_end_record_even_past_a_long_comment():
    assert filechecks.zip_entries(a_zip(3)) == 3
    assert filechecks.zip_entries(a_zip(0)) == 0
    assert filechecks.zip_entries(a_zip(2, comment=b"c" * 65_535)) == 2


def end_record(here: int, total: int) -> bytes:
    """A zip's end record on its own: one disk, ``here`` of ``total`` entries, no directory, no comment."""
    return b"PK\x05\x06" + struct.pack("<4H", 0, 0, here, total) + b"\x00" * 10


def test_the_end_record_is_the_last_one_within_the_longest_comment():
    assert filechecks.zip_entries(end_record(40_000, 40_000)) == 40_000  # counts are unsigned 16-bit numbers
    assert filechecks.zip_entries(end_record(3, 3) + b"c" * 65_535) == 3
    assert refused(filechecks.zip_entries, end_record(3, 3) + b"c" * 65_536) == \
        "it has no zip directory (cut short or altered?)"  # no comment is that long: a record there is no end record
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:  # stored as is: the member's bytes hold a record of 7 entries
        z.writestr("fake", end_record(7, 7))
    assert filechecks.zip_entries(buffer.getvalue()) == 1


@pytest.mark.parametrize("raw", [b"", b"not a zip at all", b"PK\x05\x06" + b"\x00" * 17, a_zip(1)[:-1]])
def test_a_zip_without_its_directory_is_refused(raw):
    assert refused(filechecks.zip_entries, raw) == "it has no zip directory (cut short or altered?)"


@pytest.mark.parametrize("fields", [(1, 0, 2, 2), (0, 1, 2, 2), (0, 0, 1, 2)])
def test_a_multi_part_zip_is_refused(fields):
    raw = bytearray(a_zip(2))
    at = raw.rfind(b"PK\x05\x06")
    raw[at + 4:at + 12] = struct.pack("<4H", *fields)
    assert refused(filechecks.zip_entries, bytes(raw)) == "it is a multi-part zip"


# --- the safetensors header, read before any tensor is made ---

def header_bytes(header: object, length: int | None = None, tail: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text) if length is None else length) + text + tail


def test_a_header_is_read_without_its_metadata():
    entry = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
    raw = header_bytes({"__metadata__": {"schema": "x"}, "r0": entry}, tail=b"\x00" * 8)
    assert filechecks.safetensors_header(raw) == {"r0": entry}
    assert filechecks.safetensors_header(header_bytes({})) == {}  # the header exactly fills the file


def test_header_refusals(monkeypatch):
    assert refused(filechecks.safetensors_header, b"\x00" * 7) == "it is shorter than its header"
    assert refused(filechecks.safetensors_header, header_bytes({"a": 1}, length=3)) == "its header is not JSON"
    assert refused(filechecks.safetensors_header, header_bytes({}, length=100)) == "its header declares 100 bytes"
    assert refused(filechecks.safetensors_header, header_bytes([1, 2])) == "its header is not a table of tensors"
    assert refused(filechecks.safetensors_header, struct.pack("<Q", 2) + b"\xff\xfe") == "its header is not JSON"
    assert refused(filechecks.safetensors_header, struct.pack("<Q", 0)) == "its header is not JSON"  # long enough
    assert refused(filechecks.safetensors_header, header_bytes({}, length=3)) == "its header declares 3 bytes"
    assert refused(filechecks.safetensors_header, b"\xff" * 8 + b"{}") == \
        "its header declares 18,446,744,073,709,551,615 bytes"  # the length is unsigned
    monkeypatch.setattr(filechecks, "MAX_HEADER_BYTES", 10)
    assert refused(filechecks.safetensors_header, header_bytes({"k": "x" * 20})) == "its header declares 29 bytes"
    assert refused(filechecks.safetensors_header, header_bytes({"k": 1234})) == "its header declares 11 bytes"
    assert filechecks.safetensors_header(header_bytes({"k": 123})) == {"k": 123}  # 10 bytes: the most
    assert filechecks.safetensors_header(header_bytes({"k": 1})) == {"k": 1}  # 8 bytes: within 10


def test_the_header_holds_exactly_the_samples_trace_json_names():
    header = {"r0": {"dtype": "F32", "shape": [2, 3]}, "r1": {"dtype": "I64", "shape": []}}
    declared = {"r0": ("float32", [2, 3]), "r1": ("int64", [])}
    filechecks.check_samples_header(header, declared)
    assert refused(filechecks.check_samples_header, {**header, "zz": {}, "yy": {}}, declared) == \
        "it holds 2 tensor(s) no record names, e.g. 'yy'"
    assert refused(filechecks.check_samples_header, {"r0": header["r0"]}, declared) == "the sample 'r1' is missing"
    assert refused(filechecks.check_samples_header, {**header, "r1": "I64"}, declared) == "the sample 'r1' is missing"
    assert refused(filechecks.check_samples_header, {**header, "r1": {"dtype": "I32", "shape": []}}, declared) == \
        "the sample 'r1' is not the int64 of shape [] trace.json says"
    assert refused(filechecks.check_samples_header, {**header, "r0": {"dtype": "F32", "shape": [3, 2]}}, declared) \
        == "the sample 'r0' is not the float32 of shape [2, 3] trace.json says"
    assert refused(filechecks.check_samples_header, {"k" * 100: {}}, {}) == \
        f"it holds 1 tensor(s) no record names, e.g. {'k' * 60!r}"
    assert refused(filechecks.check_samples_header, {}, {"k" * 100: ("float32", [1])}) == \
        f"the sample {'k' * 60!r} is missing"
    assert refused(filechecks.check_samples_header, {"k" * 100: {"dtype": "F16", "shape": [1]}},
                   {"k" * 100: ("float32", [1])}) == \
        f"the sample {'k' * 60!r} is not the float32 of shape [1] trace.json says"


@pytest.mark.parametrize(("code", "dtype"), [("F16", "float16"), ("BF16", "bfloat16"), ("F64", "float64"),
                                             ("I8", "int8"), ("I16", "int16"), ("I32", "int32"), ("U8", "uint8"),
                                             ("BOOL", "bool")])
def test_every_dtype_a_sample_may_have(code, dtype):
    filechecks.check_samples_header({"r": {"dtype": code, "shape": [1]}}, {"r": (dtype, [1])})


# --- the parsed document ---

def nested(levels: int) -> SimpleNamespace:
    """A description ``levels`` containers deep, alternating lists and dicts of items."""
    node = SimpleNamespace(items=None)
    for level in range(levels):
        node = SimpleNamespace(items=[node] if level % 2 else {"k": node})
    return node


def test_nesting_up_to_the_bound_and_one_past_it():
    filechecks.check_nesting(nested(filechecks.MAX_NESTING), "records[3]: its inputs")
    assert refused(filechecks.check_nesting, nested(filechecks.MAX_NESTING + 1), "records[3]: its inputs") == \
        f"records[3]: its inputs is nested more than {filechecks.MAX_NESTING} levels deep"
    filechecks.check_nesting(None, "x")


def test_calls_are_numbered_from_0_per_name():
    filechecks.check_calls([("", 0), ("a", 0), ("b", 0), ("a", 1), ("a", 2)])
    assert refused(filechecks.check_calls, [("", 0), ("a", 1)]) == \
        "records[1] is call 1 of 'a', but call 0 of it comes first"
    assert refused(filechecks.check_calls, [("a", 0), ("a", 0)]) == \
        "records[1] is call 0 of 'a', but call 1 of it comes first"
    assert refused(filechecks.check_calls, [("n" * 100, 1_000)]) == \
        f"records[0] is call 1,000 of {'n' * 80!r}, but call 0 of it comes first"


def test_a_sample_of_the_most_values_and_one_more():
    filechecks.check_sample_size([filechecks.MAX_SAMPLE_VALUES], "records[0]")
    filechecks.check_sample_size([], "records[0]")
    assert refused(filechecks.check_sample_size, [2, filechecks.MAX_SAMPLE_VALUES // 2 + 1], "records[2]") == \
        (f"records[2]: its sample declares {filechecks.MAX_SAMPLE_VALUES + 2:,} values; a sample holds at most "
         f"{filechecks.MAX_SAMPLE_VALUES:,}")


# --- the prediction's pictures, with small bounds ---

@pytest.fixture
def small(monkeypatch):
    """Bounds of 3 positions, 4 columns, 12 values a layer and 20 in all, 2 heads, 2 notes; 2 panels, 4 words in
    space and 10 points over the epochs, 24 values in the views the epochs keep."""
    for name, value in (("MAX_POSITIONS", 3), ("MAX_WIDTH", 4), ("MAX_LAYER_VALUES", 12),
                        ("MAX_PREDICTION_VALUES", 20), ("MAX_HEADS", 2), ("MAX_ENTRIES", 2), ("MAX_TEXT", 5),
                        ("MAX_PANELS", 2), ("MAX_WORDS", 4), ("MAX_SPACE_POINTS", 10), ("MAX_FRAME_VALUES", 24)):
        monkeypatch.setattr(filechecks, name, value)


def base(key: str = "k") -> dict:
    return {"key": key, "title": "t", "description": "d"}


def step(hidden: int = 1, top: int = 1, attention: int | None = None) -> DecoderStep:
    return DecoderStep(step=1, input="a", hidden=(0.0,) * hidden, top=(("a", 1.0),) * top, chosen="a",
                       attention=None if attention is None else (0.0,) * attention)


def grid(rows: int, cols: int) -> tuple[tuple[float, ...], ...]:
    return tuple((0.5,) * cols for _ in range(rows))


def gates(tokens: int, width: int, **replace) -> LSTMGatesView:
    fields = {"tokens": ("w",) * tokens, "marks": (Mark.WORD,) * tokens, **{n: grid(tokens, width) for n in "ifgoch"}}
    return LSTMGatesView(**base(), **{**fields, **replace})


WITHIN = [
    TextView(**base(), text="abcde"),
    TokensView(**base(), ids=(1, 2, 3), tokens=("a", "b", "c"), marks=(Mark.WORD,) * 3),
    MatrixView(**base(), values=grid(3, 4), rows=("a",) * 3, cols=("c",) * 4, row_marks=(Mark.WORD,) * 3),
    VectorView(**base(), values=(1.0,) * 4, labels=("l",) * 4),
    ProbabilitiesView(**base(), values=(0.5,) * 4, labels=("l",) * 4),
    DecoderStepView(**base(), step=step(4, 4, 3), source=("s",) * 3),
    DecoderStepsView(**base(), steps=(step(), step(), step()), source=("s",) * 3),
    AttentionView(**base(), weights=(grid(2, 3), grid(2, 3)), rows=("r",) * 2, cols=("c",) * 3, heads=("h", "h")),
    gates(2, 1),
    gates(0, 0),
]
COUNTS = [0, 3, 12, 4, 4, 11, 6, 12, 12, 0]


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(("view", "count"), list(zip(WITHIN, COUNTS, strict=True)))
def test_each_picture_at_its_bounds_counts_what_it_draws(view, count):
    assert filechecks._layer_values(view) == count
    filechecks.check_layers([view])


PAST = [
    (TextView(**base(), text="abcdef"), "its text has 6 items; at most 5 can be drawn"),
    (TextView(**base(), text="a", notes=("n",) * 3), "its notes has 3 items; at most 2 can be drawn"),
    (TokensView(**base(), ids=(1,) * 4, tokens=("a",) * 3, marks=(Mark.WORD,) * 3),
     "its ids has 4 items; at most 3 can be drawn"),
    (TokensView(**base(), ids=(1,), tokens=("a",) * 4, marks=(Mark.WORD,)),
     "its tokens has 4 items; at most 3 can be drawn"),
    (TokensView(**base(), ids=(1,), tokens=("a",), marks=(Mark.WORD,) * 4),
     "its marks has 4 items; at most 3 can be drawn"),
    (MatrixView(**base(), values=grid(1, 1), rows=("a",) * 4), "its rows has 4 items; at most 3 can be drawn"),
    (MatrixView(**base(), values=grid(1, 1), rows=(), cols=("c",) * 5), "its cols has 5 items; at most 4 can be drawn"),
    (MatrixView(**base(), values=grid(1, 1), rows=(), row_marks=(Mark.PAD,) * 4),
     "its row_marks has 4 items; at most 3 can be drawn"),
    (MatrixView(**base(), values=grid(4, 1), rows=()), "its values has 4 items; at most 3 can be drawn"),
    (MatrixView(**base(), values=((1.0,), (1.0, 2.0), (1.0, 2.0, 3.0)), rows=()),
     "its values is ragged: rows of 1 to 3 values"),
    (MatrixView(**base(), values=grid(1, 5), rows=()), "its values is 1 x 5; at most 12 values can be drawn"),
    (VectorView(**base(), values=(1.0,) * 5), "its values has 5 items; at most 4 can be drawn"),
    (VectorView(**base(), values=(1.0,), labels=("l",) * 5), "its labels has 5 items; at most 4 can be drawn"),
    (ProbabilitiesView(**base(), values=(1.0,) * 5, labels=()), "its values has 5 items; at most 4 can be drawn"),
    (DecoderStepsView(**base(), steps=(step(),) * 4), "its steps has 4 items; at most 3 can be drawn"),
    (DecoderStepsView(**base(), steps=(step(),), source=("s",) * 4), "its source has 4 items; at most 3 can be drawn"),
    (DecoderStepView(**base(), step=step(hidden=5)), "its hidden state has 5 items; at most 4 can be drawn"),
    (DecoderStepView(**base(), step=step(top=5)), "its top choices has 5 items; at most 4 can be drawn"),
    (DecoderStepView(**base(), step=step(attention=4)), "its attention has 4 items; at most 3 can be drawn"),
    (AttentionView(**base(), weights=(grid(1, 1),) * 3, rows=("r",), cols=("c",)),
     "its heads has 3 items; at most 2 can be drawn"),
    (AttentionView(**base(), weights=(), rows=("r",) * 4, cols=()), "its rows has 4 items; at most 3 can be drawn"),
    (AttentionView(**base(), weights=(), rows=(), cols=("c",) * 4), "its cols has 4 items; at most 3 can be drawn"),
    (AttentionView(**base(), weights=(), rows=(), cols=(), row_marks=(Mark.PAD,) * 4),
     "its row_marks has 4 items; at most 3 can be drawn"),
    (AttentionView(**base(), weights=(), rows=(), cols=(), col_marks=(Mark.PAD,) * 4),
     "its col_marks has 4 items; at most 3 can be drawn"),
    (AttentionView(**base(), weights=(), rows=(), cols=(), heads=("h",) * 4),
     "its heads has 4 items; at most 3 can be drawn"),
    (AttentionView(**base(), weights=(grid(2, 3),), rows=("r",) * 3, cols=("c",) * 3),
     "its head 1 has 2 rows, not 3"),
    (AttentionView(**base(), weights=(grid(2, 2),), rows=("r",) * 2, cols=("c",) * 3),
     "its head 1 has rows of 2 values, not 3"),
    (AttentionView(**base(), weights=(grid(3, 3), grid(3, 3)), rows=("r",) * 3, cols=("c",) * 3),
     "its weights hold 18 values; at most 12 can be drawn"),
    (gates(4, 1), "its tokens has 4 items; at most 3 can be drawn"),
    (gates(1, 1, marks=(Mark.WORD,) * 4), "its marks has 4 items; at most 3 can be drawn"),
    (gates(1, 1, reading=("r",) * 3), "its reading has 3 items; at most 2 can be drawn"),
    (gates(2, 1, f=grid(1, 1)), "its gate f has 1 rows, not 2"),
    (gates(2, 2, o=grid(2, 1)), "its gate o has rows of 1 values, not 2"),
    (gates(1, 2, h=grid(1, 1)), "its gate i has rows of 2 values, not 1"),  # every gate as wide as h
    (gates(1, 0, h=()), "its gate h has 0 rows, not 1"),
    (gates(3, 1), "its gates hold 18 values; at most 12 can be drawn"),
    (View(**base()), "a layer of kind View cannot be drawn"),
]


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(("view", "message"), PAST)
def test_each_picture_one_past_a_bound_is_refused_naming_it(view, message):
    assert refused(filechecks.check_layers, [TextView(**base("first"), text=""), view]) == \
        f"prediction.layers[1] ('k'): {message}"


@pytest.mark.usefixtures("small")
def test_the_layers_together_hold_at_most_the_predictions_values():
    full = MatrixView(**base(), values=grid(3, 4), rows=())  # 12 values
    filechecks.check_layers([full, VectorView(**base(), values=(1.0,) * 4), VectorView(**base(), values=(1.0,) * 4)])
    assert refused(filechecks.check_layers, [full, full]) == \
        "prediction.layers[1] ('k'): the prediction's layers hold more than 20 values"
    assert refused(filechecks.check_layers, [TextView(**base("x" * 100), text="abcdefgh")]) == \
        f"prediction.layers[0] ({'x' * 60!r}): its text has 8 items; at most 5 can be drawn"


def test_an_empty_matrix_is_no_values(monkeypatch):
    assert filechecks._matrix("values", ()) == 0
    assert filechecks._matrix("values", (), height=0, width=5) == 0
    monkeypatch.setattr(filechecks, "MAX_WIDTH", 0)
    assert filechecks._matrix("values", ()) == 0  # no rows, so no columns either


# --- the pictures of the opened attention block, words in space and convolutions, with the same small bounds ---

def drawn(view: View) -> int:
    """What ``view`` draws, once a prediction holding it alone is accepted."""
    filechecks.check_layers([view])
    return filechecks._layer_values(view)


def why(view: View) -> str:
    """The refusal of a prediction holding ``view`` after a layer that draws nothing, less the layer's name."""
    message = refused(filechecks.check_layers, [TextView(**base("first"), text=""), view])
    prefix = "prediction.layers[1] ('k'): "
    assert message.startswith(prefix)
    return message[len(prefix):]


# PanelsView: at most 2 panels of values, 3 titles, rows and row marks, 1 to 2 column groups, and (rows x rows)
# weights for at most 2 heads; every panel of the first panel's size; panels and weights 12 values together

def panels(rows: int = 2, width: int = 2, count: int = 2, **replace) -> PanelsView:
    fields = {"panels": ("p",) * count, "values": (grid(rows, width),) * count, "rows": ("w",) * rows}
    return PanelsView(**base(), **{**fields, **replace})


PANELS_WITHIN = [
    (panels(panels=("p",) * 3, row_marks=(Mark.WORD,) * 3, groups=2, weights=(grid(2, 2),)), 12),
    (panels(rows=3, width=4, count=1), 12),
    (panels(rows=1, width=1, count=1, weights=(grid(1, 1),) * 2), 3),
    (panels(rows=2, width=3, count=1, groups=1), 6),
    (PanelsView(**base(), panels=("p",), values=((),), rows=()), 0),
    (PanelsView(**base(), panels=(), values=(), rows=()), 0),
]

PANELS_PAST = [
    (panels(rows=1, width=1, count=3), "its panels has 3 items; at most 2 can be drawn"),
    (panels(rows=1, width=1, count=1, panels=("p",) * 4), "its panels has 4 items; at most 3 can be drawn"),
    (panels(rows=4, width=1, count=1), "its rows has 4 items; at most 3 can be drawn"),
    (panels(rows=1, width=1, count=1, row_marks=(Mark.PAD,) * 4), "its row_marks has 4 items; at most 3 can be drawn"),
    (panels(groups=0), "its groups must be between 1 and 2, got 0"),
    (panels(groups=3), "its groups must be between 1 and 2, got 3"),
    (panels(groups=-1), "its groups must be between 1 and 2, got -1"),
    (panels(values=(grid(2, 2), grid(1, 2))), "its panel 2 has 1 rows, not 2"),
    (panels(rows=1, values=(grid(1, 2), grid(1, 3))), "its panel 2 has rows of 3 values, not 2"),
    (panels(rows=1, values=(grid(1, 3), grid(1, 2))), "its panel 2 has rows of 2 values, not 3"),
    (panels(rows=1, width=5, count=1), "its panel 1 is 1 x 5; at most 12 values can be drawn"),
    (panels(rows=1, width=1, count=1, weights=(grid(1, 1),) * 3), "its weights has 3 items; at most 2 can be drawn"),
    (panels(weights=(grid(2, 2), grid(1, 2))), "its weights 2 has 1 rows, not 2"),
    (panels(weights=(grid(2, 2), grid(2, 1))), "its weights 2 has rows of 1 values, not 2"),
    (panels(rows=3, width=2, count=2, weights=(grid(3, 3),)), "its panels hold 21 values; at most 12 can be drawn"),
    (panels(weights=(grid(2, 2),) * 2), "its panels hold 16 values; at most 12 can be drawn"),
    (panels(rows=3, width=3, count=2), "its panels hold 18 values; at most 12 can be drawn"),
]


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(("view", "count"), PANELS_WITHIN)
def test_panels_at_their_bounds_count_what_they_draw(view, count):
    assert drawn(view) == count


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(("view", "message"), PANELS_PAST)
def test_panels_one_past_a_bound_are_refused_naming_it(view, message):
    assert why(view) == message


# ScoresView: at most 2 heads of (rows x cols) scores, 3 rows, columns, row and column marks and masked columns;
# 12 values in all

def scores(heads: int = 1, rows: int = 2, cols: int = 3, **replace) -> ScoresView:
    fields = {"scores": (grid(rows, cols),) * heads, "masked": (False,) * cols, "rows": ("r",) * rows,
              "cols": ("c",) * cols}
    return ScoresView(**base(), **{**fields, **replace})


SCORES_WITHIN = [
    (scores(2, 2, 3, row_marks=(Mark.WORD,) * 3, col_marks=(Mark.PAD,) * 3), 12),
    (scores(1, 3, 3, masked=(True, False, True)), 9),
    (scores(1, 1, 2), 2),
    (scores(0, 0, 0), 0),
]

SCORES_PAST = [
    (scores(3, 1, 1), "its heads has 3 items; at most 2 can be drawn"),
    (scores(0, 4, 0), "its rows has 4 items; at most 3 can be drawn"),
    (scores(0, 0, 4), "its cols has 4 items; at most 3 can be drawn"),
    (scores(0, 0, 0, row_marks=(Mark.PAD,) * 4), "its row_marks has 4 items; at most 3 can be drawn"),
    (scores(0, 0, 0, col_marks=(Mark.PAD,) * 4), "its col_marks has 4 items; at most 3 can be drawn"),
    (scores(0, 0, 0, masked=(True,) * 4), "its masked has 4 items; at most 3 can be drawn"),
    (scores(2, 2, 2, scores=(grid(2, 2), grid(1, 2))), "its head 2 has 1 rows, not 2"),
    (scores(2, 2, 2, scores=(grid(2, 2), grid(2, 1))), "its head 2 has rows of 1 values, not 2"),
    (scores(2, 3, 3), "its scores hold 18 values; at most 12 can be drawn"),
]


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(("view", "count"), SCORES_WITHIN)
def test_scores_at_their_bounds_count_what_they_draw(view, count):
    assert drawn(view) == count


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(("view", "message"), SCORES_PAST)
def test_scores_one_past_a_bound_are_refused_naming_it(view, message):
    assert why(view) == message


# SpaceView: at most 4 words, a point for each (two numbers, so twice as many values), 3 marked words, and bounds of
# 4 numbers or none

def space(words: int = 4, **replace) -> SpaceView:
    fields = {"words": ("w",) * words, "points": ((0.0, 1.0),) * words}
    return SpaceView(**base(), **{**fields, **replace})


SPACE_WITHIN = [
    (space(4, marked=(0, 1, 3), bounds=(0.0, 1.0, 0.0, 1.0)), 8),
    (space(1), 2),
    (space(0), 0),
]

SPACE_PAST = [
    (space(5), "its words has 5 items; at most 4 can be drawn"),
    (space(1, marked=(0,) * 4), "its marked has 4 items; at most 3 can be drawn"),
    (space(4, points=((0.0, 0.0),) * 3), "it has 3 points for 4 words"),
    (space(1, points=((0.0, 0.0),) * 2), "it has 2 points for 1 words"),
    (space(4, marked=(0, 4)), "its marked word 4 is not one of its 4 words"),
    (space(4, marked=(-1,)), "its marked word -1 is not one of its 4 words"),
    (space(0, marked=(0,)), "its marked word 0 is not one of its 0 words"),
    (space(1, bounds=(0.0,)), "its bounds hold 1 numbers, not 4"),
    (space(1, bounds=(0.0,) * 3), "its bounds hold 3 numbers, not 4"),
    (space(1, bounds=(0.0,) * 5), "its bounds hold 5 numbers, not 4"),
]


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(("view", "count"), SPACE_WITHIN)
def test_words_in_space_at_their_bounds_count_what_they_draw(view, count):
    assert drawn(view) == count


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(("view", "message"), SPACE_PAST)
def test_words_in_space_one_past_a_bound_are_refused_naming_it(view, message):
    assert why(view) == message


# FeatureMapsView and ImageView (a feature map of ink): at most 2 maps, all of the first one's size, a channel named
# for each; kernels, when given, one per map, each of at most 2 slabs of the first slab's size, at most 2 kernel
# inputs; maps and kernels 12 values together

def maps(count: int = 2, rows: int = 2, cols: int = 2, **replace) -> FeatureMapsView:
    fields = {"values": (grid(rows, cols),) * count, "channels": tuple(range(count))}
    return FeatureMapsView(**base(), **{**fields, **replace})


MAPS_WITHIN = [
    (maps(2, 2, 2, kernels=((grid(1, 2),),) * 2, kernel_inputs=(5,)), 12),
    (maps(1, 3, 4), 12),
    (maps(2, 1, 1, kernels=((grid(1, 1),) * 2,) * 2, kernel_inputs=(0, 1)), 6),
    (maps(1, 1, 1, kernels=((grid(2, 1), grid(2, 1)),)), 5),
    (maps(0), 0),
    (maps(1, 0, 0), 0),
    (maps(1, 1, 1, kernels=((),)), 1),
    (maps(1, 1, 1, kernels=(((),),)), 1),
    (ImageView(**base(), values=(grid(3, 4),), channels=(0,), full=255.0), 12),
]

MAPS_PAST = [
    (maps(3, 1, 1), "its maps has 3 items; at most 2 can be drawn"),
    (maps(1, channels=(0, 1)), "it names 2 channels for 1 maps"),
    (maps(2, channels=(0,)), "it names 1 channels for 2 maps"),
    (maps(1, 4, 1), "its map 1 has 4 items; at most 3 can be drawn"),
    (maps(2, values=(grid(2, 2), grid(1, 2))), "its map 2 has 1 rows, not 2"),
    (maps(2, values=(grid(1, 2), grid(1, 3))), "its map 2 has rows of 3 values, not 2"),
    (maps(2, values=(grid(2, 1), ((0.5,), (0.5, 0.5)))), "its map 2 is ragged: rows of 1 to 2 values"),
    (maps(2, 3, 3), "its maps hold 18 values; at most 12 can be drawn"),
    (maps(2, 2, 2, kernels=((grid(1, 3),),) * 2), "its maps hold 14 values; at most 12 can be drawn"),
    (maps(2, kernels=((grid(1, 1),),)), "it holds 1 kernels for 2 maps"),
    (maps(1, kernels=((grid(1, 1),),) * 2), "it holds 2 kernels for 1 maps"),
    (maps(1, kernels=((grid(1, 1),),), kernel_inputs=(0, 1, 2)),
     "its kernel inputs has 3 items; at most 2 can be drawn"),
    (maps(2, 1, 1, kernels=((grid(1, 1),), (grid(1, 1),) * 3)), "its kernel 2 has 3 items; at most 2 can be drawn"),
    (maps(2, 1, 1, kernels=((grid(1, 2),), (grid(2, 2),))), "its kernel 2 has 2 rows, not 1"),
    (maps(2, 1, 1, kernels=((grid(1, 2),), (grid(1, 3),))), "its kernel 2 has rows of 3 values, not 2"),
    (maps(2, 1, 1, kernels=((grid(1, 3),), (grid(1, 2),))), "its kernel 2 has rows of 2 values, not 3"),
    (maps(1, 1, 1, kernels=((grid(1, 2), grid(2, 2)),)), "its kernel 1 has 2 rows, not 1"),
    (maps(2, 1, 1, kernels=((), (grid(1, 1),))), "its kernel 2 has 1 rows, not 0"),
    (ImageView(**base(), values=(grid(1, 1),), channels=()), "it names 0 channels for 1 maps"),
    (ImageView(**base(), values=(grid(3, 5),), channels=(0,)), "its map 1 is 3 x 5; at most 12 values can be drawn"),
]


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(("view", "count"), MAPS_WITHIN)
def test_feature_maps_at_their_bounds_count_what_they_draw(view, count):
    assert drawn(view) == count


@pytest.mark.usefixtures("small")
@pytest.mark.parametrize(("view", "message"), MAPS_PAST)
def test_feature_maps_one_past_a_bound_are_refused_naming_it(view, message):
    assert why(view) == message


# the epochs: the views each one keeps (24 values in all, the first one past them named by its epoch) and the
# points of their words in space (10 in all)

def test_the_views_the_epochs_keep_hold_at_most_their_values(small):
    full = MatrixView(**base(), values=grid(3, 4), rows=())  # 12 values
    filechecks.check_frames([[full], [full]])
    filechecks.check_frames([[], [full, full]], 10)
    filechecks.check_frames([])
    assert refused(filechecks.check_frames, [[], [full], [full, VectorView(**base(), values=(1.0,))]]) == \
        "epochs[2]: the views the epochs kept hold more than 24 values"
    assert refused(filechecks.check_frames, [[full, full, full], [full]]) == \
        "epochs[0]: the views the epochs kept hold more than 24 values"


def test_a_kept_view_past_its_own_bound_is_refused_naming_its_epoch(small):
    assert refused(filechecks.check_frames, [[], [TextView(**base("x" * 100), text="abcdef")]]) == \
        f"epochs[1]: a kept view ({'x' * 60!r}): its text has 6 items; at most 5 can be drawn"
    assert refused(filechecks.check_frames, [[space(5)]]) == \
        "epochs[0]: a kept view ('k'): its words has 5 items; at most 4 can be drawn"


def test_the_epochs_words_in_space_hold_at_most_their_points(small, monkeypatch):
    filechecks.check_frames([[space(4)]] * 3, 10)
    assert refused(filechecks.check_frames, [], 11) == "the epochs' words in space hold more than 10 points (11)"
    monkeypatch.setattr(filechecks, "MAX_SPACE_POINTS", 0)
    filechecks.check_frames([[space(1)]])  # no points unless given
    assert refused(filechecks.check_frames, [], 1_000) == "the epochs' words in space hold more than 0 points (1,000)"

"""The trace file: both forms round-trip exactly; damaged, altered, hostile, old or oversized files get one line."""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile

import pytest
import torch
from torch import nn

from pipeline.content.lesson import Question
from pipeline.document import fileformat
from pipeline.document.document import LessonInfo, Stage, TraceDocument, trace_document
from pipeline.document.fileformat import TRACE_MEMBER, TraceFileError, json_text, loads, open_path, save, zip_bytes
from pipeline.document.views import Prediction, ProbabilitiesView
from pipeline.trace import trace
from pipeline.training.results import EpochResult


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(9, 4)
        self.lstm = nn.LSTM(4, 5, batch_first=True)
        self.out = nn.Linear(5, 3)

    def forward(self, ids, scale: float = 1.0):
        states, (h, _) = self.lstm(self.emb(ids))
        return {"probs": torch.softmax(self.out(h[0]) * scale, -1), "states": states}


@pytest.fixture(scope="module")
def doc() -> TraceDocument:
    torch.manual_seed(0)
    model = Net()
    with torch.no_grad(), trace(model, ops=True) as t:
        model(torch.randint(0, 9, (2, 6)), scale=2.0)
    d = trace_document(t, "a test")
    d.prediction = Prediction(text="<b>hi</b>", output="x", confidence=math.nan, layers=(
        ProbabilitiesView(key="p", title="P", description="d", values=(0.5, math.nan, math.inf),
                          labels=("a", "b", "c")),))
    return d


def same(a: TraceDocument, b: TraceDocument) -> None:
    assert len(a.trace) == len(b.trace)
    for x, y in zip(a.trace, b.trace, strict=True):
        assert (x.name, x.kind, x.type, x.call, x.module, x.depth, x.operation, x.inputs, x.outputs, x.num_params,
                x.passes, x.stats) == (y.name, y.kind, y.type, y.call, y.module, y.depth, y.operation, y.inputs,
                                       y.outputs, y.num_params, y.passes, y.stats)
        assert torch.equal(x.sample, y.sample) and x.sample.dtype == y.sample.dtype
    assert [(s.key, s.title, s.record.name) for s in a.stages] == [(s.key, s.title, s.record.name) for s in b.stages]
    assert b.source == a.source and b.title == a.title


def test_the_zip_round_trips_every_record_exactly(doc, tmp_path):
    path = tmp_path / "t.zip"
    save(doc, path)
    back = open_path(path)
    same(doc, back)
    p = back.prediction.layers[0]
    assert p.values[0] == 0.5 and math.isnan(p.values[1]) and math.isnan(p.values[2])  # NaN and inf stored as null
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["samples.safetensors", "trace.json"]
        head = json.loads(z.read(TRACE_MEMBER))
        assert head["samples"]["sha256"] == hashlib.sha256(z.read("samples.safetensors")).hexdigest()


def test_the_json_export_round_trips_too_and_is_strict_json(doc):
    text = json_text(doc)
    json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} is not valid JSON"))
    same(doc, loads(text.encode(), "t.json"))


def test_the_schema_ships_as_json_schema(doc):
    schema = fileformat.json_schema()
    assert schema["properties"]["schema"]["const"] == "pipeline-trace/2" and "RecordModel" in schema["$defs"]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _members(doc) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zip_bytes(doc))) as z:
        return {n: z.read(n) for n in z.namelist()}


@pytest.mark.parametrize(("make", "message"), [
    (lambda d: zip_bytes(d)[: len(zip_bytes(d)) // 2], "damaged zip"),
    (lambda d: _zip({**_members(d), "samples.safetensors": _members(d)["samples.safetensors"][:-3] + b"\x00\x00\x00"}),
     "does not match its sha256"),
    (lambda d: _zip({"trace.json": _members(d)["trace.json"]}), "should hold exactly trace.json and samples"),
    (lambda d: _zip({**_members(d), "evil.py": b"print(1)"}), "not 'evil.py'"),
    (lambda d: _zip({"a.txt": b"x"}), "not a trace file"),
    (lambda d: b"\x80\x04K\x01.", "not a trace file"),  # a pickle
    (lambda d: json_text(d).encode()[:-10], "not valid JSON (EOF while parsing"),
    (lambda d: b'{"schema": "pipeline-trace/1", "stages": []}', "pipeline-trace/1 file, from an older version: re-run"),
    (lambda d: b'{"schema": "something-else"}', "not a pipeline-trace/2 file (schema 'something-else')"),
    (lambda d: b'{"stages": []}', "not a pipeline-trace/2 file (no schema)"),
    (lambda d: json_text(d).replace('"call": 0', '"call": -1', 1).encode(), "records[0].call"),
    (lambda d: b"[" * 100_000 + b"]" * 100_000, "not a trace file"),
    (lambda d: b'{"schema": "pipeline-trace/2", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}", "recursion limit"),
    (lambda d: json_text(d).replace('"values": [', '"values": ["boom", ', 1).encode(), "must be numbers"),
    (lambda d: b"{" + b" " * (fileformat.MAX_FILE_BYTES + 1) + b"}", "the limit for a trace file is 50 MB"),
])
def test_a_bad_file_gets_one_clear_line(doc, make, message):
    with pytest.raises(TraceFileError) as info:
        loads(make(doc), "t")
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_zip_bomb_is_refused_by_its_declared_size(doc, monkeypatch):
    monkeypatch.setattr(fileformat, "MAX_TRACE_JSON_BYTES", 1000)
    big = _zip({"trace.json": b"{" + b" " * 5000 + b"}", "samples.safetensors": b"x"})
    assert len(big) < 1000
    with pytest.raises(TraceFileError, match="unpacks to"):
        loads(big, "bomb.zip")


@pytest.mark.parametrize(("target", "message"), [("/dev/zero", "'/dev/zero' is a device, not a trace file"),
                                               ("/tmp", "'/tmp' is a folder, not a trace file"),
                                               ("/no/such/file.zip", "no such trace file: '/no/such/file.zip'")])
def test_special_files_and_missing_paths_are_refused_without_reading(target, message):
    with pytest.raises(TraceFileError) as info:
        open_path(target)
    assert str(info.value) == message


def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(TraceFileError, match="is a named pipe"):
        open_path(fifo)


def test_writing_is_atomic_an_existing_file_survives_a_failed_write(doc, tmp_path, monkeypatch):
    path = tmp_path / "t.zip"
    path.write_bytes(b"the old file")

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fileformat, "zip_bytes", lambda d: b"new bytes")
    monkeypatch.setattr("os.fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        save(doc, path)
    assert path.read_bytes() == b"the old file" and [p.name for p in tmp_path.iterdir()] == ["t.zip"]


def test_infinities_in_statistics_and_samples_come_back_as_they_were():
    """A masked attention score is -inf: written as null it came back as NaN, a different record."""
    model = nn.Sequential(nn.Identity())
    with torch.no_grad(), trace(model) as t:
        model(torch.tensor([[-math.inf, 0.0, math.inf, 1.0], [1.0, 2.0, 3.0, 4.0]]))
    doc = trace_document(t, "a test")
    for back in (loads(zip_bytes(doc), "t.zip"), loads(json_text(doc).encode(), "t.json")):
        stats, sample = back.trace.root.stats, back.trace.root.sample
        assert (stats.min, stats.max, math.isnan(stats.mean)) == (-math.inf, math.inf, True)
        assert sample.tolist() == [-math.inf, 0.0, math.inf, 1.0]
    assert '"min": "-Infinity"' in json_text(doc)


def test_a_trace_past_the_files_bounds_is_refused_when_saved_with_the_reason():
    """What a file may hold is what a reader accepts: a trace beyond it is never written."""
    from pipeline.document.filechecks import MAX_RECORDS, MAX_SAMPLE_VALUES

    class Loop(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.step = nn.Identity()

        def forward(self, x):
            for _ in range(MAX_RECORDS):
                x = self.step(x)
            return x

    model = Loop()
    with torch.no_grad(), trace(model) as t:
        model(torch.zeros(1))
    with pytest.raises(TraceFileError, match=r"cannot be saved as a trace file: records: .*at most 10000"):
        zip_bytes(trace_document(t, "a test"))
    wide = nn.Identity()
    with torch.no_grad(), trace(wide, sample_limit=MAX_SAMPLE_VALUES + 1) as t:
        wide(torch.zeros(1, MAX_SAMPLE_VALUES + 1))
    with pytest.raises(TraceFileError, match=r"the sample of 'Identity' has 1,048,577 values.*smaller sample_limit"):
        zip_bytes(trace_document(t, "a test"))


def test_a_file_holds_only_the_samples_its_records_name():
    from hostile_files import as_zip, document, record, safetensors

    sample = {"form": "tensor", "key": "r0", "dtype": "float32", "shape": [2]}
    two = safetensors({"r0": ("F32", [2], bytes(8)), "extra": ("F32", [1], bytes(4))})
    with pytest.raises(TraceFileError, match=r"1 tensor.* no record names, e.g. 'extra'"):
        loads(as_zip(document(records=[record(sample=sample)]), two), "t.zip")
    wrong = safetensors({"r0": ("F64", [2], bytes(16))})
    with pytest.raises(TraceFileError, match=r"is not the float32 of shape \[2\] trace.json says"):
        loads(as_zip(document(records=[record(sample=sample)]), wrong), "t.zip")
    ok = loads(as_zip(document(records=[record(sample=sample)]), safetensors({"r0": ("F32", [2], bytes(8))})))
    assert ok.trace.root.sample.tolist() == [0.0, 0.0]


# --- everything a lesson's document holds comes back (bench/mutation.py fileformat) ---

def lesson_document(doc: TraceDocument) -> TraceDocument:
    """``doc`` with everything a lesson adds: its info, epochs with metrics and probe answers, examples, a quiz,
    a key insight, a stage without a record and a prediction with notes and an expected answer."""
    stages = [*doc.stages, Stage(key="loose", title="Loose", description="no call", operation="nothing",
                                 input_shape=[2, None], output_shape=[3], record=None)]
    epochs = [EpochResult(epoch=1, loss=1.5, accuracy=0.25, val_loss=1.25, val_accuracy=0.5,
                          metrics={"exact": 0.125, "val_exact": 0.0625}, observation="First epoch.", seconds=0.75,
                          probes={"a fine film": {"positive": 0.75, "negative": 0.25}, "two": "2"}),
              EpochResult(epoch=2, loss=2.0, accuracy=0.5, val_loss=math.nan, val_accuracy=0.75)]
    prediction = Prediction(text="hi", output="x", confidence=0.5, layers=doc.prediction.layers,
                            notes=("one note", "two"), expected="y")
    return TraceDocument(
        trace=doc.trace, stages=stages, source={"tool": "t", "made_by": "me"},
        lesson=LessonInfo(slug="a-lesson", title="A lesson", summary="What it is", settings={"epochs": 2, "lr": 0.5},
                          info={"classes": ["a", "b"], "vocab_size": 9}, intro="Read me first."),
        epochs=epochs, examples=[("in one", "out one"), ("in two", "out two")], prediction=prediction,
        quiz=[Question(question="Which?", choices=["this", "that"], answer=1, explanation="Because.")],
        key_insight="The point.")


def same_lesson(a: TraceDocument, b: TraceDocument) -> None:
    same(TraceDocument(a.trace, a.stages[:-1], a.source), TraceDocument(b.trace, b.stages[:-1], b.source))
    assert b.lesson == a.lesson and b.examples == a.examples and b.quiz == a.quiz
    assert b.key_insight == a.key_insight and b.source == a.source
    assert [(s.key, s.title, s.description, s.operation, s.input_shape, s.output_shape) for s in b.stages] == \
        [(s.key, s.title, s.description, s.operation, s.input_shape, s.output_shape) for s in a.stages]
    assert [s.record is None for s in b.stages] == [s.record is None for s in a.stages]
    assert [e.to_dict() for e in b.epochs[:1]] == [e.to_dict() for e in a.epochs[:1]]
    assert b.epochs[0].probes == {"a fine film": {"positive": 0.75, "negative": 0.25}, "two": "2"}
    second = b.epochs[1]
    assert (second.epoch, second.loss, second.accuracy, second.val_accuracy) == (2, 2.0, 0.5, 0.75)
    assert math.isnan(second.val_loss) and len(b.epochs) == 2
    p, q = a.prediction, b.prediction
    assert (q.text, q.output, q.confidence, q.notes, q.expected) == \
        (p.text, p.output, p.confidence, p.notes, p.expected)


def test_a_lessons_whole_document_round_trips_in_both_forms(doc, tmp_path):
    """Epochs keep their probe answers, metrics, observation and time (dropping the probes on reading: the issue's
    mutation), the lesson its settings and info, and a stage its missing record."""
    full = lesson_document(doc)
    save(full, tmp_path / "t.zip")
    same_lesson(full, open_path(tmp_path / "t.zip"))
    same_lesson(full, loads(json_text(full).encode(), "t.json"))

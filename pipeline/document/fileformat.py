"""The portable trace file, ``pipeline-trace/2``: save a document, open one anyone hands you, safely.

Two forms of one schema (pydantic models below; ``json_schema()`` exports it as JSON Schema):

- a zip (``--save``) holding ``trace.json`` and ``samples.safetensors``; the JSON records the
  sha256 of the tensor part, so a file that was cut short or altered is refused;
- one readable JSON file (``--json``) with every sample inline.

Opening a file runs no code: no pickle, no ``torch.load``. A file costs what its size warrants: the
zip's entries and sizes are checked before anything is unpacked, every count, length, depth and size in
the schema is bounded where no real trace goes (``pipeline.document.filechecks`` holds the bounds and the checks
the schema cannot express), and all of it is checked before a document is built; every problem is one
``TraceFileError`` line.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import zipfile
from typing import Annotated, Any, Final, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints, ValidationError

from pipeline.content.lesson import Question
from pipeline.document import filechecks
from pipeline.document.document import LessonInfo, Stage, TraceDocument
from pipeline.document.filechecks import (
    MAX_DEPTH,
    MAX_DIM,
    MAX_DIMS,
    MAX_ENTRIES,
    MAX_EPOCHS,
    MAX_EXAMPLES,
    MAX_FILE_BYTES,
    MAX_FRAME_VIEWS,
    MAX_ITEMS,
    MAX_LAYERS,
    MAX_NAME,
    MAX_PROBES,
    MAX_RECORDS,
    MAX_SAMPLE_TEXTS,
    MAX_SAMPLE_VALUES,
    MAX_SAMPLES_BYTES,
    MAX_STAGES,
    MAX_TEXT,
    MAX_TRACE_JSON_BYTES,
    MAX_WORDS,
)
from pipeline.document.views import (
    AttentionView,
    DecoderStepsView,
    DecoderStepView,
    FeatureMapsView,
    ImageView,
    LSTMGatesView,
    MatrixView,
    Num,
    PanelsView,
    Prediction,
    ProbabilitiesView,
    ScoresView,
    SpaceView,
    TextView,
    TokensView,
    VectorView,
)
from pipeline.errors import InputError
from pipeline.safeio import atomic_write, read_user_file
from pipeline.trace import Container, Record, RecordKind, Stats, Structure, TensorSpec, Trace
from pipeline.training.results import EpochResult

SCHEMA: Final = "pipeline-trace/2"
TRACE_MEMBER: Final = "trace.json"
SAMPLES_MEMBER: Final = "samples.safetensors"

Name = Annotated[str, StringConstraints(max_length=MAX_NAME)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
DType = Literal["float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
Dim = Annotated[int, Field(ge=0, le=MAX_DIM)]
Shape = Annotated[list[Dim | None], Field(max_length=MAX_DIMS)]
SampleShape = Annotated[list[Dim], Field(max_length=MAX_DIMS)]


class TraceFileError(InputError):
    """A trace file that cannot be opened, with the one-line reason."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="null")


# --- the schema ---------------------------------------------------------------------------------------

class TensorNode(_Model):
    node: Literal["tensor"] = "tensor"
    shape: Shape
    dtype: Name


class SequenceNode(_Model):
    node: Literal["tuple", "list"]
    items: Annotated[list[Node], Field(max_length=MAX_ITEMS)]


class NamedTupleNode(_Model):
    node: Literal["namedtuple"] = "namedtuple"
    name: Name
    fields: Annotated[list[Name], Field(max_length=MAX_ITEMS)]
    items: Annotated[list[Node], Field(max_length=MAX_ITEMS)]


class DictNode(_Model):
    node: Literal["dict"] = "dict"
    items: Annotated[dict[Name, Node], Field(max_length=MAX_ITEMS)]


class ValueNode(_Model):
    node: Literal["value"] = "value"
    type: Name


Node = Annotated[TensorNode | SequenceNode | NamedTupleNode | DictNode | ValueNode, Field(discriminator="node")] | None


class TensorSample(_Model):
    """A sample stored in ``samples.safetensors`` under ``key``."""

    form: Literal["tensor"] = "tensor"
    key: Name
    dtype: DType
    shape: SampleShape


class _Exact(_Model):
    """Numbers written exactly: NaN and the infinities as the strings "NaN", "Infinity", "-Infinity" (JSON has no
    such numbers; null, which older files hold, reads as NaN)."""

    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="strings")


class InlineSample(_Exact):
    """A sample written out in the JSON (nested lists in its own shape)."""

    form: Literal["inline"] = "inline"
    dtype: DType
    shape: SampleShape
    values: JsonValue


class TextSample(_Model):
    form: Literal["text"] = "text"
    text: Text | Annotated[list[Text], Field(max_length=MAX_SAMPLE_TEXTS)]


class StatsModel(_Exact):
    min: Num
    max: Num
    mean: Num
    std: Num
    count: Dim


class RecordModel(_Model):
    name: Name
    kind: RecordKind
    type: Name
    call: Annotated[int, Field(ge=0, lt=MAX_RECORDS)]
    module: Name
    depth: Annotated[int, Field(ge=0, le=MAX_DEPTH)]
    operation: Name
    inputs: Node = None
    outputs: Node = None
    num_params: Dim = 0
    stats: StatsModel | None = None
    passes: Dim = 0
    sample: Annotated[TensorSample | InlineSample | TextSample, Field(discriminator="form")] | None = None


class ModelModel(_Model):
    type: Name
    device: Name = ""
    passes: Dim = 0
    ops: bool = False


class StageModel(_Model):
    key: Name
    title: Name
    description: Text
    operation: Text
    input_shape: Shape
    output_shape: Shape
    record: tuple[Name, Dim] | None = None


class LessonModel(_Model):
    slug: Name
    title: Name
    summary: Text
    settings: Annotated[dict[Name, JsonValue], Field(max_length=MAX_ENTRIES)]
    info: Annotated[dict[Name, JsonValue], Field(max_length=MAX_ENTRIES)] = {}
    intro: Text = ""


Layer = Annotated[TextView | TokensView | MatrixView | VectorView | ProbabilitiesView | DecoderStepsView |
                  DecoderStepView | AttentionView | LSTMGatesView | PanelsView | ScoresView | SpaceView |
                  FeatureMapsView | ImageView, Field(discriminator="kind")]


class EpochModel(_Model):
    epoch: Dim
    loss: Num
    accuracy: Num
    val_loss: Num
    val_accuracy: Num
    metrics: Annotated[dict[Name, Num], Field(max_length=MAX_ENTRIES)] = {}
    observation: Text = ""
    seconds: Num = 0.0
    probes: Annotated[dict[Text, JsonValue], Field(max_length=MAX_ENTRIES)] = {}
    inside: Annotated[dict[Text, Annotated[dict[Name, Layer], Field(max_length=MAX_FRAME_VIEWS)]],
                      Field(max_length=MAX_PROBES)] = {}
    space: Annotated[list[tuple[Num, Num]], Field(max_length=MAX_WORDS)] = []


class PredictionModel(_Model):
    text: Text
    output: Text
    confidence: Num
    layers: Annotated[list[Layer], Field(max_length=MAX_LAYERS)]
    notes: Annotated[list[Text], Field(max_length=MAX_ENTRIES)] = []
    expected: Text | None = None


class SamplesRef(_Model):
    file: Literal["samples.safetensors"] = SAMPLES_MEMBER
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class DocumentModel(_Model):
    """A ``pipeline-trace/2`` document: the trace of a model, and for a lesson its run and prediction."""

    schema_: Literal["pipeline-trace/2"] = Field(SCHEMA, alias="schema")
    source: Annotated[dict[Name, Text], Field(max_length=MAX_ENTRIES)] = {}
    model: ModelModel
    records: Annotated[list[RecordModel], Field(max_length=MAX_RECORDS)]
    stages: Annotated[list[StageModel], Field(max_length=MAX_STAGES)]
    lesson: LessonModel | None = None
    epochs: Annotated[list[EpochModel], Field(max_length=MAX_EPOCHS)] = []
    examples: Annotated[list[tuple[Text, Text]], Field(max_length=MAX_EXAMPLES)] = []
    prediction: PredictionModel | None = None
    quiz: Annotated[list[Question], Field(max_length=MAX_ENTRIES)] = []
    key_insight: Text = ""
    samples: SamplesRef | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, ser_json_inf_nan="null", populate_by_name=True)


class _Head(BaseModel):
    model_config = ConfigDict(extra="ignore")
    schema_: JsonValue = Field(None, alias="schema")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a ``pipeline-trace/2`` document (``trace.json``, or a ``--json`` export)."""
    return DocumentModel.model_json_schema(by_alias=True)


# --- document -> model ----------------------------------------------------------------------------------

def _node(s: Structure) -> Node:
    if isinstance(s, TensorSpec):
        return TensorNode(shape=list(s.shape), dtype=s.dtype)
    if isinstance(s, Container):
        items = [_node(v) for v in s.items]
        if s.kind == "namedtuple":
            return NamedTupleNode(name=s.name, fields=list(s.fields), items=items)
        return SequenceNode(node=s.kind, items=items)
    if isinstance(s, dict):
        return DictNode(items={k: _node(v) for k, v in s.items()})
    return None if s is None else ValueNode(type=str(s))


def _sample_model(record: Record, key: str, tensors: dict[str, torch.Tensor] | None, stored: dict[int, str]
                  ) -> TensorSample | InlineSample | TextSample | None:
    sample = record.sample
    if isinstance(sample, torch.Tensor):
        if sample.numel() > MAX_SAMPLE_VALUES:
            raise TraceFileError(f"this trace cannot be saved as a trace file: the sample of {record.label!r} has "
                                 f"{sample.numel():,} values; a file keeps at most {MAX_SAMPLE_VALUES:,} per call "
                                 "(trace with a smaller sample_limit)")
        dtype = str(sample.dtype).removeprefix("torch.")
        if tensors is None:
            return InlineSample(dtype=dtype, shape=list(sample.shape), values=_exact_values(sample))
        if id(sample) not in stored:  # one tensor shown by two calls (a container and its last part) is stored once
            stored[id(sample)] = key
            tensors[key] = sample.contiguous()
        return TensorSample(key=stored[id(sample)], dtype=dtype, shape=list(sample.shape))
    return None if sample is None else TextSample(text=sample)


_NAMES = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _exact_values(sample: torch.Tensor) -> Any:
    """A sample as nested lists, NaN and the infinities as their strings (JSON has no such numbers)."""
    values = sample.tolist()
    if not sample.is_floating_point() or bool(torch.isfinite(sample).all()):
        return values

    def exact(v: Any) -> Any:
        if isinstance(v, list):
            return [exact(x) for x in v]
        return v if math.isfinite(v) else _NAMES.get(v, "NaN")

    return exact(values)


def to_model(doc: TraceDocument, tensors: dict[str, torch.Tensor] | None = None) -> DocumentModel:
    """The document as schema objects; samples go into ``tensors`` (by key) if given, else inline."""
    index = {id(r): i for i, r in enumerate(doc.trace)}
    stored: dict[int, str] = {}
    records = [RecordModel(name=r.name, kind=r.kind, type=r.type, call=r.call, module=r.module, depth=r.depth,
                           operation=r.operation, inputs=_node(r.inputs), outputs=_node(r.outputs),
                           num_params=r.num_params, passes=r.passes,
                           stats=StatsModel(**r.stats.to_dict()) if r.stats else None,
                           sample=_sample_model(r, f"r{i}", tensors, stored)) for i, r in enumerate(doc.trace)]
    stages = [StageModel(key=s.key, title=s.title, description=s.description, operation=s.operation,
                         input_shape=s.input_shape, output_shape=s.output_shape,
                         record=(s.record.name, s.record.call) if s.record is not None and id(s.record) in index
                         else None) for s in doc.stages]
    lesson = None if doc.lesson is None else LessonModel(**vars(doc.lesson))
    prediction = None if doc.prediction is None else PredictionModel(
        text=doc.prediction.text, output=doc.prediction.output, confidence=doc.prediction.confidence,
        layers=list(doc.prediction.layers), notes=list(doc.prediction.notes), expected=doc.prediction.expected)
    t = doc.trace
    try:
        return DocumentModel(source=doc.source, model=ModelModel(type=t.model_type, device=t.device, passes=t.passes,
                                                                 ops=t.ops_traced),
                             records=records, stages=stages, lesson=lesson,
                             epochs=[EpochModel(**e.to_dict()) for e in doc.epochs], examples=doc.examples,
                             prediction=prediction, quiz=doc.quiz, key_insight=doc.key_insight)
    except ValidationError as e:
        raise TraceFileError(f"this trace cannot be saved as a trace file: {_first_error(e)}") from None


# --- model -> document ----------------------------------------------------------------------------------

def _structure(node: Node) -> Structure:
    if node is None:
        return None
    if isinstance(node, TensorNode):
        return TensorSpec(shape=tuple(node.shape), dtype=node.dtype)
    if isinstance(node, SequenceNode):
        return Container(kind=node.node, items=tuple(_structure(n) for n in node.items))
    if isinstance(node, NamedTupleNode):
        return Container(kind="namedtuple", items=tuple(_structure(n) for n in node.items), name=node.name,
                         fields=tuple(node.fields))
    if isinstance(node, DictNode):
        return {k: _structure(v) for k, v in node.items.items()}
    return node.type


def _tensor_from_inline(sample: InlineSample, where: str) -> torch.Tensor:
    n = math.prod(sample.shape)
    if n > MAX_SAMPLE_VALUES:
        raise TraceFileError(f"{where}: the sample has {n:,} values; the limit is {MAX_SAMPLE_VALUES:,}")
    flat = _flatten(sample.values, where)
    if len(flat) != n:
        raise TraceFileError(f"{where}: the sample has {len(flat)} values but its shape {sample.shape} needs {n}")
    dtype = getattr(torch, sample.dtype)
    try:
        return torch.tensor([math.nan if v is None else v for v in flat], dtype=dtype).reshape(sample.shape)
    except (TypeError, ValueError, RuntimeError, OverflowError):
        raise TraceFileError(f"{where}: the sample's values do not fit dtype {sample.dtype}") from None


_NOT_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _flatten(values: Any, where: str) -> list[Any]:
    out, stack = [], [values]
    while stack:  # iterative: a hostile file cannot exhaust the recursion limit
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(reversed(v))
        elif v is None or (isinstance(v, int | float) and not isinstance(v, bool)) or isinstance(v, bool):
            out.append(v)
        elif isinstance(v, str) and v in _NOT_FINITE:  # a JSON object here is unhashable: refused below
            out.append(_NOT_FINITE[v])
        else:
            raise TraceFileError(f"{where}: sample values must be numbers, found {type(v).__name__}")
        if len(out) > MAX_SAMPLE_VALUES:
            raise TraceFileError(f"{where}: the sample has more than {MAX_SAMPLE_VALUES:,} values")
    return out


def _record(m: RecordModel, i: int, tensors: dict[str, torch.Tensor]) -> Record:
    where = f"records[{i}] ({m.name or m.type!r})"
    sample: Any = None
    if isinstance(m.sample, TensorSample):
        sample = tensors.get(m.sample.key)
        if sample is None:
            raise TraceFileError(f"{where}: its sample {m.sample.key!r} is missing from {SAMPLES_MEMBER}")
        if str(sample.dtype).removeprefix("torch.") != m.sample.dtype or list(sample.shape) != m.sample.shape:
            raise TraceFileError(f"{where}: its sample does not have the dtype and shape trace.json says")
    elif isinstance(m.sample, InlineSample):
        sample = _tensor_from_inline(m.sample, where)
    elif isinstance(m.sample, TextSample):
        sample = m.sample.text
    stats = None if m.stats is None else Stats(min=m.stats.min, max=m.stats.max, mean=m.stats.mean, std=m.stats.std,
                                               count=m.stats.count)
    return Record(name=m.name, kind=m.kind, type=m.type, call=m.call, module=m.module, depth=m.depth,
                  operation=m.operation, inputs=_structure(m.inputs), outputs=_structure(m.outputs),
                  num_params=m.num_params, sample=sample, stats=stats, passes=m.passes)


def from_model(m: DocumentModel, tensors: dict[str, torch.Tensor] | None = None) -> TraceDocument:
    """A document from validated schema objects (``tensors``: the zip's samples, by key)."""
    trace = Trace(model_type=m.model.type, ops=m.model.ops, device=m.model.device, passes=m.model.passes)
    for i, r in enumerate(m.records):
        record = _record(r, i, tensors or {})  # its own refusals already name it: not wrapped again below
        try:
            trace.add(record)
        except ValueError as e:
            raise TraceFileError(f"records[{i}]: {e}") from None
    stages = []
    for i, s in enumerate(m.stages):
        shown: Record | None = None
        if s.record is not None:
            shown = trace.get(*s.record)
            if shown is None:
                raise TraceFileError(f"stages[{i}] ({s.key!r}) refers to call {s.record[1]} of {s.record[0]!r}, "
                                     "which the file does not record")
        stages.append(Stage(key=s.key, title=s.title, description=s.description, operation=s.operation,
                            input_shape=s.input_shape, output_shape=s.output_shape, record=shown))
    lesson = None if m.lesson is None else LessonInfo(
        slug=m.lesson.slug, title=m.lesson.title, summary=m.lesson.summary, settings=dict(m.lesson.settings),
        info=dict(m.lesson.info), intro=m.lesson.intro)
    p = m.prediction
    prediction = None if p is None else Prediction(text=p.text, output=p.output, confidence=p.confidence,
                                                   layers=tuple(p.layers), notes=tuple(p.notes), expected=p.expected)
    epochs = [EpochResult(epoch=e.epoch, loss=e.loss, accuracy=e.accuracy, val_loss=e.val_loss,
                          val_accuracy=e.val_accuracy, metrics=dict(e.metrics), observation=e.observation,
                          seconds=e.seconds, probes=dict(e.probes),
                          inside={text: dict(views) for text, views in e.inside.items()}, space=tuple(e.space))
              for e in m.epochs]
    return TraceDocument(trace=trace, stages=stages, source=dict(m.source), lesson=lesson, epochs=epochs,
                         examples=list(m.examples), prediction=prediction, quiz=list(m.quiz),
                         key_insight=m.key_insight)


# --- bytes ----------------------------------------------------------------------------------------------

def zip_bytes(doc: TraceDocument) -> bytes:
    """The document as a ``pipeline-trace/2`` zip: trace.json + samples.safetensors (with its sha256)."""
    from safetensors.torch import save

    tensors: dict[str, torch.Tensor] = {}
    model = to_model(doc, tensors)
    samples = save(tensors, metadata={"schema": SCHEMA})
    model = model.model_copy(update={"samples": SamplesRef(sha256=hashlib.sha256(samples).hexdigest())})
    text = model.model_dump_json(by_alias=True, indent=1)
    for what, size, limit in ((TRACE_MEMBER, len(text), MAX_TRACE_JSON_BYTES),
                              (SAMPLES_MEMBER, len(samples), MAX_SAMPLES_BYTES)):
        if size > limit:
            raise TraceFileError(f"this trace cannot be saved as a trace file: its {what} would be "
                                 f"{size / 1e6:.0f} MB; the limit is {limit / 1e6:.0f} MB (trace fewer calls, or "
                                 "with a smaller sample_limit)")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(TRACE_MEMBER, text)
        z.writestr(SAMPLES_MEMBER, samples)
    return buffer.getvalue()


def json_text(doc: TraceDocument) -> str:
    """The document as one readable JSON file, samples inline (NaN and infinity written as null)."""
    return to_model(doc).model_dump_json(by_alias=True, indent=1)


def save(doc: TraceDocument, path: str | os.PathLike) -> None:
    """Write the zip form atomically (an existing file is replaced only once the new one is complete)."""
    atomic_write(path, zip_bytes(doc))


def export_json(doc: TraceDocument, path: str | os.PathLike) -> None:
    """Write the one-file JSON form atomically."""
    atomic_write(path, json_text(doc))


def open_path(path: str | os.PathLike) -> TraceDocument:
    """Open a trace file (zip or JSON) from disk; TraceFileError says what is wrong with it."""
    try:
        raw = read_user_file(path, MAX_FILE_BYTES, "trace file")
    except InputError as e:
        raise TraceFileError(str(e)) from None
    return loads(raw, os.fspath(path))


def opened_bytes(raw: bytes) -> int:
    """About how much memory the document of a file that opened holds: its JSON several times over (parsed
    into records and structures), its samples once. For a cache of opened files to count bytes, not files."""
    if raw[:4] != b"PK\x03\x04":
        return 4 * len(raw)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        sizes = {info.filename: info.file_size for info in z.infolist()}
    return 4 * sizes.get(TRACE_MEMBER, 0) + sizes.get(SAMPLES_MEMBER, 0)


def loads(raw: bytes, name: str = "the file") -> TraceDocument:
    """Open a trace file from its bytes (an upload): the zip form or the JSON form."""
    if len(raw) > MAX_FILE_BYTES:
        raise TraceFileError(f"{name} is {len(raw) / 1e6:.1f} MB; the limit for a trace file is "
                             f"{MAX_FILE_BYTES / 1e6:.0f} MB")
    if raw[:4] == b"PK\x03\x04":
        return _from_zip(raw, name)
    if raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return _from_json(raw.lstrip(b"\xef\xbb\xbf"), name, None)
    raise TraceFileError(f"{name} is not a trace file: expected a pipeline-trace zip (from --save) or JSON "
                         "(from --json)")


MAX_ZIP_ENTRIES = 16  # more entries than this are refused before the zip's directory is read


def _from_zip(raw: bytes, name: str) -> TraceDocument:
    try:
        entries = filechecks.zip_entries(raw)
    except ValueError as e:
        raise TraceFileError(f"{name} is a damaged zip: {e}") from None
    if entries > MAX_ZIP_ENTRIES:
        raise TraceFileError(f"{name} is a zip, but not a trace file: it holds {entries:,} entries, where a trace "
                             f"file holds exactly {TRACE_MEMBER} and {SAMPLES_MEMBER}")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            members = {i.filename: i for i in z.infolist()}
            if set(members) != {TRACE_MEMBER, SAMPLES_MEMBER}:
                shown = ", ".join(repr(m[:60]) for m in sorted(members)) or "nothing"
                raise TraceFileError(f"{name} is a zip, but not a trace file: it should hold exactly "
                                     f"{TRACE_MEMBER} and {SAMPLES_MEMBER}, not {shown}")
            for info in members.values():
                _check_member(info, name)
            text = z.read(TRACE_MEMBER)
            samples = z.read(SAMPLES_MEMBER)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, ValueError,
            RuntimeError) as e:
        if isinstance(e, TraceFileError):
            raise
        raise TraceFileError(f"{name} is a damaged zip (cut short or altered?): {e}") from None
    return _from_json(text, name, samples)


def _check_member(info: zipfile.ZipInfo, name: str) -> None:
    """An entry is unpacked only if it is plainly stored or deflated, not encrypted, and of a size a trace has."""
    if info.flag_bits & 0x1:
        raise TraceFileError(f"{name}: {info.filename} is encrypted; a trace file never is")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise TraceFileError(f"{name}: {info.filename} is compressed with method {info.compress_type}; a trace "
                             "file is stored or deflated")
    limit = MAX_TRACE_JSON_BYTES if info.filename == TRACE_MEMBER else MAX_SAMPLES_BYTES
    if info.file_size > limit:
        raise TraceFileError(f"{name}: {info.filename} unpacks to {info.file_size / 1e6:.0f} MB; the limit is "
                             f"{limit / 1e6:.0f} MB")


def _from_json(text: bytes, name: str, samples: bytes | None) -> TraceDocument:
    try:
        model = DocumentModel.model_validate_json(text)
    except ValidationError as e:
        _refuse_head(text, name)  # first, what kind of file it is: not JSON, another schema, an older version
        raise TraceFileError(f"{name} does not match the pipeline-trace/2 schema: {_first_error(e)}") from None
    try:
        _check(model)
    except ValueError as e:
        raise TraceFileError(f"{name}: {e}") from None
    tensors = None
    if samples is not None:
        tensors = _samples(model, samples, name)
    elif model.samples is not None:
        raise TraceFileError(f"{name} names {SAMPLES_MEMBER}, which only the zip form carries")
    return from_model(model, tensors)


def _refuse_head(text: bytes, name: str) -> None:
    """Refuse a file that is not JSON or not of this schema, saying which (parsed a second time: only for a file
    that failed validation)."""
    try:
        head = _Head.model_validate_json(text)
    except ValidationError as e:
        reason = e.errors(include_url=False)[0]["msg"].removeprefix("Invalid JSON: ")
        raise TraceFileError(f"{name} is not valid JSON ({reason})") from None
    if head.schema_ != SCHEMA:
        if isinstance(head.schema_, str) and head.schema_.startswith("pipeline-trace/1"):
            raise TraceFileError(f"{name} is a pipeline-trace/1 file, from an older version: re-run the command that "
                                 "made it to upgrade it to pipeline-trace/2")
        found = "no schema" if head.schema_ is None else f"schema {str(head.schema_)[:40]!r}"
        raise TraceFileError(f"{name} is not a pipeline-trace/2 file ({found})")


def _check(model: DocumentModel) -> None:
    """What the schema cannot say, checked before anything is built: nesting, call numbers, sample sizes and
    the prediction's pictures (ValueError names the first problem)."""
    filechecks.check_calls((r.name, r.call) for r in model.records)
    for i, r in enumerate(model.records):
        where = f"records[{i}] ({(r.name or r.type)[:80]!r})"
        filechecks.check_nesting(r.inputs, f"{where}: its inputs")
        filechecks.check_nesting(r.outputs, f"{where}: its outputs")
        if isinstance(r.sample, TensorSample | InlineSample):
            filechecks.check_sample_size(r.sample.shape, where)
    if model.prediction is not None:
        filechecks.check_layers(model.prediction.layers)
    filechecks.check_frames([[view for views in e.inside.values() for view in views.values()] for e in model.epochs],
                            sum(len(e.space) for e in model.epochs))


def _samples(model: DocumentModel, samples: bytes, name: str) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load

    if model.samples is None:
        raise TraceFileError(f"{name}: trace.json does not record the sha256 of {SAMPLES_MEMBER}")
    if hashlib.sha256(samples).hexdigest() != model.samples.sha256:
        raise TraceFileError(f"{name}: {SAMPLES_MEMBER} does not match its sha256 in trace.json (altered or damaged)")
    declared = {r.sample.key: (r.sample.dtype, r.sample.shape) for r in model.records
                if isinstance(r.sample, TensorSample)}
    try:
        filechecks.check_samples_header(filechecks.safetensors_header(samples), declared)
    except ValueError as e:
        raise TraceFileError(f"{name}: {SAMPLES_MEMBER}: {e}") from None
    try:
        return load(samples)
    except (SafetensorError, ValueError, RuntimeError) as e:
        raise TraceFileError(f"{name}: {SAMPLES_MEMBER} cannot be read: {e}") from None


def _first_error(e: ValidationError) -> str:
    first = e.errors(include_url=False)[0]
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
    return f"{where or 'top level'}: {first['msg']}{more}"

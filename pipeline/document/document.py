"""The trace document: what a run of a model produced, in one object any surface can draw or save.

A document holds the ``Trace`` (every call's record), the stages a reader follows (a lesson names
them; for any other model they are the model's top-level calls), and, for a lesson, its settings,
training history, held-out examples, one traced prediction and its quiz. The CLI's report, the
app's pages and the offline handout all draw a document; ``pipeline.document.fileformat`` saves and opens it.
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import torch

from pipeline.content.lesson import Question
from pipeline.document.filechecks import MAX_STAGES
from pipeline.document.views import Prediction
from pipeline.trace import Record, RecordKind, Trace
from pipeline.training.results import EpochResult

TOOL = "pipeline-trace 0.2"


@dataclass(frozen=True)
class Stage:
    """A step of the data flow a reader follows: a span of calls under one name, showing its last call's output."""

    key: str
    title: str
    description: str
    operation: str  # what the span does, e.g. "Embedding(200 words -> 50)"
    input_shape: list[int | None]
    output_shape: list[int | None]
    record: Record | None  # the call whose output sample and statistics the stage shows

    @property
    def sample(self) -> Any:
        """The output's first example: a CPU tensor in its own shape, text, or None."""
        return self.record.sample if self.record is not None else None


@dataclass(frozen=True)
class LessonInfo:
    """Which lesson made a document, with what settings, on which data."""

    slug: str
    title: str
    summary: str
    settings: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)  # dataset sizes, vocabulary, classes, data source, ...
    intro: str = ""  # the lesson's introduction, so a saved file can be read on its own


@dataclass
class TraceDocument:
    """Everything one run produced that a person might look at, with no model or code attached."""

    trace: Trace
    stages: list[Stage]
    source: dict[str, str] = field(default_factory=dict)  # tool, torch version, time, what produced it
    lesson: LessonInfo | None = None
    epochs: list[EpochResult] = field(default_factory=list)
    examples: list[tuple[str, str]] = field(default_factory=list)  # held-out (input, expected output)
    prediction: Prediction | None = None
    quiz: list[Question] = field(default_factory=list)
    key_insight: str = ""

    @property
    def title(self) -> str:
        return self.lesson.title if self.lesson else self.trace.model_type or "Traced model"


def provenance(made_by: str) -> dict[str, str]:
    """Where a document came from: the tool, torch, Python, the time, and what produced it."""
    return {"tool": TOOL, "torch": torch.__version__, "python": platform.python_version(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"), "made_by": made_by}


def stage_span(key: str, title: str, description: str, first: Record, last: Record, calls: Iterable[Record]
               ) -> Stage:
    """A stage from ``first`` to ``last``; ``calls`` are the outermost calls in between, named in ``operation``."""
    operation = " → ".join(r.operation for r in calls)
    return Stage(key, title, description, operation, first.input_shape, last.output_shape, last)


OPENED_STAGES = 32  # containers are opened into their parts while the stages stay this few
CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")


def top_level_stages(trace: Trace) -> list[Stage]:
    """The stages of a model no lesson describes: the calls the model makes directly, with containers
    (``nn.Sequential``, calls with calls inside) opened into their parts while they stay few enough.

    A model that makes more than ``MAX_STAGES`` calls itself (2,000 layers called in a loop) gets runs of
    consecutive calls as its stages, each showing its last call's output: a document has at most that many."""
    root = trace.get("")
    return stages_of(trace, root) if root is not None else [_stage(list(trace)[:1], "")] if len(trace) else []


def stages_of(trace: Trace, parent: Record) -> list[Stage]:
    """The calls made directly inside ``parent`` as stages -- a module's parts, drilled into: a ResNet block's
    convolutions and its residual add, a BERT layer's attention and feed-forward, an attention's heads.

    Containers among them are opened into their parts while the stages stay ``OPENED_STAGES`` or fewer; each
    stage is titled by its name below ``parent`` (``conv1`` inside ``layer1.0``); past ``MAX_STAGES`` calls, runs
    of consecutive calls become one stage each. A call with nothing inside it is its own only stage."""
    calls = trace.children(parent)
    opened = True
    while opened:
        opened = False
        for i, r in enumerate(calls):
            inner = trace.children(r) if r.kind is RecordKind.MODULE else []
            if inner and len(calls) - 1 + len(inner) <= OPENED_STAGES and r.type in CONTAINERS:
                calls = calls[:i] + inner + calls[i + 1 :]
                opened = True
                break
    calls = calls or [parent]
    size = -(-len(calls) // MAX_STAGES)  # calls per stage: 1 unless there are more than MAX_STAGES
    below = parent.name if calls[0] is not parent else ""
    return [_stage(calls[i:i + size], below) for i in range(0, len(calls), size)]


def relative_name(record: Record, parent: str) -> str:
    """``record``'s name below ``parent`` (``conv1`` for ``layer1.0.conv1`` inside ``layer1.0``), or its label."""
    if parent and record.name.startswith(parent + "."):
        return record.name[len(parent) + 1:]
    return record.label


def _title(r: Record, parent: str = "") -> str:
    return relative_name(r, parent) + (f" (call {r.call + 1})" if r.call else "")


def _stage(calls: list[Record], parent: str) -> Stage:
    """The stage of one call, or of a run of consecutive calls (showing the last one's output)."""
    first, last = calls[0], calls[-1]
    if len(calls) > 1:
        return stage_span(f"{first.name}#{first.call}", f"{_title(first, parent)} … {_title(last, parent)}",
                          f"{len(calls)} calls", first, last, calls)
    what = "module" if first.kind is RecordKind.MODULE else "function"
    return Stage(f"{first.name}#{first.call}", _title(first, parent), f"{first.type} {what}", first.operation,
                 first.input_shape, first.output_shape, first)


def trace_document(trace: Trace, made_by: str) -> TraceDocument:
    """A document of a plain traced model (no lesson): its top-level calls are the stages."""
    return TraceDocument(trace, top_level_stages(trace), provenance(made_by))


def spans_to_stages(t: Trace, spans: Mapping[str, tuple[str, str]], content: Any) -> list[Stage]:
    """The lesson's stages: each span of calls, from its first to its last, under the lesson's words for it."""
    stages = []
    for key, (first, last) in spans.items():
        text = content.stage(key)
        stages.append(stage_span(key, text.title, text.description, t[first], t[last],
                                 Trace.outermost(t.span(first, last))))
    return stages

"""What a lesson is: settings, content, and how it trains, traces and predicts.

A lesson is a ``Lesson`` subclass in a module of ``pipeline/lessons/`` plus its TOML content file.
The registry finds it there, and the CLI, the app and the handout use only this interface, so a new
lesson appears everywhere without page or command code of its own.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import torch
from torch import nn

from pipeline.content.lesson import LessonContent, load_content
from pipeline.data.dataset import MAX_CSV_BYTES
from pipeline.data.tokens import check_text
from pipeline.document.document import LessonInfo, Stage, TraceDocument, provenance, spans_to_stages
from pipeline.document.views import Prediction, View
from pipeline.lessons.probes import InsideFrames, ProbeAnswers
from pipeline.safeio import read_user_file
from pipeline.trace import Trace, traced_forward
from pipeline.training.cost import Workload
from pipeline.training.loop import Callback, Step, TrainConfig, fit
from pipeline.training.results import EpochResult

EXAMPLES_KEPT = 40  # held-out examples a document keeps (the app's picker shows them)
SettingsT = TypeVar("SettingsT", bound=TrainConfig)  # a lesson's own settings dataclass


@dataclass
class LessonRun(Generic[SettingsT]):
    """A trained model, the trace of the whole dataset passing through it, and its training history."""

    lesson: str
    settings: SettingsT
    model: nn.Module  # the whole traced pipeline, raw input to answer
    trace: Trace  # one traced pass of the whole dataset, after training
    stages: list[Stage]
    epochs: list[EpochResult]
    info: dict[str, Any] = field(default_factory=dict)  # dataset sizes, vocabulary size, classes, data source, ...
    examples: list[tuple[str, str]] = field(default_factory=list)  # held-out (input, expected output)

    @property
    def complete(self) -> bool:
        """Whether every epoch of the settings was trained (a run stopped early is never cached)."""
        return len(self.epochs) == self.settings.epochs


class InputKind(StrEnum):
    """What a lesson reads, so every page and command offers the right way to give it an input.

    Whatever the kind, an input travels as a string (a link, a held-out example, a trace file, the run cache hold
    it): the text as typed, or an image's code (``pipeline.data.pixels``)."""

    TEXT = "text"  # typed into a text box; ``--text`` on the command line
    IMAGE = "image"  # drawn on a canvas, or a PNG; ``--image`` on the command line


class TrainingStopped(Exception):
    """Training was stopped before its first epoch ended: there is no model to keep."""


@dataclass
class Prepared:
    """A lesson's model before training, with its data as tensors: what ``run`` trains and ``rebuild`` restores."""

    model: nn.Module  # the whole pipeline, raw input to answer (what is traced)
    trainable: nn.Module  # the part the optimiser trains (without the parameter-free text steps)
    train: Sequence[torch.Tensor]
    val: Sequence[torch.Tensor]
    inputs: list[Any]  # the whole dataset as raw inputs, for the traced pass after training
    chance: float  # the accuracy of guessing
    info: dict[str, Any] = field(default_factory=dict)
    examples: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # anything else the lesson's ``finish`` needs


class Lesson(ABC, Generic[SettingsT]):
    """A lesson: its settings type, content file, stage names, and how it trains, traces and predicts."""

    slug: ClassVar[str]
    settings_type: type[SettingsT]  # set on the class, as a class variable (a ClassVar cannot name SettingsT)
    content_file: ClassVar[Path]
    # The stages a learner follows, named once: stage key -> (first call, last call) in the trace.
    stages: ClassVar[dict[str, tuple[str, str]]]
    data_format: ClassVar[str | None] = None  # e.g. "CSV with columns text,label"; None: embedded data only
    data_types: ClassVar[tuple[str, ...]] = ("csv",)  # the file name endings a learner's data may have
    input_kind: ClassVar[InputKind] = InputKind.TEXT

    @cached_property
    def content(self) -> LessonContent:
        return load_content(self.content_file, list(self.stages))

    def load_data(self, raw: bytes, name: str) -> Any:
        """Parse a learner's own data file for ``run(data=...)``; raise InputError naming the problem."""
        raise NotImplementedError(f"the {self.slug} lesson trains on its embedded data only")

    def load_data_path(self, path: str | Path) -> Any:
        """A learner's own data from a path (the command line's ``--data``): by default one regular file of at most
        5 MB, parsed by ``load_data``; a lesson may read a folder too."""
        return self.load_data(read_user_file(path, MAX_CSV_BYTES, "data file"), Path(path).name)

    # The work budget's cost model (pipeline.runs.budget): ``workload`` counts what a run's cost depends on, and
    # constants fitted by ``python -m pipeline.runs.budget --calibrate SLUG`` turn the counts into seconds and
    # megabytes. None: this lesson's runs are not budgeted.
    cost_time: ClassVar[tuple[float, ...] | None] = None
    cost_memory: ClassVar[tuple[float, ...] | None] = None
    calibration_widths: ClassVar[dict[str, dict[str, Any]]] = {}  # "wide"/"narrow" model settings to calibrate on

    def workload(self, settings: SettingsT, data: Any = None) -> Workload | None:
        """The counts a run's cost depends on (examples, vocabulary, parameters, multiply-adds, steps)."""
        return None

    trace_ops: ClassVar[bool] = False  # record functional ops in the traced pass (a model written with functions)
    probes: ClassVar[tuple[str, ...]] = ()  # inputs whose answers are followed epoch by epoch while it learns
    timelapse: ClassVar[tuple[str, ...]] = ()  # keys of the prediction's views kept epoch by epoch, for the probes
    step: Step  # one batch's loss and metric counts: a plain function, set on the class

    @abstractmethod
    def prepare(self, settings: SettingsT, data: Any = None, device: str = "cpu") -> Prepared:
        """Build the data tensors and the untrained model (weights from ``settings.seed``), deterministically."""

    def answer(self, model: nn.Module, inputs: list[str]) -> list[Any]:
        """The trained-so-far model's answer to each input, JSON-ready (e.g. class -> probability)."""
        raise NotImplementedError(f"the {self.slug} lesson does not follow answers while it learns")

    def inside(self, run: LessonRun, text: str) -> dict[str, View]:
        """The views of ``text``'s prediction that the time-lapse keeps (``timelapse``), from the model as it is."""
        if not self.timelapse:
            return {}
        return {view.key: view for view in self.predict(run, text).layers if view.key in self.timelapse}

    def word_table(self, model: nn.Module) -> tuple[torch.Tensor, list[str]] | None:
        """The embedding table whose words are drawn in space: its (V, E) weights and the word of each row."""
        return None

    def finish(self, prepared: Prepared) -> dict[str, Any]:
        """Extra figures measured on the trained model (e.g. an exact-match rate), merged into ``info``."""
        return {}

    def run(self, settings: SettingsT, callbacks: Sequence[Callback] = (), data: Any = None, device: str = "cpu",
            probes: Sequence[str] | None = None) -> LessonRun[SettingsT]:
        """Train on ``data`` (None: the embedded corpus) on ``device``, reporting to ``callbacks``; trace it.

        ``probes`` (default: the lesson's own) are answered after every epoch, into ``EpochResult.probes``.
        """
        p = self.prepare(settings, data, device)
        probes = list(self.probes if probes is None else probes)
        # the model as it learns, predicted with after each epoch: no trace of the dataset and no history yet
        learning = LessonRun(self.slug, settings, p.model, Trace(), [], [], p.info, [])
        inside = InsideFrames(self, learning, probes, settings.epochs)
        # first, so the page's callbacks see each epoch's answers
        callbacks = [*([ProbeAnswers(self, p.model, probes)] if probes else []), inside, *callbacks]
        history = fit(p.trainable, type(self).step, p.train, p.val, settings, callbacks, chance=p.chance)
        if not history:
            raise TrainingStopped("training was stopped before its first epoch ended: there is no model to keep")
        p.model.eval()  # a finished run is only ever read: traced and predicted with, by any number of threads
        info = {**p.info, **self.finish(p), **inside.info()}
        _, t = traced_forward(p.model, p.inputs, ops=self.trace_ops)  # the whole dataset, one pass
        return LessonRun(self.slug, settings, p.model, t, spans_to_stages(t, self.stages, self.content), history,
                         info, p.examples)

    def rebuild(self, settings: SettingsT, data: Any, weights: dict[str, torch.Tensor], document: TraceDocument,
                device: str = "cpu") -> LessonRun[SettingsT]:
        """A finished run back from its weights and document (the run cache), without training again."""
        p = self.prepare(settings, data, device)
        p.model.load_state_dict(weights, strict=True)
        p.model.eval()
        info = dict(document.lesson.info) if document.lesson else p.info
        return LessonRun(self.slug, settings, p.model, document.trace, document.stages, document.epochs, info,
                         p.examples)

    def check_input(self, text: str) -> str:
        """Return ``text`` if this lesson can trace it, else raise InputError saying why (before any training)."""
        return check_text(text)

    def picture_input(self, raw: bytes, name: str) -> str:
        """A picture (a drawing's PNG, an image file) as this lesson's input; InputError when it cannot be one."""
        raise NotImplementedError(f"the {self.slug} lesson reads {self.input_kind.value}, not pictures")

    @abstractmethod
    def predict(self, run: LessonRun[SettingsT], text: str) -> Prediction:
        """Trace one input through the trained model; raise InputError for unusable input."""

    def document(self, run: LessonRun[SettingsT], prediction: Prediction | None, made_by: str = "") -> TraceDocument:
        """Everything the run produced, for the report, the pages, the handout and the trace file."""
        c = self.content
        lesson = LessonInfo(self.slug, c.title, c.summary, dataclasses.asdict(run.settings), run.info, c.intro)
        return TraceDocument(run.trace, run.stages, provenance(made_by or f"lesson {self.slug}"), lesson,
                             run.epochs, run.examples[:EXAMPLES_KEPT], prediction, list(c.quiz), c.key_insight)

"""The view a link restores: which page, lesson, input, step, settings and presenter mode.

One function turns a view into query parameters and one turns parameters back into a view -- with a
note for every value that cannot be used (an unknown lesson, a text over 500 characters, a step or a
setting out of range), which is then ignored: a link never raises, whoever wrote it.

    ?lesson=seq2seq&text=two%20thousand%20and%20five&step=3&epochs=8&lr=0.01&present=1

A link carries no secret: the class code of a session may travel, the teacher's key never does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipeline.training.settings import SettingSpec, parse_setting

MAX_TEXT = 500  # characters of input a link may carry
MAX_STEP = 100
CLASS_CODE = re.compile(r"^[A-Za-z0-9]{4,12}$")
RESERVED = ("lesson", "text", "step", "present", "class")


@dataclass(frozen=True)
class LinkView:
    """What a link says about the page: every field is optional (None: not in the link)."""

    lesson: str | None = None
    text: str | None = None
    step: int | None = None  # 1-based, as a person counts screens
    settings: dict[str, Any] = field(default_factory=dict)  # only values that differ from the defaults
    present: bool = False
    class_code: str | None = None


def to_params(view: LinkView, specs: Sequence[SettingSpec] = ()) -> dict[str, str]:
    """The query parameters of a view, in a stable order; defaults are left out to keep links short."""
    params: dict[str, str] = {}
    if view.lesson:
        params["lesson"] = view.lesson
    if view.text is not None:
        params["text"] = view.text[:MAX_TEXT]
    if view.step is not None and view.step > 1:
        params["step"] = str(view.step)
    known = {s.name: s for s in specs}
    for name, value in view.settings.items():
        spec = known.get(name)
        if spec is not None and value != spec.default:
            params[name] = ("1" if value else "0") if spec.kind is bool else _number(value)
    if view.present:
        params["present"] = "1"
    if view.class_code:
        params["class"] = view.class_code
    return params


def from_params(params: Mapping[str, str | list[str]], lessons: Mapping[str, list[SettingSpec]],
                default_lesson: str) -> tuple[LinkView, list[str]]:
    """The view a link asks for, and a note for each value ignored; ``lessons`` maps slug -> its settings."""
    notes: list[str] = []
    # the last of a repeated parameter; an empty list (no value at all) is no parameter
    raw = {k: v[-1] if isinstance(v, list) else v for k, v in params.items() if v != []}
    lesson = raw.get("lesson")
    if lesson is not None and lesson not in lessons:
        notes.append(f"The link names a lesson that does not exist ({_shown(lesson)}); showing "
                     f"{default_lesson} instead.")
        lesson = None
    text = raw.get("text")
    if text is not None and len(text) > MAX_TEXT:
        notes.append(f"The link's text is {len(text):,} characters long; links carry at most {MAX_TEXT}, so it "
                     "was not used.")
        text = None
    step = _step(raw.get("step"), notes)
    settings = _settings(raw, lessons.get(lesson or default_lesson, []), notes)
    present = raw.get("present", "0").strip().lower() in ("1", "true", "on", "yes")
    code = raw.get("class")
    if code is not None and not CLASS_CODE.match(code):
        notes.append(f"The link's class code {_shown(code)} is not a class code (letters and digits); it was "
                     "ignored.")
        code = None
    return LinkView(lesson, text, step, settings, present, code.upper() if code else None), notes


def _step(raw: str | None, notes: list[str]) -> int | None:
    if raw is None:
        return None
    if raw.strip().isdigit() and 1 <= int(raw) <= MAX_STEP:
        return int(raw)
    notes.append(f"The link's step {_shown(raw)} is not a step number (1 to {MAX_STEP}); starting at step 1.")
    return None


def _settings(raw: Mapping[str, str], specs: list[SettingSpec], notes: list[str]) -> dict[str, Any]:
    values = {}
    for spec in specs:
        if spec.name in raw:
            try:
                values[spec.name] = parse_setting(spec, raw[spec.name])
            except ValueError as e:
                notes.append(f"The link's setting was ignored: {e}.")
    return values


def _number(value: Any) -> str:
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _shown(value: str, limit: int = 40) -> str:
    """A value from a link, quoted and cut short, for a note (the page escapes it)."""
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return f"“{text}”"

"""Lesson content as data: one TOML file per lesson that a teacher can edit without touching code.

Validated on load; every error names the file and the field, e.g.
``sequence_classification.toml: quiz[2].answer: must be between 0 and 3, got 5``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


LETTERS = "ABCDEF"  # choices are labelled A, B, C, ...


class LessonContentError(ValueError):
    """A lesson file that cannot be used, with the file and field at fault."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StageText(_Frozen):
    """How the lesson explains one stage of the pipeline."""

    key: Text
    title: Text
    description: Text


class Question(_Frozen):
    """A multiple-choice question with the index of the right answer and why it is right."""

    question: Text
    choices: list[Text] = Field(min_length=2, max_length=6)
    answer: int
    explanation: Text

    @model_validator(mode="after")
    def _answer_in_range(self) -> Question:
        if not 0 <= self.answer < len(self.choices):
            raise ValueError(f"answer must be between 0 and {len(self.choices) - 1}, got {self.answer}")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError("choices must all be different")
        return self

    def label(self, index: int) -> str:
        """Choice ``index`` lettered: ``"B. A context vector"``."""
        return f"{LETTERS[index]}. {self.choices[index]}"


class LessonContent(_Frozen):
    """Everything a lesson says in words: intro, stage descriptions, quiz, key insight."""

    title: Text
    summary: Text
    order: int = 100  # where the lesson stands in lists: lower first
    intro: Text
    stages: list[StageText] = Field(min_length=1)
    quiz: list[Question] = Field(min_length=3)
    key_insight: Text

    def stage(self, key: str) -> StageText:
        return next(s for s in self.stages if s.key == key)


def load_content(path: Path, stage_keys: list[str]) -> LessonContent:
    """Read and validate a lesson file; ``stage_keys`` are the stages the lesson's code produces."""
    content = read_content(path)
    described = [s.key for s in content.stages]
    if described != stage_keys:
        raise LessonContentError(
            f"{path.name}: stages: the lesson needs exactly these stage keys, in order: "
            f"{', '.join(stage_keys)}; the file has {', '.join(described)}"
        )
    return content


def read_content(path: Path) -> LessonContent:
    """Read and validate a lesson file on its own (the lesson's code checks its stage keys)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise LessonContentError(f"{path.name}: cannot read the file ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise LessonContentError(f"{path.name}: not valid TOML: {e}") from None
    try:
        content = LessonContent.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = _location(first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        raise LessonContentError(f"{path.name}: {where}: {message}") from None
    return content


def _location(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out.lstrip(".") or "(top level)"

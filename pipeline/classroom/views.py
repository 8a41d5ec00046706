"""What the classroom functions return: small frozen dataclasses, never ORM rows."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class QuestionSource(enum.StrEnum):
    """Where a question came from: the lesson's written quiz, a generated one, or the teacher."""

    WRITTEN = "written"
    GENERATED = "generated"
    TEACHER = "teacher"


@dataclass(frozen=True)
class ClassInfo:
    """A class as its teacher sees it right after starting it.

    Args:
        code: the six-character code learners type (or scan in the join link).
        lesson: the lesson slug the class started on.
        created_at, expires_at: naive UTC; after ``expires_at`` every call refuses the class.
        cap: the most learners the class takes.
    """

    code: str
    lesson: str
    created_at: datetime
    expires_at: datetime
    cap: int


@dataclass(frozen=True)
class Membership:
    """A learner's place in a class.

    Args:
        code: the class code.
        learner_id: what the teacher's roster calls this learner (for rename and remove).
        display_name: the cleaned, unique name others see.
        token: the learner's key: keep it (in the link or browser) to answer and to rejoin as themselves.
        following: whether their page follows the teacher's view.
        rejoin_code: the short code that brings them back as themselves after a reload (``rejoin_class``);
            only known when they join or rejoin (the database keeps its hash), else ``""``.
    """

    code: str
    learner_id: int
    display_name: str
    token: str
    following: bool
    rejoin_code: str = field(default="", compare=False)  # the same membership, whether or not it is known here


@dataclass(frozen=True)
class QuestionView:
    """The open question as learners see it.

    Args:
        id: pass it to ``answer``, ``reveal`` and ``distribution``.
        position: 1 for the class's first question, 2 for the next…
        choices: the options, indexed from 0.
        answer, explanation: None until the teacher reveals the question.
        stage, about: for a guess asked before a stage is shown, the stage's index in the stepper and the input
            it shows; a learner sees the question in place of that stage until the reveal. None and "" for a
            quiz question.
    """

    id: int
    position: int
    text: str
    choices: tuple[str, ...]
    source: QuestionSource
    revealed: bool
    answer: int | None
    explanation: str | None
    stage: int | None = None
    about: str = ""

    @property
    def hides(self) -> int | None:
        """The stage this question keeps from learners now (a guess not yet revealed), or None."""
        return self.stage if self.stage is not None and not self.revealed else None


@dataclass(frozen=True)
class ClassState:
    """The view the teacher broadcasts, and the open question.

    ``version`` grows whenever any of these fields changes, and when the teacher renames or removes
    a learner (so that learner's page looks again). Joins, answers and follow toggles leave it alone:
    200 learners answering must not wake 200 pollers.
    """

    code: str
    version: int
    lesson: str
    run_key: str
    text: str
    stage: int
    ended: bool
    expires_at: datetime
    question: QuestionView | None


@dataclass(frozen=True)
class LearnerView:
    """What one learner's page shows: who they are, the class state, and their answer to the open question."""

    membership: Membership
    state: ClassState
    my_choice: int | None
    correct: bool | None  # None until the open question is revealed (or when they did not answer)


@dataclass(frozen=True)
class AnswerReceipt:
    """A recorded answer; ``replaced`` says it overwrote the learner's earlier choice."""

    question_id: int
    learner_id: int
    choice: int
    replaced: bool


@dataclass(frozen=True)
class RosterEntry:
    """One learner on the teacher's roster."""

    learner_id: int
    display_name: str
    following: bool
    answered: bool  # answered the open question (False when none is open)
    joined_at: datetime
    last_seen: datetime


@dataclass(frozen=True)
class Distribution:
    """How a question's answers spread over its choices: ``counts[i]`` learners picked choice ``i``."""

    question_id: int
    counts: tuple[int, ...]
    answered: int
    learners: int

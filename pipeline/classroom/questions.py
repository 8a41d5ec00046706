"""Quiz questions in a live class: the teacher opens one, learners answer, the teacher reveals it.

One question is open at a time: opening a new one closes the previous. A learner has at most one
answer per question; answering again while the question is open *replaces* the earlier choice (a
learner may change their mind until the reveal). After the reveal, answers are refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.classroom import access
from pipeline.classroom.errors import InvalidChoice, InvalidValue, QuestionClosed, UnknownQuestion
from pipeline.classroom.store import AnswerRow, ClassRow, QuestionRow, transact
from pipeline.classroom.views import AnswerReceipt, Distribution, QuestionSource, QuestionView

MAX_QUESTION, MAX_CHOICE, MAX_EXPLANATION, MAX_CHOICES = 500, 200, 2_000, 8
MAX_TYPED_CHOICES = 6  # a question typed during the class: 2 to 6 choices fit on a phone
MAX_STAGE, MAX_ABOUT = 999, 10_000  # as a class's own stage and text (pipeline.classroom.service)


def open_question(engine: Engine, code: str, secret: str, question: str, choices: Sequence[str], answer: int,
                  explanation: str = "", source: str = QuestionSource.TEACHER, *, stage: int | None = None,
                  about: str = "") -> QuestionView:
    """Put a new question to the class (closing any open one); learners see it at the next version.

    With ``stage`` it is a guess asked before that stage is shown (for the input ``about``): a learner's page
    shows the question in place of the stage until the teacher reveals it (``QuestionView.hides``).
    """
    text, options = _bounded("question", question, MAX_QUESTION, empty=False), _choices(choices)
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(options):
        raise InvalidValue(f"answer must be a choice index from 0 to {len(options) - 1}, got {answer!r}")
    explained, origin = _bounded("explanation", explanation, MAX_EXPLANATION), _source(source)
    if stage is not None and (isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage <= MAX_STAGE):
        raise InvalidValue(f"stage must be from 0 to {MAX_STAGE}, got {stage!r}")
    shows = _bounded("the guess's input", about, MAX_ABOUT)

    def work(session: Session) -> QuestionView:
        row = access.teacher_class(session, code, secret, lock=True, live=True)
        session.execute(update(QuestionRow).where(QuestionRow.class_id == row.id).values(opened=False))
        last = session.scalar(select(func.max(QuestionRow.position)).where(QuestionRow.class_id == row.id))
        added = QuestionRow(class_id=row.id, position=(last or 0) + 1, text=text, choices=list(options),
                            answer=answer, explanation=explained, source=origin.value, opened=True, revealed=False,
                            stage=stage, about=shows)
        session.add(added)
        row.version += 1
        session.flush()
        return access.question_view(added)

    return transact(engine, work)


def open_guess(engine: Engine, code: str, secret: str, question: str, choices: Sequence[str], answer: int,
               explanation: str = "") -> QuestionView:
    """Ask the class to guess what the stage it is on now will show, before it is shown ("what will the model
    answer?", "which word gets the most attention?"): a generated question about the class's current stage and
    input. Learners' guesses gather on the teacher's board (``distribution``); ``reveal`` shows the stage."""
    where = transact(engine, lambda s: _view_of(access.teacher_class(s, code, secret, live=True)), write=False)
    return open_question(engine, code, secret, question, choices, answer, explanation, QuestionSource.GENERATED,
                         stage=where[0], about=where[1])


def _view_of(row: ClassRow) -> tuple[int, str]:
    return row.stage, row.text


def reveal(engine: Engine, code: str, secret: str, question_id: int) -> QuestionView:
    """Show the answer and explanation to the class and stop taking answers to this question."""
    def work(session: Session) -> QuestionView:
        row = access.teacher_class(session, code, secret, lock=True, live=True)
        question = _question(session, row, question_id)
        if not question.revealed:
            question.revealed = True
            row.version += 1
        return access.question_view(question)

    return transact(engine, work)


def answer(engine: Engine, token: str, question_id: int, choice: int) -> AnswerReceipt:
    """Record this learner's choice for the open question (replacing an earlier one)."""
    def work(session: Session) -> AnswerReceipt:
        learner, row = access.find_learner(session, token, live=True)
        question = _question(session, row, question_id)
        _check_answerable(question, choice)
        now = access.utc()
        learner.last_seen = now
        mine = session.scalars(select(AnswerRow).where(
            AnswerRow.question_id == question.id, AnswerRow.learner_id == learner.id)).one_or_none()
        if mine is not None:
            mine.choice, mine.answered_at = choice, now
        else:
            session.add(AnswerRow(question_id=question.id, learner_id=learner.id, choice=choice, answered_at=now))
        return AnswerReceipt(question.id, learner.id, choice, replaced=mine is not None)

    try:
        return transact(engine, work)
    except IntegrityError:  # the same learner's other request inserted first (PostgreSQL): now it is a replace
        return transact(engine, work)


def distribution(engine: Engine, code: str, secret: str, question_id: int) -> Distribution:
    """How many learners picked each choice, and how many of the class's learners answered."""
    def work(session: Session) -> Distribution:
        row = access.teacher_class(session, code, secret)
        question = _question(session, row, question_id)
        counts = [0] * len(question.choices)
        tally = select(AnswerRow.choice, func.count()).where(AnswerRow.question_id == question.id)
        for choice, count in session.execute(tally.group_by(AnswerRow.choice)):
            counts[choice] += count
        return Distribution(question.id, tuple(counts), sum(counts), access.learner_count(session, row))

    return transact(engine, work, write=False)


def typed_choices(text: str) -> tuple[str, ...]:
    """The choices a teacher typed during the class, one per line (blank lines dropped): 2 to 6 of them."""
    if not isinstance(text, str):
        raise InvalidValue(f"choices must be text, one per line, got {type(text).__name__}")
    lines = tuple(line.strip() for line in text.splitlines() if line.strip())
    if not 2 <= len(lines) <= MAX_TYPED_CHOICES:
        raise InvalidValue(f"type 2 to {MAX_TYPED_CHOICES} choices, one per line, got {len(lines)}")
    return _choices(lines)


def _question(session: Session, row: ClassRow, question_id: int) -> QuestionRow:
    question = session.get(QuestionRow, question_id) if isinstance(question_id, int) else None
    if question is None or question.class_id != row.id:
        raise UnknownQuestion(f"no question {question_id!r} in class {row.code}")
    return question


def _check_answerable(question: QuestionRow, choice: int) -> None:
    if not question.opened:
        raise QuestionClosed(f"question {question.position} is not open")
    if question.revealed:
        raise QuestionClosed(f"question {question.position} is already revealed; answers are closed")
    last = len(question.choices) - 1
    if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice <= last:
        raise InvalidChoice(f"choice must be from 0 to {last} for question {question.position}, got {choice!r}")


def _bounded(what: str, value: str, limit: int, *, empty: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidValue(f"{what} must be text, got {type(value).__name__}")
    value = value.strip()
    if not value and not empty:
        raise InvalidValue(f"{what} must not be empty")
    if len(value) > limit:
        raise InvalidValue(f"{what} must be at most {limit} characters, got {len(value)}")
    return value


def _choices(choices: Sequence[str]) -> tuple[str, ...]:
    if isinstance(choices, str) or not isinstance(choices, Sequence) or not 2 <= len(choices) <= MAX_CHOICES:
        raise InvalidValue(f"choices must be a list of 2 to {MAX_CHOICES} texts, got {choices!r:.80}")
    return tuple(_bounded(f"choice {i}", c, MAX_CHOICE, empty=False) for i, c in enumerate(choices))


def _source(source: str) -> QuestionSource:
    try:
        return QuestionSource(source)
    except ValueError:
        raise InvalidValue(f"source must be one of {', '.join(QuestionSource)}, got {source!r}") from None

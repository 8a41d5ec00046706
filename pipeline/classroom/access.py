"""Finding a class, its teacher or a learner inside a transaction, with every check the functions share."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.classroom.credentials import check_secret, normalize_code, split_token
from pipeline.classroom.errors import ClassEnded, ClassExpired, UnknownClass, UnknownLearner, WrongSecret
from pipeline.classroom.store import ClassRow, LearnerRow, QuestionRow
from pipeline.classroom.views import ClassState, QuestionSource, QuestionView


def utc(moment: datetime | None = None) -> datetime:
    """``moment`` (default: now) as naive UTC, the form every timestamp column holds."""
    moment = moment or datetime.now(UTC)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def find_class(session: Session, code: str, *, lock: bool = False, live: bool = False,
               expired_ok: bool = False) -> ClassRow:
    """The class with this code; ``lock`` holds its row until commit, ``live`` refuses an ended class."""
    code = normalize_code(code)
    query = select(ClassRow).where(ClassRow.code == code)
    row = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise UnknownClass(f"no class with code {code}")
    check_open(row, live=live, expired_ok=expired_ok)
    return row


def check_open(row: ClassRow, *, live: bool, expired_ok: bool = False) -> None:
    """Refuse an expired class (unless ``expired_ok``), and an ended one when ``live``."""
    if not expired_ok and row.expires_at <= utc():
        raise ClassExpired(f"class {row.code} expired at {row.expires_at:%Y-%m-%d %H:%M} UTC")
    if live and row.ended:
        raise ClassEnded(f"class {row.code} has ended")


def teacher_class(session: Session, code: str, secret: str | None, *, lock: bool = False, live: bool = False,
                  expired_ok: bool = False) -> ClassRow:
    """The class, once ``secret`` is shown to be its teacher secret (checked before ended-ness is revealed)."""
    row = find_class(session, code, lock=lock, expired_ok=True)
    if not secret:
        raise WrongSecret(f"teacher secret missing for class {row.code}")
    if not check_secret(secret, row.secret_hash):
        raise WrongSecret(f"wrong teacher secret for class {row.code}")
    check_open(row, live=live, expired_ok=expired_ok)
    return row


def find_learner(session: Session, token: str | None, *, live: bool = False) -> tuple[LearnerRow, ClassRow]:
    """The learner holding ``token``, and their class."""
    parts = split_token(token)
    learner = session.get(LearnerRow, parts[0]) if parts else None
    if parts is None or learner is None or not check_secret(parts[1], learner.token_hash):
        raise UnknownLearner("unknown learner token: you may have been removed from the class; join again")
    row = session.get(ClassRow, learner.class_id)
    assert row is not None, "learners are deleted with their class"
    check_open(row, live=live)
    return learner, row


def learner_in(session: Session, row: ClassRow, learner_id: int) -> LearnerRow:
    """Learner ``learner_id`` of this class."""
    learner = session.get(LearnerRow, learner_id)
    if learner is None or learner.class_id != row.id:
        raise UnknownLearner(f"no learner {learner_id} in class {row.code}")
    return learner


def learner_count(session: Session, row: ClassRow) -> int:
    """How many learners the class has now."""
    query = select(func.count()).select_from(LearnerRow).where(LearnerRow.class_id == row.id)
    return session.scalar(query) or 0


def open_question(session: Session, row: ClassRow) -> QuestionRow | None:
    """The class's open question, if any (at most one is open at a time)."""
    query = select(QuestionRow).where(QuestionRow.class_id == row.id, QuestionRow.opened)
    return session.scalars(query).one_or_none()


def question_view(question: QuestionRow) -> QuestionView:
    """The learner-safe view of a question: the answer only once revealed."""
    shown = question.revealed
    return QuestionView(question.id, question.position, question.text, tuple(question.choices),
                        QuestionSource(question.source), shown, question.answer if shown else None,
                        question.explanation if shown else None, question.stage, question.about or "")


def state_of(session: Session, row: ClassRow) -> ClassState:
    """The class's broadcast state, with its open question."""
    question = open_question(session, row)
    return ClassState(row.code, row.version, row.lesson, row.run_key, row.text, row.stage, row.ended,
                      row.expires_at, question_view(question) if question else None)

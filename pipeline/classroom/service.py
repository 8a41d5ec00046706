"""The class-session functions pages call: start, join, follow the teacher's view, manage the roster.

Every function takes the engine first (``engine_for()`` gives the process's one), runs one short
transaction and returns frozen dataclasses from :mod:`pipeline.classroom.views`. Teacher functions
need the secret :func:`start_class` returned; learner functions need the token :func:`join_class`
returned. Problems raise a :class:`~pipeline.classroom.errors.ClassroomError` with a one-line message.
Questions and answers live in :mod:`pipeline.classroom.questions`, the CSV export in ``export``.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.orm import Session

from pipeline.classroom import access
from pipeline.classroom.credentials import (
    check_secret,
    hash_secret,
    learner_token,
    new_code,
    new_rejoin_code,
    new_secret,
    normalize_code,
    normalize_rejoin,
)
from pipeline.classroom.errors import ClassExpired, ClassFull, InvalidValue, UnknownClass, UnknownLearner
from pipeline.classroom.names import clean_name, unique_name
from pipeline.classroom.store import AnswerRow, ClassRow, LearnerRow, transact
from pipeline.classroom.views import ClassInfo, ClassState, LearnerView, Membership, RosterEntry

HOURS_ENV, CAP_ENV = "PIPELINE_TRACE_CLASS_HOURS", "PIPELINE_TRACE_CLASS_CAP"
DEFAULT_HOURS, DEFAULT_CAP, MAX_CAP, MAX_HOURS = 4.0, 200, 5_000, 24 * 14
MAX_RUN_KEY, MAX_TEXT, MAX_STAGE = 200, 10_000, 999  # MAX_TEXT matches pipeline.nn.text.MAX_TEXT_CHARS
SEEN_EVERY = timedelta(seconds=30)  # learner_view refreshes last_seen at most this often
_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")


def start_class(engine: Engine, lesson: str, *, run_key: str = "", text: str = "", cap: int | None = None,
                hours: float | None = None, now: datetime | None = None) -> tuple[ClassInfo, str]:
    """Open a class on ``lesson``; returns its info and the teacher secret (shown once, never stored)."""
    lesson, run_key, text = _lesson(lesson), _run_key(run_key), _text(text)
    cap, hours, created = _cap(cap), _hours(hours), access.utc(now)
    secret = new_secret()

    def work(session: Session) -> ClassInfo:
        code = new_code()
        while session.scalar(select(ClassRow.id).where(ClassRow.code == code)) is not None:
            code = new_code()
        row = ClassRow(code=code, secret_hash=hash_secret(secret), created_at=created, lesson=lesson,
                       expires_at=created + timedelta(hours=hours), run_key=run_key, text=text, stage=0,
                       version=1, ended=False, cap=cap)
        session.add(row)
        return ClassInfo(code, lesson, row.created_at, row.expires_at, cap)

    return transact(engine, work), secret


def join_class(engine: Engine, code: str, display_name: str, token: str | None = None) -> Membership:
    """Join as ``display_name`` (made unique); with a token of this class, come back as that learner instead."""
    def work(session: Session) -> Membership:
        row = access.find_class(session, code, lock=True, live=True)
        if (back := _returning(session, row, token)) is not None:
            return back
        name = clean_name(display_name)
        names = session.scalars(select(LearnerRow.display_name).where(LearnerRow.class_id == row.id)).all()
        if len(names) >= row.cap:
            raise ClassFull(f"class {row.code} is full ({row.cap} learners)")
        now, secret, rejoin = access.utc(), new_secret(), new_rejoin_code()
        learner = LearnerRow(class_id=row.id, display_name=unique_name(name, names), token_hash=hash_secret(secret),
                             following=True, joined_at=now, last_seen=now, rejoin_hash=hash_secret(rejoin))
        session.add(learner)
        session.flush()
        return _membership(row, learner, learner_token(learner.id, secret), rejoin)

    return transact(engine, work)


def rejoin_class(engine: Engine, code: str, rejoin_code: str) -> Membership:
    """Come back as the learner who was given ``rejoin_code`` (after a reload lost the token).

    The learner gets a new token (the old one stops working: one page at a time per learner); the
    rejoin code stays the same. Raises :class:`UnknownLearner` when no learner of the class has it.
    """
    wanted = normalize_rejoin(rejoin_code)

    def work(session: Session) -> Membership:
        row = access.find_class(session, code, lock=True, live=True)
        learners = session.scalars(select(LearnerRow).where(LearnerRow.class_id == row.id,
                                                            LearnerRow.rejoin_hash.is_not(None)))
        learner = next((x for x in learners if check_secret(wanted, x.rejoin_hash or "")), None)
        if learner is None:
            raise UnknownLearner(f"no learner of class {row.code} has this rejoin code: check it, or join as "
                                 "someone new")
        secret = new_secret()
        learner.token_hash, learner.last_seen = hash_secret(secret), access.utc()
        return _membership(row, learner, learner_token(learner.id, secret), wanted)

    return transact(engine, work)


def class_state(engine: Engine, code: str) -> ClassState:
    """The class's current broadcast state (works on an ended class, so pages can say it ended)."""
    return transact(engine, lambda s: access.state_of(s, access.find_class(s, code)), write=False)


def state_if_changed(engine: Engine, code: str, known_version: int) -> ClassState | None:
    """None when the class is still at ``known_version`` (one one-row query), else its new state."""
    code = normalize_code(code)
    query = select(ClassRow.version, ClassRow.expires_at).where(ClassRow.code == code)
    found = transact(engine, lambda s: s.execute(query).one_or_none(), write=False)
    if found is None:
        raise UnknownClass(f"no class with code {code}")
    if found.expires_at <= access.utc():
        raise ClassExpired(f"class {code} expired at {found.expires_at:%Y-%m-%d %H:%M} UTC")
    return None if found.version == known_version else class_state(engine, code)


def set_view(engine: Engine, code: str, secret: str, *, lesson: str | None = None, run_key: str | None = None,
             text: str | None = None, stage: int | None = None) -> ClassState:
    """Move the class to a new view; fields left None keep their value; bumps the version if anything changed."""
    wanted = {"lesson": None if lesson is None else _lesson(lesson), "run_key": None if run_key is None
              else _run_key(run_key), "text": None if text is None else _text(text),
              "stage": None if stage is None else _stage(stage)}

    def work(session: Session) -> ClassState:
        row = access.teacher_class(session, code, secret, lock=True, live=True)
        changes = {k: v for k, v in wanted.items() if v is not None and getattr(row, k) != v}
        for field, value in changes.items():
            setattr(row, field, value)
        if changes:
            row.version += 1
        return access.state_of(session, row)

    return transact(engine, work)


def set_stage(engine: Engine, code: str, secret: str, stage: int) -> ClassState:
    """Move the class to stage ``stage`` of the current view."""
    return set_view(engine, code, secret, stage=stage)


def rename_learner(engine: Engine, code: str, secret: str, learner_id: int, display_name: str) -> str:
    """Give a learner a new display name (cleaned, made unique); returns the name they now have."""
    def work(session: Session) -> str:
        row = access.teacher_class(session, code, secret, lock=True, live=True)
        learner = access.learner_in(session, row, learner_id)
        others = session.scalars(select(LearnerRow.display_name).where(
            LearnerRow.class_id == row.id, LearnerRow.id != learner.id)).all()
        learner.display_name = unique_name(clean_name(display_name), others)
        row.version += 1
        return learner.display_name

    return transact(engine, work)


def remove_learner(engine: Engine, code: str, secret: str, learner_id: int) -> None:
    """Remove a learner and their answers; their token stops working (they may join again as someone new)."""
    def work(session: Session) -> None:
        row = access.teacher_class(session, code, secret, lock=True)
        session.delete(access.learner_in(session, row, learner_id))
        row.version += 1

    transact(engine, work)


def end_class(engine: Engine, code: str, secret: str) -> ClassState:
    """End the class: no more joins, view changes or answers; the roster and results stay readable."""
    def work(session: Session) -> ClassState:
        row = access.teacher_class(session, code, secret, lock=True)
        if not row.ended:
            row.ended, row.version = True, row.version + 1
        return access.state_of(session, row)

    return transact(engine, work)


def delete_class(engine: Engine, code: str, secret: str) -> None:
    """Delete the class with all its learners, questions and answers (allowed after expiry too)."""
    def work(session: Session) -> None:
        row = access.teacher_class(session, code, secret, expired_ok=True)
        session.execute(delete(ClassRow).where(ClassRow.id == row.id))

    transact(engine, work)


def expire_classes(engine: Engine, now: datetime | None = None) -> int:
    """Delete every class past its expiry, with its learners, questions and answers; returns how many."""
    cutoff = access.utc(now)
    # a DELETE's result is a CursorResult, which has the row count
    return transact(engine, lambda s: cast(CursorResult[Any], s.execute(delete(ClassRow).where(
        ClassRow.expires_at <= cutoff))).rowcount)


def roster(engine: Engine, code: str, secret: str) -> tuple[RosterEntry, ...]:
    """Everyone in the class in joining order: following or not, and whether they answered the open question."""
    def work(session: Session) -> tuple[RosterEntry, ...]:
        row = access.teacher_class(session, code, secret)
        question = access.open_question(session, row)
        answered = set(session.scalars(select(AnswerRow.learner_id).where(
            AnswerRow.question_id == question.id))) if question else set()
        learners = session.scalars(select(LearnerRow).where(LearnerRow.class_id == row.id).order_by(LearnerRow.id))
        return tuple(RosterEntry(x.id, x.display_name, x.following, x.id in answered, x.joined_at, x.last_seen)
                     for x in learners)

    return transact(engine, work, write=False)


def set_following(engine: Engine, token: str, following: bool) -> Membership:
    """Say whether this learner's page follows the teacher's view or lets them browse on their own."""
    def work(session: Session) -> Membership:
        learner, row = access.find_learner(session, token, live=True)
        learner.following, learner.last_seen = bool(following), access.utc()
        return _membership(row, learner, token)

    return transact(engine, work)


def learner_view(engine: Engine, token: str) -> LearnerView:
    """Everything one learner's page shows: their membership, the class state and their current answer.

    A read: no write lock is taken (200 learners following a move read at once). Only when the learner's
    ``last_seen`` is older than ``SEEN_EVERY`` does a second, one-row write refresh it."""
    def work(session: Session) -> tuple[LearnerView, bool]:
        learner, row = access.find_learner(session, token)
        state = access.state_of(session, row)
        question, mine, correct = state.question, None, None
        if question is not None:
            mine = session.scalar(select(AnswerRow.choice).where(
                AnswerRow.question_id == question.id, AnswerRow.learner_id == learner.id))
            correct = mine == question.answer if question.revealed and mine is not None else None
        stale = access.utc() - learner.last_seen >= SEEN_EVERY
        return LearnerView(_membership(row, learner, token), state, mine, correct), stale

    view, stale = transact(engine, work, write=False)
    if stale:
        _seen(engine, view.membership.learner_id)
    return view


def _seen(engine: Engine, learner_id: int) -> None:
    """Mark a learner as seen now (a roster shows when each learner was last seen)."""
    transact(engine, lambda s: s.execute(update(LearnerRow).where(LearnerRow.id == learner_id)
                                         .values(last_seen=access.utc())))


def _returning(session: Session, row: ClassRow, token: str | None) -> Membership | None:
    """The membership ``token`` proves in this class, or None (a stale token just joins afresh)."""
    if not token:
        return None
    try:
        learner, found = access.find_learner(session, token)
    except UnknownLearner:
        return None
    if found.id != row.id:
        return None
    learner.last_seen = access.utc()
    return _membership(row, learner, token)


def _membership(row: ClassRow, learner: LearnerRow, token: str, rejoin: str = "") -> Membership:
    return Membership(row.code, learner.id, learner.display_name, token, learner.following, rejoin)


def _lesson(lesson: str) -> str:
    if not isinstance(lesson, str) or not _SLUG.fullmatch(lesson):
        raise InvalidValue(f"lesson must be a slug like 'sequence-classification' (a-z, 0-9, -, _), got {lesson!r:.60}")
    return lesson


def _run_key(run_key: str) -> str:
    if not isinstance(run_key, str) or len(run_key) > MAX_RUN_KEY:
        raise InvalidValue(f"run key must be text of at most {MAX_RUN_KEY} characters, got {run_key!r:.60}")
    return run_key


def _text(text: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        size = len(text) if isinstance(text, str) else type(text).__name__
        raise InvalidValue(f"input text must be text of at most {MAX_TEXT} characters, got {size}")
    return text


def _stage(stage: int) -> int:
    if isinstance(stage, bool) or not isinstance(stage, int) or not 0 <= stage <= MAX_STAGE:
        raise InvalidValue(f"stage must be an integer from 0 to {MAX_STAGE}, got {stage!r}")
    return stage


def _cap(cap: int | None) -> int:
    value = _setting(CAP_ENV, DEFAULT_CAP, int) if cap is None else cap
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAP:
        raise InvalidValue(f"learner cap must be an integer from 1 to {MAX_CAP}, got {value!r}")
    return value


def _hours(hours: float | None) -> float:
    value = _setting(HOURS_ENV, DEFAULT_HOURS, float) if hours is None else hours
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_HOURS:
        raise InvalidValue(f"class lifetime must be more than 0 and at most {MAX_HOURS} hours, got {value!r}")
    return float(value)


def _setting(name: str, default: float, kind: type) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        return kind(raw) if raw else default
    except ValueError:
        raise InvalidValue(f"{name} must be a number, got {raw!r}") from None

"""pipeline.classroom.access on its own: which check wins, what each error says, what a lock asks for, and the views
it builds. Each test kills mutants the service-level tests let through (bench/mutation.py access)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, Select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from pipeline.classroom import access, questions, service
from pipeline.classroom.errors import ClassEnded, ClassExpired, UnknownLearner, WrongSecret
from pipeline.classroom.store import ClassRow
from pipeline.classroom.views import QuestionSource, QuestionView

PAST = datetime.now(UTC) - timedelta(days=2)


def session_of(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def expired_class(engine: Engine) -> tuple[str, str]:
    """A class that expired a day ago: (code, teacher secret)."""
    info, secret = service.start_class(engine, "sequence-classification", hours=24, now=PAST)
    return info.code, secret


def ended_class(engine: Engine) -> tuple[str, str]:
    info, secret = service.start_class(engine, "sequence-classification")
    service.end_class(engine, info.code, secret)
    return info.code, secret


def raised(error: type[Exception], call, *args, **kwargs) -> str:
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# --- the teacher: the secret is checked before anything about the class is revealed ---

def test_a_wrong_secret_on_an_expired_class_is_a_wrong_secret_not_the_expiry(engine: Engine) -> None:
    """The issue's mutation: find_class inside teacher_class must not refuse the expired class first."""
    code, _ = expired_class(engine)
    with session_of(engine) as s:
        assert raised(WrongSecret, access.teacher_class, s, code, "not-the-secret") == \
            f"wrong teacher secret for class {code}"
        assert raised(WrongSecret, access.teacher_class, s, code, "") == f"teacher secret missing for class {code}"


def test_the_right_secret_on_an_expired_class_is_refused_unless_expired_ok(engine: Engine) -> None:
    code, secret = expired_class(engine)
    with session_of(engine) as s:
        assert raised(ClassExpired, access.teacher_class, s, code, secret).startswith(f"class {code} expired at ")
        assert access.teacher_class(s, code, secret, expired_ok=True).code == code


def test_an_ended_class_is_refused_to_the_teacher_only_when_live(engine: Engine) -> None:
    code, secret = ended_class(engine)
    with session_of(engine) as s:
        assert access.teacher_class(s, code, secret).ended
        assert raised(ClassEnded, access.teacher_class, s, code, secret, live=True) == f"class {code} has ended"


# --- finding a class ---

def test_find_class_refuses_expired_and_ended_classes_only_when_asked(engine: Engine) -> None:
    expired, _ = expired_class(engine)
    ended, _ = ended_class(engine)
    with session_of(engine) as s:
        assert raised(ClassExpired, access.find_class, s, expired).startswith(f"class {expired} expired at ")
        assert access.find_class(s, expired, expired_ok=True).code == expired
        assert access.find_class(s, ended).ended
        assert raised(ClassEnded, access.find_class, s, ended, live=True) == f"class {ended} has ended"


class Recording:
    """A session whose ``scalars`` statements are kept (to read whether a row lock was asked for)."""

    def __init__(self, session: Session) -> None:
        self.session, self.statements = session, []

    def __getattr__(self, name: str):
        return getattr(self.session, name)

    def scalars(self, statement: Select, *args, **kwargs):
        self.statements.append(str(statement.compile(dialect=postgresql.dialect())))
        return self.session.scalars(statement, *args, **kwargs)


@pytest.mark.parametrize(("kwargs", "locked"), [({}, False), ({"lock": False}, False), ({"lock": True}, True)])
def test_a_row_lock_is_asked_for_only_with_lock(engine: Engine, kwargs, locked) -> None:
    info, secret = service.start_class(engine, "sequence-classification")
    with session_of(engine) as s:
        for call in (lambda r: access.find_class(r, info.code, **kwargs),
                     lambda r: access.teacher_class(r, info.code, secret, **kwargs)):
            recording = Recording(s)
            call(recording)
            assert [("FOR UPDATE" in sql) for sql in recording.statements] == [locked]


def test_check_open_at_the_very_moment_of_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 1, 1, 10, 0)
    monkeypatch.setattr(access, "utc", lambda moment=None: now)
    row = ClassRow(code="ABCDEF", expires_at=now, ended=False)
    assert raised(ClassExpired, access.check_open, row, live=False) == "class ABCDEF expired at 2026-01-01 10:00 UTC"
    access.check_open(row, live=False, expired_ok=True)
    access.check_open(ClassRow(code="ABCDEF", expires_at=now + timedelta(seconds=1), ended=True), live=False)


# --- learners ---

def test_find_learner_refuses_an_ended_class_only_when_live(engine: Engine) -> None:
    info, secret = service.start_class(engine, "sequence-classification")
    member = service.join_class(engine, info.code, "Ada")
    service.end_class(engine, info.code, secret)
    with session_of(engine) as s:
        learner, row = access.find_learner(s, member.token)
        assert (learner.display_name, row.code) == ("Ada", info.code)
        assert raised(ClassEnded, access.find_learner, s, member.token, live=True) == f"class {info.code} has ended"
        assert raised(UnknownLearner, access.find_learner, s, "1.nope") == \
            "unknown learner token: you may have been removed from the class; join again"


def test_learners_are_counted_and_found_in_their_own_class_only(engine: Engine) -> None:
    one, _ = service.start_class(engine, "sequence-classification")
    other, _ = service.start_class(engine, "sequence-classification")
    ada = service.join_class(engine, one.code, "Ada")
    service.join_class(engine, one.code, "Grace")
    bob = service.join_class(engine, other.code, "Bob")
    with session_of(engine) as s:
        first, second = access.find_class(s, one.code), access.find_class(s, other.code)
        assert (access.learner_count(s, first), access.learner_count(s, second)) == (2, 1)
        assert access.learner_in(s, first, ada.learner_id).display_name == "Ada"
        assert raised(UnknownLearner, access.learner_in, s, first, bob.learner_id) == \
            f"no learner {bob.learner_id} in class {one.code}"
        assert raised(UnknownLearner, access.learner_in, s, first, 10_000) == f"no learner 10000 in class {one.code}"
    empty, _ = service.start_class(engine, "sequence-classification")
    with session_of(engine) as s:
        assert access.learner_count(s, access.find_class(s, empty.code)) == 0


# --- questions and the broadcast state ---

def test_the_open_question_is_the_classs_own_and_its_answer_shows_only_once_revealed(engine: Engine) -> None:
    one, secret = service.start_class(engine, "sequence-classification")
    other, other_secret = service.start_class(engine, "sequence-classification")
    questions.open_question(engine, other.code, other_secret, "Elsewhere?", ["x", "y"], 0)
    asked = questions.open_question(engine, one.code, secret, "Which gate forgets?", ["i", "f", "o"], 1,
                                    explanation="f is the forget gate.", source=QuestionSource.WRITTEN)
    hidden = QuestionView(asked.id, 1, "Which gate forgets?", ("i", "f", "o"), QuestionSource.WRITTEN, False, None,
                          None)
    with session_of(engine) as s:
        question = access.open_question(s, access.find_class(s, one.code))
        assert question is not None and access.question_view(question) == hidden
        assert access.state_of(s, access.find_class(s, one.code)).question == hidden
    questions.reveal(engine, one.code, secret, asked.id)
    with session_of(engine) as s:
        row = access.find_class(s, one.code)
        question = access.open_question(s, row)
        assert question is not None and access.question_view(question) == QuestionView(
            asked.id, 1, "Which gate forgets?", ("i", "f", "o"), QuestionSource.WRITTEN, True, 1,
            "f is the forget gate.")
        state = access.state_of(s, row)
        assert (state.code, state.expires_at, state.ended) == (one.code, row.expires_at, False)


def test_a_class_without_an_open_question_has_none(engine: Engine) -> None:
    info, _ = service.start_class(engine, "sequence-classification")
    with session_of(engine) as s:
        assert access.open_question(s, access.find_class(s, info.code)) is None
        assert access.state_of(s, access.find_class(s, info.code)).question is None


# --- time ---

@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """The process's local time zone 5:30 ahead of UTC, so local time and UTC differ."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
def test_utc_is_naive_utc_whatever_the_local_time_zone() -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    assert access.utc(datetime(2026, 1, 1, 12, 0, tzinfo=india)) == datetime(2026, 1, 1, 6, 30)
    assert access.utc(datetime(2026, 1, 1, 12, 0)) == datetime(2026, 1, 1, 12, 0)  # naive: already UTC
    before = datetime.now(UTC).replace(tzinfo=None)
    now = access.utc()
    assert now.tzinfo is None and before <= now <= datetime.now(UTC).replace(tzinfo=None)


def test_a_new_question_closes_the_one_before(engine: Engine) -> None:
    info, secret = service.start_class(engine, "sequence-classification")
    questions.open_question(engine, info.code, secret, "First?", ["a", "b"], 0)
    second = questions.open_question(engine, info.code, secret, "Second?", ["a", "b"], 1)
    with session_of(engine) as s:
        question = access.open_question(s, access.find_class(s, info.code))
        assert question is not None and (question.id, question.position, question.text) == (second.id, 2, "Second?")

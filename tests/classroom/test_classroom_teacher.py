"""Teacher-only controls: the secret check, the roster, renaming, removing, ending, deleting, expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pipeline.classroom import (
    ClassEnded,
    ClassExpired,
    UnknownClass,
    UnknownLearner,
    WrongSecret,
    answer,
    class_state,
    delete_class,
    distribution,
    end_class,
    expire_classes,
    join_class,
    learner_view,
    open_question,
    remove_learner,
    rename_learner,
    results_csv,
    reveal,
    roster,
    set_following,
    set_stage,
    set_view,
    start_class,
)
from pipeline.classroom.store import AnswerRow, ClassRow, LearnerRow, QuestionRow, transact

LESSON = "sequence-classification"
CHOICES = ("ids", "vectors", "labels")
TABLES = ("classroom_classes", "classroom_learners", "classroom_questions", "classroom_answers")


def teacher_calls(engine, code, secret, learner_id=1, question_id=1):
    """Every teacher function, called with ``secret``."""
    return {
        "set_view": lambda: set_view(engine, code, secret, stage=1),
        "set_stage": lambda: set_stage(engine, code, secret, 1),
        "rename_learner": lambda: rename_learner(engine, code, secret, learner_id, "Zed"),
        "remove_learner": lambda: remove_learner(engine, code, secret, learner_id),
        "open_question": lambda: open_question(engine, code, secret, "Q?", CHOICES, 0),
        "reveal": lambda: reveal(engine, code, secret, question_id),
        "end_class": lambda: end_class(engine, code, secret),
        "delete_class": lambda: delete_class(engine, code, secret),
        "roster": lambda: roster(engine, code, secret),
        "distribution": lambda: distribution(engine, code, secret, question_id),
        "results_csv": lambda: results_csv(engine, code, secret),
    }


def rows_per_table(engine):
    """How many rows each classroom table holds."""
    def count(session):
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t))
                for t in (ClassRow, LearnerRow, QuestionRow, AnswerRow)}
    return transact(engine, count, write=False)


@pytest.mark.parametrize("name", list(teacher_calls(None, "", "")))
def test_a_learner_can_never_use_teacher_controls(engine, started, name):
    ana = join_class(engine, started.code, "Ana")
    question = open_question(engine, started.code, started.secret, "Which?", CHOICES, 1)
    before = (class_state(engine, started.code), rows_per_table(engine))
    calls = teacher_calls(engine, started.code, ana.token, ana.learner_id, question.id)
    with pytest.raises(WrongSecret, match=f"wrong teacher secret for class {started.code}"):
        calls[name]()
    for missing in (None, ""):
        with pytest.raises(WrongSecret, match=f"teacher secret missing for class {started.code}"):
            teacher_calls(engine, started.code, missing, ana.learner_id, question.id)[name]()
    other_secret = start_class(engine, LESSON)[1]
    with pytest.raises(WrongSecret):
        teacher_calls(engine, started.code, other_secret, ana.learner_id, question.id)[name]()
    after = (class_state(engine, started.code), rows_per_table(engine))
    assert after == (before[0], {**before[1], "classroom_classes": 2})


def test_the_roster_lists_learners_with_following_and_answered(engine, started):
    ana, ben, cy = (join_class(engine, started.code, n) for n in ("Ana", "Ben", "Cy"))
    assert [e.answered for e in roster(engine, started.code, started.secret)] == [False] * 3
    question = open_question(engine, started.code, started.secret, "Which?", CHOICES, 1)
    set_following(engine, ben.token, False)
    answer(engine, cy.token, question.id, 2)
    entries = roster(engine, started.code, started.secret)
    assert [(e.learner_id, e.display_name, e.following, e.answered) for e in entries] == [
        (ana.learner_id, "Ana", True, False), (ben.learner_id, "Ben", False, False), (cy.learner_id, "Cy", True, True)]
    assert all(e.joined_at <= e.last_seen for e in entries)


def test_renaming_keeps_names_unique_and_wakes_pollers(engine, started):
    ana, ben = join_class(engine, started.code, "Ana"), join_class(engine, started.code, "Ben")
    assert rename_learner(engine, started.code, started.secret, ben.learner_id, "  Ana ") == "Ana (2)"
    assert rename_learner(engine, started.code, started.secret, ana.learner_id, "Ana") == "Ana"
    assert learner_view(engine, ben.token).membership.display_name == "Ana (2)"
    assert class_state(engine, started.code).version == 3


def test_learners_of_other_classes_cannot_be_renamed_or_removed(engine, started):
    other = start_class(engine, LESSON)[0]
    stranger = join_class(engine, other.code, "Sam")
    for call in (rename_learner, remove_learner):
        args = (stranger.learner_id, "X") if call is rename_learner else (stranger.learner_id,)
        with pytest.raises(UnknownLearner, match=f"no learner {stranger.learner_id} in class {started.code}"):
            call(engine, started.code, started.secret, *args)
    assert learner_view(engine, stranger.token).membership.display_name == "Sam"


def test_a_removed_learner_loses_their_token_and_answers(engine, started):
    ana, ben = join_class(engine, started.code, "Ana"), join_class(engine, started.code, "Ben")
    question = open_question(engine, started.code, started.secret, "Which?", CHOICES, 1)
    answer(engine, ana.token, question.id, 0)
    answer(engine, ben.token, question.id, 1)
    remove_learner(engine, started.code, started.secret, ana.learner_id)
    for call in (lambda: learner_view(engine, ana.token), lambda: answer(engine, ana.token, question.id, 1),
                 lambda: set_following(engine, ana.token, False)):
        with pytest.raises(UnknownLearner, match="unknown learner token"):
            call()
    assert [e.display_name for e in roster(engine, started.code, started.secret)] == ["Ben"]
    assert distribution(engine, started.code, started.secret, question.id).counts == (0, 1, 0)
    assert join_class(engine, started.code, "Ana", token=ana.token).learner_id != ana.learner_id


def test_an_ended_class_refuses_changes_but_keeps_its_results(engine, started):
    ana = join_class(engine, started.code, "Ana")
    question = open_question(engine, started.code, started.secret, "Which?", CHOICES, 1)
    answer(engine, ana.token, question.id, 1)
    state = end_class(engine, started.code, started.secret)
    assert (state.ended, state.version) == (True, 3)
    assert end_class(engine, started.code, started.secret).version == 3  # ending twice changes nothing
    refused = [lambda: join_class(engine, started.code, "Ben"), lambda: answer(engine, ana.token, question.id, 0),
               lambda: set_following(engine, ana.token, False),
               lambda: set_stage(engine, started.code, started.secret, 2),
               lambda: open_question(engine, started.code, started.secret, "Q?", CHOICES, 0),
               lambda: rename_learner(engine, started.code, started.secret, ana.learner_id, "B")]
    for call in refused:
        with pytest.raises(ClassEnded, match=f"class {started.code} has ended"):
            call()
    assert learner_view(engine, ana.token).state.ended is True
    assert class_state(engine, started.code).ended is True
    assert distribution(engine, started.code, started.secret, question.id).answered == 1
    assert len(roster(engine, started.code, started.secret)) == 1
    assert "Ana" in results_csv(engine, started.code, started.secret)


def test_delete_class_removes_every_row_of_that_class_only(engine, started):
    keep = start_class(engine, LESSON)
    tokens = {}
    for code, secret in (started, (keep[0].code, keep[1])):
        tokens[code] = join_class(engine, code, "Ana").token
        question = open_question(engine, code, secret, "Which?", CHOICES, 1)
        answer(engine, tokens[code], question.id, 1)
    delete_class(engine, started.code, started.secret)
    assert rows_per_table(engine) == dict.fromkeys(TABLES, 1)
    with pytest.raises(UnknownClass, match=f"no class with code {started.code}"):
        class_state(engine, started.code)
    with pytest.raises(UnknownLearner):
        learner_view(engine, tokens[started.code])
    assert learner_view(engine, tokens[keep[0].code]).my_choice == 1


def test_expire_classes_deletes_old_classes_with_their_answers(engine):
    now = datetime.now(UTC)
    old, fresh = start_class(engine, LESSON, hours=1, now=now), start_class(engine, LESSON, hours=4, now=now)
    for info, secret in (old, fresh):
        learner = join_class(engine, info.code, "Ana")
        answer(engine, learner.token, open_question(engine, info.code, secret, "Q?", CHOICES, 0).id, 0)
    assert expire_classes(engine, now + timedelta(minutes=59)) == 0
    assert expire_classes(engine, now + timedelta(hours=2)) == 1
    assert rows_per_table(engine) == dict.fromkeys(TABLES, 1)
    with pytest.raises(UnknownClass):
        class_state(engine, old[0].code)
    assert class_state(engine, fresh[0].code).question is not None
    assert expire_classes(engine, now + timedelta(hours=5)) == 1
    assert rows_per_table(engine) == dict.fromkeys(TABLES, 0)


def test_an_expired_class_refuses_teacher_and_learners(engine, started):
    ana = join_class(engine, started.code, "Ana")
    question = open_question(engine, started.code, started.secret, "Which?", CHOICES, 1)
    past = datetime(2000, 1, 1)
    transact(engine, lambda s: s.execute(ClassRow.__table__.update().values(expires_at=past)))
    teacher = teacher_calls(engine, started.code, started.secret, ana.learner_id, question.id)
    del teacher["delete_class"]  # stays allowed: the teacher may clean up
    calls = [lambda: learner_view(engine, ana.token), lambda: answer(engine, ana.token, question.id, 0),
             lambda: set_following(engine, ana.token, False), lambda: join_class(engine, started.code, "Ben"),
             lambda: join_class(engine, started.code, "Ana", token=ana.token),
             lambda: class_state(engine, started.code), *teacher.values()]
    for call in calls:
        with pytest.raises(ClassExpired, match=f"class {started.code} expired at 2000-01-01 00:00 UTC"):
            call()


def test_the_teacher_can_delete_an_expired_class(engine):
    info, secret = start_class(engine, LESSON, hours=1, now=datetime.now(UTC) - timedelta(hours=2))
    with pytest.raises(WrongSecret):
        delete_class(engine, info.code, "not it")
    delete_class(engine, info.code, secret)
    assert rows_per_table(engine)["classroom_classes"] == 0

"""Starting a class, joining it, and following the teacher's view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from pipeline.classroom import (
    ClassExpired,
    ClassFull,
    InvalidCode,
    InvalidName,
    InvalidValue,
    UnknownClass,
    UnknownLearner,
    class_state,
    join_class,
    learner_view,
    set_following,
    set_stage,
    set_view,
    start_class,
    state_if_changed,
)
from pipeline.classroom.credentials import CODE_ALPHABET
from pipeline.classroom.store import ClassRow, LearnerRow, transact

LESSON = "sequence-classification"


def test_start_class_gives_a_code_a_secret_and_a_four_hour_lifetime(engine):
    now = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
    info, secret = start_class(engine, LESSON, run_key="default", text="a fine film", now=now)
    assert len(info.code) == 6 and set(info.code) <= set(CODE_ALPHABET)
    assert (info.lesson, info.cap, info.created_at) == (LESSON, 200, datetime(2030, 5, 1, 9, 0))
    assert info.expires_at - info.created_at == timedelta(hours=4)
    assert len(secret) >= 32


def test_the_teacher_secret_is_stored_only_as_a_salted_hash(engine):
    info, secret = start_class(engine, LESSON)
    again, same_secret_twice = start_class(engine, LESSON)[0], None
    stored = transact(engine, lambda s: s.scalars(select(ClassRow).order_by(ClassRow.id)).all(), write=False)
    assert secret not in repr([vars(row) for row in stored]) and same_secret_twice is None
    assert stored[0].code == info.code and stored[1].code == again.code
    salt, _, digest = stored[0].secret_hash.partition("$")
    assert len(salt) == 32 and len(digest) == 64


def test_lifetime_and_cap_come_from_the_environment_unless_given(engine, monkeypatch):
    monkeypatch.setenv("PIPELINE_TRACE_CLASS_HOURS", "1.5")
    monkeypatch.setenv("PIPELINE_TRACE_CLASS_CAP", "30")
    info = start_class(engine, LESSON)[0]
    assert (info.expires_at - info.created_at, info.cap) == (timedelta(hours=1.5), 30)
    assert start_class(engine, LESSON, cap=7, hours=2)[0].cap == 7
    monkeypatch.setenv("PIPELINE_TRACE_CLASS_CAP", "lots")
    with pytest.raises(InvalidValue, match="PIPELINE_TRACE_CLASS_CAP must be a number, got 'lots'"):
        start_class(engine, LESSON)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"lesson": "Bad Lesson!"}, "lesson must be a slug .* got 'Bad Lesson!'"),
    ({"cap": 0}, "learner cap must be an integer from 1 to 5000, got 0"),
    ({"hours": -1}, "class lifetime must be more than 0 .* got -1"),
    ({"text": "x" * 10_001}, "input text must be text of at most 10000 characters, got 10001"),
    ({"run_key": "k" * 201}, "run key must be text of at most 200 characters"),
])
def test_start_class_refuses_bad_settings(engine, kwargs, message):
    with pytest.raises(InvalidValue, match=message):
        start_class(engine, **{"lesson": LESSON, **kwargs})


def test_two_learners_join_one_class(engine, started):
    ana, ben = join_class(engine, started.code, "Ana"), join_class(engine, started.code, "Ben")
    assert (ana.code, ana.display_name, ana.following) == (started.code, "Ana", True)
    assert ben.display_name == "Ben" and ana.learner_id != ben.learner_id and ana.token != ben.token
    assert learner_view(engine, ana.token).membership == ana
    assert learner_view(engine, ben.token).state.lesson == LESSON


def test_codes_are_case_insensitive_and_forgive_spaces_and_dashes(engine, started):
    typed = f" {started.code[:3].lower()}-{started.code[3:].lower()} "
    assert join_class(engine, typed, "Ana").code == started.code
    assert class_state(engine, started.code.lower()).code == started.code


@pytest.mark.parametrize("code", ["ABC", "ABCDEFG", "O0I1L5", "ÄBCDEF", ""])
def test_impossible_codes_are_refused_by_name(engine, code):
    with pytest.raises(InvalidCode, match=f"got {code!r}"):
        join_class(engine, code, "Ana")


def test_an_unknown_code_is_refused(engine):
    with pytest.raises(UnknownClass, match="no class with code ZZZZZZ"):
        join_class(engine, "zzzzzz", "Ana")


def test_duplicate_names_are_made_unique(engine, started):
    names = [join_class(engine, started.code, name).display_name for name in ("Ana", "Ana", "ana", " Ana  ")]
    assert names == ["Ana", "Ana (2)", "ana (3)", "Ana (4)"]


def test_names_lose_invisible_characters_and_are_bounded(engine, started):
    assert join_class(engine, started.code, " \u202eA\u200bn\x07a\u00a0 B ").display_name == "Ana B"
    for bad in ("", "   ", "\u200b\u202e\x00"):
        with pytest.raises(InvalidName, match="display name is empty"):
            join_class(engine, started.code, bad)
    with pytest.raises(InvalidName, match="at most 40 characters, got 41"):
        join_class(engine, started.code, "x" * 41)
    assert join_class(engine, started.code, "y" * 40).display_name == "y" * 40


def test_a_learner_with_their_token_rejoins_as_themselves(engine, started):
    ana = join_class(engine, started.code, "Ana")
    back = join_class(engine, started.code, "someone else", token=ana.token)
    assert back == ana
    assert join_class(engine, started.code, "Ben").display_name == "Ben"


def test_a_token_from_elsewhere_just_joins_afresh(engine, started):
    other = start_class(engine, LESSON)[0]
    stranger = join_class(engine, other.code, "Ana")
    for token in (stranger.token, "123.nope", "garbage"):
        fresh = join_class(engine, started.code, "Ana", token=token)
        assert fresh.learner_id != stranger.learner_id and fresh.token != token


def test_a_full_class_refuses_newcomers_but_not_returning_learners(engine):
    info = start_class(engine, LESSON, cap=2)[0]
    ana, _ = join_class(engine, info.code, "Ana"), join_class(engine, info.code, "Ben")
    with pytest.raises(ClassFull, match=f"class {info.code} is full \\(2 learners\\)"):
        join_class(engine, info.code, "Cy")
    assert join_class(engine, info.code, "Ana", token=ana.token) == ana


def test_class_state_shows_the_teachers_view(engine, started):
    state = class_state(engine, started.code)
    assert (state.lesson, state.run_key, state.text, state.stage) == (LESSON, "default", "a fine film", 0)
    assert (state.version, state.ended, state.question) == (1, False, None)


def test_set_view_changes_only_given_fields_and_bumps_the_version_once(engine, started):
    state = set_view(engine, started.code, started.secret, lesson="seq2seq", text="two thousand", stage=3)
    assert (state.lesson, state.run_key, state.text, state.stage, state.version) == (
        "seq2seq", "default", "two thousand", 3, 2)
    assert set_view(engine, started.code, started.secret, stage=3).version == 2  # nothing changed: no wake-up
    assert set_stage(engine, started.code, started.secret, 4).stage == 4
    assert class_state(engine, started.code).version == 3


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"stage": -1}, "stage must be an integer from 0 to 999, got -1"),
    ({"stage": True}, "got True"),
    ({"stage": 1000}, "got 1000"),
    ({"lesson": ""}, "lesson must be a slug"),
    ({"text": "x" * 10_001}, "got 10001"),
])
def test_set_view_refuses_bad_values(engine, started, kwargs, message):
    with pytest.raises(InvalidValue, match=message):
        set_view(engine, started.code, started.secret, **kwargs)


def test_state_if_changed_is_one_small_query_when_nothing_changed(engine, started):
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
    event.listen(engine, "before_cursor_execute", listener)
    try:
        assert state_if_changed(engine, started.code, 1) is None
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    queries = [s for s in statements if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]
    assert len(queries) == 1 and "version" in queries[0]
    set_stage(engine, started.code, started.secret, 2)
    changed = state_if_changed(engine, started.code, 1)
    assert changed is not None and (changed.version, changed.stage) == (2, 2)
    with pytest.raises(UnknownClass):
        state_if_changed(engine, "ZZZZZZ", 1)


def test_following_can_be_switched_off_and_on(engine, started):
    ana = join_class(engine, started.code, "Ana")
    assert set_following(engine, ana.token, False).following is False
    assert learner_view(engine, ana.token).membership.following is False
    assert set_following(engine, ana.token, True).following is True


@pytest.mark.parametrize("token", ["", "1.", ".abc", "x.y", "99999.nope", None])
def test_unknown_learner_tokens_are_refused(engine, started, token):
    join_class(engine, started.code, "Ana")
    with pytest.raises(UnknownLearner, match="unknown learner token"):
        learner_view(engine, token)
    with pytest.raises(UnknownLearner):
        set_following(engine, token, False)


def test_a_forged_token_with_a_real_learner_id_is_refused(engine, started):
    ana = join_class(engine, started.code, "Ana")
    with pytest.raises(UnknownLearner):
        learner_view(engine, f"{ana.learner_id}.{'A' * 32}")


def test_last_seen_is_refreshed_by_the_learners_calls(engine, started):
    ana = join_class(engine, started.code, "Ana")
    old = datetime(2000, 1, 1)

    def age(session):
        session.get(LearnerRow, ana.learner_id).last_seen = old

    transact(engine, age)
    learner_view(engine, ana.token)
    seen = transact(engine, lambda s: s.get(LearnerRow, ana.learner_id).last_seen, write=False)
    assert seen > old


def test_a_class_started_long_ago_is_expired(engine):
    info, secret = start_class(engine, LESSON, hours=1, now=datetime.now(UTC) - timedelta(hours=2))
    for call in (lambda: join_class(engine, info.code, "Ana"), lambda: class_state(engine, info.code),
                 lambda: state_if_changed(engine, info.code, 1), lambda: set_stage(engine, info.code, secret, 1)):
        with pytest.raises(ClassExpired, match=f"class {info.code} expired at"):
            call()

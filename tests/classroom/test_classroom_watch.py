"""A server process's ClassWatch: one read query for every followed class, each move seen once, gone classes said."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from pipeline.classroom import delete_class, join_class, open_question, set_stage, start_class
from pipeline.classroom.watch import ClassWatch


def count_statements(engine):
    seen = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_one_query_answers_for_every_followed_class_and_only_moves_load_a_state(engine):
    classes = [start_class(engine, "sequence-classification") for _ in range(5)]
    watch = ClassWatch(engine)
    for info, _ in classes:
        watch.follow(info.code)
    assert {code for code, _ in watch.check()} == {info.code for info, _ in classes}  # first look: all new
    statements = count_statements(engine)
    assert watch.check() == []  # nothing moved: one query, nothing loaded
    assert sum(s.lstrip().upper().startswith("SELECT") for s in statements) == 1
    assert not any(s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")) for s in statements)
    (moved_info, secret) = classes[2]
    set_stage(engine, moved_info.code, secret, 3)
    moved = watch.check()
    assert [(code, state.stage) for code, state in moved] == [(moved_info.code, 3)]
    assert watch.latest(moved_info.code).stage == 3 and watch.check() == []


def test_joins_do_not_wake_the_watch_but_questions_do(engine):
    info, secret = start_class(engine, "sequence-classification")
    watch = ClassWatch(engine)
    watch.follow(info.code)
    watch.check()
    join_class(engine, info.code, "Ana")
    assert watch.check() == []
    question = open_question(engine, info.code, secret, "Pick one", ["a", "b"], 0)
    [(_, state)] = watch.check()
    assert state.question.id == question.id


def test_a_deleted_or_expired_class_is_said_gone_once(engine):
    info, secret = start_class(engine, "sequence-classification")
    old = start_class(engine, "sequence-classification", now=datetime.now(UTC) - timedelta(hours=5))[0]
    watch = ClassWatch(engine)
    watch.follow(info.code)
    watch.follow(old.code)
    assert dict(watch.check())[old.code] is None
    delete_class(engine, info.code, secret)
    assert watch.check() == [(info.code, None)]
    assert watch.check() == []


def test_a_class_is_watched_while_someone_follows_it(engine):
    info, secret = start_class(engine, "sequence-classification")
    watch = ClassWatch(engine)
    watch.follow(info.code)
    watch.follow(info.code)
    watch.check()
    watch.unfollow(info.code)
    set_stage(engine, info.code, secret, 1)
    assert [code for code, _ in watch.check()] == [info.code]
    watch.unfollow(info.code)
    set_stage(engine, info.code, secret, 2)
    assert watch.check() == [] and watch.latest(info.code) is None


def test_the_watch_thread_calls_back_on_a_move(engine):
    import threading

    info, secret = start_class(engine, "sequence-classification")
    heard, done = [], threading.Event()
    watch = ClassWatch(engine, on_change=lambda code, state: (heard.append(state.stage), done.set()), every=0.05)
    watch.follow(info.code)
    watch.check()
    watch.start()
    try:
        set_stage(engine, info.code, secret, 4)
        watch.poke()
        assert done.wait(10)
    finally:
        watch.stop()
    assert heard == [4]


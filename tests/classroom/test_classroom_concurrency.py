"""Many learners at once: no join and no answer may be lost, on SQLite or PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from pipeline.classroom import answer, distribution, join_class, open_question, roster, start_class

LEARNERS = 50
CHOICES = ("a", "b", "c", "d")


def run_together(count: int, work):
    """Call ``work(i)`` for i in range(count) from ``count`` threads released at the same moment."""
    start = threading.Barrier(count)

    def task(i):
        start.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def test_fifty_learners_join_and_answer_at_once_and_nothing_is_lost(engine):
    info, secret = start_class(engine, "sequence-classification", cap=LEARNERS)
    members = run_together(LEARNERS, lambda i: join_class(engine, info.code, "Learner"))
    names = sorted(m.display_name for m in members)
    assert len(set(names)) == LEARNERS and "Learner" in names and f"Learner ({LEARNERS})" in names
    question = open_question(engine, info.code, secret, "Pick one", CHOICES, 0)
    receipts = run_together(LEARNERS, lambda i: answer(engine, members[i].token, question.id, i % len(CHOICES)))
    assert sorted(r.learner_id for r in receipts) == sorted(m.learner_id for m in members)
    shown = distribution(engine, info.code, secret, question.id)
    assert (shown.answered, shown.learners) == (LEARNERS, LEARNERS)
    assert shown.counts == tuple(len(range(c, LEARNERS, len(CHOICES))) for c in range(len(CHOICES)))
    assert all(entry.answered for entry in roster(engine, info.code, secret))


def test_one_learner_answering_twice_at_once_keeps_one_answer(engine):
    info, secret = start_class(engine, "sequence-classification")
    ana = join_class(engine, info.code, "Ana")
    question = open_question(engine, info.code, secret, "Pick one", CHOICES, 0)
    receipts = run_together(8, lambda i: answer(engine, ana.token, question.id, i % 2))
    assert sum(not r.replaced for r in receipts) == 1
    assert distribution(engine, info.code, secret, question.id).answered == 1

"""What a learner's page costs the database: reads, no write lock, no write while they were seen a moment ago."""

from __future__ import annotations

from sqlalchemy import event

from pipeline.classroom import join_class, learner_view


def test_a_learners_page_reads_without_a_write_lock(engine, started):
    ana = join_class(engine, started.code, "Ana")
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    began = []
    event.listen(engine, "begin", lambda connection: began.append(
        connection.get_execution_options().get("classroom_write", False)))
    for _ in range(3):  # a learner's full runs, seen a moment ago: reads only
        learner_view(engine, ana.token)
    assert began == [False, False, False]
    assert not any(s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")) for s in statements)

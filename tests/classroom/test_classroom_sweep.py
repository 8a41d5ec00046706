"""The server deletes expired classes by itself: names and answers are gone soon after expiry, as promised."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from pipeline.classroom import answer, join_class, open_question, service, start_class, store
from pipeline.classroom.store import AnswerRow, ClassRow, LearnerRow, transact

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
from servers import free_port, stop, wait_healthy  # noqa: E402

SWEEP_SECONDS = 0.5


def counts(engine) -> tuple[int, int, int]:
    return transact(engine, lambda s: tuple(s.scalar(select(func.count()).select_from(t))
                                            for t in (ClassRow, LearnerRow, AnswerRow)), write=False)


def test_an_expired_class_with_its_names_and_answers_is_swept_by_the_running_server(tmp_path):
    engine = store.open_engine(f"sqlite:///{tmp_path / store.DB_FILE}")
    info, secret = start_class(engine, "sequence-classification", hours=2 / 3600)  # expires in 2 s
    members = [join_class(engine, info.code, name) for name in ("Ana", "Ben")]
    question = open_question(engine, info.code, secret, "Pick one", ["a", "b"], 0)
    for member in members:
        answer(engine, member.token, question.id, 1)
    start_class(engine, "sequence-classification")  # a class still open: it stays
    assert counts(engine) == (2, 2, 2)
    port = free_port()
    env = {**os.environ, "PIPELINE_TRACE_DATA": str(tmp_path), "PIPELINE_TRACE_SWEEP_SECONDS": str(SWEEP_SECONDS)}
    env.pop(store.URL_ENV, None)
    with (tmp_path / "server.log").open("w") as log:
        server = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", "--port", str(port), "--no-warm-up"],
                                  cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_healthy(port, server, timeout=90)
        deadline = time.monotonic() + 30  # nobody opens a page: the server sweeps on its own
        while counts(engine) != (1, 0, 0) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop(server)
    assert counts(engine) == (1, 0, 0)
    assert transact(engine, lambda s: s.scalar(select(ClassRow.code)), write=False) != info.code
    assert service.expire_classes(engine) == 0  # nothing was left for anyone else to do

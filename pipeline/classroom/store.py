"""Where class sessions are kept: the typed ORM tables, the engine factory and short transactions.

SQLite in the data folder is the default; ``PIPELINE_TRACE_DB_URL`` switches to any SQLAlchemy URL
(PostgreSQL: ``postgresql+psycopg://user:password@host/db``). The schema is created and upgraded
by the Alembic migrations in ``migrations/`` the first time an engine is asked for.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from pipeline.classroom.migrate import upgrade
from pipeline.classroom.where import DB_FILE, URL_ENV
from pipeline.paths import DATA_ENV, data_dir

__all__ = ["DB_FILE", "URL_ENV"]  # where the database is, for the store's users (defined without SQLAlchemy)
BUSY_TIMEOUT_MS = 10_000  # how long SQLite waits for another writer before reporting "database is locked"
LOCK_RETRIES = 5  # then this many retries of the whole transaction, with jittered back-off
SOURCES = ("written", "generated", "teacher")
T = TypeVar("T")


class Base(DeclarativeBase):
    """Base of the classroom tables."""


class ClassRow(Base):
    """One class: its code, the teacher's hashed secret, lifetime, and the view learners follow."""

    __tablename__ = "classroom_classes"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    lesson: Mapped[str] = mapped_column(String(80))
    run_key: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    ended: Mapped[bool] = mapped_column(Boolean, default=False)
    cap: Mapped[int] = mapped_column(Integer)


class LearnerRow(Base):
    """One learner in one class; neither the token nor the rejoin code is stored, only their hashes."""

    __tablename__ = "classroom_learners"
    __table_args__ = (UniqueConstraint("class_id", "display_name", name="uq_classroom_learner_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classroom_classes.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(40))
    token_hash: Mapped[str] = mapped_column(String(128))
    following: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    rejoin_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)  # the short code, hashed


class QuestionRow(Base):
    """One quiz question the teacher opened in a class."""

    __tablename__ = "classroom_questions"
    __table_args__ = (
        UniqueConstraint("class_id", "position", name="uq_classroom_question_position"),
        CheckConstraint("source IN ('written', 'generated', 'teacher')", name="ck_classroom_question_source"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("classroom_classes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[str]] = mapped_column(JSON)
    answer: Mapped[int] = mapped_column(Integer)
    explanation: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    opened: Mapped[bool] = mapped_column(Boolean, default=True)
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    # a guess asked before a stage is shown: its index in the stepper, and the input it shows (None, "": a quiz)
    stage: Mapped[int | None] = mapped_column(Integer, nullable=True)
    about: Mapped[str] = mapped_column(Text, default="", server_default="")


class AnswerRow(Base):
    """A learner's choice for a question; at most one per learner and question."""

    __tablename__ = "classroom_answers"
    __table_args__ = (UniqueConstraint("question_id", "learner_id", name="uq_classroom_answer_once"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("classroom_questions.id", ondelete="CASCADE"), index=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("classroom_learners.id", ondelete="CASCADE"), index=True)
    choice: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(DateTime)


def default_url() -> str:
    """``PIPELINE_TRACE_DB_URL`` if set, else the SQLite file in ``PIPELINE_TRACE_DATA`` (created if missing)."""
    if url := os.environ.get(URL_ENV, "").strip():
        return url
    return f"sqlite:///{data_dir() / DB_FILE}"


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
_default: dict[tuple[str, str], Engine] = {}  # (PIPELINE_TRACE_DB_URL, PIPELINE_TRACE_DATA) -> its engine


def engine_for(url: str | None = None) -> Engine:
    """The process's one engine for ``url`` (default: :func:`default_url`), migrated to the latest schema.

    The default engine is found from the two settings alone, without touching the disk: a page asks for
    it on every run, and :func:`default_url` makes the data folder (a ``mkdir`` and a ``stat``) each time."""
    if url is None:
        settings = (os.environ.get(URL_ENV, ""), os.environ.get(DATA_ENV, ""))
        found = _default.get(settings)
        if found is not None:
            return found
        engine = engine_for(default_url())
        _default[settings] = engine
        return engine
    with _engines_lock:
        if url not in _engines:
            _engines[url] = open_engine(url)
        return _engines[url]


def dispose_engines() -> None:
    """Close every cached engine's connections and forget them (tests, shutdown)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _default.clear()


def open_engine(url: str) -> Engine:
    """A new, uncached engine for ``url``, with SQLite tuned for many short writers, migrated to head."""
    is_sqlite = url.startswith("sqlite")
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=not is_sqlite)
    if is_sqlite:
        _tune_sqlite(engine)
    upgrade(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout and foreign keys on every connection; writers take the lock at BEGIN."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", f"busy_timeout={BUSY_TIMEOUT_MS}", "foreign_keys=ON", "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that reads, then writes, can fail at once with "database is locked"
        # when another writer got in between; BEGIN IMMEDIATE waits for the lock up front instead.
        writing = connection.get_execution_options().get("classroom_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def transact(engine: Engine, work: Callable[[Session], T], *, write: bool = True) -> T:
    """Run ``work(session)`` in one short transaction and commit; retried while SQLite reports a lock."""
    bind = engine.execution_options(classroom_write=True) if write else engine
    for attempt in range(LOCK_RETRIES + 1):
        try:
            with Session(bind, expire_on_commit=False) as session, session.begin():
                return work(session)
        except OperationalError as e:
            if attempt == LOCK_RETRIES or "locked" not in str(e.orig).lower():
                raise
            time.sleep(random.uniform(0.01, 0.05) * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover

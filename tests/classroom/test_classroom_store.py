"""The storage layer: engine factory, SQLite settings, migrations, and retries on a locked database."""

from __future__ import annotations

import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, text
from sqlalchemy.exc import OperationalError

from pipeline.classroom import class_state, join_class, start_class
from pipeline.classroom import store as store_module
from pipeline.classroom.migrate import MIGRATIONS, VERSION_TABLE, current_revision, head_revision, upgrade
from pipeline.classroom.store import DB_FILE, default_url, dispose_engines, engine_for, open_engine, transact

TABLES = {"classroom_classes", "classroom_learners", "classroom_questions", "classroom_answers", VERSION_TABLE}


def test_a_fresh_database_is_created_on_first_use(tmp_path, monkeypatch):
    data = tmp_path / "nested" / "data"
    monkeypatch.setenv("PIPELINE_TRACE_DATA", str(data))
    assert not data.exists()
    engine = engine_for()
    assert (data / DB_FILE).is_file()
    assert set(inspect(engine).get_table_names()) == TABLES
    assert current_revision(engine) == head_revision() == "0003"
    info = start_class(engine, "sequence-classification")[0]
    assert class_state(engine, info.code).version == 1


def test_migrating_twice_is_harmless(tmp_path):
    url = f"sqlite:///{tmp_path / 'twice.sqlite3'}"
    engine = open_engine(url)
    info = start_class(engine, "sequence-classification")[0]
    join_class(engine, info.code, "Ana")
    upgrade(engine)
    again = open_engine(url)
    assert current_revision(again) == head_revision()
    with again.connect() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 1
    assert class_state(again, info.code).code == info.code
    again.dispose()
    engine.dispose()


def test_the_migrated_schema_matches_the_models(engine):
    upgrade(engine)  # a second upgrade on either backend is a no-op
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, store_module.Base.metadata) == []
    assert current_revision(engine) == head_revision()


def test_the_migrations_ship_inside_the_package():
    assert (MIGRATIONS / "env.py").is_file() and (MIGRATIONS / "script.py.mako").is_file()
    assert sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py")) == ["0001_initial.py", "0002_rejoin_code.py",
                                                                          "0003_stage_guesses.py"]


def test_engines_are_cached_per_url(tmp_path, monkeypatch):
    first, second = f"sqlite:///{tmp_path / 'a.sqlite3'}", f"sqlite:///{tmp_path / 'b.sqlite3'}"
    assert engine_for(first) is engine_for(first)
    assert engine_for(first) is not engine_for(second)
    monkeypatch.setenv("PIPELINE_TRACE_DB_URL", second)
    assert default_url() == second and engine_for() is engine_for(second)
    dispose_engines()
    assert engine_for(first) is not None


def test_default_url_is_the_sqlite_file_in_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PIPELINE_TRACE_DATA", str(tmp_path / "d"))
    assert default_url() == f"sqlite:///{tmp_path / 'd' / DB_FILE}"
    monkeypatch.delenv("PIPELINE_TRACE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_url() == f"sqlite:///{tmp_path / 'home' / '.local/share/pipeline-trace' / DB_FILE}"


def test_sqlite_connections_use_wal_a_busy_timeout_and_foreign_keys(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    with engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert (pragma("journal_mode"), pragma("busy_timeout"), pragma("foreign_keys")) == ("wal", 10_000, 1)
    engine.dispose()


def test_sqlite_writers_take_the_lock_at_begin(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'begin.sqlite3'}")
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    transact(engine, lambda s: s.execute(text("SELECT 1")))
    transact(engine, lambda s: s.execute(text("SELECT 2")), write=False)
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE", "BEGIN"]
    engine.dispose()


def locked(message: str = "database is locked") -> OperationalError:
    """The error SQLAlchemy raises when SQLite gives up waiting for a lock."""
    return OperationalError("UPDATE ...", {}, sqlite3.OperationalError(message))


def test_transact_retries_while_the_database_is_locked(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module.time, "sleep", lambda _seconds: None)
    engine = open_engine(f"sqlite:///{tmp_path / 'retry.sqlite3'}")
    tries: list[str] = []

    def failing(times: int, message: str = "database is locked"):
        def work(_session):
            tries.append(message)
            if len(tries) <= times:
                raise locked(message)
            return "done"
        tries.clear()
        return work

    assert transact(engine, failing(2)) == "done" and len(tries) == 3
    with pytest.raises(OperationalError, match="database is locked"):
        transact(engine, failing(99))
    assert len(tries) == store_module.LOCK_RETRIES + 1
    with pytest.raises(OperationalError, match="no such table"):
        transact(engine, failing(1, "no such table: x"))
    assert len(tries) == 1
    engine.dispose()

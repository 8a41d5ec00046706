"""Classroom fixtures: an engine per storage backend (SQLite always; PostgreSQL when a URL is given)."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from pipeline import paths
from pipeline.classroom import service, store

PG_ENV = "PIPELINE_TRACE_TEST_PG_URL"
NO_PG = f'{PG_ENV} is not set: eval "$(.ci/postgres.sh)" starts a local PostgreSQL and sets it'
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(not os.environ.get(PG_ENV), reason=NO_PG)),
]
TABLES = ("classroom_answers", "classroom_questions", "classroom_learners", "classroom_classes")
SETTINGS = (store.URL_ENV, paths.DATA_ENV, service.HOURS_ENV, service.CAP_ENV)


class Started(NamedTuple):
    """A class a test started: its code and teacher secret."""

    code: str
    secret: str


@pytest.fixture(autouse=True)
def _own_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test reads the developer's settings or writes to their data folder."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path / "data"))
    yield
    store.dispose_engines()


@contextmanager
def fresh_pg_schema(base_url: str) -> Iterator[str]:
    """A URL whose connections use a new, empty schema, dropped with everything in it afterwards."""
    schema = f"pt_test_{secrets.token_hex(6)}"
    admin = create_engine(base_url, poolclass=NullPool)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file that each test copies (migrating is the slow part of a fresh file)."""
    path = tmp_path_factory.mktemp("template") / "classroom.sqlite3"
    store.open_engine(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """One engine per test run on a fresh PostgreSQL schema, dropped at the end of the run."""
    with fresh_pg_schema(os.environ[PG_ENV]) as url:
        opened = store.open_engine(url)
        yield opened
        opened.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated engine on an empty database, for each backend."""
    if request.param == "sqlite":
        path = tmp_path / "classroom.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        opened = store.open_engine(f"sqlite:///{path}")
        yield opened
        opened.dispose()
        return
    opened = request.getfixturevalue("pg_engine")
    yield opened
    with opened.begin() as connection:  # the next test starts from empty tables
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def started(engine: Engine) -> Started:
    """A class on the sequence-classification lesson."""
    info, secret = service.start_class(engine, "sequence-classification", run_key="default", text="a fine film")
    return Started(info.code, secret)

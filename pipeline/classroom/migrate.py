"""Schema migrations, run from code: ``upgrade(engine)`` brings any database to the latest revision.

No ``alembic.ini`` is needed at run time: the Alembic config is built here and points at the
``migrations/`` folder shipped inside the package. To add a revision during development::

    from alembic import command
    from pipeline.classroom.migrate import alembic_config
    command.revision(alembic_config(), message="add a column", rev_id="0002")
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")
VERSION_TABLE = "classroom_alembic_version"  # our own, so a shared database can hold other apps' Alembic tables
_PG_LOCK = 7_347_265_001  # advisory lock id: two processes starting on a fresh PostgreSQL migrate one at a time


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the classroom migrations, optionally bound to an open connection."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_table", VERSION_TABLE)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision in ``migrations/versions``."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, f"no migrations found in {MIGRATIONS}"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for a database the migrations never touched."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Create or upgrade the classroom tables to the newest revision; a no-op when already there."""
    with engine.execution_options(classroom_write=True).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_LOCK})
        command.upgrade(alembic_config(connection), "head")

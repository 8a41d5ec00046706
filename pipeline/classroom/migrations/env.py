"""Alembic environment for the classroom tables: runs on the connection ``migrate.upgrade`` hands in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from pipeline.classroom.store import Base

config = context.config
version_table = config.get_main_option("version_table") or "classroom_alembic_version"


def run(connection: Connection) -> None:
    """Run the pending revisions inside the caller's transaction."""
    context.configure(connection=connection, target_metadata=Base.metadata, version_table=version_table,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if context.is_offline_mode() or connection is None:
    raise RuntimeError("classroom migrations run on a live connection, through pipeline.classroom.migrate.upgrade")
run(connection)

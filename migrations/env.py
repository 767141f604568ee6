"""Alembic environment for the nianbao archive.

Generic on purpose: later revisions (0002+) need no change here. When storage opens an archive it
passes its open connection in ``config.attributes["connection"]``; otherwise (plain `alembic`
use) the URL comes from the config's ``sqlalchemy.url`` resolved like ``--db``.
SQLite gets ``render_as_batch`` so ALTER-style operations work through table copies.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from storage.db import create_archive_engine, resolve

    engine = create_archive_engine(resolve(config.get_main_option("sqlalchemy.url")))
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

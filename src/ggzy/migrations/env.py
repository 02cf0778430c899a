"""Alembic environment. The URL comes from the caller (``ggzy db upgrade``) or GGZY_DATABASE_URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import ggzy.models_all  # noqa: F401  (registers every table on the metadata)
from ggzy.common.orm import Base
from ggzy.config import get_settings
from ggzy.db import create_database

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    db = create_database(url)
    with db.write_engine.connect() as conn:
        _run(conn)
        conn.commit()
    db.dispose()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `ggzy db upgrade`")
run_migrations_online()

"""Gap-tolerant, duplicate-free counters for human-readable codes.

``next_value`` increments with one ``UPDATE ... RETURNING``: on PostgreSQL the row lock makes a
second process wait for the first to commit; on SQLite the write transaction holds the database
lock. Either way two processes never receive the same number.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from ggzy.common.orm import Base


class CodeSequence(Base):
    __tablename__ = "code_sequence"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


def next_value(session: Session, key: str) -> int:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(CodeSequence).values(key=key, value=0).on_conflict_do_nothing(index_elements=["key"]))
    value = session.execute(
        update(CodeSequence)
        .where(CodeSequence.key == key)
        .values(value=CodeSequence.value + 1)
        .returning(CodeSequence.value)
    ).scalar_one()
    return int(value)

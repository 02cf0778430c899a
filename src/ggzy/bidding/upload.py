"""Receiving one envelope, the same way for the API's raw body and the page's file upload:
stream it through the envelope reader into a temporary file, make it durable, record the bid,
and leave nothing behind when it is refused."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from ggzy.bidding import envelope, submission
from ggzy.bidding.models import Bid
from ggzy.bidding.store import BidStore
from ggzy.common.errors import InvalidInput
from ggzy.common.signing import PlatformKey
from ggzy.db import Database
from ggzy.identity.permissions import Principal


@dataclass
class Upload:
    store: BidStore
    max_bytes: int
    reader: envelope.Reader = field(init=False)
    _file: BinaryIO = field(init=False)
    _tmp: Path = field(init=False)

    def __post_init__(self) -> None:
        self.reader = envelope.Reader(max_bytes=self.max_bytes)
        self._file, self._tmp = self.store.temp()

    def feed(self, chunk: bytes) -> None:
        try:
            self.reader.feed(chunk)
        except envelope.EnvelopeError as e:
            self.abort()
            raise InvalidInput(str(e), code=e.code) from e
        self._file.write(chunk)

    def abort(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)

    def submit(
        self, db: Database, *, now: Any, principal: Principal, section_id: int, platform_key: PlatformKey
    ) -> tuple[Bid, bool]:
        """Check the finished envelope, store it durably, then record the bid (``now`` is called
        only then: the receipt time is when the whole envelope had arrived)."""
        try:
            header, digest = self.reader.finish()
        except envelope.EnvelopeError as e:
            self.abort()
            raise InvalidInput(str(e), code=e.code) from e
        created = self.store.commit(self._file, self._tmp, digest)
        try:
            with db.transaction() as s:
                received: datetime = now()
                return submission.bid_submit(
                    session=s,
                    now=received,
                    principal=principal,
                    section_id=section_id,
                    header=header,
                    digest=digest,
                    size=self.reader.size,
                    platform_key=platform_key,
                )
        except BaseException:
            if created:  # never delete a copy another upload (or an accepted bid) relies on
                _discard_unreferenced(db, self.store, digest)
            raise


def _discard_unreferenced(db: Database, store: BidStore, digest: str) -> None:
    """A refused upload leaves nothing behind (unless an accepted bid is the very same file)."""
    with contextlib.suppress(Exception), db.session(write=False) as s:
        if s.scalar(select(Bid.id).where(Bid.digest == digest).limit(1)) is None:
            store.discard(digest)

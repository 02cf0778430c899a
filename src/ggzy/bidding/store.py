"""Where envelopes are kept: ``data_dir/bids/<aa>/<sm3 digest>``, written durably.

An upload streams into a temporary file on the same file system while the envelope reader checks
it; the file is fsync'd, renamed to its digest and the directory fsync'd before the database row
is committed, and the receipt is sent only after that commit. So a bid that got a receipt is on
disk and in the database even if the machine loses power a moment later; a file without a row
(the process died before the commit) is never counted: nothing refers to it. ``orphans`` lists
such files (and stale temporary uploads) for the operator to remove.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class BidStore:
    root: Path

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def temp(self) -> tuple[BinaryIO, Path]:
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="up-")
        return os.fdopen(fd, "wb"), Path(name)

    def commit(self, f: BinaryIO, tmp: Path, digest: str) -> bool:
        """Make the finished upload durable under its digest; returns whether this upload put the
        file there (False: identical content was already stored, and this copy is dropped)."""
        f.flush()
        os.fsync(f.fileno())
        f.close()
        final = self.path(digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            tmp.unlink()
            return False
        os.replace(tmp, final)
        _fsync_dir(final.parent)
        return True

    def discard(self, digest: str) -> None:
        self.path(digest).unlink(missing_ok=True)

    def orphans(self, referenced: set[str]) -> list[Path]:
        """Stored envelopes no bid row refers to, and temporary uploads; the caller decides."""
        out = [p for p in self.root.glob("??/*") if p.is_file() and p.name not in referenced]
        tmp = self.root / "tmp"
        return out + (sorted(tmp.iterdir()) if tmp.exists() else [])

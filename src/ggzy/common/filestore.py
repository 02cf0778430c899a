"""Content-addressed file storage: tender documents, later bid envelopes.

A stored file's name *is* its SM3 digest (``root/aa/bb/<digest>``), for three reasons:

* integrity by construction: a blob cannot change without ceasing to match its own name, and
  ``verify`` re-hashes it to prove it has not;
* deduplication: the same document uploaded twice is stored once;
* the digest is what the notice and the audit log publish, so anyone holding a downloaded copy
  can check it is the very file that was announced.

Uploads are streamed: chunks go to a temporary file under ``root/tmp`` (same file system, so the
final rename is atomic) while the digest and size are computed, and the upload is refused as soon
as it exceeds its limit. The type is checked by magic bytes *and* extension, which must agree.
The temporary file is removed on every failure.
"""

from __future__ import annotations

import codecs
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes

from ggzy.common.errors import InvalidInput, NotFound

HEAD_BYTES = 8192
MAX_FILENAME = 200
_READ_CHUNK = 1 << 20
_DIGEST_RE = re.compile(r"[0-9a-f]{64}")

# kind -> (content family its magic bytes must show, Chinese name)
KINDS: dict[str, tuple[str, str]] = {
    "pdf": ("pdf", "PDF 文档"),
    "docx": ("zip", "Word 文档"),
    "xlsx": ("zip", "Excel 表格"),
    "pptx": ("zip", "PowerPoint 演示文稿"),
    "zip": ("zip", "ZIP 压缩包"),
    "ofd": ("zip", "OFD 版式文档"),
    "doc": ("ole2", "Word 97-2003 文档"),
    "xls": ("ole2", "Excel 97-2003 表格"),
    "png": ("png", "PNG 图片"),
    "jpg": ("jpeg", "JPEG 图片"),
    "txt": ("text", "文本文件"),
}
_ALIASES = {"jpeg": "jpg"}
_FAMILY_NAMES = {
    "pdf": "PDF",
    "zip": "ZIP 格式",
    "ole2": "OLE2 复合文档",
    "png": "PNG 图片",
    "jpeg": "JPEG 图片",
    "text": "UTF-8 文本",
}
_MAGIC = (
    (b"%PDF-", "pdf"),
    (b"PK\x03\x04", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpeg"),
)


@dataclass(frozen=True, slots=True)
class StoredFile:
    digest: str
    size: int
    kind: str
    filename: str


def sanitise_filename(filename: str) -> str:
    """The name without any directory part; refuses traversal, control characters, overlong names."""
    parts = re.split(r"[/\\]", filename)
    name = parts[-1]
    if ".." in parts or name in ("", ".") or not name.strip():
        raise InvalidInput("文件名无效", code="bad_filename")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in filename):
        raise InvalidInput("文件名不得包含控制字符", code="bad_filename")
    if len(name) > MAX_FILENAME:
        raise InvalidInput(f"文件名过长（不得超过 {MAX_FILENAME} 个字符）", code="bad_filename")
    return name


def sniff(head: bytes, complete: bool) -> str | None:
    """The content family shown by the first bytes; ``complete`` says whether ``head`` is the whole file."""
    for magic, family in _MAGIC:
        if head.startswith(magic):
            return family
    if b"\x00" in head:
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return None
    return "text"


def _kinds_text(kinds: Iterable[str]) -> str:
    return "、".join(f"{k}（{KINDS[k][1]}）" for k in sorted(kinds))


def check_kind(filename: str, head: bytes, complete: bool, allowed: frozenset[str] | None) -> str:
    """The file's kind, if its extension and content agree and it is allowed."""
    ext = os.path.splitext(filename)[1].lstrip(".").lower()
    kind = _ALIASES.get(ext, ext)
    permitted = KINDS.keys() if allowed is None else {_ALIASES.get(k, k) for k in allowed}
    if unknown := set(permitted) - KINDS.keys():
        raise ValueError(f"unknown file kinds: {sorted(unknown)}")
    if kind not in KINDS:
        raise InvalidInput(
            f"不支持的文件类型（扩展名 .{ext or '无'}），允许的类型：{_kinds_text(permitted)}",
            code="file_type",
            detail={"extension": ext, "allowed": sorted(permitted)},
        )
    family = sniff(head, complete)
    if family != KINDS[kind][0]:
        found = _FAMILY_NAMES.get(family or "", "无法识别的格式")
        raise InvalidInput(
            f"文件扩展名 .{ext} 与文件内容（{found}）不符",
            code="file_type_mismatch",
            detail={"extension": ext, "content": family},
        )
    if kind not in permitted:
        raise InvalidInput(
            f"不允许上传该类型的文件：检测到 {_kinds_text([kind])}，允许的类型：{_kinds_text(permitted)}",
            code="file_type",
            detail={"kind": kind, "allowed": sorted(permitted)},
        )
    return kind


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._tmp = self.root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def put(
        self, chunks: Iterable[bytes], *, max_bytes: int, filename: str, allowed: frozenset[str] | None = None
    ) -> StoredFile:
        name = sanitise_filename(filename)
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="upload-", suffix=".part")
        tmp = Path(tmp_name)
        moved = False
        try:
            h = hashes.Hash(hashes.SM3())
            size = 0
            head = b""
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise InvalidInput(
                            f"文件超过大小上限 {max_bytes / 1048576:.3g} MB",
                            code="file_too_large",
                            detail={"max_bytes": max_bytes},
                        )
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    h.update(chunk)
                    out.write(chunk)
                if size == 0:
                    raise InvalidInput("文件为空", code="file_empty")
                kind = check_kind(name, head, size <= HEAD_BYTES, allowed)
                out.flush()
                os.fsync(out.fileno())
            digest = h.finalize().hex()
            final = self.path(digest)
            if not final.exists():  # else: the same content is already stored; reuse it
                final.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(tmp, 0o440)
                os.replace(tmp, final)
                moved = True
                for d in (final.parent, final.parent.parent, self.root):
                    _fsync_dir(d)
            return StoredFile(digest=digest, size=size, kind=kind, filename=name)
        finally:
            if not moved:
                tmp.unlink(missing_ok=True)

    def path(self, digest: str) -> Path:
        if not isinstance(digest, str) or not _DIGEST_RE.fullmatch(digest):
            raise InvalidInput("文件摘要格式无效", code="bad_digest")
        return self.root / digest[:2] / digest[2:4] / digest

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def open(self, digest: str) -> BinaryIO:
        path = self.path(digest)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise NotFound("文件不存在") from None

    def verify(self, digest: str) -> bool:
        """Re-hash the stored blob and compare with its name."""
        h = hashes.Hash(hashes.SM3())
        with self.open(digest) as f:
            while chunk := f.read(_READ_CHUNK):
                h.update(chunk)
        return h.finalize().hex() == digest

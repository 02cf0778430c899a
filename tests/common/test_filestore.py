"""Content-addressed file store: SM3 names, streaming limits, type checks, dedup, tamper detection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ggzy.common.crypto import sm3_hex
from ggzy.common.errors import InvalidInput, NotFound
from ggzy.common.filestore import FileStore, StoredFile

MB = 1024 * 1024
SAMPLES: dict[str, bytes] = {
    "pdf": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
    "docx": b"PK\x03\x04" + b"\x14\x00word/document.xml" * 4,
    "xlsx": b"PK\x03\x04" + b"\x14\x00xl/workbook.xml" * 4,
    "pptx": b"PK\x03\x04" + b"\x14\x00ppt/presentation.xml" * 4,
    "zip": b"PK\x03\x04" + b"\x00" * 40,
    "ofd": b"PK\x03\x04" + b"\x14\x00OFD.xml" * 4,
    "doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40,
    "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x01" * 40,
    "png": b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20,
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20,
    "txt": "招标文件澄清：开标时间不变。\n".encode(),
}


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "blobs")


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def put(
    store: FileStore, data: bytes, filename: str, *, max_bytes: int = MB, allowed: frozenset[str] | None = None
) -> StoredFile:
    return store.put([data], max_bytes=max_bytes, filename=filename, allowed=allowed)


def test_digest_is_sm3_of_content_and_names_the_blob(store: FileStore) -> None:
    data = SAMPLES["pdf"] * 1000
    chunks = [data[i : i + 777] for i in range(0, len(data), 777)]
    stored = store.put(chunks, max_bytes=MB, filename="招标文件.pdf")
    assert stored == StoredFile(digest=sm3_hex(data), size=len(data), kind="pdf", filename="招标文件.pdf")
    d = stored.digest
    assert store.path(d) == store.root / d[:2] / d[2:4] / d
    assert store.exists(d)
    with store.open(d) as f:
        assert f.read() == data
    assert store.verify(d)
    assert files_under(store.root) == [store.path(d)]  # the temporary file is gone


def test_sm3_standard_vector(store: FileStore) -> None:
    stored = put(store, b"abc", "abc.txt")
    assert stored.digest == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert stored.kind == "txt"


def test_oversize_stream_refused_early_and_cleaned_up(store: FileStore) -> None:
    consumed = 0

    def chunks() -> Iterator[bytes]:
        nonlocal consumed
        yield b"%PDF-1.7\n"
        for _ in range(1000):
            consumed += 1
            yield b"x" * 1024

    gen = chunks()
    with pytest.raises(InvalidInput) as exc:
        store.put(gen, max_bytes=10 * 1024, filename="big.pdf")
    assert exc.value.code == "file_too_large"
    assert "MB" in exc.value.message
    assert consumed < 20
    assert next(gen, None) is not None  # the generator was not exhausted
    assert files_under(store.root) == []


def test_exactly_max_bytes_is_accepted(store: FileStore) -> None:
    assert put(store, b"a" * 100, "a.txt", max_bytes=100).size == 100


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_accepted_with_its_extension(store: FileStore, kind: str) -> None:
    stored = put(store, SAMPLES[kind], f"文件.{kind.upper()}")
    assert stored.kind == kind
    assert store.verify(stored.digest)


def test_jpeg_extension_is_jpg_kind(store: FileStore) -> None:
    assert put(store, SAMPLES["jpg"], "photo.jpeg", allowed=frozenset({"jpeg"})).kind == "jpg"


def test_long_utf8_text_cut_mid_character_at_head_boundary(store: FileStore) -> None:
    data = b"a" + "中".encode() * 5000  # byte 8192 falls inside a character
    assert put(store, data, "long.txt").kind == "txt"


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (SAMPLES["pdf"], "report.docx"),
        (SAMPLES["docx"], "report.pdf"),
        (SAMPLES["png"], "photo.jpg"),
        (SAMPLES["doc"], "sheet.xlsx"),
        (SAMPLES["pdf"], "notes.txt"),
        (b"\x00\x01\x02binary", "notes.txt"),
        (b"\xff\xfe\xfd not utf-8", "notes.txt"),
        (b"plain text", "fake.pdf"),
    ],
)
def test_extension_content_mismatch_refused(store: FileStore, data: bytes, filename: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        put(store, data, filename)
    assert exc.value.code == "file_type_mismatch"
    assert files_under(store.root) == []


def test_disallowed_kind_refused(store: FileStore) -> None:
    with pytest.raises(InvalidInput) as exc:
        put(store, SAMPLES["png"], "photo.png", allowed=frozenset({"pdf", "docx", "zip"}))
    assert exc.value.code == "file_type"
    assert "png" in exc.value.message and "pdf" in exc.value.message and "docx" in exc.value.message
    assert files_under(store.root) == []


def test_unsupported_extension_refused(store: FileStore) -> None:
    for filename in ("setup.exe", "README"):
        with pytest.raises(InvalidInput) as exc:
            put(store, b"MZ\x90\x00", filename)
        assert exc.value.code == "file_type"


def test_empty_refused(store: FileStore) -> None:
    for chunks in ([], [b""], [b"", b""]):
        with pytest.raises(InvalidInput) as exc:
            store.put(chunks, max_bytes=MB, filename="empty.txt")
        assert exc.value.code == "file_empty"
    assert files_under(store.root) == []


@pytest.mark.parametrize(
    "filename",
    [
        "",
        ".",
        "..",
        "../../etc/passwd.txt",
        "a/../b.txt",
        "..\\..\\x.txt",
        "dir/",
        "a\x00.txt",
        "a\nb.txt",
        "x\u202etxt.pdf",
        "   ",
        "a" * 197 + ".txt",
    ],
)
def test_bad_filenames_refused(store: FileStore, filename: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        put(store, b"hello", filename)
    assert exc.value.code == "bad_filename"
    assert files_under(store.root) == []


def test_directory_part_stripped(store: FileStore) -> None:
    assert put(store, b"hello", "C:\\Users\\张三\\投标文件.txt").filename == "投标文件.txt"
    assert put(store, b"hello", "uploads/sub/说明.txt").filename == "说明.txt"
    assert put(store, b"hello", "a" * 196 + ".txt").filename == "a" * 196 + ".txt"


def test_same_content_stored_once(store: FileStore) -> None:
    first = put(store, SAMPLES["pdf"], "a.pdf")
    second = store.put([SAMPLES["pdf"][:3], SAMPLES["pdf"][3:]], max_bytes=MB, filename="b.pdf")
    assert first.digest == second.digest
    assert second.filename == "b.pdf"
    assert files_under(store.root) == [store.path(first.digest)]


def test_verify_detects_tampering(store: FileStore) -> None:
    stored = put(store, SAMPLES["pdf"], "a.pdf")
    blob = store.path(stored.digest)
    blob.chmod(0o640)
    blob.write_bytes(SAMPLES["pdf"].replace(b"1.7", b"1.6"))
    assert store.verify(stored.digest) is False


def test_open_unknown_or_malformed_digest(store: FileStore) -> None:
    with pytest.raises(NotFound):
        store.open(sm3_hex(b"never stored"))
    assert not store.exists(sm3_hex(b"never stored"))
    for bad in ("", "abc", "G" * 64, sm3_hex(b"x").upper(), "../" + "a" * 61, sm3_hex(b"x") + "\n"):
        with pytest.raises(InvalidInput) as exc:
            store.open(bad)
        assert exc.value.code == "bad_digest"

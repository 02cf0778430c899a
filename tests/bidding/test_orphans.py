"""Files a crash leaves behind are found for the operator, and never a stored bid."""

from __future__ import annotations

import os
import time

from typer.testing import CliRunner

from ggzy.bidding.store import BidStore
from ggzy.cli import app
from ggzy.config import get_settings


def _store_with_files(tmp_path):
    store = BidStore(tmp_path / "bids")
    kept, orphan = "a" * 64, "b" * 64
    for digest in (kept, orphan):
        store.path(digest).parent.mkdir(parents=True, exist_ok=True)
        store.path(digest).write_bytes(b"x")
    f, tmp = store.temp()
    f.write(b"partial")
    f.close()
    old = time.time() - 3 * 3600
    for p in (store.path(kept), store.path(orphan), tmp):
        os.utime(p, (old, old))
    return store, kept, orphan, tmp


def test_orphans_are_unreferenced_envelopes_and_temporary_uploads(tmp_path):
    store, kept, orphan, tmp = _store_with_files(tmp_path)
    assert sorted(store.orphans({kept})) == sorted([store.path(orphan), tmp])


def test_the_command_lists_then_deletes_only_orphans(tmp_path, monkeypatch):
    store, kept, orphan, tmp = _store_with_files(tmp_path)
    db = tmp_path / "g.db"
    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GGZY_DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        r = runner.invoke(app, ["bids", "orphans"])
        assert r.exit_code == 0 and "共 3 个" in r.output  # nothing refers to any of them yet
        assert store.path(kept).exists()
        r = runner.invoke(app, ["bids", "orphans", "--delete", "--older-than", "600"])
        assert r.exit_code == 0 and "已删除 0 个" in r.output  # younger than ten hours: kept
        r = runner.invoke(app, ["bids", "orphans", "--delete"])
        assert r.exit_code == 0 and "已删除 3 个" in r.output
        assert not store.path(orphan).exists() and not tmp.exists()
    finally:
        get_settings.cache_clear()

"""SQLite keeps no planner statistics until ANALYZE; without them the committee draw's pool query
picks a poor index (docs/performance.md). Migrating and `ggzy db analyze` leave statistics."""

from __future__ import annotations

import sqlite3

from typer.testing import CliRunner

from ggzy.cli import app
from ggzy.config import get_settings


def _stats(path: str) -> set[str]:
    with sqlite3.connect(path) as c:
        return {row[0] for row in c.execute("SELECT tbl FROM sqlite_stat1")}


def test_upgrade_and_analyze_leave_statistics(tmp_path, monkeypatch):
    path = tmp_path / "g.db"
    monkeypatch.setenv("GGZY_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        with sqlite3.connect(path) as c:
            c.executemany(
                "INSERT INTO branch (code, name, is_city, regions, sort) VALUES (?, ?, 0, '{}', 0)",
                [(f"2202{n:02d}", f"分中心{n}") for n in range(20)],
            )
        assert "branch" not in _stats(str(path))
        r = runner.invoke(app, ["db", "analyze"])
        assert r.exit_code == 0, r.output
        assert "branch" in _stats(str(path))
    finally:
        get_settings.cache_clear()

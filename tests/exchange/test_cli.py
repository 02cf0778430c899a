"""`ggzy exchange run | status` against a stand-in upstream on a socket."""

from __future__ import annotations

from typer.testing import CliRunner


def _cli(db, tmp_path, monkeypatch, *args, **env):
    from ggzy.cli import app as cli
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATABASE_URL", db.url.replace("postgresql+psycopg://", "postgresql://"))
    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "data"))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, ["exchange", *args])
    finally:
        get_settings.cache_clear()


def test_run_without_upstream_checks_and_waits_then_sends_when_configured(db, tmp_path, monkeypatch, upstream):
    receiver, url = upstream
    r = _cli(db, tmp_path, monkeypatch, "run")
    assert r.exit_code == 0 and "未配置上级平台地址" in r.output and "报送 0 条" in r.output
    status = _cli(db, tmp_path, monkeypatch, "status")
    assert "待报送：" in status.output and "已报送：0" in status.output
    r = _cli(db, tmp_path, monkeypatch, "run", GGZY_EXCHANGE_UPSTREAM_URL=url, GGZY_EXCHANGE_TOKEN="tok")
    assert r.exit_code == 0, r.output
    assert receiver.taken and f"报送 {len(receiver.taken)} 条" in r.output
    assert "tok" not in r.output, "the token is never printed"
    assert "待报送：0" in _cli(db, tmp_path, monkeypatch, "status").output

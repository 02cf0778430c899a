"""Who answered an invitation is the name of a drawn expert: the audit log keeps it (its chain
covers it) but shows it to nobody until that expert signs in at the evaluation site."""

from __future__ import annotations

from sqlalchemy import select, update

from ggzy.experts.extraction import committee
from ggzy.experts.models import Expert, Extraction
from ggzy.identity.models import User
from tests.experts.helpers import drawn, opened_section


def _answers(client) -> list[dict]:
    events = client.get("/api/v1/audit/events", params={"limit": 200}).json()
    return [e for e in events if e["action"] in ("extraction.accept", "extraction.decline")]


def test_an_experts_answer_is_sealed_in_the_audit_log_until_sign_in(client_for, clock, db, tmp_path):
    _, sid, day = opened_section(client_for, clock, tmp_path)
    xid, _ = drawn(client_for, db, sid, day, experts=7)
    with db.transaction() as s:
        first = committee(s.get(Extraction, xid))[0][0]
        user_id = s.scalar(select(User.id).where(User.username == "expert"))
        s.execute(update(Expert).where(Expert.id == first).values(user_id=user_id))
    assert client_for("expert").post(f"/api/v1/extractions/{xid}/respond", json={"accept": True}).status_code == 204
    rows = _answers(client_for("auditor"))
    assert len(rows) == 1
    assert rows[0]["actor_name"] == "（签到前保密）"
    assert "黄志远" not in str(rows) and rows[0]["after_digest"] is None

"""The report: drawn up by the chair once every member has scored, signed by every member with a
PIN-sealed SM2 key, each signature and the report's digest checked by openssl, a peer sharing no
code with ggzy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ggzy.common import sm2
from ggzy.common.crypto import canonical_json
from ggzy.evaluation import report
from ggzy.evaluation.models import Signer
from tests.evaluation.helpers import PIN
from tests.evaluation.helpers_more import (
    count,
    error,
    formed,
    member_rows,
    openssl_sm3,
    openssl_verifies,
    review_all,
    score_all,
    seated,
)


def test_report_is_the_chairs_after_all_scores_and_each_signature_verifies_in_openssl(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    bids = sorted(b["id"] for b in seated(com, db, clock)["bids"])
    review_all(com, bids)
    late, plain, keyed, dissenter = com.others()
    chair = com.clients[com.chair]
    score_all(com, bids, skip={late})

    body = error(chair.post(com.url("/report")), 409, "scores_pending")
    assert "1 名成员未提交评分" in body["message"]
    error(com.clients[plain].post(com.url("/sign"), json={"pin": PIN}), 409, "evaluation_wrong_stage")
    score_all(com, bids, skip=set(com.clients) - {late})
    error(com.clients[plain].post(com.url("/report")), 403, "chair_only")
    assert com.view(plain)["report"] is None
    r = chair.post(com.url("/report"))
    assert r.status_code == 200, r.text
    drawn = r.json()
    assert drawn["status"] == "signing"
    digest = drawn["report_digest"]
    # Anyone holding the report recomputes its digest with openssl over the canonical JSON.
    assert openssl_sm3(canonical_json(drawn["report"])) == digest
    error(chair.post(com.url("/report")), 409, "evaluation_wrong_stage")

    # The PIN is at least six digits; a refused PIN makes no key and no signature.
    c = com.clients[plain]
    error(c.post(com.url("/sign"), json={"pin": "12345"}), 422, "validation_error")
    for pin in ("abcdef", "24681a", "246 810"):
        error(c.post(com.url("/sign"), json={"pin": pin}), 422, "pin_invalid")
    assert count(db, Signer) == 0

    # This member set a key at an earlier evaluation (its first signature ever made it): the key
    # opens only with that PIN.
    user_id = next(m.user_id for m in member_rows(db, com.eid) if m.id == keyed)
    with db.transaction() as s:
        _, earlier_public = report._signing_key(s, clock.now(), user_id, "135790")
    error(com.clients[keyed].post(com.url("/sign"), json={"pin": PIN}), 422, "pin_wrong")
    assert not next(m for m in com.view(keyed)["members"] if m["id"] == keyed)["signed"]
    assert com.clients[keyed].post(com.url("/sign"), json={"pin": "135790"}).status_code == 200

    dissent = "对第二名的技术评分有保留意见：施工组织设计未考虑汛期。"
    assert com.clients[dissenter].post(com.url("/sign"), json={"pin": PIN, "dissent": dissent}).status_code == 200
    assert chair.post(com.url("/sign"), json={"pin": PIN}).status_code == 200
    error(chair.post(com.url("/sign"), json={"pin": PIN}), 409, "already_signed")
    assert com.clients[late].post(com.url("/sign"), json={"pin": PIN}).status_code == 200
    assert com.view(plain)["status"] == "signing", "one member has not signed yet"
    r = c.post(com.url("/sign"), json={"pin": PIN})
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "signed" and done["report_digest"] == digest
    assert [m["dissent"] for m in done["members"] if m["dissent"]] == [dissent]
    assert all(m["signature_valid"] is True for m in done["members"])

    rows = member_rows(db, com.eid)
    assert next(m.public_key for m in rows if m.id == keyed) == earlier_public
    assert len({m.public_key for m in rows}) == 5, "each member signs with its own key"
    tampered = (digest[:-1] + ("0" if digest[-1] != "0" else "1")).encode()
    for m in rows:
        pem = sm2.public_to_pem(m.public_key)
        # A member signs the digest, a newline and its dissent (docs/evaluation.md).
        assert openssl_verifies(pem, f"{digest}\n{m.dissent}".encode(), m.signature, tmp_path), m.id
        assert not openssl_verifies(pem, tampered + f"\n{m.dissent}".encode(), m.signature, tmp_path), m.id
        if m.dissent:
            assert not openssl_verifies(pem, f"{digest}\n".encode(), m.signature, tmp_path), "dissent is signed"
    # A signature does not pass for another member's key.
    first, second = rows[0], rows[1]
    message = f"{digest}\n{first.dissent}".encode()
    assert not openssl_verifies(sm2.public_to_pem(second.public_key), message, first.signature, tmp_path)

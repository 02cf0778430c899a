"""More building blocks for the evaluation API tests: a formed committee with a client per member,
the steps that move it on (sign-in, chair, review, scores, report, signatures), and small readers
of what the database holds, to show that a refused request wrote nothing."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ggzy.evaluation.models import Member
from ggzy.identity.enums import Role
from ggzy.identity.models import User
from ggzy.identity.security import hash_password
from tests.bidding.helpers import World
from tests.evaluation.helpers import PASSWORD, PIN, Ready, add_sites, code_for, login, ready
from tests.tendering.helpers import accepted_project_id, tender_body

SHANGHAI = ZoneInfo("Asia/Shanghai")
SITES = {"市中心第一评标室": "CITY-1", "永吉分中心评标室": "YJ-1"}
DISTID = "distid:1234567812345678"


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A local (Asia/Shanghai) time on the evaluation day."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def error(r: Any, status: int, code: str) -> dict[str, Any]:
    """The refusal's body, after checking its status and code (the text shows on failure)."""
    assert (r.status_code, r.json().get("code")) == (status, code), r.text
    body: dict[str, Any] = r.json()
    assert body["message"], "every refusal says why"
    return body


def count(db: Any, model: Any, **where: Any) -> int:
    with db.session(write=False) as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return int(s.scalar(q) or 0)


@dataclass
class Committee:
    r0: Ready
    eid: int
    clients: dict[int, TestClient]  # member id -> that member's client, in seat order
    usernames: dict[int, str]
    chair: int = 0  # the elected chair's member id, once elected

    def url(self, tail: str = "") -> str:
        return f"/api/v1/evaluations/{self.eid}{tail}"

    def view(self, member: int) -> dict[str, Any]:
        r = self.clients[member].get(self.url())
        assert r.status_code == 200, r.text
        return dict(r.json())

    def others(self) -> list[int]:
        return [m for m in self.clients if m != self.chair]


def accept_all(app: Any, r0: Ready, *, skip: int = 0) -> dict[str, TestClient]:
    """Each drawn expert logs in and accepts, but the last `skip` of them."""
    clients = {u: login(app, u) for u in r0.experts}
    for u in r0.experts[: len(r0.experts) - skip]:
        r = clients[u].post(f"/api/v1/extractions/{r0.extraction_id}/respond", json={"accept": True})
        assert r.status_code == 204, r.text
    return clients


def open_body(**extra: Any) -> dict[str, Any]:
    return {"host_site": "CITY-1", "remote_sites": ["YJ-1"], **extra}


def formed(
    app: Any,
    client_for: Any,
    clock: Any,
    db: Any,
    tmp_path: Any,
    *,
    method: str = "comprehensive",
    r0: Ready | None = None,
) -> Committee:
    """The committee formed by the centre from five accepted experts, at two sites."""
    r0 = r0 or ready(client_for, clock, db, tmp_path, method=method)
    add_sites(client_for)
    experts = accept_all(app, r0)
    r = client_for("operator").post(f"/api/v1/sections/{r0.section_id}/evaluation", json=open_body())
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    by_member = {}
    for u, c in experts.items():
        by_member[c.get(f"/api/v1/evaluations/{eid}").json()["me"]] = u
    order = sorted(by_member)
    return Committee(r0, eid, {m: experts[by_member[m]] for m in order}, {m: by_member[m] for m in order})


def outsider(app: Any, r0: Ready) -> TestClient:
    """An expert of the library with an account who was not drawn (helpers.ready makes ex1..ex7)."""
    return login(app, next(f"ex{n}" for n in range(1, 8) if f"ex{n}" not in r0.experts))


def site_code_of(com: Committee, db: Any, member: int, now: datetime) -> str:
    view = com.view(member)
    mine = next(m for m in view["members"] if m["id"] == member)
    return code_for(db, SITES[mine["site"]], now)


def sign_in(com: Committee, db: Any, clock: Any, member: int) -> Any:
    code = site_code_of(com, db, member, clock.now())
    return com.clients[member].post(com.url("/sign-in"), json={"code": code})


def seated(com: Committee, db: Any, clock: Any, *, when: datetime | None = None) -> dict[str, Any]:
    """Everyone signs in on the evaluation day and a majority elects the first member chair: the
    review opens."""
    clock.set(when or at(com.r0.day, 9))
    for m in com.clients:
        r = sign_in(com, db, clock, m)
        assert r.status_code == 200, r.text
    return elect(com)


def elect(com: Committee) -> dict[str, Any]:
    com.chair = next(iter(com.clients))
    members = list(com.clients)
    for m in members[: len(members) // 2 + 1]:
        r = com.clients[m].post(com.url("/chair"), json={"member_id": com.chair})
        assert r.status_code == 200, r.text
    view = com.view(com.chair)
    assert view["status"] == "review", view["status"]
    return view


def bid_ids(view: dict[str, Any]) -> dict[str, int]:
    """price -> bid id (the three bids have distinct prices; helpers.PRICES)."""
    return {b["price"]: b["id"] for b in view["bids"]}


def findings(bids: list[int], reject: Collection[int] = ()) -> dict[str, Any]:
    return {
        "findings": [
            {"bid_id": b, "passed": b not in reject, "reason": "未按招标文件要求提交投标保证金" if b in reject else ""}
            for b in bids
        ]
    }


def review_all(com: Committee, bids: list[int], reject: dict[int, set[int]] | None = None) -> dict[str, Any]:
    """Every member reviews; `reject` maps a member to the bids it finds non-compliant."""
    body: dict[str, Any] = {}
    for m, c in com.clients.items():
        r = c.post(com.url("/review"), json=findings(bids, (reject or {}).get(m, set())))
        assert r.status_code == 200, r.text
        body = r.json()
    assert body["status"] == "scoring", body["status"]
    return body


def marks(valid: list[int], n: int) -> dict[str, Any]:
    return {"scores": {str(b): {"technical": str(40 + n), "commercial": "15"} for b in valid}}


def score_all(com: Committee, valid: list[int], *, skip: Collection[int] = ()) -> None:
    for n, (m, c) in enumerate(com.clients.items()):
        if m in skip:
            continue
        r = c.post(com.url("/scores"), json=marks(valid, n))
        assert r.status_code == 200, r.text


def sign_all(com: Committee, *, skip: Collection[int] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for m, c in com.clients.items():
        if m in skip:
            continue
        r = c.post(com.url("/sign"), json={"pin": PIN})
        assert r.status_code == 200, r.text
        body = r.json()
    return body


def to_report(com: Committee, db: Any, clock: Any) -> dict[str, Any]:
    """Seated, every bid found compliant, scored, the report drawn up: the members sign next."""
    view = seated(com, db, clock)
    bids = sorted(b["id"] for b in view["bids"])
    review_all(com, bids)
    score_all(com, bids)
    r = com.clients[com.chair].post(com.url("/report"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def member_rows(db: Any, eid: int) -> list[Member]:
    with db.session(write=False) as s:
        rows = list(s.scalars(select(Member).where(Member.evaluation_id == eid).order_by(Member.id)))
        s.expunge_all()
        return rows


def add_tenderer_staff(db: Any, clock: Any, names: list[str]) -> None:
    """More users of the tenderer's organisation (the demo has one), to be its representatives."""
    with db.transaction() as s:
        org = s.scalar(select(User.organization_id).where(User.username == "tenderer"))
        for n in names:
            s.add(
                User(
                    username=n,
                    display_name=f"城投集团 {n}",
                    role=Role.TENDERER.value,
                    organization_id=org,
                    password_hash=hash_password(PASSWORD),
                    password_changed_at=clock.now(),
                    created_at=clock.now(),
                )
            )


def published_with_scheme(client_for: Any, clock: Any, *, scheme: dict[str, Any], **extra: Any) -> World:
    """tests.bidding.helpers.published_tender, with the evaluation scheme set while the tender is a
    draft (the only time PUT /scheme is allowed)."""
    agency, operator = client_for("tenderer"), client_for("operator")
    start = clock.now() + timedelta(days=1)
    r = agency.post("/api/v1/tenders", json=tender_body(accepted_project_id(agency), start, **extra))
    assert r.status_code == 201, r.text
    t = r.json()
    r = agency.put(f"/api/v1/sections/{t['sections'][0]['id']}/scheme", json={"data": scheme})
    assert r.status_code == 200, r.text
    assert agency.post(f"/api/v1/tenders/{t['id']}/submit").status_code == 200
    clock.set(start - timedelta(hours=1))
    r = operator.post(f"/api/v1/tenders/{t['id']}/publish")
    assert r.status_code == 200, r.text
    clock.set(start + timedelta(hours=1))
    return World(r.json(), start + timedelta(days=20), [s["id"] for s in r.json()["sections"]])


# --- openssl, the independent peer (as in tests/common/test_sm2_interop.py) ------------------------


def openssl(*args: str | Path, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("openssl")
    assert exe is not None, "the openssl command (>= 3.0) is a declared test dependency"
    return subprocess.run([exe, *map(str, args)], input=data, capture_output=True, timeout=60, check=False)


def openssl_verifies(pem: str, message: bytes, signature_hex: str, tmp: Path) -> bool:
    pub, msg, sig = tmp / "pub.pem", tmp / "msg", tmp / "sig.der"
    pub.write_text(pem)
    msg.write_bytes(message)
    sig.write_bytes(bytes.fromhex(signature_hex))
    r = openssl("dgst", "-sm3", "-verify", pub, "-sigopt", DISTID, "-signature", sig, msg)
    assert (r.returncode == 0) == (b"Verified OK" in r.stdout), (r.stdout, r.stderr)
    return r.returncode == 0


def openssl_sm3(data: bytes) -> str:
    return openssl("dgst", "-sm3", "-binary", data=data).stdout.hex()

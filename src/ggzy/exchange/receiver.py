"""A stand-in for the provincial platform's receiving end, for tests and the sandbox.

It does what a receiver must for the exchange to be trusted: checks the token, requires an
idempotency key and takes a key only once (a repeat gets the first receipt back), runs the
dataset's validators again and refuses a record that fails (422, with the problems), and refuses
a record whose tender project it has not taken yet. ``fail_next`` makes it answer 503 a number
of times, to exercise the sender's retries.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from ggzy.exchange import validate
from ggzy.exchange.spec import datasets


@dataclass
class Receiver:
    token: str = ""
    fail_next: int = 0
    taken: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> body
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: Any, key: str | None, authorization: str | None) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                return 503, {"message": "暂时无法受理"}
            if self.token and authorization != f"Bearer {self.token}":
                return 401, {"message": "令牌无效"}
            if not key:
                return 400, {"message": "缺少 Idempotency-Key"}
            if key in self.taken:
                return 200, {"receipt": self.taken[key]["receipt"], "duplicate": True}
            if not isinstance(body, dict) or body.get("dataNo") not in datasets():
                return 400, {"message": "未知数据集"}
            record = body.get("record")
            if not isinstance(record, dict):
                return 400, {"message": "缺少 record"}
            known = frozenset(
                b["record"].get("TENDER_PROJECT_CODE", "") for b in self.taken.values() if b["dataNo"] == "501"
            )
            problems = validate.check(datasets()[body["dataNo"]], record, known_tenders=known)
            if problems:
                return 422, {"message": "数据校验未通过", "problems": [p.as_dict() for p in problems]}
            receipt = f"R{len(self.taken) + 1:08d}"
            self.taken[key] = {**body, "receipt": receipt}
            return 200, {"receipt": receipt, "duplicate": False}

    def records(self, data_no: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [b for b in self.taken.values() if data_no is None or b["dataNo"] == data_no]


def router(receiver: Receiver) -> APIRouter:
    r = APIRouter()

    @r.post("/records")
    async def take(
        request: Request,
        idempotency_key: str | None = Header(default=None),
        authorization: str | None = Header(default=None),
    ) -> JSONResponse:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"message": "请求体不是 JSON"}, status_code=400)
        status, out = receiver.handle(body, idempotency_key, authorization)
        return JSONResponse(out, status_code=status)

    @r.get("/records")
    def taken(data_no: str | None = None) -> list[dict[str, Any]]:
        return receiver.records(data_no)

    return r

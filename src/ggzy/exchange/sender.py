"""Posting a record to the upstream (provincial) platform over HTTP.

One record per request: a JSON body naming the dataset, and an ``Idempotency-Key`` header fixed
by the content. 2xx means taken (a repeat of a key already taken is answered 2xx too); 4xx other
than timeouts and rate limits means the record itself is refused, so retrying it cannot help; 5xx,
408, 429 and network errors are retried with backoff. The bearer token is a secret: it is never
logged nor stored with the delivery.
"""

from __future__ import annotations

import contextlib
from typing import Any

import httpx

from ggzy.exchange.models import Delivery
from ggzy.exchange.services import Outcome
from ggzy.exchange.spec import dataset

RETRYABLE = {408, 425, 429}


def body(d: Delivery, platform_code: str) -> dict[str, Any]:
    return {
        "dataNo": d.dataset_no,
        "dataName": dataset(d.dataset_no).name,
        "platformCode": platform_code,
        "key": d.record_key,
        "record": d.payload,
    }


class HttpSender:
    def __init__(self, url: str, *, token: str = "", platform_code: str = "", timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:  # fmt: skip
        self.url, self.platform_code = url, platform_code
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.Client(timeout=timeout, headers=headers, transport=transport)

    def send(self, d: Delivery) -> Outcome:
        try:
            r = self.client.post(
                self.url, json=body(d, self.platform_code), headers={"Idempotency-Key": d.idempotency_key}
            )
        except httpx.HTTPError as e:
            return Outcome(ok=False, message=f"网络错误：{type(e).__name__}")
        if 200 <= r.status_code < 300:
            receipt = ""
            with contextlib.suppress(ValueError):
                receipt = str(r.json().get("receipt", ""))
            return Outcome(ok=True, receipt=receipt)
        detail = r.text[:300]
        message = f"上级平台返回 {r.status_code}：{detail}"
        return Outcome(
            ok=False, permanent=400 <= r.status_code < 500 and r.status_code not in RETRYABLE, message=message
        )

    def close(self) -> None:
        self.client.close()

"""Delivery to the upstream platform: retries with backoff, idempotency across a lost answer,
permanent refusals shown to operators and resent after a fix, several workers sharing the queue,
and the real HTTP path to a receiver on a socket."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import httpx

from ggzy.exchange import services
from ggzy.exchange.receiver import Receiver
from ggzy.exchange.sender import HttpSender
from tests.exchange.helpers import OPTS, in_process, rows


def test_unavailable_upstream_is_retried_with_growing_waits_then_taken(db, clock):
    receiver = Receiver(fail_next=2)
    sender = in_process(receiver)
    services.run(db, now=clock.now(), opts=OPTS, sender=sender)
    first = rows(db)[0]  # the project: the others wait for it
    assert (first.dataset_no, first.status, first.attempts) == ("500", "pending", 1)
    assert "503" in first.last_error and first.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert services.run(db, now=clock.now(), opts=OPTS, sender=sender) == (0, 0), "not before its time"
    clock.advance(timedelta(seconds=30))
    services.run(db, now=clock.now(), opts=OPTS, sender=sender)
    again = rows(db, id=first.id)[0]
    assert again.attempts == 2 and again.next_attempt_at == clock.now() + timedelta(seconds=60)
    clock.advance(timedelta(seconds=60))
    services.run(db, now=clock.now(), opts=OPTS, sender=sender)
    assert {d.status for d in rows(db)} == {"sent"}
    assert receiver.requests == len(rows(db)) + 2


def test_out_of_retries_the_record_fails_and_shows_why(db, clock):
    receiver = Receiver(fail_next=1000)
    for _ in range(OPTS.max_attempts):
        services.run(db, now=clock.now(), opts=OPTS, sender=in_process(receiver))
        clock.advance(timedelta(hours=2))
    failed = rows(db, status="failed")
    assert [d.dataset_no for d in failed] == ["500"] and f"重试 {OPTS.max_attempts} 次仍失败" in failed[0].last_error


def test_a_lost_answer_is_resent_under_the_same_key_and_taken_once(db, clock):
    receiver = Receiver()
    base = in_process(receiver)

    class LosesTheAnswer:
        """Upstream takes the record, the answer never arrives (a timeout after delivery)."""

        def send(self, d):
            base.send(d)
            raise httpx.ReadTimeout("timed out")

    services.run(db, now=clock.now(), opts=OPTS, sender=LosesTheAnswer())
    first = rows(db)[0]
    assert first.status == "pending" and "ReadTimeout" in first.last_error
    clock.advance(timedelta(minutes=1))
    services.run(db, now=clock.now(), opts=OPTS, sender=base)
    assert {d.status for d in rows(db)} == {"sent"}
    keys = Counter(b["dataNo"] + b["key"] for b in receiver.taken.values())
    assert set(keys.values()) == {1}, "each record taken once"
    assert rows(db, id=first.id)[0].receipt == "R00000001", "the first receipt comes back"


def test_a_refusal_fails_at_once_and_goes_after_the_fix(db, clock, client_for, settings):
    receiver = Receiver(token="right")
    wrong = HttpSender(
        "https://upstream.example/records", token="wrong", transport=in_process(receiver).client._transport
    )
    services.run(db, now=clock.now(), opts=OPTS, sender=wrong)
    failed = rows(db, status="failed")
    assert [d.dataset_no for d in failed] == ["500"] and "401" in failed[0].last_error and failed[0].attempts == 1
    page = client_for("operator").get("/exchange", params={"status": "failed"})
    assert "上级平台返回 401" in page.text and "right" not in page.text and "wrong" not in page.text
    r = client_for("operator").post(f"/api/v1/exchange/deliveries/{failed[0].id}/resend")
    assert r.status_code == 200 and r.json()["status"] == "pending"
    services.run(db, now=clock.now(), opts=OPTS, sender=in_process(receiver))
    assert {d.status for d in rows(db)} == {"sent"}
    again = client_for("operator").post(f"/api/v1/exchange/deliveries/{failed[0].id}/resend")
    assert again.status_code == 409 and again.json()["code"] == "delivery_not_resendable"


def test_workers_in_parallel_never_send_a_record_twice(db, clock):
    receiver = Receiver()
    base = in_process(receiver)
    with db.transaction() as s:
        services.collect(s, now=clock.now(), opts=OPTS)
    lock, sends = threading.Lock(), Counter()

    class Slow:
        def send(self, d):
            with lock:
                sends[d.idempotency_key] += 1
            time.sleep(0.05)
            return base.send(d)

    def worker() -> None:
        for _ in range(6):
            services.deliver(db, now=clock.now(), sender=Slow(), max_attempts=OPTS.max_attempts)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {d.status for d in rows(db)} == {"sent"}
    assert set(sends.values()) == {1}, "no record was posted twice"


def test_over_http_to_a_receiver_on_a_socket(db, clock, upstream):
    receiver, url = upstream
    sender = HttpSender(url, token="tok", platform_code="GGZY-TEST")
    try:
        read, sent = services.run(db, now=clock.now(), opts=OPTS, sender=sender)
    finally:
        sender.close()
    assert read > 0 and sent == len(rows(db)) == len(receiver.taken)
    assert {b["platformCode"] for b in receiver.taken.values()} == {"GGZY-TEST"}
    # The receiver refuses a record that fails the specification, naming the field.
    bad = httpx.post(url, json={"dataNo": "500", "record": {"PROJECT_CODE": "X"}},
                     headers={"Idempotency-Key": "k1", "Authorization": "Bearer tok"})  # fmt: skip
    assert bad.status_code == 422 and any(p["field"] == "PROJECT_NAME" for p in bad.json()["problems"])

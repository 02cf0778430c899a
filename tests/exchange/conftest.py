"""A stand-in provincial platform on a socket, for the tests that go over real HTTP."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn
from fastapi import FastAPI

from ggzy.exchange.receiver import Receiver
from ggzy.exchange.receiver import router as receiver_router


@pytest.fixture
def upstream():
    receiver = Receiver(token="tok")
    app = FastAPI()
    app.include_router(receiver_router(receiver), prefix="/upstream")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield receiver, f"http://127.0.0.1:{port}/upstream/records"
    server.should_exit = True
    thread.join(timeout=5)

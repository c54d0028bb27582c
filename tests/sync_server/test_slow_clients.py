"""Issue 15 point 9: slow clients do not stall `serve`.

A bounded loopback attack: 50 connections to 127.0.0.1 that send their headers or their body
one byte at a time (slowloris / slow POST; a connection the server cuts is reopened, so 50 stay
busy), for at most `ATTACK_SECONDS`. Meanwhile a normal phone signs in, pushes and pulls, each
request within a few seconds.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from typing import Any

import requests

from tests.sync_server.helpers import household, new_id

SLOW_CONNECTIONS = 50
ATTACK_SECONDS = 40.0
MAX_CONNECTIONS_OPENED = 2000  # the attack is bounded in count as well as in time
DRIP_INTERVAL = 0.5


class SlowClients:
    """`count` connections dripping a byte each per `DRIP_INTERVAL`, half in the headers,
    half in a declared 100 kB JSON body; cut ones are replaced."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.count = count
        self.stop = threading.Event()
        self.opened = 0
        self.cut = 0
        self.sockets: list[tuple[socket.socket, bool]] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, body: bool) -> tuple[socket.socket, bool]:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        self.opened += 1
        if body:
            sock.sendall(
                b"POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
            )
        else:
            sock.sendall(b"POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        return sock, body

    def _drip(self, sock: socket.socket, body: bool) -> None:
        sock.sendall(b" " if body else b"X-Slow: 1\r\n"[:1])

    def _run(self) -> None:
        deadline = time.monotonic() + ATTACK_SECONDS
        self.sockets = [self._open(body=n % 2 == 1) for n in range(self.count)]
        while not self.stop.is_set() and time.monotonic() < deadline:
            for index, (sock, body) in enumerate(self.sockets):
                try:
                    self._drip(sock, body)
                except OSError:
                    self.cut += 1
                    sock.close()
                    if self.opened < MAX_CONNECTIONS_OPENED:
                        self.sockets[index] = self._open(body)
            self.stop.wait(DRIP_INTERVAL)

    def __enter__(self) -> SlowClients:
        self.thread.start()
        time.sleep(3)  # let every slow connection reach a worker first
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join(timeout=ATTACK_SECONDS + 10)
        for sock, _ in self.sockets:
            sock.close()


def _timed(method: str, url: str, **kwargs: Any) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = requests.request(method, url, timeout=10, **kwargs)
    return response, time.monotonic() - started


def test_fifty_slow_connections_do_not_stop_a_phone_from_syncing(
    seed: Any, live_server_factory: Any
) -> None:
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    server = live_server_factory()  # `serve` as shipped: its default workers and threads
    url = server.url
    client_id = str(uuid.uuid4())
    with SlowClients(server.port, SLOW_CONNECTIONS) as attack:
        time.sleep(2)
        signin, t1 = _timed(
            "POST",
            f"{url}/api/v1/auth/token",
            json={
                "username": "wang",
                "password": seed.password,
                "client_id": client_id,
                "device_name": "p",
            },
        )
        assert signin.status_code == 200, signin.text
        headers = {"Authorization": f"Bearer {signin.json()['token']}"}
        record = new_id()
        body = {
            "client_id": client_id,
            "schema_version": 1,
            "mutations": [
                {
                    "mutation_id": 1,
                    "entity": "household",
                    "id": record,
                    "op": "upsert",
                    "base_version": None,
                    "hlc": "0001700000000000-0000-test",
                    "data": household("g1"),
                }
            ],
        }
        pushed, t2 = _timed("POST", f"{url}/api/v1/sync/push", json=body, headers=headers)
        assert pushed.status_code == 200, pushed.text
        assert pushed.json()["results"][0]["status"] == "applied"
        pulled, t3 = _timed("GET", f"{url}/api/v1/sync/pull?cursor=0", headers=headers)
        assert pulled.status_code == 200
        assert [c["id"] for c in pulled.json()["changes"]] == [record]
        alive = attack.thread.is_alive()
    assert alive, "the attack ended before the phone synced: it proved nothing"
    assert max(t1, t2, t3) < 5, (t1, t2, t3)

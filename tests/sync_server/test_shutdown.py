"""A quick shutdown of `serve` (SIGINT) ends every worker, even under load.

gunicorn's threaded worker shuts its thread pool down inside the quit signal handler; a signal
landing while the main thread is in `ThreadPoolExecutor.submit` deadlocks the worker for ever
(python/cpython#121649). Seen here as test servers whose workers outlived the test run;
`sync_server/gunicorn_conf.py` makes the workers exit without touching the pool."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from sync_server import gunicorn_conf
from tests.conftest import LiveServer


class _Worker:
    def __init__(self) -> None:
        self.alive = True
        self.tpool = ThreadPoolExecutor(max_workers=1)


def test_the_quit_handler_exits_without_waiting_for_the_pools_lock():
    worker = _Worker()
    previous = {s: signal.getsignal(s) for s in (signal.SIGQUIT, signal.SIGINT)}
    try:
        gunicorn_conf.post_worker_init(worker)
        handler = signal.getsignal(signal.SIGQUIT)
        assert handler is signal.getsignal(signal.SIGINT)
        # the pool's lock is held, as inside submit(): gunicorn's own handler would block here
        with worker.tpool._shutdown_lock, pytest.raises(SystemExit) as exit_info:
            handler(signal.SIGQUIT, None)
        assert exit_info.value.code == 0 and worker.alive is False
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        worker.tpool.shutdown()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sigint_under_load_ends_every_process_of_the_server(sqlite_url):
    server = LiveServer(sqlite_url, workers=2)
    pgid = server.process.pid
    stop = threading.Event()

    def hammer() -> None:
        with requests.Session() as http:
            while not stop.is_set():
                with contextlib.suppress(requests.RequestException):
                    http.get(f"{server.url}/healthz", timeout=2)

    threads = [threading.Thread(target=hammer, daemon=True) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    try:
        server.process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            server.process.poll()  # reap the master (a zombie still answers kill(0))
            if not _group_alive(pgid):
                break
            time.sleep(0.2)
        assert not _group_alive(pgid), "a server process outlived the quick shutdown"
    finally:
        stop.set()
        for t in threads:
            t.join(5)
        server.stop()

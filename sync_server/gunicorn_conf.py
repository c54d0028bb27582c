"""Gunicorn settings that `python -m sync_server serve` loads (`--config python:...`).

The threaded worker (gthread) handles a quick-shutdown signal (SIGQUIT/SIGINT) by shutting its
thread pool down from inside the signal handler. When the signal lands while the worker's main
thread is inside `ThreadPoolExecutor.submit` — which holds the pool's lock — the handler waits
for that lock forever (python/cpython#121649): the worker never exits, keeps its database
connections, and outlives a master that was killed. Seen here when test servers were stopped
under load. So a quick shutdown of a worker exits the way gunicorn's abort handler does,
without touching the pool from the handler; requests still running are cut off, which is what
a quick shutdown means (SIGTERM keeps gunicorn's graceful shutdown).
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Any


def _quit_now(worker: Any) -> Any:
    def handle(sig: int, frame: FrameType | None) -> None:
        worker.alive = False
        sys.exit(0)

    return handle


def post_worker_init(worker: Any) -> None:
    """Replace the worker's quick-shutdown handlers (see the module docstring)."""
    handler = _quit_now(worker)
    signal.signal(signal.SIGQUIT, handler)
    signal.signal(signal.SIGINT, handler)

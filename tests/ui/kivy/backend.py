"""The server a UI scenario talks to over real HTTP, and the supervisor's actions on it.

`fake` serves the in-memory protocol server (tests/mobile_app/test_sync_fakeserver.py) on
loopback inside the app's process: the app's real SyncClient and SyncRunner talk HTTP to it.
When the Flask server's `live_server` fixture exists, `LiveSupervisor` does the same through
the real API (`POST /api/v1/visits/<id>/review`).
"""

from __future__ import annotations

from typing import Any

from shared_schema.schemas.examples import example_household
from tests.ui.kivy.seed import head_name, hid, id_number, mid

WORKER, PASSWORD, GRID = "wang", "pw", "g-001"


class FakeBackend:
    """A FakeServer on loopback HTTP, seeded with `count` households of the worker's grid."""

    def __init__(self, count: int = 30) -> None:
        from datetime import date

        from shared_schema.schemas.examples import example_member
        from tests.mobile_app.test_sync_fakeserver import FakeHttpServer, FakeServer

        self.server = FakeServer()
        self.server.add_user(WORKER, [GRID])
        for n in range(1, count + 1):
            h = hid(n)
            self.server._write(
                "household",
                h,
                example_household(
                    grid_id=GRID, household_no=f"5226010010{n:03d}", head_name=head_name(n)
                ),
                False,
            )
            birth = date(1975, 1 + n % 12, 1 + n % 27)
            self.server._write(
                "member",
                mid(n, 1),
                example_member(
                    household_id=h,
                    name=head_name(n),
                    birth_date=birth.isoformat(),
                    id_number=id_number(n, 1, birth, "male"),
                ),
                False,
            )
        self.http = FakeHttpServer(self.server).__enter__()
        self.url = self.http.url

    def return_visit(self, visit_id: str, comment: str) -> None:
        """The supervisor sends a visit back with a comment (a new server version)."""
        self.server.review(visit_id, "return", comment)

    def visit(self, visit_id: str) -> dict[str, Any] | None:
        rec = self.server.get("visit", visit_id)
        return None if rec is None else rec.data

    def close(self) -> None:
        self.http.__exit__(None, None, None)

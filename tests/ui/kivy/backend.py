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


def grid_records(count: int) -> list[tuple[str, str, dict[str, Any]]]:
    """(entity, id, data) of `count` households of the worker's grid, each with its head."""
    from datetime import date

    from shared_schema.schemas.examples import example_member

    records = []
    for n in range(1, count + 1):
        h = hid(n)
        household = example_household(
            grid_id=GRID, household_no=f"5226010010{n:03d}", head_name=head_name(n)
        )
        birth = date(1975, 1 + n % 12, 1 + n % 27)
        head = example_member(
            household_id=h,
            name=head_name(n),
            birth_date=birth.isoformat(),
            id_number=id_number(n, 1, birth, "male"),
        )
        records += [("household", h, household), ("member", mid(n, 1), head)]
    return records


class LiveBackend:
    """The real Flask server (tests/conftest.py `live_server`), seeded over its own API.

    The pytest side seeds users and grids and passes, in the environment, the URL and a
    supervisor's token; this side returns visits through `POST /api/v1/visits/<id>/review`.
    """

    password = ""

    def __init__(self) -> None:
        import os

        self.url = os.environ["TIANYE_UI_SERVER_URL"]
        self.password = os.environ["TIANYE_UI_WORKER_PASSWORD"]
        self.headers = {"Authorization": f"Bearer {os.environ['TIANYE_UI_SUPERVISOR_TOKEN']}"}

    def return_visit(self, visit_id: str, comment: str) -> None:
        import requests

        answer = requests.post(
            f"{self.url}/api/v1/visits/{visit_id}/review",
            json={"action": "return", "comment": comment},
            headers=self.headers,
            timeout=30,
        )
        assert answer.status_code == 200, answer.text

    def visit(self, visit_id: str) -> dict[str, Any] | None:
        import requests

        answer = requests.get(
            f"{self.url}/api/v1/records/visit/{visit_id}/history", headers=self.headers, timeout=30
        )
        if answer.status_code == 404:
            return None
        assert answer.status_code == 200, answer.text
        return answer.json()["versions"][-1]["data"]

    def close(self) -> None:
        pass


def push_grid(url: str, token: str, client_id: str, count: int) -> None:
    """Create the grid's households and heads on a server, as an admin's device would."""
    from mobile_app.sync.client import SyncClient

    client = SyncClient(url, token)
    mutations = [
        {"mutation_id": i, "entity": entity, "id": rid, "op": "upsert", "base_version": None,
         "data": data, "hlc": f"{1700000000000 + i:013d}-0000-seed"}
        for i, (entity, rid, data) in enumerate(grid_records(count), start=1)
    ]  # fmt: skip
    results = client.push(client_id, mutations)["results"]
    bad = [r for r in results if r["status"] not in ("applied", "merged")]
    assert not bad, bad[:3]


class FakeBackend:
    """A FakeServer on loopback HTTP, seeded with `count` households of the worker's grid."""

    password = PASSWORD

    def __init__(self, count: int = 30) -> None:
        from tests.mobile_app.test_sync_fakeserver import FakeHttpServer, FakeServer

        self.server = FakeServer()
        self.server.add_user(WORKER, [GRID])
        for entity, rid, data in grid_records(count):
            self.server._write(entity, rid, data, False)
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

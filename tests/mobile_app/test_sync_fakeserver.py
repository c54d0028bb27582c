"""An in-memory server speaking PROTOCOL.md, for runner and crash tests that need no Flask.

It merges with the same `shared_schema.sync.merge` the real server uses, keeps a per-client
mutation log (exactly-once), answers 403/409 the way docs/protocol-notes.md says, and can be
served over loopback HTTP (`FakeHttpServer`) so the real `SyncClient` and a child process
can talk to it. The contract tests in tests/contract/ run the same flows against the real
server. The tests at the bottom check the fake itself.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from mobile_app.sync.client import MutationGap, Offline, OutOfScope, ServerRejected
from shared_schema.schemas.protocol import SyncReportSchema, validate_payload
from shared_schema.sync import DELETE, Deleted, merge


@dataclass
class _Rec:
    entity: str
    id: str
    version: int
    deleted: bool
    data: dict[str, Any]
    history: list[tuple[int, bool, dict[str, Any]]] = field(default_factory=list)


class FakeServer:
    """The protocol's server-side semantics, in memory (thread-safe)."""

    def __init__(self, *, validator: Callable[[str, dict], dict] | None = None) -> None:
        self.records: dict[tuple[str, str], _Rec] = {}
        self.version = 0
        self.clients: dict[str, dict[str, Any]] = {}
        self.conflicts: list[dict[str, Any]] = []
        self.removals: list[tuple[int, str, str, str]] = []  # version, user, entity, id
        self.grids: dict[str, set[str]] = {}  # user -> grids
        self.tokens: dict[str, str] = {}  # token -> user
        self.reports: list[dict[str, Any]] = []
        self.applied_mutations: list[tuple[str, int]] = []
        self.validator = validator or (lambda entity, data: {})
        self.lock = threading.RLock()
        # Published configurations (PROTOCOL.md "Configuration"); none: an older server that
        # serves a fixed config without version, ETag or config_version.
        self.configs: list[dict[str, Any]] = []
        self.config_requests: list[str | None] = []  # the If-None-Match of each request

    # -- configuration ------------------------------------------------------------------------
    def publish_config(self, **sections: Any) -> int:
        """Publish a new configuration version (sections replace the previous ones)."""
        with self.lock:
            base = (
                dict(self.configs[-1]) if self.configs else {"rules": {}, "forms": {}, "enums": {}}
            )
            version = len(self.configs) + 1
            self.configs.append(base | sections | {"version": version})
            return version

    def config(
        self, if_none_match: str | None = None
    ) -> tuple[int, dict[str, Any] | None, str | None]:
        """(status, body, etag) of `GET /api/v1/config`."""
        with self.lock:
            self.config_requests.append(if_none_match)
            if not self.configs:
                return 200, {"rules": {"visit_interval_days": {"none": 90}}}, None
            current = self.configs[-1]
            etag = f'"cfg-{current["version"]}"'
            if if_none_match == etag:
                return 304, None, etag
            return 200, json.loads(json.dumps(current)), etag

    # -- identity ---------------------------------------------------------------------------
    def add_user(self, username: str, grids: list[str]) -> str:
        token = f"tok-{username}"
        self.grids[username] = set(grids)
        self.tokens[token] = username
        return token

    # -- helpers ----------------------------------------------------------------------------
    def _next_version(self) -> int:
        self.version += 1
        return self.version

    def _grid_of(self, entity: str, rid: str, data: dict | None) -> str | None:
        if entity == "household":
            rec = self.records.get(("household", rid))
            return (data or {}).get("grid_id") or (rec.data.get("grid_id") if rec else None)
        hid = (data or {}).get("household_id")
        rec = self.records.get((entity, rid))
        if hid is None and rec is not None:
            hid = rec.data.get("household_id")
        hh = self.records.get(("household", hid)) if hid else None
        return hh.data.get("grid_id") if hh else None

    def _base_at(self, rec: _Rec, base_version: int | None) -> dict | None:
        if base_version is None:
            return None
        found = None
        for version, _deleted, data in rec.history:
            if version <= base_version:
                found = data
        return found

    def _write(self, entity: str, rid: str, data: dict, deleted: bool) -> int:
        version = self._next_version()
        rec = self.records.get((entity, rid))
        if rec is None:
            rec = _Rec(entity, rid, version, deleted, data)
            self.records[(entity, rid)] = rec
        rec.version, rec.deleted, rec.data = version, deleted, data
        rec.history.append((version, deleted, data))
        return version

    # -- push -------------------------------------------------------------------------------
    def push(self, user: str, client_id: str, mutations: list[dict[str, Any]]) -> dict[str, Any]:
        with self.lock:
            errors = {}
            for index, m in enumerate(mutations):
                grid = self._grid_of(m["entity"], m["id"], m.get("data"))
                if grid is not None and grid not in self.grids[user]:
                    errors[f"mutations.{index}"] = [f"grid {grid} is outside your scope"]
            if errors:
                raise OutOfScope(403, "outside your scope", errors, {"errors": errors})
            log = self.clients.setdefault(client_id, {"last": 0, "results": {}})
            results = []
            for m in mutations:
                mid = m["mutation_id"]
                if mid <= log["last"]:
                    results.append(log["results"][mid])
                    continue
                if mid != log["last"] + 1:
                    body = {"last_mutation_id": log["last"], "results": results}
                    raise MutationGap(409, "mutation id gap", {}, body)
                result = self._apply(user, client_id, m)
                log["last"] = mid
                log["results"][mid] = result
                self.applied_mutations.append((client_id, mid))
                results.append(result)
            return {"results": results, "last_mutation_id": log["last"]}

    def _apply(self, user: str, client_id: str, m: dict[str, Any]) -> dict[str, Any]:
        key = (m["entity"], m["id"])
        rec = self.records.get(key)
        result: dict[str, Any] = {"mutation_id": m["mutation_id"], "conflicts": [], "errors": {}}
        if m["op"] == "upsert":
            errors = self.validator(m["entity"], m["data"])
            if errors:
                return result | {"status": "rejected", "version": None, "errors": errors}
        base = self._base_at(rec, m.get("base_version")) if rec else None
        server: Any = None
        if rec is not None:
            server = Deleted(rec.data) if rec.deleted else rec.data
        outcome = merge(base, server, DELETE if m["op"] == "delete" else m["data"])
        version = rec.version if rec else None
        changed = outcome.deleted != (rec.deleted if rec else False) or (
            outcome.merged is not None and (rec is None or outcome.merged != rec.data)
        )
        if changed:
            data = outcome.merged if outcome.merged is not None else (rec.data if rec else {})
            version = self._write(m["entity"], m["id"], data, outcome.deleted)
        ids = []
        for c in outcome.conflicts:
            cid = f"c{len(self.conflicts) + 1}"
            self.conflicts.append(
                {
                    "id": cid,
                    "entity": m["entity"],
                    "record_id": m["id"],
                    "field": c.field,
                    "base_value": c.base_value,
                    "server_value": c.server_value,
                    "client_value": c.client_value,
                    "client_data": c.client_data,
                    "author": user,
                    "client_id": client_id,
                    "mutation_id": m["mutation_id"],
                    "status": "open",
                }
            )
            ids.append(cid)
        if ids and not changed:
            version = self._write(m["entity"], m["id"], rec.data, rec.deleted)  # type: ignore[union-attr]
        status = {"noop": "applied"}.get(outcome.status, outcome.status)
        return result | {"status": status, "version": version, "conflicts": ids}

    # -- pull -------------------------------------------------------------------------------
    def pull(self, user: str, cursor: int, limit: int) -> dict[str, Any]:
        with self.lock:
            items: list[tuple[int, dict]] = []
            for rec in self.records.values():
                if (
                    rec.version > cursor
                    and self._grid_of(rec.entity, rec.id, None) in self.grids[user]
                ):
                    open_fields = sorted(
                        c["field"]
                        for c in self.conflicts
                        if c["record_id"] == rec.id and c["status"] == "open"
                    )
                    items.append(
                        (
                            rec.version,
                            {
                                "entity": rec.entity,
                                "id": rec.id,
                                "version": rec.version,
                                "deleted": rec.deleted,
                                "data": rec.data,
                                "open_conflicts": open_fields,
                            },
                        )
                    )
            for version, who, entity, rid in self.removals:
                if version > cursor and who == user:
                    items.append((version, {"entity": entity, "id": rid, "removed": True}))
            items.sort(key=lambda x: x[0])
            page = items[:limit]
            new_cursor = page[-1][0] if page else max(cursor, 0)
            if not page:
                new_cursor = max([cursor] + [v for v, _ in items])
            answer = {
                "changes": [c for _, c in page],
                "cursor": new_cursor,
                "has_more": len(items) > limit,
                "last_mutation_id": 0,
            }
            if self.configs:
                answer["config_version"] = self.configs[-1]["version"]
            return answer

    # -- console actions --------------------------------------------------------------------
    def review(self, visit_id: str, action: str, comment: str) -> int:
        with self.lock:
            rec = self.records[("visit", visit_id)]
            status = {"approve": "approved", "return": "returned", "reject": "rejected"}[action]
            data = rec.data | {"review_status": status, "review_comment": comment}
            return self._write("visit", visit_id, data, False)

    def resolve(self, conflict_id: str, value: Any) -> int:
        with self.lock:
            c = next(c for c in self.conflicts if c["id"] == conflict_id)
            c["status"] = "resolved"
            rec = self.records[(c["entity"], c["record_id"])]
            from shared_schema.sync import apply_changes, unflatten

            data = apply_changes(rec.data, unflatten({c["field"]: value}))
            return self._write(c["entity"], c["record_id"], data, rec.deleted)

    def reassign(self, grid: str, from_user: str, to_user: str) -> None:
        with self.lock:
            self.grids[from_user].discard(grid)
            self.grids[to_user].add(grid)
            for rec in list(self.records.values()):
                if self._grid_of(rec.entity, rec.id, None) == grid:
                    rec.version = self._next_version()
                    self.removals.append((self._next_version(), from_user, rec.entity, rec.id))

    def edit(self, entity: str, rid: str, changes: dict[str, Any]) -> int:
        """A console edit (not from a device)."""
        with self.lock:
            rec = self.records[(entity, rid)]
            from shared_schema.sync import apply_changes

            return self._write(entity, rid, apply_changes(rec.data, changes), rec.deleted)

    def get(self, entity: str, rid: str) -> _Rec | None:
        return self.records.get((entity, rid))


class FakeClient:
    """Duck-typed `SyncClient` calling a FakeServer directly, with injectable faults.

    `faults` is a list of (method, when, exception) consumed in order: `when` is "before"
    (nothing reaches the server) or "after" (the server processed, the answer is lost).
    """

    def __init__(self, server: FakeServer, user: str) -> None:
        self.server = server
        self.user = user
        self.faults: list[tuple[str, str, Exception]] = []
        self.calls: list[tuple[str, Any]] = []
        self.bytes_sent = 0
        self.bytes_received = 0

    def _fault(self, method: str, when: str) -> None:
        if self.faults and self.faults[0][0] == method and self.faults[0][1] == when:
            raise self.faults.pop(0)[2]

    def _call(self, method: str, fn: Callable[[], Any], payload: Any = None) -> Any:
        self.calls.append((method, payload))
        self.bytes_sent += len(json.dumps(payload or {}))
        self._fault(method, "before")
        answer = fn()
        self._fault(method, "after")
        self.bytes_received += len(json.dumps(answer))
        return json.loads(json.dumps(answer))  # no shared references with the server

    def push(self, client_id: str, mutations: list[dict]) -> dict:
        mutations = json.loads(json.dumps(mutations))
        return self._call(
            "push", lambda: self.server.push(self.user, client_id, mutations), mutations
        )

    def pull(self, cursor: int, limit: int = 500) -> dict:
        return self._call("pull", lambda: self.server.pull(self.user, cursor, limit), cursor)

    def config(self) -> dict:
        return self._call("config", lambda: self.server.config()[1])

    def config_if_changed(self, etag: str | None) -> tuple[dict | None, str | None]:
        def fetch() -> list:
            _status, body, tag = self.server.config(etag)
            return [body, tag]

        body, tag = self._call("config", fetch, etag)
        return body, tag

    def conflicts(self, status: str = "open") -> list[dict]:
        def listing() -> list[dict]:
            with self.server.lock:
                return [
                    c
                    for c in self.server.conflicts
                    if c["status"] == status
                    and self.server._grid_of(c["entity"], c["record_id"], None)
                    in self.server.grids[self.user]
                ]

        return self._call("conflicts", listing)

    def report(self, payload: dict) -> dict:
        errors = validate_payload(SyncReportSchema, payload)
        if errors:
            raise ServerRejected(422, "invalid report", errors)

        def store() -> dict:
            self.server.reports.append(payload)
            return {"status": "ok"}

        return self._call("report", store, payload)


class FakeHttpServer:
    """Serves a FakeServer on loopback over HTTP (gzip bodies, bearer tokens)."""

    def __init__(self, server: FakeServer) -> None:
        fake = server

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any, headers: dict | None = None) -> None:
                raw = json.dumps(body).encode()
                if "gzip" in (self.headers.get("Accept-Encoding") or ""):
                    raw = gzip.compress(raw)
                    self.send_response(status)
                    self.send_header("Content-Encoding", "gzip")
                else:
                    self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _user(self) -> str | None:
                auth = self.headers.get("Authorization") or ""
                return fake.tokens.get(auth.removeprefix("Bearer "))

            def _body(self) -> Any:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                return json.loads(raw) if raw else {}

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/healthz":
                    return self._send(200, {"status": "ok"})
                user = self._user()
                if user is None:
                    return self._send(401, {"code": 401, "message": "no token", "errors": {}})
                if url.path == "/api/v1/sync/pull":
                    q = parse_qs(url.query)
                    return self._send(200, fake.pull(user, int(q["cursor"][0]), int(q["limit"][0])))
                if url.path == "/api/v1/conflicts":
                    return self._send(
                        200,
                        {
                            "conflicts": [
                                c
                                for c in fake.conflicts
                                if c["status"] == "open"
                                and fake._grid_of(c["entity"], c["record_id"], None)
                                in fake.grids[user]
                            ]
                        },
                    )
                if url.path == "/api/v1/config":
                    status, body, etag = fake.config(self.headers.get("If-None-Match"))
                    if status == 304:
                        self.send_response(304)
                        self.send_header("ETag", etag or "")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return None
                    return self._send(200, body, {"ETag": etag} if etag else None)
                return self._send(404, {"code": 404, "message": "unknown", "errors": {}})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                body = self._body()
                if url.path == "/api/v1/auth/token":
                    token = f"tok-{body['username']}"
                    if token not in fake.tokens or body["password"] != "pw":
                        return self._send(401, {"code": 401, "message": "bad", "errors": {}})
                    return self._send(
                        200,
                        {
                            "token": token,
                            "user": {
                                "id": body["username"],
                                "username": body["username"],
                                "role": "worker",
                                "display_name": body["username"],
                            },
                            "grids": sorted(fake.grids[body["username"]]),
                        },
                    )
                user = self._user()
                if user is None:
                    return self._send(401, {"code": 401, "message": "no token", "errors": {}})
                if url.path == "/api/v1/sync/push":
                    try:
                        return self._send(
                            200, fake.push(user, body["client_id"], body["mutations"])
                        )
                    except ServerRejected as exc:
                        return self._send(
                            exc.status,
                            {
                                "code": exc.status,
                                "message": exc.message,
                                "errors": exc.errors,
                                **exc.body,
                            },
                        )
                if url.path == "/api/v1/sync/report":
                    fake.reports.append(body)
                    return self._send(200, {"status": "ok"})
                return self._send(404, {"code": 404, "message": "unknown", "errors": {}})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- tests of the fake itself ------------------------------------------------------------------
def test_fake_server_is_exactly_once_and_reports_gaps():
    server = FakeServer()
    server.add_user("w", ["g1"])
    m = {
        "mutation_id": 1,
        "entity": "household",
        "id": "h1",
        "op": "upsert",
        "base_version": None,
        "data": {"grid_id": "g1", "head_name": "a"},
        "hlc": "x",
    }
    first = server.push("w", "c", [m])
    again = server.push("w", "c", [m])
    assert first == again and server.version == 1
    try:
        server.push("w", "c", [m | {"mutation_id": 5}])
    except MutationGap as exc:
        assert exc.body["last_mutation_id"] == 1
    else:
        raise AssertionError("gap not detected")


def test_fake_server_refuses_out_of_scope_batches_whole():
    server = FakeServer()
    server.add_user("w", ["g1"])
    ok = {
        "mutation_id": 1,
        "entity": "household",
        "id": "h1",
        "op": "upsert",
        "base_version": None,
        "data": {"grid_id": "g1"},
        "hlc": "x",
    }
    bad = ok | {"mutation_id": 2, "id": "h2", "data": {"grid_id": "g9"}}
    try:
        server.push("w", "c", [ok, bad])
    except OutOfScope as exc:
        assert list(exc.errors) == ["mutations.1"]
    assert server.records == {}


def test_fake_client_faults_fire_in_order():
    server = FakeServer()
    server.add_user("w", ["g1"])
    client = FakeClient(server, "w")
    client.faults.append(("pull", "before", Offline("down")))
    with pytest.raises(Offline):
        client.pull(0)
    assert client.pull(0)["changes"] == []

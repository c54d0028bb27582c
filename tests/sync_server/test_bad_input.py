"""Bad input at every endpoint: each case gets the right 4xx as the protocol's JSON error
(`{code, status, message, errors}`, never HTML, never a 500) and writes nothing (a snapshot of
every data table before and after), on SQLite and PostgreSQL; then the size and encoding
limits once more through a real gunicorn server (chunked bodies have no Content-Length).

Decisions these cases pin down (see docs/protocol-notes.md for the protocol's own):
- A body Python's parser accepts but no store can hold — nesting past the parser's stack,
  NaN/Infinity, NUL or unpaired surrogates in any string — is a 400 for the whole request.
- A number past the database's integer range (a cursor or pending count ≥ 2^63) is a 422.
- A mutation id far ahead of the last one is the protocol's 409 gap, like any other skip.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Session
from tests.sync_server.helpers import household, new_id
from tests.sync_server.matrix_cases import (
    BACKENDS,
    World,
    assert_json_error,
    open_world,
    snapshot,
    unique_no,
)

JSON = "application/json"
BIG = 2**70


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    yield from open_world(request, tmp_path_factory)


Body = Callable[[World, Session], Any]


@dataclass
class Case:
    """One bad request: who sends it, what, and the status and error fields it must get."""

    name: str
    who: str
    method: str
    path: str | Callable[[World], str]
    body: Body | None = None
    status: int = 422
    fields: frozenset[str] = frozenset()
    headers: dict[str, str] | None = None
    raw: bool = False  # body returns bytes/str sent as is (else it is JSON-encoded)


def envelope(**over: Any) -> Body:
    """A push body around one valid new household, with `over` replacing its keys."""

    def make(_w: World, s: Session) -> Any:
        m = {
            "mutation_id": 1,
            "entity": "household",
            "id": new_id(),
            "op": "upsert",
            "base_version": None,
            "data": household("g1", household_no=unique_no()),
        }
        body = {"client_id": s.client_id, "schema_version": 1, "mutations": [m]}
        for key, value in over.items():
            if key.startswith("m_"):
                m[key[2:]] = value
            else:
                body[key] = value
        return body

    return make


def raw(data: bytes | str) -> Body:
    return lambda _w, _s: data


def const(value: Any) -> Body:
    return lambda _w, _s: value


def mutations(count: int, notes: str | None = None) -> Body:
    def make(_w: World, s: Session) -> Any:
        batch = [
            {
                "mutation_id": n + 1,
                "entity": "household",
                "id": new_id(),
                "op": "upsert",
                "base_version": None,
                "data": household("g1", household_no=f"9{n:012d}", notes=notes),
            }
            for n in range(count)
        ]
        return {"client_id": s.client_id, "schema_version": 1, "mutations": batch}

    return make


def gzipped(body: Body) -> Body:
    return lambda w, s: gzip.compress(json.dumps(body(w, s)).encode())


def fs(*names: str) -> frozenset[str]:
    return frozenset(names)


PUSH = "/api/v1/sync/push"
GZ = {"Content-Encoding": "gzip", "Content-Type": JSON}
BOMB = gzip.compress(b'{"a": "' + b"x" * (40 * 1024 * 1024) + b'"}')
DEEP = "[" * 100_000 + "]" * 100_000

CASES = [
    # --- push: the body is not usable JSON --------------------------------------------
    Case("push malformed JSON", "worker", "POST", PUSH, raw("{not json"), 400, raw=True),
    Case("push trailing garbage", "worker", "POST", PUSH, raw('{"a": 1} x'), 400, raw=True),
    Case("push invalid UTF-8", "worker", "POST", PUSH, raw(b"\xff\xfe{}"), 400, raw=True),
    Case("push nested too deep", "worker", "POST", PUSH, raw(DEEP), 400, fs("json"), raw=True),
    Case(
        "push NaN",
        "worker",
        "POST",
        PUSH,
        raw('{"client_id": "x", "schema_version": NaN, "mutations": []}'),
        400,
        fs("json"),
        raw=True,
    ),
    Case(
        "push NUL in notes",
        "worker",
        "POST",
        PUSH,
        envelope(m_data=household("g1", notes="a\u0000b")),
        400,
        fs("json"),
    ),
    Case(
        "push lone surrogate",
        "worker",
        "POST",
        PUSH,
        raw('{"client_id": "\\ud800", "schema_version": 1, "mutations": []}'),
        400,
        fs("json"),
        raw=True,
    ),
    # --- push: the wrong shape ---------------------------------------------------------
    Case(
        "push empty object",
        "worker",
        "POST",
        PUSH,
        const({}),
        422,
        fs("client_id", "schema_version", "mutations"),
    ),
    Case("push a list", "worker", "POST", PUSH, const([1, 2]), 422),
    Case("push null", "worker", "POST", PUSH, const(None), 422),
    Case("push a string", "worker", "POST", PUSH, const("push"), 422),
    Case(
        "push wrong types",
        "worker",
        "POST",
        PUSH,
        const({"client_id": 5, "schema_version": "1", "mutations": {}}),
        422,
        fs("client_id", "schema_version", "mutations"),
    ),
    Case(
        "push schema_version true",
        "worker",
        "POST",
        PUSH,
        envelope(schema_version=True),
        422,
        fs("schema_version"),
    ),
    Case(
        "push schema_version 2",
        "worker",
        "POST",
        PUSH,
        envelope(schema_version=2),
        422,
        fs("schema_version"),
    ),
    Case("push unknown field", "worker", "POST", PUSH, envelope(extra=1), 422, fs("extra")),
    Case(
        "push unknown mutation field",
        "worker",
        "POST",
        PUSH,
        envelope(m_colour="red"),
        422,
        fs("mutations.0.colour"),
    ),
    Case(
        "push unknown entity",
        "worker",
        "POST",
        PUSH,
        envelope(m_entity="farm"),
        422,
        fs("mutations.0.entity"),
    ),
    Case(
        "push non-UUID record id",
        "worker",
        "POST",
        PUSH,
        envelope(m_id="42"),
        422,
        fs("mutations.0.id"),
    ),
    Case(
        "push non-UUID client id",
        "worker",
        "POST",
        PUSH,
        envelope(client_id="phone-1"),
        422,
        fs("client_id"),
    ),
    Case(
        "push mutation_id 0",
        "worker",
        "POST",
        PUSH,
        envelope(m_mutation_id=0),
        422,
        fs("mutations.0.mutation_id"),
    ),
    Case(
        "push mutation_id -1",
        "worker",
        "POST",
        PUSH,
        envelope(m_mutation_id=-1),
        422,
        fs("mutations.0.mutation_id"),
    ),
    Case(
        "push mutation_id text",
        "worker",
        "POST",
        PUSH,
        envelope(m_mutation_id="1"),
        422,
        fs("mutations.0.mutation_id"),
    ),
    Case(
        "push mutation_id float",
        "worker",
        "POST",
        PUSH,
        envelope(m_mutation_id=1.5),
        422,
        fs("mutations.0.mutation_id"),
    ),
    Case(
        "push mutation_id bool",
        "worker",
        "POST",
        PUSH,
        envelope(m_mutation_id=True),
        422,
        fs("mutations.0.mutation_id"),
    ),
    Case(
        "push mutation_id 2^70 is a gap", "worker", "POST", PUSH, envelope(m_mutation_id=BIG), 409
    ),
    Case(
        "push base_version -1",
        "worker",
        "POST",
        PUSH,
        envelope(m_base_version=-1),
        422,
        fs("mutations.0.base_version"),
    ),
    # base_version 2^70: that one mutation is `rejected` (test_push_decide_db.py), not the batch
    Case(
        "push op merge", "worker", "POST", PUSH, envelope(m_op="merge"), 422, fs("mutations.0.op")
    ),
    Case(
        "push data not an object",
        "worker",
        "POST",
        PUSH,
        envelope(m_data=[1]),
        422,
        fs("mutations.0.data"),
    ),
    # --- push: too large -------------------------------------------------------------
    Case("push 501 mutations", "worker", "POST", PUSH, mutations(501), 413),
    Case("push over 2 MiB", "worker", "POST", PUSH, mutations(400, notes="长" * 2000), 413),
    Case("push gzip bomb", "worker", "POST", PUSH, raw(BOMB), 413, headers=GZ, raw=True),
    Case(
        "push gzip over 2 MiB",
        "worker",
        "POST",
        PUSH,
        gzipped(mutations(400, notes="长" * 2000)),
        413,
        headers=GZ,
        raw=True,
    ),
    Case("push invalid gzip", "worker", "POST", PUSH, raw(b"not gzip"), 400, headers=GZ, raw=True),
    Case(
        "push truncated gzip",
        "worker",
        "POST",
        PUSH,
        lambda w, s: gzip.compress(json.dumps(envelope()(w, s)).encode())[:-12],
        400,
        headers=GZ,
        raw=True,
    ),
    # --- push: not JSON ----------------------------------------------------------------
    Case(
        "push text/plain",
        "worker",
        "POST",
        PUSH,
        raw("{}"),
        415,
        headers={"Content-Type": "text/plain"},
        raw=True,
    ),
    Case(
        "push form",
        "worker",
        "POST",
        PUSH,
        raw("a=b"),
        415,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        raw=True,
    ),
    Case(
        "push brotli",
        "worker",
        "POST",
        PUSH,
        raw(b"{}"),
        415,
        headers={"Content-Encoding": "br", "Content-Type": JSON},
        raw=True,
    ),
    Case("push wrong method", "worker", "PUT", PUSH, const({}), 405),
    # --- pull --------------------------------------------------------------------------
    Case("pull cursor -1", "worker", "GET", "/api/v1/sync/pull?cursor=-1", fields=fs("cursor")),
    Case("pull cursor text", "worker", "GET", "/api/v1/sync/pull?cursor=abc", fields=fs("cursor")),
    Case("pull cursor float", "worker", "GET", "/api/v1/sync/pull?cursor=1.5", fields=fs("cursor")),
    Case("pull cursor 2^70", "worker", "GET", f"/api/v1/sync/pull?cursor={BIG}"),
    Case("pull limit 0", "worker", "GET", "/api/v1/sync/pull?limit=0", fields=fs("limit")),
    Case("pull limit 1001", "worker", "GET", "/api/v1/sync/pull?limit=1001", fields=fs("limit")),
    Case("pull limit -5", "worker", "GET", "/api/v1/sync/pull?limit=-5", fields=fs("limit")),
    # --- conflicts, review, history ----------------------------------------------------
    Case(
        "conflicts bad status",
        "supervisor",
        "GET",
        "/api/v1/conflicts?status=maybe",
        fields=fs("status"),
    ),
    Case(
        "resolve non-UUID id",
        "supervisor",
        "POST",
        "/api/v1/conflicts/nope/resolve",
        const({"value": "13800000009"}),
        404,
    ),
    Case(
        "resolve unknown id",
        "supervisor",
        "POST",
        lambda w: f"/api/v1/conflicts/{new_id()}/resolve",
        const({"value": "1"}),
        404,
    ),
    Case(
        "resolve without value",
        "supervisor",
        "POST",
        lambda w: f"/api/v1/conflicts/{w.static['g1']['conflict']}/resolve",
        const({}),
        fields=fs("value"),
    ),
    Case(
        "resolve unknown field",
        "supervisor",
        "POST",
        lambda w: f"/api/v1/conflicts/{w.static['g1']['conflict']}/resolve",
        const({"value": "13800000009", "why": "x"}),
        fields=fs("why"),
    ),
    Case(
        "resolve invalid value",
        "supervisor",
        "POST",
        lambda w: f"/api/v1/conflicts/{w.static['g1']['conflict']}/resolve",
        const({"value": "not a phone"}),
    ),
    Case(
        "review non-UUID id",
        "supervisor",
        "POST",
        "/api/v1/visits/nope/review",
        const({"action": "approve", "comment": ""}),
        404,
    ),
    Case(
        "review a household id",
        "supervisor",
        "POST",
        lambda w: f"/api/v1/visits/{w.static['g1']['household']}/review",
        const({"action": "approve", "comment": ""}),
        404,
    ),
    Case(
        "review unknown action",
        "supervisor",
        "POST",
        lambda w: f"/api/v1/visits/{w.static['g1']['visit']}/review",
        const({"action": "bless", "comment": ""}),
        fields=fs("action"),
    ),
    Case(
        "review comment not text",
        "supervisor",
        "POST",
        lambda w: f"/api/v1/visits/{w.static['g1']['visit']}/review",
        const({"action": "approve", "comment": 5}),
        fields=fs("comment"),
    ),
    Case(
        "history unknown entity",
        "worker",
        "GET",
        lambda w: f"/api/v1/records/farm/{w.static['g1']['household']}/history",
        status=404,
    ),
    Case(
        "history non-UUID id", "worker", "GET", "/api/v1/records/household/nope/history", status=404
    ),
    Case(
        "history NUL in id", "worker", "GET", "/api/v1/records/household/a%00b/history", status=404
    ),
    # --- identity ----------------------------------------------------------------------
    Case(
        "token empty",
        "anonymous",
        "POST",
        "/api/v1/auth/token",
        const({}),
        fields=fs("username", "password", "client_id", "device_name"),
    ),
    Case(
        "token non-UUID client",
        "anonymous",
        "POST",
        "/api/v1/auth/token",
        const({"username": "wang", "password": "x", "client_id": "c1", "device_name": "d"}),
        fields=fs("client_id"),
    ),
    Case(
        "token unknown field",
        "anonymous",
        "POST",
        "/api/v1/auth/token",
        lambda w, s: {
            "username": "wang",
            "password": "x",
            "client_id": new_id(),
            "device_name": "d",
            "admin": True,
        },
        fields=fs("admin"),
    ),
    Case(
        "token NUL in username",
        "anonymous",
        "POST",
        "/api/v1/auth/token",
        lambda w, s: {
            "username": "wa\u0000ng",
            "password": "x",
            "client_id": new_id(),
            "device_name": "d",
        },
        400,
        fs("json"),
    ),
    Case(
        "revoke non-UUID client",
        "worker",
        "DELETE",
        "/api/v1/auth/token?client_id=nope",
        fields=fs("client_id"),
    ),
    Case(
        "revoke unknown client",
        "admin",
        "DELETE",
        lambda w: f"/api/v1/auth/token?client_id={new_id()}",
        status=404,
    ),
    Case(
        "report negative",
        "worker",
        "POST",
        "/api/v1/sync/report",
        lambda w, s: {"client_id": s.client_id, "pending": -1},
        fields=fs("pending"),
    ),
    Case(
        "report pending text",
        "worker",
        "POST",
        "/api/v1/sync/report",
        lambda w, s: {"client_id": s.client_id, "pending": "3"},
        fields=fs("pending"),
    ),
    Case(
        "report pending 2^70",
        "worker",
        "POST",
        "/api/v1/sync/report",
        lambda w, s: {"client_id": s.client_id, "pending": BIG},
    ),
    Case(
        "report bad time",
        "worker",
        "POST",
        "/api/v1/sync/report",
        lambda w, s: {"client_id": s.client_id, "pending": 1, "device_time": "yesterday"},
        fields=fs("device_time"),
    ),
    # --- admin -------------------------------------------------------------------------
    Case(
        "grid empty id",
        "admin",
        "POST",
        "/api/v1/admin/grids",
        const({"id": "", "name": "n", "village": "v", "township": "t1"}),
        fields=fs("id"),
    ),
    Case(
        "grid missing fields",
        "admin",
        "POST",
        "/api/v1/admin/grids",
        const({"id": "gq"}),
        fields=fs("name", "village", "township"),
    ),
    Case(
        "grid exists",
        "admin",
        "POST",
        "/api/v1/admin/grids",
        const({"id": "g1", "name": "n", "village": "v", "township": "t1"}),
        409,
    ),
    Case(
        "user bad role",
        "admin",
        "POST",
        "/api/v1/admin/users",
        const(
            {
                "username": "newbie",
                "password": "long-enough-1",
                "role": "god",
                "display_name": "x",
                "grids": [],
            }
        ),
        fields=fs("role"),
    ),
    Case(
        "user unknown grid",
        "admin",
        "POST",
        "/api/v1/admin/users",
        const(
            {
                "username": "newbie",
                "password": "long-enough-1",
                "role": "worker",
                "display_name": "x",
                "grids": ["nowhere"],
            }
        ),
        fields=fs("grids"),
    ),
    Case(
        "assign unknown grid",
        "admin",
        "POST",
        "/api/v1/admin/assignments",
        const({"grid_id": "nowhere", "username": "sun"}),
        404,
    ),
    Case(
        "assign unknown user",
        "admin",
        "POST",
        "/api/v1/admin/assignments",
        const({"grid_id": "g5", "username": "nobody"}),
        404,
    ),
    Case(
        "assign to a supervisor",
        "admin",
        "POST",
        "/api/v1/admin/assignments",
        const({"grid_id": "g5", "username": "zhao"}),
        fields=fs("username"),
    ),
    Case("config unknown part", "admin", "PUT", "/api/v1/admin/config", const({"version": "x"})),
    Case(
        "config threshold out of range",
        "admin",
        "PUT",
        "/api/v1/admin/config",
        const({"rules": {"monitoring_threshold": -1}}),
    ),
    Case("unknown API path", "worker", "GET", "/api/v1/nothing-here", status=404),
]

CALLER = {"worker": "wang", "supervisor": "zhao", "admin": "root"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_a_json_4xx_and_writes_nothing(world: World, case: Case) -> None:
    session = world.login(CALLER[case.who]) if case.who in CALLER else Session("", new_id(), "")
    path = case.path(world) if callable(case.path) else case.path
    headers = dict(session.headers)
    kwargs: dict[str, Any] = {}
    if case.body is not None:
        body = case.body(world, session)
        kwargs["data"] = body if case.raw else json.dumps(body)
        headers["Content-Type"] = JSON
    headers |= case.headers or {}
    before = snapshot(world.database)
    response = world.client.open(path, method=case.method, headers=headers, **kwargs)
    error = assert_json_error(response, case.status)
    assert case.fields <= set(error["errors"]), error["errors"]
    assert snapshot(world.database) == before, "a refused request wrote something"
    if case.status == 409 and path == PUSH:
        assert error["last_mutation_id"] == 0 and error["results"] == []


# --- through a real server ---------------------------------------------------------------


def test_limits_hold_through_a_real_server(seed, database, live_server):
    """gunicorn in front: a chunked body (no Content-Length) past the cap, a deep one and a
    gzip bomb are JSON 4xx errors and write nothing."""
    import requests

    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    wang = seed.login(live_server, "wang")
    url = f"{live_server}/api/v1/sync/push"
    headers = wang.headers | {"Content-Type": JSON}

    def chunks(data: bytes, size: int = 65536) -> Iterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    body = json.dumps(mutations(400, notes="长" * 2000)(None, wang)).encode()
    assert len(body) > 2 * 1024 * 1024
    before = snapshot(database)
    attempts = [
        (requests.post(url, data=chunks(body), headers=headers, timeout=60), 413),
        (requests.post(url, data=chunks(DEEP.encode()), headers=headers, timeout=60), 400),
        (requests.post(url, data=BOMB, headers=wang.headers | GZ, timeout=60), 413),
        (requests.post(url, data=b"\x1f\x8b junk", headers=wang.headers | GZ, timeout=60), 400),
        (requests.post(url, data="{}", headers=wang.headers, timeout=60), 415),
    ]
    for response, status in attempts:
        assert response.status_code == status, (status, response.text[:300])
        assert response.headers["Content-Type"].startswith(JSON), response.text[:300]
        error = response.json()
        assert error["code"] == status and {"status", "message", "errors"} <= set(error)
    assert snapshot(database) == before
    ok = requests.post(url, json=mutations(1)(None, wang), headers=wang.headers, timeout=60)
    assert ok.status_code == 200 and ok.json()["results"][0]["status"] == "applied"


def test_an_id_repeated_in_one_batch_for_another_mutation_is_a_gap(world: World) -> None:
    """Ids strictly increase; a batch reusing id 1 for a second record must not report that
    record applied (it was never written): 409 after the first, which alone is kept."""
    wang = world.login("wang")
    first, second = new_id(), new_id()
    batch = [
        {
            "mutation_id": 1,
            "entity": "household",
            "id": rid,
            "op": "upsert",
            "base_version": None,
            "data": household("g1", household_no=unique_no()),
        }
        for rid in (first, second)
    ]
    body = {"client_id": wang.client_id, "schema_version": 1, "mutations": batch}
    response = world.client.post(PUSH, json=body, headers=wang.headers)
    error = assert_json_error(response, 409)
    assert error["last_mutation_id"] == 1
    assert [r["status"] for r in error["results"]] == ["applied"]
    history = "/api/v1/records/household/{}/history"
    assert world.client.get(history.format(first), headers=wang.headers).status_code == 200
    assert world.client.get(history.format(second), headers=wang.headers).status_code == 404
    again = {"client_id": wang.client_id, "schema_version": 1, "mutations": batch[:1] * 2}
    replay = world.client.post(PUSH, json=again, headers=wang.headers)
    assert replay.status_code == 200, replay.get_json()
    assert [r["status"] for r in replay.get_json()["results"]] == ["applied", "applied"]

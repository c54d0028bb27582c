"""The authorization matrix: every `/api/v1` endpoint × role × in/out of scope, one test per
cell, on SQLite and PostgreSQL.

Roles: anonymous (no token), worker `wang` (grid g1), supervisor `zhao` (township t1: g1, g2),
admin `root`. Targets: records of g1 (everyone's scope), g2 (same township, another worker)
and g9 (another township); for token/report cells, the caller's own client or another user's.

Cell values: a status; `200+` / `200-` for list endpoints (pull, conflicts) mean 200 with the
target grid's records included / left out. Every refusal must be the protocol's JSON error,
leave every table unchanged (snapshot before/after), and not echo the target's data. Reads out
of scope are 403 (PROTOCOL.md: "403 outside the caller's scope"); lists simply omit them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Session
from tests.sync_server.helpers import household, member, mutation, new_id
from tests.sync_server.matrix_cases import (
    BACKENDS,
    CALLERS,
    ROLES,
    World,
    assert_json_error,
    open_world,
    snapshot,
    unique_no,
)

TABLE = """
# endpoint           target  anonymous  worker  supervisor  admin
healthz              -       200        200     200         200
token.post           -       200        200     200         200
token.delete         -       401        204     204         204
token.revoke         own     401        204     204         204
token.revoke         other   401        403     403         204
password.own         -       401        204     204         204
me                   -       401        200     200         200
config               -       401        200     200         200
report               own     401        204     204         204
report               other   401        403     403         403
push.edit            g1      401        200     200         200
push.edit            g2      401        403     200         200
push.edit            g9      401        403     403         200
push.create          g1      401        200     200         200
push.create          g2      401        403     200         200
push.create          g9      401        403     403         200
push.member          g1      401        200     200         200
push.member          g2      401        403     200         200
push.member          g9      401        403     403         200
push.move            g1      401        200     200         200
push.move            g2      401        403     200         200
push.move            g9      401        403     403         200
pull                 g1      401        200+    200+        200+
pull                 g2      401        200-    200+        200+
pull                 g9      401        200-    200-        200+
conflicts.list       g1      401        200+    200+        200+
conflicts.list       g2      401        200-    200+        200+
conflicts.list       g9      401        200-    200-        200+
conflicts.resolve    g1      401        403     200         200
conflicts.resolve    g2      401        403     200         200
conflicts.resolve    g9      401        403     403         200
visits.review        g1      401        403     200         200
visits.review        g2      401        403     200         200
visits.review        g9      401        403     403         200
visits.reopen        g1      401        403     200         200
visits.reopen        g2      401        403     200         200
visits.reopen        g9      401        403     403         200
history.household    g1      401        200     200         200
history.household    g2      401        403     200         200
history.household    g9      401        403     403         200
history.member       g1      401        200     200         200
history.member       g2      401        403     200         200
history.member       g9      401        403     403         200
history.visit        g1      401        200     200         200
history.visit        g2      401        403     200         200
history.visit        g9      401        403     403         200
admin.grids.get      -       401        403     403         200
admin.grids.post     -       401        403     403         201
admin.users.get      -       401        403     403         200
admin.users.post     -       401        403     403         201
admin.users.patch    -       401        403     403         200
admin.users.deact    -       401        403     403         200
admin.assignments    -       401        403     403         200
admin.config.get     -       401        403     403         200
admin.config.put     -       401        403     403         200
admin.config.version -       401        403     403         200
"""


def parse_table(table: str) -> list[tuple[str, str, str, str]]:
    """(endpoint, target, role, expected) for every cell of TABLE."""
    cells = []
    for line in table.strip().splitlines():
        if line.startswith("#"):
            continue
        endpoint, target, *expected = line.split()
        assert len(expected) == len(ROLES), line
        cells += [(endpoint, target, role, exp) for role, exp in zip(ROLES, expected, strict=True)]
    return cells


CELLS = parse_table(TABLE)


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    yield from open_world(request, tmp_path_factory)


# --- the requests of each endpoint ------------------------------------------------------


@dataclass
class Req:
    """One request of a cell, what a refusal must not reveal, and a check on success."""

    method: str
    path: str
    json: Any = None
    secret: str | None = None
    check: Callable[[Any], None] | None = None


def _push_body(who: Session | None, *mutations: dict[str, Any]) -> dict[str, Any]:
    return {
        "client_id": who.client_id if who else new_id(),
        "schema_version": 1,
        "mutations": list(mutations),
    }


def _anon_device() -> Session:
    """Mutation numbering for an anonymous caller (never sent with a token)."""
    return Session("", new_id(), "anonymous")


def _applied(response: Any) -> None:
    [result] = response.get_json()["results"]
    assert result["status"] == "applied", result


def _token_dead(w: World, session: Session) -> Callable[[Any], None]:
    def check(_response: Any) -> None:
        r = w.client.get("/api/v1/me", headers=session.headers)
        assert r.status_code == 401, "the revoked token still works"

    return check


def _password_back(w: World, session: Session) -> Callable[[Any], None]:
    """The caller's token survived its own password change; the password is set back."""

    def check(_response: Any) -> None:
        body = {"old_password": "matrix-new-pass", "new_password": w.seed.password}
        r = w.client.post("/api/v1/auth/password", json=body, headers=session.headers)
        assert r.status_code == 204, r.get_json()
        w._devices.pop(session.username, None)  # its other tokens ended: sign in afresh

    return check


def _contains(
    w: World, who: Session, kind: str, wanted: str, present: bool
) -> Callable[[Any], None]:
    """A check that the list (pull pages or conflicts) does / does not hold `wanted`."""

    def check(response: Any) -> None:
        if kind == "conflicts":
            ids = {c["id"] for c in response.get_json()["conflicts"]}
        else:
            ids, page = set(), response.get_json()
            while True:
                ids |= {c["id"] for c in page["changes"]}
                if not page["has_more"]:
                    break
                page = w.client.get(
                    f"/api/v1/sync/pull?cursor={page['cursor']}&limit=1000", headers=who.headers
                ).get_json()
        assert (wanted in ids) is present, (kind, wanted, present)

    return check


def build(w: World, endpoint: str, target: str, role: str, who: Session | None) -> Req:
    """The request of the cell (preparing fresh target records where the cell may write)."""
    device = who or _anon_device()
    if endpoint == "healthz":
        return Req("GET", "/healthz")
    if endpoint == "token.post":
        username = CALLERS.get(role, "wang")
        body = {
            "username": username,
            "password": w.seed.password,
            "client_id": new_id(),
            "device_name": "matrix",
        }
        return Req("POST", "/api/v1/auth/token", body, check=lambda r: r.get_json()["token"])
    if endpoint == "token.delete":
        return Req("DELETE", "/api/v1/auth/token", check=who and _token_dead(w, who))
    if endpoint in ("token.revoke", "report"):
        owner = device if target == "own" else w.login("li")
        if endpoint == "report":
            body = {"client_id": owner.client_id, "pending": 7}
            return Req("POST", "/api/v1/sync/report", body)
        return Req(
            "DELETE",
            f"/api/v1/auth/token?client_id={owner.client_id}",
            check=_token_dead(w, owner),
        )
    if endpoint == "password.own":
        body = {"old_password": w.seed.password, "new_password": "matrix-new-pass"}
        return Req("POST", "/api/v1/auth/password", body, check=who and _password_back(w, who))
    if endpoint in ("me", "config"):
        return Req("GET", f"/api/v1/{endpoint}")
    if endpoint == "push.edit":
        hid, version, name = w.household(target)
        m = mutation(device, "household", hid, {"notes": "改过"}, base_version=version)
        return Req("POST", "/api/v1/sync/push", _push_body(who, m), name, _applied)
    if endpoint == "push.create":
        data = household(target, household_no=unique_no())
        m = mutation(device, "household", new_id(), data)
        return Req("POST", "/api/v1/sync/push", _push_body(who, m), check=_applied)
    if endpoint == "push.member":
        hid, _version, name = w.household(target)
        m = mutation(device, "member", new_id(), member(hid))
        return Req("POST", "/api/v1/sync/push", _push_body(who, m), name, _applied)
    if endpoint == "push.move":
        # A g1 household (in everyone's scope) moved into the target grid.
        hid, version, name = w.household("g1")
        m = mutation(device, "household", hid, {"grid_id": target}, base_version=version)
        return Req("POST", "/api/v1/sync/push", _push_body(who, m), name, _applied)
    if endpoint in ("pull", "conflicts.list"):
        path = "/api/v1/sync/pull?limit=1000" if endpoint == "pull" else "/api/v1/conflicts"
        kind = "changes" if endpoint == "pull" else "conflicts"
        wanted = w.static[target]["household" if endpoint == "pull" else "conflict"]
        if endpoint == "conflicts.list":
            path += "?status=all"
        return Req("GET", path, check=who and _contains(w, who, kind, wanted, present=True))
    if endpoint == "conflicts.resolve":
        cid, _hid = w.conflict(target)
        return Req("POST", f"/api/v1/conflicts/{cid}/resolve", {"value": "13922223333"}, "1381111")
    if endpoint == "visits.review":
        vid, _hid = w.visit(target)
        return Req("POST", f"/api/v1/visits/{vid}/review", {"action": "approve", "comment": "好"})
    if endpoint == "visits.reopen":
        vid, _hid = w.visit(target)
        root = w.device("root")
        r = w.client.post(
            f"/api/v1/visits/{vid}/review", json={"action": "approve"}, headers=root.headers
        )
        assert r.status_code == 200, r.get_json()
        return Req("POST", f"/api/v1/visits/{vid}/review", {"action": "reopen"})
    if endpoint.startswith("history."):
        entity = endpoint.split(".")[1]
        key = {"household": "household", "member": "member", "visit": "visit"}[entity]
        rid = w.static[target][key]
        return Req(
            "GET",
            f"/api/v1/records/{entity}/{rid}/history",
            secret=w.static[target]["head_name"] if entity == "household" else None,
            check=lambda r: r.get_json()["versions"][0],
        )
    return _admin_request(w, endpoint)


def _admin_request(w: World, endpoint: str) -> Req:
    suffix = new_id()[:8]
    if endpoint == "admin.grids.get":
        return Req("GET", "/api/v1/admin/grids")
    if endpoint == "admin.grids.post":
        body = {"id": f"gx-{suffix}", "name": "新网格", "village": "南花村", "township": "t1"}
        return Req("POST", "/api/v1/admin/grids", body)
    if endpoint == "admin.users.get":
        return Req("GET", "/api/v1/admin/users")
    if endpoint == "admin.users.post":
        body = {
            "username": f"u{suffix}",
            "password": "long-enough-1",
            "role": "worker",
            "display_name": "新人",
            "grids": [],
        }
        return Req("POST", "/api/v1/admin/users", body)
    if endpoint in ("admin.users.patch", "admin.users.deact"):
        # a fresh worker each time, signed in on a phone: deactivating ends that token
        username = f"p{suffix}"
        w.seed.user(username, grids=[])
        phone = w.login(username)
        if endpoint == "admin.users.patch":
            return Req("PATCH", f"/api/v1/admin/users/{username}", {"display_name": "改名"})
        return Req(
            "PATCH",
            f"/api/v1/admin/users/{username}",
            {"active": False},
            check=_token_dead(w, phone),
        )
    if endpoint == "admin.assignments":
        return Req("POST", "/api/v1/admin/assignments", {"grid_id": "g5", "username": "sun"})
    if endpoint == "admin.config.get":
        return Req("GET", "/api/v1/admin/config")
    if endpoint == "admin.config.put":
        root = w.device("root")
        rules = w.client.get("/api/v1/config", headers=root.headers).get_json()["rules"]
        changed = rules | {"monitoring_threshold": rules["monitoring_threshold"] + 1}
        return Req("PUT", "/api/v1/admin/config", {"rules": changed})
    if endpoint == "admin.config.version":
        return Req("GET", "/api/v1/admin/config/1")
    raise AssertionError(f"no request for {endpoint}")


# --- the matrix -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "target", "role", "expected"),
    CELLS,
    ids=[f"{e}-{t}-{r}" for e, t, r, _x in CELLS],
)
def test_cell(world: World, endpoint: str, target: str, role: str, expected: str) -> None:
    who = world.login(CALLERS[role]) if role in CALLERS else None
    req = build(world, endpoint, target, role, who)
    status, listed = int(expected[:3]), expected[3:]
    if listed == "-":
        assert who is not None
        kind = "changes" if endpoint == "pull" else "conflicts"
        key = "household" if endpoint == "pull" else "conflict"
        req.check = _contains(world, who, kind, world.static[target][key], present=False)
    headers = (who.headers if who else {}) | {"Accept-Language": "en"}
    before = snapshot(world.database)
    response = world.client.open(req.path, method=req.method, json=req.json, headers=headers)
    text = response.get_data(as_text=True)
    if status >= 400:
        assert_json_error(response, status)
        assert snapshot(world.database) == before, "a refused request wrote something"
        if req.secret:
            assert req.secret not in text, "the refusal leaks the record"
        return
    assert response.status_code == status, (response.status_code, text[:500])
    if status != 204:
        assert response.mimetype == "application/json"
    if req.check:
        req.check(response)


def test_table_covers_every_api_route(world: World) -> None:
    """A new endpoint without a row here fails this test (so it cannot skip the matrix)."""
    covered = {
        ("POST", "/api/v1/auth/token"),
        ("DELETE", "/api/v1/auth/token"),
        ("POST", "/api/v1/auth/password"),
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/config"),
        ("POST", "/api/v1/sync/report"),
        ("POST", "/api/v1/sync/push"),
        ("GET", "/api/v1/sync/pull"),
        ("GET", "/api/v1/conflicts"),
        ("POST", "/api/v1/conflicts/<conflict_id>/resolve"),
        ("POST", "/api/v1/visits/<visit_id>/review"),
        ("GET", "/api/v1/records/<entity>/<record_id>/history"),
        ("GET", "/api/v1/admin/grids"),
        ("POST", "/api/v1/admin/grids"),
        ("GET", "/api/v1/admin/users"),
        ("POST", "/api/v1/admin/users"),
        ("PATCH", "/api/v1/admin/users/<username>"),
        ("POST", "/api/v1/admin/assignments"),
        ("GET", "/api/v1/admin/config"),
        ("PUT", "/api/v1/admin/config"),
        # tus uploads and scoped file reads: their own matrix in test_attachments.py
        ("POST", "/api/v1/attachments"),
        ("PATCH", "/api/v1/attachments/<sha256>"),
        ("DELETE", "/api/v1/attachments/<sha256>"),
        ("GET", "/api/v1/attachments/<sha256>"),
        ("GET", "/api/v1/admin/config/<int:version>"),
    }
    routes = {
        (method, rule.rule.replace("<string:", "<"))
        for rule in world.app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes == covered


def test_out_of_scope_mutation_blocks_the_whole_batch(world: World) -> None:
    """An in-scope create, an out-of-scope conflicting edit: 403, nothing at all written, and
    the ids stay free — the same ids then apply once the out-of-scope edit is dropped."""
    wang = world.login("wang")
    hid, version, _name = world.household("g2")
    world.client.post(  # li edits first, so wang's stale edit would be a conflict
        "/api/v1/sync/push",
        json=_push_body(
            world.device("li"),
            mutation(
                world.device("li"), "household", hid, {"phone": "13700000007"}, base_version=version
            ),
        ),
        headers=world.device("li").headers,
    )
    own = mutation(wang, "household", new_id(), household("g1", household_no=unique_no()))
    foreign = mutation(wang, "household", hid, {"phone": "13600000006"}, base_version=version)
    before = snapshot(world.database)
    r = world.client.post(
        "/api/v1/sync/push", json=_push_body(wang, own, foreign), headers=wang.headers
    )
    body = assert_json_error(r, 403)
    assert set(body["errors"]) == {"mutations.1"}
    assert snapshot(world.database) == before
    me = world.client.get("/api/v1/me", headers=wang.headers).get_json()
    assert me["last_mutation_id"] == 0
    again = world.client.post("/api/v1/sync/push", json=_push_body(wang, own), headers=wang.headers)
    assert again.status_code == 200 and again.get_json()["results"][0]["status"] == "applied"

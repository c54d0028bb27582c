"""User administration (issue 15 points 2–4): `PATCH /api/v1/admin/users/<username>`,
`POST /api/v1/auth/password`, revocation of tokens and console sessions, the `client_id`
binding, `reopen`, the audit log, and the console's admin pages — on SQLite and PostgreSQL.

Each regression test names what the server did before: a sign-in with another user's
`client_id` took their device over, a copied console cookie outlived sign-out, and users
could not be deactivated, reset or re-roled at all.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import func, select

from sync_server.models import ApiToken, AuditEntry, Client, ConsoleSession, User
from tests.sync_server.helpers import mutation, new_id, push, visit
from tests.sync_server.matrix_cases import snapshot
from tests.ui.console.world import csrf_of

ROOT_PASSWORD = "root-pass-1"


@pytest.fixture
def town(seed: Any) -> Any:
    """Grids g1/g2 (township t1), worker wang (g1), worker li (g2), supervisor zhao, admin root."""
    seed.grid("g1", township="t1")
    seed.grid("g2", township="t1")
    seed.grid("g3", township="t1")
    seed.user("wang", grids=["g1"])
    seed.user("li", grids=["g2"])
    seed.user("zhao", role="supervisor", township="t1")
    seed.user("root", role="admin", password=ROOT_PASSWORD)
    return seed


def me(client: Any, session: Any) -> int:
    return int(client.get("/api/v1/me", headers=session.headers).status_code)


def patch(client: Any, admin: Any, username: str, body: Any) -> Any:
    return client.patch(
        f"/api/v1/admin/users/{username}",
        json=body,
        headers=admin.headers | {"Accept-Language": "en"},
    )


def console_sign_in(client: Any, username: str, password: str) -> Any:
    page = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 302, response.text[:300]
    return response


def audit_rows(database: Any) -> list[AuditEntry]:
    with database.read() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


# --- PATCH /api/v1/admin/users/<username> ----------------------------------------------


def test_deactivating_a_user_ends_every_token_and_refuses_sign_in(client, town, database):
    admin = town.login(client, "root", ROOT_PASSWORD)
    phone, tablet = town.login(client, "wang"), town.login(client, "wang")
    assert me(client, phone) == me(client, tablet) == 200
    r = patch(client, admin, "wang", {"active": False})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["active"] is False and r.get_json()["grids"] == ["g1"]
    assert me(client, phone) == me(client, tablet) == 401
    body = {"username": "wang", "password": town.password, "client_id": phone.client_id}
    refused = client.post("/api/v1/auth/token", json=body | {"device_name": "p"})
    assert refused.status_code == 401
    listed = client.get("/api/v1/admin/users", headers=admin.headers).get_json()["users"]
    assert {u["username"]: u["active"] for u in listed}["wang"] is False
    # reactivated: signs in again (on the same phone), history and grids intact
    r = patch(client, admin, "wang", {"active": True})
    assert r.status_code == 200 and r.get_json()["active"] is True
    assert client.post("/api/v1/auth/token", json=body | {"device_name": "p"}).status_code == 200
    assert [e.action for e in audit_rows(database)][-2:] == ["user.deactivate", "user.activate"]


def test_password_reset_ends_old_tokens_and_the_old_password(client, town, database):
    admin = town.login(client, "root", ROOT_PASSWORD)
    phone = town.login(client, "wang")
    r = patch(client, admin, "wang", {"password": "brand-new-pass"})
    assert r.status_code == 200 and "password" not in r.get_json()
    assert me(client, phone) == 401
    with pytest.raises(AssertionError):
        town.login(client, "wang")  # the old password
    assert me(client, town.login(client, "wang", "brand-new-pass")) == 200
    [entry] = [e for e in audit_rows(database) if e.action == "user.password"]
    assert entry.actor == "root" and entry.target == "user:wang"
    assert "brand-new-pass" not in str(entry.details)
    assert entry.details["after"] == {"password": "changed"}


def test_role_change_ends_sessions_and_releases_grids(client, town, database):
    admin = town.login(client, "root", ROOT_PASSWORD)
    phone = town.login(client, "wang")
    r = patch(client, admin, "wang", {"role": "supervisor", "township": "t1"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json() | {"id": None} == {
        "id": None,
        "username": "wang",
        "role": "supervisor",
        "display_name": "wang",
        "township": "t1",
        "grids": [],
        "active": True,
    }
    assert me(client, phone) == 401
    grids = client.get("/api/v1/admin/grids", headers=admin.headers).get_json()["grids"]
    assert {g["id"]: g["worker"] for g in grids}["g1"] is None
    [entry] = [e for e in audit_rows(database) if e.action == "user.update"]
    assert entry.details == {
        "before": {"role": "worker", "township": None, "grids": ["g1"]},
        "after": {"role": "supervisor", "township": "t1", "grids": []},
    }


def test_name_and_grid_changes_keep_the_sessions(client, town):
    admin = town.login(client, "root", ROOT_PASSWORD)
    phone = town.login(client, "wang")
    r = patch(client, admin, "wang", {"display_name": "王小明", "grids": ["g1", "g3"]})
    assert r.status_code == 200 and r.get_json()["grids"] == ["g1", "g3"]
    assert me(client, phone) == 200
    mine = client.get("/api/v1/me", headers=phone.headers).get_json()
    assert mine["user"]["display_name"] == "王小明"
    assert [g["id"] for g in mine["grids"]] == ["g1", "g3"]
    # moving g2 from li to wang: li's next pull removes g2's records (as an assignment does)
    assert patch(client, admin, "wang", {"grids": ["g2"]}).get_json()["grids"] == ["g2"]


@pytest.mark.parametrize(
    ("username", "body", "status", "field"),
    [
        ("nobody", {"active": False}, 404, None),
        ("wang", {}, 422, "_schema"),
        ("wang", {"role": "boss"}, 422, "role"),
        ("wang", {"active": "false"}, 422, "active"),
        ("wang", {"password": "short"}, 422, "password"),
        ("wang", {"role": "supervisor"}, 422, "township"),
        ("zhao", {"grids": ["g1"]}, 422, "grids"),
        ("wang", {"grids": ["g1", "g1"]}, 422, "grids"),
        ("wang", {"grids": ["nope"]}, 422, "grids"),
        ("wang", {"username": "wong"}, 422, "username"),
        ("root", {"active": False}, 422, "active"),
        ("root", {"role": "worker"}, 422, "role"),
        # issue 15 point 6: control and bidi-override characters are refused in names
        ("wang", {"display_name": "王\u202e小明"}, 422, "display_name"),
        ("wang", {"display_name": "王\x00小明"}, 400, "json"),  # refused with the body
        ("wang", {"display_name": "王\n小明"}, 422, "display_name"),
    ],
)
def test_refused_edits_change_nothing(client, town, database, username, body, status, field):
    admin = town.login(client, "root", ROOT_PASSWORD)
    phone = town.login(client, "wang")
    before = snapshot(database) | {"audit": len(audit_rows(database))}
    r = patch(client, admin, username, body)
    assert r.status_code == status, r.get_json()
    assert r.mimetype == "application/json"
    if field:
        assert field in r.get_json()["errors"], r.get_json()
    assert snapshot(database) | {"audit": len(audit_rows(database))} == before
    assert me(client, phone) == 200 and me(client, admin) == 200


# --- POST /api/v1/auth/password ----------------------------------------------------------


def test_own_password_change_keeps_the_caller_and_ends_the_rest(client, town, database):
    phone, tablet = town.login(client, "zhao"), town.login(client, "zhao")
    console = client.application.test_client()
    console_sign_in(console, "zhao", town.password)
    assert console.get("/console/").status_code == 200
    url = "/api/v1/auth/password"
    wrong = {"old_password": "not-it", "new_password": "zhao-new-pass"}
    before = snapshot(database)
    r = client.post(url, json=wrong, headers=phone.headers | {"Accept-Language": "en"})
    assert r.status_code == 422 and "old_password" in r.get_json()["errors"]
    assert snapshot(database) == before and me(client, tablet) == 200
    same = {"old_password": town.password, "new_password": town.password}
    assert client.post(url, json=same, headers=phone.headers).status_code == 422
    good = {"old_password": town.password, "new_password": "zhao-new-pass"}
    assert client.post(url, json=good, headers=phone.headers).status_code == 204
    assert me(client, phone) == 200  # the caller's own token stays
    assert me(client, tablet) == 401
    assert console.get("/console/").status_code == 302  # the console session ended too
    assert me(client, town.login(client, "zhao", "zhao-new-pass")) == 200


def test_wrong_old_passwords_are_rate_limited(app, client, town):
    app.config["LOGIN_MAX_FAILURES"] = 3
    phone = town.login(client, "wang")
    body = {"old_password": "guess-0000", "new_password": "whatever-1"}
    codes = [
        client.post("/api/v1/auth/password", json=body, headers=phone.headers).status_code
        for _ in range(4)
    ]
    assert codes == [422, 422, 422, 429]


# --- the client_id binding ----------------------------------------------------------------


def test_another_users_client_id_is_a_409_and_changes_nothing(client, town, database):
    """Before: li's sign-in with wang's client id took over the device and its mutation log."""
    wang = town.login(client, "wang")
    hid = new_id()
    from tests.sync_server.helpers import household

    assert push(client, wang, mutation(wang, "household", hid, household("g1"))).status_code == 200
    before = snapshot(database)
    body = {
        "username": "li",
        "password": town.password,
        "client_id": wang.client_id,
        "device_name": "li's phone",
    }
    r = client.post("/api/v1/auth/token", json=body, headers={"Accept-Language": "en"})
    assert r.status_code == 409 and r.get_json()["errors"] == {
        "client_id": ["Belongs to another user."]
    }
    assert snapshot(database) == before
    assert me(client, wang) == 200
    with database.read() as s:
        owner = s.scalar(
            select(User.username)
            .join(Client, Client.user_id == User.id)
            .where(Client.client_id == wang.client_id)
        )
        device = s.get(Client, wang.client_id)
    assert owner == "wang" and device is not None and device.device_name == "wang's phone"
    # the same user signing in again on that install is fine; li on their own id too
    assert me(client, town.login(client, "wang", client_id=wang.client_id)) == 200
    assert me(client, town.login(client, "li")) == 200


# --- reopen -------------------------------------------------------------------------------


def _submitted_visit(client: Any, town: Any) -> tuple[Any, str]:
    from tests.sync_server.helpers import household

    wang = town.login(client, "wang")
    hid, vid = new_id(), new_id()
    push(client, wang, mutation(wang, "household", hid, household("g1")))
    push(client, wang, mutation(wang, "visit", vid, visit(hid)))
    return wang, vid


@pytest.mark.parametrize("closing", ["approve", "reject"])
def test_reopen_sets_a_closed_visit_back_to_submitted(client, town, database, closing):
    wang, vid = _submitted_visit(client, town)
    zhao = town.login(client, "zhao")
    url = f"/api/v1/visits/{vid}/review"
    assert client.post(url, json={"action": "reopen"}, headers=zhao.headers).status_code == 409
    closed = client.post(url, json={"action": closing, "comment": "定案"}, headers=zhao.headers)
    assert closed.status_code == 200
    assert client.post(url, json={"action": "reopen"}, headers=wang.headers).status_code == 403
    r = client.post(url, json={"action": "reopen", "comment": "补充材料"}, headers=zhao.headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["review_status"] == "submitted"
    assert r.get_json()["version"] > closed.get_json()["version"]
    history = client.get(f"/api/v1/records/visit/{vid}/history", headers=zhao.headers).get_json()
    assert [v["data"]["review_status"] for v in history["versions"]][-2:] == [
        "approved" if closing == "approve" else "rejected",
        "submitted",
    ]
    [entry] = [e for e in audit_rows(database) if e.action == "visit.reopen"]
    assert entry.actor == "zhao" and entry.target == f"visit:{vid}"
    # no longer closed: a second reopen is refused and writes nothing
    before = snapshot(database)
    assert client.post(url, json={"action": "reopen"}, headers=zhao.headers).status_code == 409
    assert snapshot(database) == before


def test_console_reopen_button(client, town):
    _wang, vid = _submitted_visit(client, town)
    console_sign_in(client, "zhao", town.password)
    page = client.get(f"/console/visits/{vid}")
    assert page.status_code == 200 and 'value="reopen"' not in page.text
    csrf = csrf_of(page.text)
    client.post(f"/console/visits/{vid}/review", data={"action": "approve", "csrf_token": csrf})
    page = client.get(f"/console/visits/{vid}")
    assert 'value="reopen"' in page.text
    r = client.post(f"/console/visits/{vid}/review", data={"action": "reopen", "csrf_token": csrf})
    assert r.status_code == 302
    page = client.get(f"/console/visits/{vid}")
    assert 'value="reopen"' not in page.text and "badge submitted" in page.text


# --- console sessions ---------------------------------------------------------------------


def test_a_copied_cookie_dies_with_sign_out(client, town, database):
    """Before: the signed cookie kept working after sign-out (nothing server-side)."""
    console_sign_in(client, "zhao", town.password)
    cookie = client.get_cookie("tianye_console")
    assert cookie is not None
    thief = client.application.test_client()
    thief.set_cookie("tianye_console", cookie.value)
    assert thief.get("/console/").status_code == 200
    stolen = thief.get_cookie("tianye_console").value  # as refreshed by the server
    csrf = csrf_of(client.get("/console/").text)
    assert client.post("/console/logout", data={"csrf_token": csrf}).status_code == 302
    for value in (cookie.value, stolen):
        thief.set_cookie("tianye_console", value)
        assert thief.get("/console/").status_code == 302
    with database.read() as s:
        assert s.scalar(select(func.count()).where(ConsoleSession.revoked_at.is_(None))) == 0


def test_deactivation_ends_console_sessions(client, town):
    admin = town.login(client, "root", ROOT_PASSWORD)
    console = client.application.test_client()
    console_sign_in(console, "zhao", town.password)
    assert console.get("/console/queue").status_code == 200
    assert patch(client, admin, "zhao", {"active": False}).status_code == 200
    r = console.get("/console/queue")
    assert r.status_code == 302 and "/console/login" in r.headers["Location"]


# --- console admin pages ------------------------------------------------------------------


def test_console_user_page_edits_deactivates_and_resets(client, town, database):
    phone = town.login(client, "wang")
    console_sign_in(client, "root", ROOT_PASSWORD)
    users = client.get("/console/admin/users?lang=en")
    assert users.status_code == 200
    row = re.search(r'<tr data-user="wang">.*?</tr>', users.text, re.S)
    assert row and "wang&#39;s phone" in row.group(0) and 'data-state="active"' in row.group(0)
    page = client.get("/console/admin/users/wang")
    csrf = csrf_of(page.text)
    # edit: refused values are flashed, nothing changes
    r = client.post(
        "/console/admin/users/wang",
        data={"csrf_token": csrf, "display_name": "", "role": "worker", "grids": ["g1"]},
        follow_redirects=True,
    )
    assert "display_name" in r.text
    r = client.post(
        "/console/admin/users/wang",
        data={"csrf_token": csrf, "display_name": "王伟", "role": "worker", "grids": ["g1", "g3"]},
        follow_redirects=True,
    )
    assert "User saved" in r.text and me(client, phone) == 200
    # without the CSRF token: 400, nothing changes
    assert client.post("/console/admin/users/wang/active", data={"active": "0"}).status_code == 400
    assert me(client, phone) == 200
    r = client.post(
        "/console/admin/users/wang/active",
        data={"csrf_token": csrf, "active": "0"},
        follow_redirects=True,
    )
    assert 'data-state="inactive"' in r.text and me(client, phone) == 401
    client.post("/console/admin/users/wang/active", data={"csrf_token": csrf, "active": "1"})
    r = client.post(
        "/console/admin/users/wang/password",
        data={"csrf_token": csrf, "password": "console-set-1", "password2": "console-set-2"},
        follow_redirects=True,
    )
    assert "The two passwords differ" in r.text
    client.post(
        "/console/admin/users/wang/password",
        data={"csrf_token": csrf, "password": "console-set-1", "password2": "console-set-1"},
    )
    assert me(client, town.login(client, "wang", "console-set-1")) == 200
    actions = [e.action for e in audit_rows(database)]
    assert actions[-4:] == ["user.update", "user.deactivate", "user.activate", "user.password"]
    assert all(e.actor == "root" for e in audit_rows(database)[-4:])
    assert client.get("/console/admin/users/nobody").status_code == 404


def test_admin_pages_are_for_admins(client, town):
    console_sign_in(client, "zhao", town.password)
    for path in ("/console/admin/users/wang", "/console/admin/audit"):
        assert client.get(path).status_code == 403
    csrf = csrf_of(client.get("/console/").text)
    r = client.post("/console/admin/users/wang/active", data={"csrf_token": csrf, "active": "0"})
    assert r.status_code == 403


def test_audit_page_lists_every_admin_action_in_local_time(app, client, town, database):
    admin = town.login(client, "root", ROOT_PASSWORD)
    h = admin.headers
    client.post(
        "/api/v1/admin/grids",
        json={"id": "g7", "name": "七组", "village": "v", "township": "t1"},
        headers=h,
    )
    client.post(
        "/api/v1/admin/users",
        json={
            "username": "zhou",
            "password": "zhou-pass-1",
            "role": "worker",
            "display_name": "周",
            "grids": [],
        },
        headers=h,
    )
    client.post("/api/v1/admin/assignments", json={"grid_id": "g7", "username": "zhou"}, headers=h)
    rules = client.get("/api/v1/config", headers=h).get_json()["rules"]
    rules["monitoring_threshold"] = rules["monitoring_threshold"] + 100
    assert client.put("/api/v1/admin/config", json={"rules": rules}, headers=h).status_code == 200
    device = town.login(client, "zhou", "zhou-pass-1")
    client.delete(f"/api/v1/auth/token?client_id={device.client_id}", headers=h)
    patch(client, admin, "zhou", {"active": False})
    entries = audit_rows(database)
    assert [e.action for e in entries if e.actor == "root"] == [
        "grid.create",
        "user.create",
        "grid.assign",
        "config.update",
        "device.revoke",
        "user.deactivate",
    ]
    assert all("zhou-pass-1" not in str(e.details) for e in entries)
    config_entry = next(e for e in entries if e.action == "config.update")
    assert any("monitoring_threshold" in c for c in config_entry.details["changes"])
    console_sign_in(client, "root", ROOT_PASSWORD)
    page = client.get("/console/admin/audit?lang=en")
    assert page.status_code == 200
    assert "When (UTC+8)" in page.text
    for label in ("Grid created", "User created", "Grid reassigned", "Configuration changed"):
        assert label in page.text
    assert "Device revoked" in page.text and "User deactivated" in page.text
    assert "zhou-pass-1" not in page.text
    from shared_schema.timefmt import format_datetime, parse_zone

    assert format_datetime(entries[0].at, parse_zone("Asia/Shanghai"), "en") in page.text
    filtered = client.get("/console/admin/audit?actor=nobody&lang=zh")
    assert "暂无数据" in filtered.text and "共 0 条" in filtered.text


def test_every_audit_action_has_labels():
    from sync_server.console.i18n import TEXTS
    from sync_server.services.audit import ACTIONS

    assert all(f"audit.action.{action}" in TEXTS for action in ACTIONS)


def test_audit_survives_odd_stored_details(client, town, database):
    """No stored value breaks the audit page (details are JSON of any shape)."""
    from datetime import UTC, datetime

    with database.write() as s:
        for details in ({}, {"before": None, "after": [1, 2]}, {"after": {"x": {"y": [None]}}}):
            s.add(
                AuditEntry(
                    at=datetime.now(UTC),
                    actor="x" * 64,
                    action="user.update",
                    target="<script>",
                    details=details,
                )
            )
    console_sign_in(client, "root", ROOT_PASSWORD)
    page = client.get("/console/admin/audit")
    assert page.status_code == 200 and "<script>" not in page.text


def test_tokens_table_untouched_by_reads(client, town, database):
    """Listing users (console overview) writes nothing."""
    console_sign_in(client, "root", ROOT_PASSWORD)
    with database.read() as s:
        before = s.scalar(select(func.count()).select_from(ApiToken))
    assert client.get("/console/admin/users").status_code == 200
    with database.read() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == before


# --- two server processes -------------------------------------------------------------------


def test_revocation_reaches_every_server_process(town, live_server_factory):
    """Deactivating on server B ends a token and a console session held on server A (state in
    the database, not in a process)."""
    import requests

    env = {"SECRET_KEY": "shared-by-both-servers-" + "0" * 16}
    a = live_server_factory(workers=1, env=env).url
    b = live_server_factory(workers=1, env=env).url
    phone = town.login(a, "zhao")
    console = requests.Session()
    page = console.get(f"{a}/console/login", timeout=30)
    signed = console.post(
        f"{a}/console/login",
        data={"username": "zhao", "password": town.password, "csrf_token": csrf_of(page.text)},
        allow_redirects=False,
        timeout=30,
    )
    assert signed.status_code == 302
    for base in (a, b):  # one cookie, both servers
        assert console.get(f"{base}/console/queue", allow_redirects=False, timeout=30).ok
        assert requests.get(f"{base}/api/v1/me", headers=phone.headers, timeout=30).ok
    admin = town.login(b, "root", ROOT_PASSWORD)
    r = requests.patch(
        f"{b}/api/v1/admin/users/zhao", json={"active": False}, headers=admin.headers, timeout=30
    )
    assert r.status_code == 200, r.text
    cookie = console.cookies.get("tianye_console")
    for base in (a, b):
        console.cookies.set("tianye_console", cookie)  # the copy the browser still holds
        gone = console.get(f"{base}/console/queue", allow_redirects=False, timeout=30)
        assert gone.status_code == 302 and "/console/login" in gone.headers["Location"]
        me_ = requests.get(f"{base}/api/v1/me", headers=phone.headers, timeout=30)
        assert me_.status_code == 401


# --- the CLI ------------------------------------------------------------------------------


def test_cli_manages_users_and_never_takes_a_password_from_argv(db_url, client, town, database):
    """Before: `create-user --password SECRET` put the password where `ps` shows it, and no
    command could deactivate a user, set a password or change a role."""
    from tests.sync_server.test_schema_and_cli import run_cli

    def users() -> dict[str, tuple[str, bool]]:
        with database.read() as s:
            return {u.username: (u.role, u.active) for u in s.scalars(select(User))}

    refused = run_cli(
        db_url, "create-user", "--username", "zhou", "--password", "pw-in-argv", "--role", "worker"
    )
    assert refused.returncode == 2 and "command line" in refused.stderr
    assert "zhou" not in users()
    short = run_cli(
        db_url, "create-user", "--username", "zhou", "--password-stdin", "--role", "worker",
        stdin="short\n",
    )  # fmt: skip
    assert short.returncode == 1 and "password" in short.stderr and "zhou" not in users()
    made = run_cli(
        db_url, "create-user", "--username", "zhou", "--password", "-", "--role", "worker",
        "--grid", "g3", stdin="zhou-pass-1\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    phone = town.login(client, "zhou", "zhou-pass-1")
    reset = run_cli(db_url, "set-password", "--username", "zhou", stdin="zhou-pass-2\n")
    assert reset.returncode == 0, reset.stderr
    assert me(client, phone) == 401
    phone = town.login(client, "zhou", "zhou-pass-2")
    assert run_cli(db_url, "deactivate-user", "--username", "zhou").returncode == 0
    assert users()["zhou"] == ("worker", False) and me(client, phone) == 401
    assert run_cli(db_url, "activate-user", "--username", "zhou").returncode == 0
    moved = run_cli(
        db_url, "update-user", "--username", "zhou", "--role", "supervisor", "--township", "t1"
    )
    assert moved.returncode == 0, moved.stderr
    assert users()["zhou"] == ("supervisor", True)
    unknown = run_cli(db_url, "deactivate-user", "--username", "nobody")
    assert unknown.returncode == 1 and "unknown_user" in unknown.stderr
    entries = [e for e in audit_rows(database) if e.target == "user:zhou"]
    assert [e.action for e in entries] == [
        "user.create",
        "user.password",
        "user.deactivate",
        "user.activate",
        "user.update",
    ]
    assert all(e.actor.startswith("cli") for e in entries)
    assert all("zhou-pass" not in str(e.details) for e in entries)
    listed = run_cli(db_url, "list-users")
    assert listed.returncode == 0 and '"username": "zhou"' in listed.stdout
    assert "password" not in listed.stdout


def test_console_own_password_change(client, town):
    """A supervisor changes their own password in the console: wrong old password refused
    (nothing changes), then the change ends their phone token and every other browser's
    session, while this browser continues on a fresh session."""
    phone = town.login(client, "zhao")
    other = client.application.test_client()
    console_sign_in(other, "zhao", town.password)
    console_sign_in(client, "zhao", town.password)
    old_cookie = client.get_cookie("tianye_console").value
    page = client.get("/console/account/password?lang=en")
    assert page.status_code == 200 and "Change my password" in page.text
    csrf = csrf_of(page.text)
    form = {"csrf_token": csrf, "new_password": "zhao-console-1", "new_password2": "zhao-console-1"}
    wrong = client.post("/console/account/password", data=form | {"old_password": "nope"})
    assert wrong.status_code == 422 and "The current password is wrong" in wrong.text
    assert me(client, phone) == 200 and other.get("/console/").status_code == 200
    done = client.post("/console/account/password", data=form | {"old_password": town.password})
    assert done.status_code == 302
    assert client.get("/console/").status_code == 200  # this browser goes on
    assert client.get_cookie("tianye_console").value != old_cookie
    assert other.get("/console/").status_code == 302
    assert me(client, phone) == 401
    assert me(client, town.login(client, "zhao", "zhao-console-1")) == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/v1/admin/users",
            {
                "username": "liu",
                "password": "pass-word-1",
                "role": "worker",
                "display_name": "刘\u2066备",
                "grids": [],
            },
            "display_name",
        ),
        (
            "/api/v1/admin/grids",
            {"id": "g7", "name": "石门\x1b[31m村", "village": "石门村", "township": "t1"},
            "name",
        ),
        (
            "/api/v1/admin/grids",
            {"id": "g7", "name": "石门村", "village": "石门村", "township": "t1\u202d"},
            "township",
        ),
    ],
)
def test_admin_creations_refuse_control_characters(client, town, database, path, body, field):
    admin = town.login(client, "root", ROOT_PASSWORD)
    before = snapshot(database)
    r = client.post(path, json=body, headers=admin.headers)
    assert r.status_code == 422 and field in r.get_json()["errors"], r.get_json()
    assert snapshot(database) == before

"""The console through Flask's test client on SQLite and PostgreSQL: sign-in, CSRF, expiry,
scope, review, conflicts, cases and exports, with data pushed through the real API."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from shared_schema.timefmt import parse_zone
from sync_server.models import CaseEvent, MonitoringCase, Record, SyncCounter
from tests.ui.console.world import World, build_world, csrf_of


@pytest.fixture
def world(seed: Any, client: Any) -> World:
    return build_world(seed, client, datetime.now(UTC).date())


def sign_in(client: Any, username: str, password: str = "pass-word-1") -> Any:
    page = client.get("/console/login")
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
    )


def token(client: Any, path: str = "/console/") -> str:
    return csrf_of(client.get(path).text)


def test_sign_in_sets_a_safe_session_cookie(client, world):
    response = sign_in(client, "sup")
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests; see the HTTPS test below
    home = client.get("/console/")
    assert home.status_code == 200 and "张督导" in home.text and "工作概览" in home.text


def test_cookie_is_secure_over_https_and_when_forced(app, client, world):
    page = client.get("/console/login", base_url="https://localhost")
    response = client.post(
        "/console/login",
        base_url="https://localhost",
        data={"username": "sup", "password": "pass-word-1", "csrf_token": csrf_of(page.text)},
    )
    assert "Secure" in response.headers["Set-Cookie"]
    app.config["CONSOLE_SECURE_COOKIES"] = "1"
    assert "Secure" in client.get("/console/login?lang=en").headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("username", "password", "status", "text"),
    [
        ("sup", "wrong", 401, "用户名或密码错误"),
        ("nobody", "pass-word-1", 401, "用户名或密码错误"),
        ("wang", "pass-word-1", 403, "网格员请使用手机应用"),
    ],
)
def test_refused_sign_ins(client, world, username, password, status, text):
    response = sign_in(client, username, password)
    assert response.status_code == status and text in response.text
    assert client.get("/console/").status_code == 302


def test_pages_need_a_session(client, world):
    response = client.get("/console/queue")
    assert response.status_code == 302
    assert "/console/login?next=" in response.headers["Location"]


def test_post_without_csrf_token_is_refused_and_changes_nothing(client, world, database):
    sign_in(client, "sup")
    before = _visit(database, world.v1)
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(
            f"/console/visits/{world.v1}/review", data={"action": "approve", **data}
        )
        assert response.status_code == 400
        assert "安全校验未通过" in response.text
    assert _visit(database, world.v1) == before
    assert sign_in_without_token(client).status_code == 400


def sign_in_without_token(client: Any) -> Any:
    return client.post("/console/login", data={"username": "sup", "password": "pass-word-1"})


def test_session_expires_when_idle(app, client, world):
    sign_in(client, "sup")
    assert client.get("/console/").status_code == 200
    app.config["CONSOLE_IDLE_MINUTES"] = -1  # every session is already idle too long
    response = client.get("/console/")
    assert response.status_code == 302 and "expired=1" in response.headers["Location"]
    app.config["CONSOLE_IDLE_MINUTES"] = 60
    assert client.get("/console/").status_code == 302  # the session was cleared
    assert "登录已过期" in client.get("/console/login?expired=1").text


def test_logout_ends_the_session(client, world):
    sign_in(client, "sup")
    response = client.post("/console/logout", data={"csrf_token": token(client)})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 302


def test_supervisor_of_another_township_cannot_open_this_household(client, world):
    sign_in(client, "sup2")
    assert client.get(f"/console/households/{world.h1}").status_code == 403
    assert client.get(f"/console/visits/{world.v1}").status_code == 403
    assert client.get(f"/console/households/{world.h9}").status_code == 200
    assert client.get("/console/households/00000000-0000-0000-0000-000000000000").status_code == 404
    assert "李大山" not in client.get("/console/households").text
    assert client.get("/console/admin/users").status_code == 403


def test_dashboard_counts_the_township(client, world):
    sign_in(client, "sup")
    html = client.get("/console/").text
    stat = dict(re.findall(r'data-stat="(\w+)">(\d+)', html))
    assert stat["households"] == "2" and stat["awaiting"] == "2" and stat["conflicts"] == "0"
    assert "收入低于监测标准" in html  # INCOME_LOW on H1's latest visit
    assert "<svg" in html and "chart-title" in html
    english = client.get("/console/?lang=en").text
    assert "Income below the threshold" in english and "Visits awaiting review" in english


def test_queue_filters_and_bulk_approve_skips_flagged(client, world, database):
    sign_in(client, "sup")
    flagged = client.get("/console/queue?flag=INCOME_LOW").text
    assert world.v1 in flagged and world.v2 not in flagged
    clean = client.get("/console/queue?flag=none").text
    assert world.v2 in clean and world.v1 not in clean
    later = (date.today() + timedelta(days=1)).isoformat()
    assert world.v1 not in client.get(f"/console/queue?from={later}").text
    response = client.post(
        "/console/queue/approve",
        data={"visit_ids": [world.v1, world.v2], "csrf_token": token(client)},
    )
    assert response.status_code == 302
    assert _visit(database, world.v2)["review_status"] == "approved"
    assert _visit(database, world.v1)["review_status"] == "submitted"


def test_return_needs_a_comment_and_reaches_the_phone(client, world, database):
    sign_in(client, "sup")
    path = f"/console/visits/{world.v1}/review"
    client.post(path, data={"action": "return", "comment": "", "csrf_token": token(client)})
    assert _visit(database, world.v1)["review_status"] == "submitted"
    client.post(
        path, data={"action": "return", "comment": "收入请核实", "csrf_token": token(client)}
    )
    change = world.wang.pull()[world.v1]
    assert change["data"]["review_status"] == "returned"
    assert change["data"]["review_comment"] == "收入请核实"
    page = client.get(f"/console/visits/{world.v1}").text
    assert "收入请核实" in page and "工资性收入" in page and 'class="flagged"' in page


def test_household_page_shows_field_level_history(client, world):
    world.wang.pull()
    world.wang.push(
        ("household", world.h1, {"phone": "13900000009"}, world.wang.versions[world.h1])
    )
    sign_in(client, "sup")
    html = client.get(f"/console/households/{world.h1}").text
    assert "13800000001</del> → <ins>13900000009" in html
    assert "wang" in html and "wang&#39;s phone" in html


def test_conflict_side_by_side_and_take_client(client, seed, world):
    second = seed.login(client, "wang")
    from tests.ui.console.world import Phone

    other = Phone(client, second)
    other.pull()
    base = world.wang.versions[world.h2]
    world.wang.push(("household", world.h2, {"phone": "13911111111"}, base))
    [result] = other.push(("household", world.h2, {"phone": "13922222222"}, base))
    assert result["status"] == "conflict"
    sign_in(client, "sup")
    html = client.get("/console/conflicts").text
    assert "13911111111" in html and "13922222222" in html and "13800000001" in html
    conflict_id = re.search(r'data-conflict="([^"]+)"', html).group(1)
    client.post(
        f"/console/conflicts/{conflict_id}/resolve",
        data={"choice": "client", "csrf_token": token(client)},
    )
    assert world.wang.pull()[world.h2]["data"]["phone"] == "13922222222"
    assert "没有待处理的冲突" in client.get("/console/conflicts").text


def test_conflict_with_bad_typed_value_changes_nothing(client, seed, world, database):
    from tests.ui.console.world import Phone

    other = Phone(client, seed.login(client, "wang"))
    other.pull()
    base = world.wang.versions[world.h2]
    world.wang.push(("household", world.h2, {"phone": "13911111111"}, base))
    other.push(("household", world.h2, {"phone": "13922222222"}, base))
    sign_in(client, "sup")
    conflict_id = re.search(r'data-conflict="([^"]+)"', client.get("/console/conflicts").text)[1]
    for value in ("not json", '"12"'):
        client.post(
            f"/console/conflicts/{conflict_id}/resolve",
            data={"choice": "custom", "value": value, "csrf_token": token(client)},
        )
        assert _household(database, world.h2)["phone"] == "13911111111"
    assert conflict_id in client.get("/console/conflicts").text


def test_case_lifecycle_refusals_are_recorded_nowhere(client, world, database):
    sign_in(client, "sup")
    client.post(
        f"/console/households/{world.h1}/cases",
        data={"source": "grid_visit", "reason": "收入骤降", "csrf_token": token(client)},
    )
    case_id = _case(database, world.h1).id
    act = f"/console/cases/{case_id}/act"
    client.post(
        act, data={"action": "verify_home", "reason": "已入户", "csrf_token": token(client)}
    )
    client.post(act, data={"action": "open_notice", "reason": "评议", "csrf_token": token(client)})
    events = _events(database)
    page = client.post(
        act,
        data={"action": "township_review", "reason": "审核", "csrf_token": token(client)},
        follow_redirects=True,
    ).text
    assert "村级公示不少于 5 天" in page
    assert _events(database) == events and _case(database, world.h1).state == "village_notice"
    _backdate(database, case_id, notice_started=date.today() - timedelta(days=5))
    client.post(
        act, data={"action": "township_review", "reason": "审核", "csrf_token": token(client)}
    )
    page = client.post(
        act,
        data={"action": "county_approve", "reason": "县审", "csrf_token": token(client)},
        follow_redirects=True,
    ).text
    assert "须由县级审定" in page and _case(database, world.h1).state == "township_reviewed"


def test_exports_stream_csv_and_xlsx_with_headers_in_the_language(client, world):
    sign_in(client, "sup")
    response = client.get("/console/exports/visits.csv?lang=en")
    assert response.is_streamed
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:7] == [
        "ID",
        "Household ID",
        "Household number",
        "Name of the head",
        "Village",
        "Grid name",
        "Visit date",
    ]
    assert header[-1] == "Last changed (UTC+8)"
    assert {r[0] for r in rows[1:]} == {world.v1, world.v2}
    # a visit names its household in words a supervisor reads, not only by its UUID
    by_id = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    household = _household_of_visit(client, world.v1)
    assert by_id[world.v1]["Household number"] == household["household_no"]
    assert by_id[world.v1]["Name of the head"] == household["head_name"]
    assert by_id[world.v1]["Grid name"].endswith("(g1)")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", by_id[world.v1]["Last changed (UTC+8)"])
    response = client.get("/console/exports/flags.xlsx?grid=g1&lang=zh")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    table = [list(r) for r in book.active.iter_rows(values_only=True)]
    book.close()
    assert table[0][0] == "走访编号（系统）"
    assert any(r[6] == "INCOME_LOW" and r[0] == world.v1 for r in table[1:])
    assert client.get("/console/exports/households.csv?grid=g9").status_code == 403
    assert client.get("/console/exports/visits.csv?from=junk").status_code == 400
    assert client.get("/console/exports/secrets.csv").status_code == 404


def _household_of_visit(client: Any, visit_id: str) -> dict[str, Any]:
    from sync_server.extensions import EXTENSION_KEY

    database = client.application.extensions[EXTENSION_KEY]
    visit = _visit(database, visit_id)
    return _household(database, visit["household_id"])


def test_admin_pages_reassign_and_thresholds(client, world, database):
    sign_in(client, "boss")
    for path in ("users", "grids", "assignments", "thresholds"):
        assert client.get(f"/console/admin/{path}").status_code == 200
    client.post(
        "/console/admin/assignments",
        data={"grid_id": "g1", "username": "li", "csrf_token": token(client)},
    )
    removed = world.wang.pull()
    assert removed and all(c.get("removed") for c in removed.values())
    bad = client.post(
        "/console/admin/thresholds",
        data={
            "province": "52",
            "year": "2026",
            "threshold": "9000",
            "settings": '{"near_factor": -1}',
            "csrf_token": token(client),
        },
    )
    assert bad.status_code == 422 and "near_factor" in bad.text
    client.post(
        "/console/admin/thresholds",
        data={
            "province": "52",
            "year": "2026",
            "threshold": "9100",
            "settings": "{}",
            "csrf_token": token(client),
        },
    )
    assert 'value="9100"' in client.get("/console/admin/thresholds").text


def _visit(database: Any, visit_id: str) -> dict[str, Any]:
    with database.read() as s:
        return dict(s.get(Record, ("visit", visit_id)).data)


def _household(database: Any, household_id: str) -> dict[str, Any]:
    with database.read() as s:
        return dict(s.get(Record, ("household", household_id)).data)


def _case(database: Any, household_id: str) -> MonitoringCase:
    with database.read() as s:
        return s.scalars(
            select(MonitoringCase).where(MonitoringCase.household_id == household_id)
        ).one()


def _events(database: Any) -> int:
    with database.read() as s:
        return len(s.scalars(select(CaseEvent)).all())


def _backdate(database: Any, case_id: str, **values: Any) -> None:
    """Time travel for a test: the notice or monitoring started days or months ago."""
    with database.write() as s:
        s.execute(update(MonitoringCase).where(MonitoringCase.id == case_id).values(**values))


def test_devices_show_lag_pending_skew_and_admins_revoke(client, world, database):
    from tests.ui.console.world import api

    world.wang.pull()
    ahead = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    status, _ = api(
        client,
        "POST",
        "/api/v1/sync/report",
        world.wang.session.headers,
        {"client_id": world.wang.session.client_id, "pending": 7, "device_time": ahead},
    )
    assert status in (200, 204)
    world.zhao.push(
        ("household", world.h9, {"phone": "13700000000"}, world.zhao.versions[world.h9])
    )
    sign_in(client, "sup")
    html = client.get("/console/devices").text
    row = html[html.index(f'data-client="{world.wang.session.client_id}"') :]
    row = row[: row.index("</tr>")]
    cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
    with database.read() as s:
        head = s.scalar(select(func.max(SyncCounter.value)))
    assert cells[0].strip() == str(head - world.wang.cursor) and head > world.wang.cursor
    assert "7" in cells[1] and re.search(r"(599|600|601) 秒", cells[2])
    assert world.zhao.session.client_id not in html  # another township's phone
    assert "/revoke" not in html  # supervisors see, admins revoke
    assert (
        client.post(
            f"/console/devices/{world.wang.session.client_id}/revoke",
            data={"csrf_token": token(client)},
        ).status_code
        == 403
    )
    client.post("/console/logout", data={"csrf_token": token(client)})
    sign_in(client, "boss")
    client.post(
        f"/console/devices/{world.wang.session.client_id}/revoke",
        data={"csrf_token": token(client)},
    )
    status, _ = api(client, "GET", "/api/v1/me", world.wang.session.headers)
    assert status == 401
    assert 'data-status="revoked"' in client.get("/console/devices").text


def test_login_is_rate_limited(app, client, world):
    app.config["LOGIN_MAX_FAILURES"] = 3
    for _ in range(3):
        assert sign_in(client, "sup", "wrong").status_code == 401
    response = sign_in(client, "sup")
    assert response.status_code == 429 and "登录失败次数过多" in response.text


def test_admin_creates_users_and_grids_and_refuses_bad_input(client, world, database):
    from sync_server.models import Grid, User

    sign_in(client, "boss")
    page = client.post(
        "/console/admin/users",
        data={
            "username": "x",
            "password": "short",
            "role": "supervisor",
            "display_name": "",
            "csrf_token": token(client),
        },
        follow_redirects=True,
    ).text
    assert "username" in page and "password" in page and "township" in page
    page = client.post(
        "/console/admin/grids",
        data={
            "id": "",
            "name": "新网格",
            "village": "v",
            "township": "t1",
            "csrf_token": token(client),
        },
        follow_redirects=True,
    ).text
    assert "error" in page
    with database.read() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 6
        assert s.scalar(select(func.count()).select_from(Grid)) == 3
    client.post(
        "/console/admin/grids",
        data={
            "id": "g3",
            "name": "杨柳村三组",
            "village": "杨柳村",
            "township": "t1",
            "csrf_token": token(client),
        },
    )
    client.post(
        "/console/admin/users",
        data={
            "username": "sun",
            "password": "long-enough-1",
            "role": "worker",
            "display_name": "孙网格员",
            "grids": ["g3"],
            "csrf_token": token(client),
        },
    )
    html = client.get("/console/admin/users").text
    assert "孙网格员" in html and "g3" in html
    assert client.get("/console/admin/assignments").status_code == 200


def test_sign_in_follows_only_console_paths_and_sets_security_headers(client, world):
    page = client.get("/console/login?next=https://evil.example/")
    response = client.post(
        "/console/login",
        data={
            "username": "sup",
            "password": "pass-word-1",
            "csrf_token": csrf_of(page.text),
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"].endswith("/console/")
    client.post("/console/logout", data={"csrf_token": token(client)})
    page = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={
            "username": "sup",
            "password": "pass-word-1",
            "csrf_token": csrf_of(page.text),
            "next": "/console/conflicts",
        },
    )
    assert response.headers["Location"].endswith("/console/conflicts")
    home = client.get("/console/")
    assert "default-src 'self'" in home.headers["Content-Security-Policy"]
    assert home.headers["X-Frame-Options"] == "DENY"
    assert home.headers["Cache-Control"] == "no-store"
    assert client.get("/").headers["Location"].endswith("/console/")


def test_a_household_never_visited_is_overdue(client, world):
    from tests.ui.console.world import new_id

    world.wang.push(
        (
            "household",
            new_id(),
            {
                "grid_id": "g1",
                "household_no": "5226010010009",
                "head_name": "周新户",
                "address": "石门村 1 组",
                "household_type": "ordinary",
                "house_grade": "a",
            },
            None,
        )
    )
    sign_in(client, "sup")
    html = client.get("/console/").text
    stat = dict(re.findall(r'data-stat="(\w+)">(\d+)', html))
    assert stat["households"] == "3" and stat["overdue"] == "1"
    assert "周新户" in client.get("/console/households?q=周新").text


def test_an_xlsx_export_longer_than_a_sheet_continues_on_more_sheets(
    client, world, seed, monkeypatch
):
    """Excel sheets end at 1,048,576 rows and a county's year of visits is longer: the export
    goes on in "<title> (2)"… with the header on each (a tiny limit here)."""
    from sync_server.console import exports

    sign_in(client, "sup")
    response = client.get("/console/exports/members.xlsx?lang=en")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    whole = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    book.close()
    assert len(book.sheetnames) == 1 and len(whole) >= 4  # header + at least 3 members
    monkeypatch.setattr(exports, "SHEET_ROWS", 3)  # header + 2 rows per sheet
    response = client.get("/console/exports/members.xlsx?lang=en")
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    sheets = [[list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets]
    names = book.sheetnames
    book.close()
    assert len(sheets) == -(-(len(whole) - 1) // 2)
    assert names[0] == "Members" and names[1:] == [
        f"Members ({n})" for n in range(2, len(names) + 1)
    ]
    assert all(s[0] == whole[0] and 2 <= len(s) <= 3 for s in sheets)
    assert [row for s in sheets for row in s[1:]] == whole[1:]


def test_the_visit_date_filter_of_exports_is_applied_by_the_database(client, world, database):
    sign_in(client, "sup")

    def exported(query: str) -> set[str]:
        response = client.get(f"/console/exports/visits.csv?lang=en&{query}")
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        return {r[0] for r in rows[1:]}

    d1 = _visit(database, world.v1)["visit_date"][:10]
    d2 = _visit(database, world.v2)["visit_date"][:10]
    assert exported("from=2000-01-01&to=2100-12-31") == {world.v1, world.v2}
    assert exported("from=2100-01-01") == set()
    assert exported("to=2000-01-01") == set()
    expected = {v for v, d in ((world.v1, d1), (world.v2, d2)) if d == d1}
    assert exported(f"from={d1}&to={d1}") == expected


def test_console_shows_local_time_in_the_deployment_zone(app, client, world, database):
    """Stored moments are UTC; the console shows them on the deployment's clock (default
    UTC+8), in a human format, with the zone in the tooltip and the UTC moment in the markup."""
    world.wang.pull()
    world.wang.push(
        ("household", world.h1, {"phone": "13900000009"}, world.wang.versions[world.h1])
    )
    with database.write() as s:
        s.execute(
            update(Record)
            .where(Record.id == world.h1)
            .values(updated_at=datetime(2026, 12, 2, 17, 30, tzinfo=UTC))
        )
        from sync_server.models import RecordVersion

        s.execute(
            update(RecordVersion)
            .where(RecordVersion.record_id == world.h1)
            .values(created_at=datetime(2026, 12, 2, 17, 30, tzinfo=UTC))
        )
    sign_in(client, "sup")
    html = client.get(f"/console/households/{world.h1}").text
    assert (
        '<time datetime="2026-12-02T17:30:00+00:00" title="UTC+8">2026年12月3日 01:30</time>'
        in html
    )
    assert "T17:30" not in re.sub(r'datetime="[^"]+"', "", html)  # no raw ISO shown
    en = client.get(f"/console/households/{world.h1}?lang=en").text
    assert ">3 Dec 2026, 01:30</time>" in en
    app.config["TIME_ZONE_INFO"] = parse_zone("UTC-5")
    assert ">2 Dec 2026, 12:30</time>" in client.get(f"/console/households/{world.h1}").text


def test_a_zone_setting_that_names_no_zone_stops_start_up(db_url):
    from shared_schema.timefmt import TimeZoneError
    from sync_server import create_app

    with pytest.raises(TimeZoneError):
        create_app({"DATABASE_URL": db_url, "TIME_ZONE": "Mars/Olympus"})


def test_conflict_on_an_enumeration_offers_labels_and_stays_in_the_history(client, seed, world):
    """No JSON codes to type: the custom value of an enumerated field is a select of labels;
    the resolved conflict stays visible under 'resolved' and on the household page."""
    from shared_schema.enums import ENUMS
    from tests.ui.console.world import Phone

    other = Phone(client, seed.login(client, "wang"))
    other.pull()
    base = world.wang.versions[world.h2]
    world.wang.push(("household", world.h2, {"house_grade": "a"}, base))
    [result] = other.push(("household", world.h2, {"house_grade": "c"}, base))
    assert result["status"] == "conflict"
    sign_in(client, "sup")
    html = client.get("/console/conflicts").text
    conflict_id = re.search(r'data-conflict="([^"]+)"', html)[1]
    select = re.search(
        rf'<select id="v-{conflict_id}" name="value" data-input="select">(.*?)</select>',
        html,
        re.S,
    )
    assert select is not None
    grades = ENUMS["house_grade"]
    for code in grades.codes:
        assert f'<option value="{code}"' in select[1] and grades.label(code, "zh") in select[1]
    assert 'data-input="json"' not in html
    # an unknown code changes nothing
    client.post(
        f"/console/conflicts/{conflict_id}/resolve",
        data={"choice": "custom", "value": "zz", "csrf_token": token(client)},
    )
    assert f'data-conflict="{conflict_id}"' in client.get("/console/conflicts").text
    client.post(
        f"/console/conflicts/{conflict_id}/resolve",
        data={"choice": "custom", "value": "d", "csrf_token": token(client)},
    )
    assert world.wang.pull()[world.h2]["data"]["house_grade"] == "d"
    assert f'data-conflict="{conflict_id}"' not in client.get("/console/conflicts").text
    resolved = client.get("/console/conflicts?status=resolved").text
    line = re.search(rf'data-resolved="{conflict_id}">(.*?)</p>', resolved, re.S)
    assert line is not None and "sup" in line[1] and grades.label("d", "zh") in line[1]
    card = resolved[resolved.index(f'data-conflict="{conflict_id}"') :]
    server_side = re.search(
        r'data-side="server">(.*?)</div>\s*<div class="muted">(.*?)</div>', card, re.S
    )
    assert server_side is not None and grades.label("a", "zh") in server_side[1]
    assert "wang" in server_side[2]  # who set the server's value, not who resolved it
    page = client.get(f"/console/households/{world.h2}").text
    line = re.search(
        rf'<p class="cf-line" data-conflict="{conflict_id}" data-status="resolved">(.*?)</p>',
        page,
        re.S,
    )
    assert line is not None and "sup" in line[1] and grades.label("d", "zh") in line[1]

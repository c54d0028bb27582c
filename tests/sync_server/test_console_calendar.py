"""The working calendar: an admin declares public holidays and make-up working days, and the
20-working-day deadline of monitoring cases counts with them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from sync_server.console.cases import WorkCalendar, build_calendar, parse_dates
from sync_server.models import MonitoringCase, Setting
from tests.sync_server.test_console_web import _case, sign_in, token
from tests.ui.console.world import World, build_world


@pytest.fixture
def world(seed: Any, client: Any) -> World:
    return build_world(seed, client, datetime.now(UTC).date())


def _weekdays_back(today: date, n: int) -> date:
    """The day `n` Monday–Friday days before `today`."""
    day = today
    while n:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def test_parse_dates_takes_lists_runs_and_names_what_it_cannot_read():
    days, bad = parse_dates(
        "2026-10-01..2026-10-03\n2026-12-31，2027-02-30 soon 2026-01-05..2026-03-01"
    )
    assert days == [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3), date(2026, 12, 31)]
    assert bad == ["2027-02-30", "soon", "2026-01-05..2026-03-01"]  # a run over 31 days too
    assert parse_dates("  ") == ([], [])


def test_build_calendar_refuses_weekday_makeups_and_days_in_both_lists():
    sat, mon = date(2026, 10, 10), date(2026, 10, 12)
    cal, problems = build_calendar([mon], [sat])
    assert problems == {} and cal.working_days_between(date(2026, 10, 9), mon) == 1
    assert build_calendar([], [mon])[1] == {"weekday_workday": [mon]}
    assert build_calendar([sat], [sat])[1] == {"both": [sat]}
    assert WorkCalendar.from_setting(cal.to_setting()) == cal
    assert WorkCalendar.from_setting(None) == WorkCalendar()


def test_holidays_declared_by_an_admin_move_a_cases_deadline(client, world, database):
    today = date.today()
    sign_in(client, "sup")
    client.post(
        f"/console/households/{world.h1}/cases",
        data={"source": "grid_visit", "reason": "收入骤降", "csrf_token": token(client)},
    )
    case_id = _case(database, world.h1).id
    opened = _weekdays_back(today, 22)  # 22 working days: overdue by plain Monday–Friday
    with database.write() as s:
        s.execute(
            update(MonitoringCase).where(MonitoringCase.id == case_id).values(opened_on=opened)
        )
    overdue = client.get("/console/cases?overdue=1").text
    assert f'data-case="{case_id}"' in overdue

    client.post("/console/logout", data={"csrf_token": token(client)})
    sign_in(client, "boss")
    assert client.get("/console/admin/calendar").status_code == 200
    # three weekdays inside the procedure are public holidays: 19 working days, not overdue
    holidays = [_weekdays_back(today, n) for n in (3, 4, 5)]
    saved = client.post(
        "/console/admin/calendar",
        data={
            "holidays": "\n".join(d.isoformat() for d in holidays),
            "workdays": "",
            "csrf_token": token(client, "/console/admin/calendar"),
        },
        follow_redirects=True,
    )
    assert saved.status_code == 200 and holidays[0].isoformat() in saved.text
    client.post("/console/logout", data={"csrf_token": token(client)})
    sign_in(client, "sup")
    assert f'data-case="{case_id}"' not in client.get("/console/cases?overdue=1").text
    assert f'data-case="{case_id}"' in client.get("/console/cases").text


def test_a_bad_calendar_is_named_next_to_its_box_and_saves_nothing(client, world, database):
    sign_in(client, "boss")
    monday = date(2026, 10, 12)
    for data, text in (
        ({"holidays": "2026-13-01", "workdays": ""}, "2026-13-01"),
        ({"holidays": "", "workdays": monday.isoformat()}, monday.isoformat()),
        ({"holidays": "2026-10-10", "workdays": "2026-10-10"}, "2026-10-10"),
    ):
        page = client.post(
            "/console/admin/calendar",
            data=data | {"csrf_token": token(client, "/console/admin/calendar")},
        )
        assert page.status_code == 422
        assert 'class="field-error"' in page.text and text in page.text
        assert 'aria-invalid="true"' in page.text
    with database.read() as s:
        assert s.get(Setting, "work_calendar") is None


def test_workers_and_supervisors_cannot_open_the_calendar(client, world, database):
    sign_in(client, "sup")
    assert client.get("/console/admin/calendar").status_code == 403
    refused = client.post(
        "/console/admin/calendar",
        data={"holidays": "2026-10-01", "workdays": "", "csrf_token": token(client)},
    )
    assert refused.status_code == 403
    with database.read() as s:
        assert s.get(Setting, "work_calendar") is None

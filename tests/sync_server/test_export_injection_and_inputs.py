"""Exports run no formulas (issue 15 point 5) and console inputs refuse what records refuse
(point 6): text typed by a worker or a supervisor arrives in the spreadsheet as text."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from sync_server.console.exports import csv_text, neutralize, spreadsheet_number, xlsx_cell
from sync_server.models import Record
from tests.sync_server.test_console_web import sign_in, token
from tests.ui.console.world import World, build_world

HOSTILE = {
    "head_name": '=HYPERLINK("http://evil.example","点我")',
    "address": "+cmd|' /C calc'!A0",
    "household_no": "-2+3",
    "notes": "@SUM(1+1)*cmd|' /C calc'!A0",
}


@pytest.fixture
def world(seed: Any, client: Any) -> World:
    world = build_world(seed, client, datetime.now(UTC).date())
    base = world.wang.versions[world.h1]
    world.wang.push(("household", world.h1, HOSTILE, base))
    sign_in(client, "sup")
    return world


def _csv_rows(client: Any, kind: str) -> list[dict[str, str]]:
    body = client.get(f"/console/exports/{kind}.csv?lang=en").data.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_csv_text_cells_that_start_a_formula_get_an_apostrophe(client, world):
    rows = _csv_rows(client, "households")
    mine = next(r for r in rows if r["ID"] == world.h1)
    assert mine["Name of the head"] == "'" + HOSTILE["head_name"]
    assert mine["Address"] == "'" + HOSTILE["address"]
    assert mine["Household number"] == "'-2+3"
    assert mine["Notes"] == "'" + HOSTILE["notes"]
    flags = _csv_rows(client, "flags")
    assert {r["Name of the head"] for r in flags if r["Household ID"] == world.h1} == {
        "'" + HOSTILE["head_name"]
    }


def test_csv_numbers_stay_numbers(client, world):
    visits = _csv_rows(client, "visits")
    wages = {r["Wage income"] for r in visits}
    assert "3000" in wages  # H1's visit (build_world), written as the number it is


def test_xlsx_text_is_never_a_formula_and_numbers_stay_numbers(client, world):
    body = client.get("/console/exports/households.xlsx?lang=en").data
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == world.h1)
    cells = dict(zip(header, row, strict=True))
    for column, key in (
        ("Name of the head", "head_name"),
        ("Address", "address"),
        ("Household number", "household_no"),
        ("Notes", "notes"),
    ):
        assert cells[column].data_type == "s", column
        assert cells[column].value == HOSTILE[key]  # the text itself, no apostrophe
    visits = load_workbook(
        io.BytesIO(client.get("/console/exports/visits.xlsx?lang=en").data)
    ).worksheets[0]
    header = [c.value for c in visits[1]]
    wage = header.index("Wage income")
    values = [r[wage] for r in visits.iter_rows(min_row=2)]
    assert all(c.data_type == "n" and isinstance(c.value, int | float) for c in values)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1", "a=1"),
        ("李=1", "李=1"),
        ("x\x00y\x1b\x85", "x\ufffdy\ufffd\ufffd"),
        ("line\nbreak\ttab", "line\nbreak\ttab"),
    ],
)
def test_neutralize(text: str, expected: str) -> None:
    assert neutralize(text) == expected
    assert csv_text(text) == expected


@pytest.mark.parametrize(
    ("value", "number"),
    [
        (12, 12),
        (-5, -5),
        (12.5, 12.5),
        (Decimal("3.00"), 3),
        (10**15 - 1, 10**15 - 1),
        (10**15, None),
        (10**400, None),
        (float("nan"), None),
        (float("inf"), None),
        (True, None),
        ("12", None),
    ],
)
def test_spreadsheet_number(value: Any, number: Any) -> None:
    assert spreadsheet_number(value) == number


def test_xlsx_cells_round_trip_as_text_or_number() -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("t")
    values = ["=1+1", "#N/A", "+cmd|", 10**400, float("nan"), -5, 2.5, "a\x00b", 10**20]
    sheet.append([xlsx_cell(sheet, v) for v in values])
    handle = io.BytesIO()
    workbook.save(handle)
    row = next(load_workbook(io.BytesIO(handle.getvalue())).worksheets[0].iter_rows())
    assert [c.data_type for c in row] == ["s", "s", "s", "s", "s", "n", "n", "s", "s"]
    assert [c.value for c in row] == [
        "=1+1",
        "#N/A",
        "+cmd|",
        str(10**400),
        "nan",
        -5,
        2.5,
        "a\ufffdb",
        str(10**20),
    ]


# -- console inputs ------------------------------------------------------------------------


def _visit_data(database: Any, visit_id: str) -> dict[str, Any]:
    with database.read() as s:
        rec = s.scalar(select(Record).where(Record.entity == "visit", Record.id == visit_id))
        return dict(rec.data)


@pytest.mark.parametrize("comment", ["退回\x1b[2J", "退回\x00", "请\u202e核实", "a\x85b"])
def test_a_review_comment_with_control_characters_is_refused(client, world, database, comment):
    before = _visit_data(database, world.v1)
    response = client.post(
        f"/console/visits/{world.v1}/review",
        data={"action": "return", "comment": comment, "csrf_token": token(client)},
    )
    assert response.status_code == 302
    assert _visit_data(database, world.v1) == before
    page = client.get(f"/console/visits/{world.v1}").text
    assert "审核意见不能包含" in page


def test_a_review_comment_keeps_line_breaks_and_tabs(client, world, database):
    response = client.post(
        f"/console/visits/{world.v1}/review",
        data={"action": "return", "comment": "第一行\r\n第二行\t完", "csrf_token": token(client)},
    )
    assert response.status_code == 302
    data = _visit_data(database, world.v1)
    assert data["review_status"] == "returned"
    assert data["review_comment"] == "第一行\r\n第二行\t完"


def test_the_api_refuses_a_review_comment_with_control_characters(client, seed, world, database):
    session = seed.login(client, "sup")
    before = _visit_data(database, world.v1)
    response = client.post(
        f"/api/v1/visits/{world.v1}/review",
        json={"action": "return", "comment": "x\x1by"},
        headers=session.headers | {"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "comment": ["Review comment may not contain control characters"]
    }
    assert _visit_data(database, world.v1) == before


def test_a_case_reason_with_a_bidi_override_is_refused(client, world):
    response = client.post(
        f"/console/households/{world.h2}/cases",
        data={"source": "grid_visit", "reason": "理由\u202e", "csrf_token": token(client)},
    )
    assert response.status_code == 302 and "/console/households/" in response.headers["Location"]
    assert "双向文字控制字符" in client.get(response.headers["Location"]).text

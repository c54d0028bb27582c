"""PROTOCOL.md "Values the server accepts" at the HTTP level: out-of-range values in a push are
`rejected` alone (the valid mutations around them applied), and a body holding an integer of
thousands of digits is a JSON 4xx from a live server, never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from shared_schema.schemas.bounds import local_today
from shared_schema.timefmt import parse_zone
from tests.sync_server.helpers import household, mutation, new_id, push, visit


def _world(seed: Any, http: Any) -> Any:
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    return seed.login(http, "wang")


def test_out_of_range_values_are_rejected_alone(seed, client):
    session = _world(seed, client)
    hid = new_id()
    today = local_today(datetime.now(UTC))
    tomorrow, later = today + timedelta(days=1), today + timedelta(days=2)
    bad = {
        "visit_date": "9999-12-31",
        "water": {"quantity_lpd": 10**400},
        "gps": {"lat": 26.5, "lon": 107.9, "accuracy_m": 10**400},
        "notes": "ok\x1b[2J",
        "signed_by": "\u202egpj.exe",
    }
    mutations = [mutation(session, "household", hid, household())]
    for path, value in bad.items():
        data = visit(hid)
        data[path] = dict(data[path], **value) if isinstance(value, dict) else value
        mutations.append(mutation(session, "visit", new_id(), data))
    mutations.append(mutation(session, "visit", new_id(), visit(hid, visit_date=later.isoformat())))
    mutations.append(
        mutation(session, "visit", new_id(), visit(hid, visit_date=tomorrow.isoformat()))
    )
    response = push(client, session, *mutations)
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    statuses = [r["status"] for r in results]
    assert statuses == ["applied"] + ["rejected"] * (len(bad) + 1) + ["applied"]
    fields = [sorted(r["errors"]) for r in results[1:-1]]
    assert fields == [
        ["visit_date"],
        ["water.quantity_lpd"],
        ["gps.accuracy_m"],
        ["notes"],
        ["signed_by"],
        ["visit_date"],
    ]


def test_the_deployment_time_zone_decides_today(seed, app, client):
    session = _world(seed, client)
    hid = new_id()
    # the server's date 14 hours east of UTC is tomorrow's in UTC at least part of the day:
    # a visit dated the day after that is refused at +14:00 only when it is two days ahead
    app.config["TIME_ZONE_INFO"] = parse_zone("UTC-12")
    ahead = local_today(datetime.now(UTC), timedelta(hours=14)) + timedelta(days=1)
    response = push(
        client,
        session,
        mutation(session, "household", hid, household()),
        mutation(session, "visit", new_id(), visit(hid, visit_date=ahead.isoformat())),
    )
    assert [r["status"] for r in response.get_json()["results"]] == ["applied", "rejected"]
    app.config["TIME_ZONE_INFO"] = parse_zone("UTC+14")
    response = push(
        client,
        session,
        mutation(session, "visit", new_id(), visit(hid, visit_date=ahead.isoformat())),
    )
    assert [r["status"] for r in response.get_json()["results"]] == ["applied"]


def test_thousands_of_digits_are_a_json_400_from_a_live_server(seed, live_server):
    session = _world(seed, live_server)
    hid = new_id()
    data = household()  # each example household has its own number: keep this one's
    template = json.dumps(
        {
            "client_id": session.client_id,
            "schema_version": 1,
            "mutations": [mutation(session, "household", hid, data)],
        }
    )
    headers = session.headers | {"Content-Type": "application/json"}
    for digits in (4301, 5000, 100_000):
        body = template.replace('"schema_version": 1', '"schema_version": ' + "9" * digits)
        response = requests.post(
            f"{live_server}/api/v1/sync/push", data=body, headers=headers, timeout=30
        )
        assert response.status_code == 400, response.text[:300]
        payload = response.json()
        assert payload["errors"] == {"json": ["a number has too many digits"]}
    # inside a record: the same 400, and nothing was written
    body = template.replace('"schema_version": 1', '"schema_version": 1').replace(
        '"household_no": "' + data["household_no"] + '"', '"household_no": ' + "1" * 5000
    )
    assert "1" * 5000 in body
    response = requests.post(
        f"{live_server}/api/v1/sync/push", data=body, headers=headers, timeout=30
    )
    assert response.status_code == 400 and response.json()["code"] == 400
    pulled = requests.get(
        f"{live_server}/api/v1/sync/pull?cursor=0", headers=session.headers, timeout=30
    ).json()
    assert pulled["changes"] == []

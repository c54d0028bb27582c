"""The demo county: loaded through the services, scoped, reviewed, with conflicts to resolve."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from shared_schema.schemas.records import validate_record
from sync_server.models import ConflictRow, Record, RecordVersion
from sync_server.seed.generator import DEMO_PASSWORD, generate_county
from sync_server.seed.loader import seed_demo

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 18, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_county_loads_with_history_reviews_and_conflicts(
    database: Any, client: Any
) -> None:
    county = generate_county(today=TODAY, households_per_grid=6)
    report = seed_demo(database, today=TODAY, households_per_grid=6, now=NOW)
    assert (report.households, report.members, report.visits) == (
        county.count("household"),
        county.count("member"),
        county.count("visit"),
    )
    assert report.households == 36 and report.conflicts == 2
    with database.read() as s:
        records = list(s.scalars(select(Record)))
        assert len(records) == report.households + report.members + report.visits
        for rec in records:
            on = date.fromisoformat(rec.data["visit_date"]) if rec.entity == "visit" else TODAY
            assert validate_record(rec.entity, rec.data, as_of=on) == {}, rec.id
        reviewed = [
            r for r in records if r.entity == "visit" and r.data["review_status"] != "submitted"
        ]
        assert reviewed, "some visits are approved or returned"
        authors = (
            s.execute(
                select(RecordVersion.author)
                .where(RecordVersion.entity == "visit", RecordVersion.record_id == reviewed[0].id)
                .order_by(RecordVersion.version)
            )
            .scalars()
            .all()
        )
        assert len(authors) == 2 and authors[0].startswith("worker") and authors[1] == "zhangjun"
        assert (
            s.scalar(
                select(func.count()).select_from(ConflictRow).where(ConflictRow.status == "open")
            )
            == 2
        )

    # A worker pulls exactly their own grid; the password printed for the demo works.
    body = {
        "username": "worker3",
        "password": DEMO_PASSWORD,
        "client_id": "0191e2a4-0000-7000-8000-000000000003",
        "device_name": "test",
    }
    token = client.post("/api/v1/auth/token", json=body).get_json()["token"]
    pulled = client.get(
        "/api/v1/sync/pull?limit=1000", headers={"Authorization": f"Bearer {token}"}
    )
    changes = pulled.get_json()["changes"]
    households = [c for c in changes if c["entity"] == "household"]
    assert len(households) == 6 and {h["data"]["grid_id"] for h in households} == {"YL-01"}

    # Loading twice is refused rather than doubling the county.
    again = seed_demo(database, today=TODAY, households_per_grid=6, now=NOW)
    assert again.already_seeded and again.households == 0


def test_cli_init_db_and_seed_demo_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    env = os.environ | {"DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    run = [sys.executable, "-m", "sync_server"]
    assert subprocess.run([*run, "init-db"], env=env, cwd=ROOT, check=False).returncode == 0
    out = subprocess.run(
        [*run, "seed-demo", "--today", "2026-11-25", "--households-per-grid", "3"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert (
        "18 households" in out.stdout and "zhangjun" in out.stdout and DEMO_PASSWORD in out.stdout
    )
    first = [line for line in out.stdout.splitlines() if line.startswith("  worker")]
    assert len(first) == 6

    # A second `make demo` prints the logins again: the same users, named as the database holds
    # them (it used to regenerate a smaller county, whose random worker names differed).
    again = subprocess.run(
        [*run, "seed-demo", "--print-logins"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert [line for line in again.stdout.splitlines() if line.startswith("  worker")] == first


def test_the_demo_county_has_a_monitoring_case_at_every_stage(database: Any) -> None:
    """Every console page of the case lifecycle has something to show; each case got there
    through the real service, so its events follow the path and an eliminated case passed the
    elimination rules."""
    from sync_server.console.cases import STATES
    from sync_server.models import CaseEvent, MonitoringCase
    from sync_server.seed.cases import STAGES

    report = seed_demo(database, today=TODAY, households_per_grid=20, now=NOW)
    assert set(STAGES) == set(STATES) and set(report.cases) == set(STAGES)
    with database.read() as s:
        for stage, household_id in report.cases.items():
            case = s.scalar(
                select(MonitoringCase).where(MonitoringCase.household_id == household_id)
            )
            assert case is not None and case.state == stage
            events = list(
                s.scalars(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.at)
                )
            )
            assert events[0].action == "open" and events[-1].to_state == stage

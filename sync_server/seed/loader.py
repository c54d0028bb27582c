"""Writes the demo county through the server's own services, so it looks like real use.

Every record gets versions and history like a pushed edit: households and members written by
their grid's worker, each visit first `submitted` by the worker and then, when the generator
says so, approved or returned by the township supervisor as a second version. A few phones
have pushed edits that conflict with a supervisor's correction, so the console's conflict page
has something to show.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from shared_schema.sync import flatten
from sync_server.extensions import Database
from sync_server.models import Client, Grid, Record, User
from sync_server.seed.cases import seed_cases
from sync_server.seed.generator import DemoCounty, DemoUser, generate_county
from sync_server.services.admin import create_grid, create_user
from sync_server.services.principal import Principal
from sync_server.services.sync import push
from sync_server.services.versions import write_record

BATCH = 500


@dataclass(frozen=True)
class SeedReport:
    grids: int
    users: list[DemoUser]
    households: int
    members: int
    visits: int
    conflicts: int
    already_seeded: bool = False
    cases: dict[str, str] = field(default_factory=dict)
    """Monitoring-case stage -> the household whose case was left there."""


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def is_seeded(db: Database) -> bool:
    """True when the database already holds grids (a demo county or real data)."""
    with db.read() as s:
        return s.scalar(select(Grid.id).limit(1)) is not None


def load_county(db: Database, county: DemoCounty, *, now: datetime) -> SeedReport:
    """Write grids, users and records; refuses (already_seeded) a database that has grids."""
    counts = {e: county.count(e) for e in ("household", "member", "visit")}
    if is_seeded(db):
        return SeedReport(0, county.users, 0, 0, 0, 0, already_seeded=True)
    for grid in county.grids:
        create_grid(
            db,
            grid_id=grid.id,
            name=grid.name,
            village=grid.village,
            township=grid.township,
            now=now,
        )
    for user in county.users:
        create_user(
            db,
            username=user.username,
            password=user.password,
            role=user.role,
            display_name=user.display_name,
            grids=user.grids,
            township=user.township,
            now=now,
        )
    worker_of = {g.id: g.worker for g in county.grids}
    grid_of: dict[str, str] = {}
    supervisor = next(u.username for u in county.users if u.role == "supervisor")
    for start in range(0, len(county.records), BATCH):
        with db.write() as s:
            for rec in county.records[start : start + BATCH]:
                data = dict(rec.data)
                if rec.entity == "household":
                    grid_of[rec.id] = data["grid_id"]
                author = worker_of[grid_of[data.get("household_id", rec.id)]]
                at = _aware(rec.at)
                final_status = data.get("review_status")
                if rec.entity == "visit":
                    data |= {"review_status": "submitted", "review_comment": None}
                write_record(
                    s,
                    entity=rec.entity,
                    record_id=rec.id,
                    data=data,
                    deleted=False,
                    changed=sorted(flatten(data)),
                    author=author,
                    now=at,
                )
                if rec.entity == "visit" and final_status != "submitted":
                    reviewed = data | {
                        "review_status": final_status,
                        "review_comment": rec.data.get("review_comment"),
                    }
                    write_record(
                        s,
                        entity="visit",
                        record_id=rec.id,
                        data=reviewed,
                        deleted=False,
                        changed=["review_comment", "review_status"],
                        author=supervisor,
                        now=min(at + timedelta(days=2), now),
                    )
    conflicts = _demo_conflicts(db, county, now=now)
    return SeedReport(
        len(county.grids),
        county.users,
        counts["household"],
        counts["member"],
        counts["visit"],
        conflicts,
        cases=seed_cases(db, now=now),
    )


def _demo_conflicts(db: Database, county: DemoCounty, *, now: datetime) -> int:
    """Two phone edits that collide with a supervisor's correction of the same field."""
    worker = next(u for u in county.users if u.role == "worker")
    grid_id = worker.grids[0]
    client_id = str(uuid.UUID(int=0x7_1A4E_0000_0000_0000_0000_0000_0001))
    with db.write() as s:
        user = s.scalar(select(User).where(User.username == worker.username))
        assert user is not None
        user_id = user.id
        s.add(
            Client(
                client_id=client_id,
                user_id=user_id,
                device_name="演示手机 Demo phone",
                last_mutation_id=0,
                last_seen=now,
                created_at=now,
            )
        )
        households = list(
            s.scalars(
                select(Record)
                .where(Record.entity == "household", Record.grid_id == grid_id)
                .order_by(Record.id)
                .limit(2)
            )
        )
        targets = [(h.id, h.version, dict(h.data)) for h in households]
        for household_id, _version, data in targets:
            corrected = data | {"phone": "13985550123", "notes": "镇上电话核实后更正了联系电话。"}
            write_record(
                s,
                entity="household",
                record_id=household_id,
                data=corrected,
                deleted=False,
                changed=["notes", "phone"],
                author=next(u.username for u in county.users if u.role == "supervisor"),
                now=now - timedelta(hours=3),
            )
    principal = Principal(
        user_id=user_id,
        username=worker.username,
        role="worker",
        display_name=worker.display_name,
        client_id=client_id,
    )
    mutations: list[dict[str, Any]] = [
        {
            "mutation_id": i + 1,
            "entity": "household",
            "id": household_id,
            "op": "upsert",
            "base_version": version,
            "data": {"phone": f"1390851{4400 + i:04d}"},
            "hlc": f"{int((now - timedelta(hours=1)).timestamp() * 1000):013d}-0000-demo",
        }
        for i, (household_id, version, _data) in enumerate(targets)
    ]
    outcome = push(db, principal, client_id, mutations, lang="zh", now=now - timedelta(hours=1))
    return sum(len(r.get("conflicts") or []) for r in outcome.results)


def seed_demo(
    db: Database,
    *,
    today: date,
    seed: int = 2026,
    households_per_grid: int = 50,
    now: datetime | None = None,
) -> SeedReport:
    """Generate and load the demo county."""
    county = generate_county(today=today, seed=seed, households_per_grid=households_per_grid)
    moment = now or datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=18)
    return load_county(db, county, now=moment)

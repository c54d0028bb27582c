"""`python -m sync_server seed-demo`: load the demo county and print the demo logins."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from sqlalchemy import select

from sync_server.cli import _now, command, database
from sync_server.extensions import Database
from sync_server.models import Grid, User
from sync_server.seed.generator import DEMO_PASSWORD
from sync_server.seed.loader import seed_demo

ROLE_ORDER = {"admin": 0, "supervisor": 1, "worker": 2}


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--today", type=date.fromisoformat, help="the county's 'today' (YYYY-MM-DD)")
    p.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same county)")
    p.add_argument("--households-per-grid", type=int, default=50)
    p.add_argument(
        "--print-logins", action="store_true", help="only print the demo logins, load nothing"
    )


def login_lines(db: Database) -> list[str]:
    """The logins as the database holds them (not as a fresh generation would name them: a
    second `make demo` must print the users that are really there, reassignments included)."""
    with db.read() as s:
        users = list(s.scalars(select(User).where(User.active.is_(True))))
        grids: dict[str, list[str]] = {}
        for grid in s.scalars(select(Grid).order_by(Grid.id)):
            if grid.worker_id:
                grids.setdefault(grid.worker_id, []).append(grid.id)
    users.sort(key=lambda u: (ROLE_ORDER.get(u.role, 9), len(u.username), u.username))
    lines = []
    for user in users:
        scope = ", ".join(grids.get(user.id, [])) or user.township or "everything"
        lines.append(f"  {user.role:<10} {user.username:<10} {user.display_name}  [{scope}]")
    return lines


def print_logins(db: Database) -> None:
    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    print("\n".join(login_lines(db)))


@command(
    "seed-demo", "load a realistic demo county (one township, 6 grids, ~300 households)", _args
)
def seed_demo_command(args: argparse.Namespace) -> int:
    today = args.today or datetime.now(UTC).date()
    db = database(args)
    if args.print_logins:
        print_logins(db)
        db.dispose()
        return 0
    report = seed_demo(
        db, today=today, seed=args.seed, households_per_grid=args.households_per_grid, now=_now()
    )
    if report.already_seeded:
        print("The database already holds grids: nothing loaded.")
    else:
        print(
            f"Demo county loaded: {report.grids} grids, {report.households} households, "
            f"{report.members} members, {report.visits} visits, {report.conflicts} open conflicts, "
            f"{len(report.cases)} monitoring cases (one at each stage: {', '.join(report.cases)})."
        )
    print_logins(db)
    db.dispose()
    return 0

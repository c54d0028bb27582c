"""`python -m sync_server seed-demo`: load the demo county and print the demo logins."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from sync_server.cli import _now, command, database
from sync_server.seed.generator import DEMO_PASSWORD, generate_county
from sync_server.seed.loader import SeedReport, seed_demo


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--today", type=date.fromisoformat, help="the county's 'today' (YYYY-MM-DD)")
    p.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same county)")
    p.add_argument("--households-per-grid", type=int, default=50)
    p.add_argument(
        "--print-logins", action="store_true", help="only print the demo logins, load nothing"
    )


def print_logins(report: SeedReport) -> None:
    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for user in report.users:
        scope = ", ".join(user.grids) or user.township or "everything"
        print(f"  {user.role:<10} {user.username:<10} {user.display_name}  [{scope}]")


@command(
    "seed-demo", "load a realistic demo county (one township, 6 grids, ~300 households)", _args
)
def seed_demo_command(args: argparse.Namespace) -> int:
    today = args.today or datetime.now(UTC).date()
    if args.print_logins:
        county = generate_county(today=today, seed=args.seed, households_per_grid=1)
        print_logins(SeedReport(len(county.grids), county.users, 0, 0, 0, 0))
        return 0
    db = database(args)
    report = seed_demo(
        db, today=today, seed=args.seed, households_per_grid=args.households_per_grid, now=_now()
    )
    db.dispose()
    if report.already_seeded:
        print("The database already holds grids: nothing loaded.")
    else:
        print(
            f"Demo county loaded: {report.grids} grids, {report.households} households, "
            f"{report.members} members, {report.visits} visits, {report.conflicts} open conflicts."
        )
    print_logins(report)
    return 0

"""Every statement the phone runs to refresh a household's list columns uses an index: a full
scan of `records` per household made applying each pulled page slower than the last (a grid of
300 households with a year of visits synced 3.5× slower; found by `bench scale`)."""

from __future__ import annotations

import sqlite3

from mobile_app.store import Store
from mobile_app.store.records import refresh_household
from tests.ui.kivy.seed import hid, seed_pulled_grid


def _plans(conn: sqlite3.Connection, statements: list[str], params: dict[str, tuple]) -> dict:
    plans = {}
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE")):
            continue
        rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}", params.get(sql, ())).fetchall()
        plans[sql] = [r[3] for r in rows]
    return plans


def test_refreshing_a_household_never_scans_the_records_table(tmp_path):
    with Store(tmp_path / "phone.sqlite3") as store:
        seed_pulled_grid(store, 12)
        conn = store.db.conn
        seen: list[str] = []
        conn.set_trace_callback(seen.append)
        with store.db.transaction() as tx:
            refresh_household(tx, hid(3))
        conn.set_trace_callback(None)
        # the traced text has the parameters inlined: plan it as it ran
        statements = [s for s in seen if "records" in s]
        assert len(statements) >= 3, seen
        plans = _plans(conn, statements, {})
        scans = {
            sql: detail
            for sql, detail in plans.items()
            for d in detail
            if d.startswith("SCAN records") and "INDEX" not in d
        }
        assert scans == {}, scans

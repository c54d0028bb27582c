"""`python -m bench app --store both` at a tiny size: both stores measured, side by side."""

from __future__ import annotations

import pytest

from bench import app_perf
from mobile_app.store import cipher
from mobile_app.store.keyfile import SCRYPT_PARAMS


@pytest.mark.skipif(not cipher.available(), reason="sqlcipher3 is not installed")
def test_bench_app_measures_plain_and_encrypted_side_by_side(monkeypatch):
    monkeypatch.setitem(SCRYPT_PARAMS, "n", 2**12)
    result = app_perf.run(households=12, cold_starts=0)
    assert set(app_perf.STORES) <= set(result)
    for kind in app_perf.STORES:
        assert result[kind]["household_list"]["households"] == 12
        assert result[kind]["visit_save"]["outbox_after"] >= 12
        assert set(result[kind]["targets_met"]) == {"list_open", "filter", "visit_save"}
    assert "pin_unlock" in result["encrypted"] and "pin_unlock" not in result["plain"]
    rows = {row["figure"]: row for row in result["side_by_side"]}
    assert len(rows) == len(app_perf.SIDE_BY_SIDE)
    assert all("encrypted_over_plain" in row for row in rows.values())

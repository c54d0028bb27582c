"""`bench soak` and `bench export` at a tiny size: their figures are there and say what the
run did (the soak's invariants held; the export's rows are the county's households)."""

from __future__ import annotations

from bench import export_mem, soak


def test_soak_reports_each_fault_and_each_invariant_count():
    result = soak.run(devices=2, mutations=15, seed=3, progress=False)
    assert result["violations"] == 0, result["first_violations"]
    assert result["mutations_saved"] >= 30
    assert result["mutations_pushed"] >= 1
    assert sum(result["network_faults"].values()) >= 1
    assert set(result["device_faults"]["crashes"]) == set(soak.CRASH_POINTS)
    checked = {name: v["checked"] for name, v in result["invariants"].items()}
    assert set(checked) == set(soak.INVARIANTS)
    assert checked["no_value_lost"] > 0 and checked["exactly_once.log"] > 0, checked


def test_export_bench_downloads_households_and_visits_with_their_rows(tmp_path):
    result = export_mem.run(households=12, database_url=f"sqlite:///{tmp_path}/county.sqlite3")
    exports = result["exports"]
    households = exports["households"]
    assert households["rows"] == result["county"]["households"] == 12
    assert households["bytes"] > 0 and households["seconds_to_first_byte"] <= households["seconds"]
    assert households["worker_peak_rss_mib"] > 0
    visits = exports["visits (one month)"]
    assert visits["rows"] == result["county"]["visits_in_month"]

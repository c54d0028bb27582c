"""`bench.load` at a tiny size against a real server: no error, and exactly once.

4 devices with 5 households each push and pull for 3 s against `serve --workers 2` on SQLite
and on PostgreSQL (the `db_url` fixture); the run's own check compares the mutation log and
the history with every result the devices were acknowledged.
"""

from __future__ import annotations

import pytest

from bench import load

pytestmark = pytest.mark.slow


def test_tiny_load_has_no_errors_and_every_mutation_once(db_url: str) -> None:
    result = load.run_backend(
        db_url, devices=4, households=5, steps=[4], workers=[2], duration=3.0, think=(0.0, 0.0)
    )

    series = result["workers_2"]
    step = series["steps"][0]
    assert step["errors"] == 0, step["error_samples"]
    assert series["warmup_errors"] == {}
    assert result["drain_errors"] == {}
    assert result["server_log_tail"] == ""
    assert step["sessions"] > 0 and step["push"]["n"] > 0 and step["pull"]["n"] > 0
    once = result["exactly_once"]
    assert once["problems"] == [] and once["ok"]
    # setup (4 × 5 households of 6 records) plus what the sessions pushed, each exactly once
    assert once["mutation_log_rows"] == once["history_versions"] == once["mutations_acknowledged"]
    assert once["mutations_acknowledged"] >= 4 * 5 * 6 + step["mutations"]
    assert once["duplicates"] == 0
    assert load.clean(result)


def test_knee_is_where_throughput_flattens_while_p95_grows() -> None:
    def step(devices: int, rate: float, p95: float) -> dict:
        return {"devices": devices, "sessions_per_s": rate, "session": {"p95_ms": p95}}

    rising = [step(10, 10, 50), step(25, 24, 60), step(50, 45, 80)]
    assert load.knee(rising)["devices"] is None
    flat = [step(10, 10, 50), step(25, 24, 60), step(50, 25, 150), step(100, 24, 400)]
    assert load.knee(flat)["devices"] == 25

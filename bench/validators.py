"""`python -m bench validators`: the compiled record checks against marshmallow (issue 13).

Loads every record of the demo county generator (households, members, a year of visits; the
push path's data) through three paths and reports records per second (best of `--repeat`
rounds, the paths interleaved in each round):
- `marshmallow`: one cached schema instance per entity and settings, `schema.load` — what the
  server's push does today (`sync_server/services/record_checks.py`);
- `fast`: `shared_schema.schemas.fast.check_record` (compiled from the same schemas);
- `fresh`: `shared_schema.schemas.records.validate_record`, a new schema per call (the phone's
  and the shared front door's path), for scale.
It also times records that fail one bound (`visit_date` 9999-12-31): the compiled path gives
up and marshmallow writes the messages, so failures cost marshmallow's time plus a little.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from marshmallow import ValidationError

from shared_schema.schemas.fast import check_record
from shared_schema.schemas.records import schema_for, validate_record
from sync_server.seed.generator import generate_county

TODAY = date(2026, 11, 25)


def workload(households: int) -> list[tuple[str, dict[str, Any]]]:
    county = generate_county(
        today=TODAY, households_per_grid=households, villages=1, grids_per_village=1
    )
    out = []
    for rec in county.records:
        data = dict(rec.data)
        data.pop("review_comment", None)
        if rec.entity == "visit":
            data["review_status"] = "submitted"
        out.append((rec.entity, data))
    return out


def _best(runs: dict[str, Callable[[], None]], repeat: int) -> dict[str, float]:
    """Best time of each path over `repeat` rounds, the paths interleaved in every round (on
    a shared machine the load changes; interleaving exposes every path to it alike)."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def run(households: int = 300, repeat: int = 5) -> dict[str, Any]:
    records = workload(households)
    schemas = {
        e: schema_for(e, lang="zh", as_of=TODAY, today=TODAY, origin="client")
        for e in ("household", "member", "visit")
    }
    for entity, data in records:  # all valid, and alike on both paths
        loaded, errors = check_record(entity, data, today=TODAY, as_of=TODAY)
        assert errors is None, (entity, errors)
        assert loaded == schemas[entity].load(data)

    def marshmallow() -> None:
        for entity, data in records:
            schemas[entity].load(data)

    def fast() -> None:
        for entity, data in records:
            check_record(entity, data, today=TODAY, as_of=TODAY)

    def fresh() -> None:
        for entity, data in records[: len(records) // 10]:
            validate_record(entity, data, as_of=TODAY, today=TODAY)

    bad = [(e, d | {"visit_date": "9999-12-31"}) for e, d in records if e == "visit"][:500]

    def marshmallow_bad() -> None:
        for entity, data in bad:
            with contextlib.suppress(ValidationError):
                schemas[entity].load(data)

    def fast_bad() -> None:
        for entity, data in bad:
            check_record(entity, data, today=TODAY, as_of=TODAY)

    n = len(records)
    timings = _best(
        {
            "marshmallow": marshmallow,
            "fast": fast,
            "fresh": fresh,
            "marshmallow_invalid": marshmallow_bad,
            "fast_invalid": fast_bad,
        },
        repeat,
    )
    timings["fresh"] *= 10  # a tenth of the records
    counts = {entity: sum(1 for e, _ in records if e == entity) for entity, _ in records}
    per_record_us = {k: round(v / n * 1e6, 1) for k, v in timings.items() if "invalid" not in k}
    per_record_us |= {k: round(v / len(bad) * 1e6, 1) for k, v in timings.items() if "invalid" in k}
    return {
        "records": n,
        "by_entity": counts,
        "records_per_s": {k: round(n / v) for k, v in timings.items() if "invalid" not in k},
        "us_per_record": per_record_us,
        "fast_vs_marshmallow": round(timings["marshmallow"] / timings["fast"], 2),
        "invalid_fast_vs_marshmallow": round(
            timings["marshmallow_invalid"] / timings["fast_invalid"], 2
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench validators")
    parser.add_argument("--households", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.households, args.repeat), indent=2, ensure_ascii=False))
    return 0

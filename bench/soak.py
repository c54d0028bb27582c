"""The large soak: tests/sim's seeded field simulation, sized by mutations, with its counts.

`python -m bench soak --devices 50 --mutations 2000 --backend sqlite --seed 1` runs the
simulation (real phones — `Store` + `SyncRunner` — against `python -m sync_server serve`
behind the fault-injecting proxy) until the phones have saved `devices × mutations` mutations
in all (devices are picked at random, so one phone's share varies around `mutations`), then
the clean drain and every invariant check. It reports the wall time, the steps, mutations
saved and pushed, each fault injected (network: the proxy's faults; device: crashes per crash
point, restarts, offline spells, clock skews) and, per invariant, the items checked and the
violations (the command exits 1 on any violation).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.sim.faults import FAULTS
from tests.sim.harness import CRASH_POINTS, SimConfig, Simulation

# what each invariant's count is a count of (docs/simulation.md numbers them)
INVARIANTS = {
    "valid": "1. live server records validated",
    "exactly_once.versions": "2. exactly once: (client, mutation) pairs with a version, checked",
    "exactly_once.log": "2. exactly once: server log entries compared with what the phone sent",
    "cursors": "3. cursor values checked monotonic",
    "convergence": "4. records compared phone vs. server (per phone)",
    "no_value_lost": "5. saved field values found on the server (no value lost)",
    "no_resurrection": "6. history transitions checked (no resurrection)",
}


def run(
    *,
    devices: int = 50,
    mutations: int = 2000,
    backend: str = "sqlite",
    seed: int = 1,
    fault_rate: float = 0.15,
    concurrent: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """One soak run; the figures as a dict (see the module docstring)."""
    os.environ.setdefault("TIANYE_FAST_PASSWORD_HASH", "1")
    target = devices * mutations
    # the phones' stores (synchronous=FULL) and the server's SQLite file live in RAM when it
    # can: the soak is about correctness under faults, not about fsync latency
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="tianye-soak-", dir=shm) as tmp:
        config = SimConfig(
            seed=seed,
            devices=devices,
            backend=backend,
            fault_rate=fault_rate,
            workdir=Path(tmp),
            saves=target,
            concurrent=concurrent,
        )
        started = time.perf_counter()
        with Simulation(config) as sim:
            if progress:
                sim.progress_every = max(1, target // 20)
            sim.run()
            ran = time.perf_counter() - started
            checked_at = time.perf_counter()
            problems = sim.check_invariants()
            check_seconds = time.perf_counter() - checked_at
            assert sim.proxy is not None
            pushed = sum(len(d.sent) for d in sim.devices)
            per_device = sorted(d.saves for d in sim.devices)
            result: dict[str, Any] = {
                "config": {
                    "devices": devices,
                    "mutations_per_device": mutations,
                    "backend": backend,
                    "server_workers": 4 if backend == "postgres" else 2,
                    "seed": seed,
                    "fault_rate": fault_rate,
                    "concurrent": concurrent,
                },
                "wall_seconds": round(time.perf_counter() - started, 1),
                "run_seconds": round(ran, 1),
                "check_seconds": round(check_seconds, 1),
                "steps": sim.step,
                "mutations_saved": sim.saves,
                "mutations_saved_per_device": {
                    "min": per_device[0],
                    "median": per_device[len(per_device) // 2],
                    "max": per_device[-1],
                },
                "mutations_pushed": pushed,
                "mutations_per_second": round(sim.saves / ran, 1),
                "requests_through_proxy": sim.proxy.requests,
                "pushes_in_flight_at_once_max": sim.pushes.peak,
                "network_faults": {f: sim.proxy.counts[f] for f in FAULTS},
                "device_faults": {
                    "crashes": {p: sim.crashes[p] for p in CRASH_POINTS},
                    "restarts": sim.counts["restart"],
                    "offline_spells": sim.counts["offline"],
                    "offline_weeks": sim.counts["offline_week"],
                    "syncs_skipped_offline": sim.counts["sync_while_offline"],
                    "clock_skews_hours": {
                        "min": round(min(d.skew.total_seconds() for d in sim.devices) / 3600, 1),
                        "max": round(max(d.skew.total_seconds() for d in sim.devices) / 3600, 1),
                        "devices": len(sim.devices),
                    },
                },
                "syncs": {"ok": sim.counts["sync_ok"], "failed": sim.counts["sync_failed"]},
                "supervisor": {
                    k: sim.counts[k] for k in ("resolve", "review_return", "review_approve")
                },
                "operations": {
                    k: v
                    for k, v in sorted(sim.counts.items())
                    if k
                    not in {
                        "restart",
                        "offline",
                        "offline_week",
                        "sync_while_offline",
                        "sync_ok",
                        "sync_failed",
                        "crash",
                    }
                },
                "left_rejected_on_phones": dict(sim.findings),
                "invariants": {
                    name: {
                        "what": what,
                        "checked": sim.checked[name],
                        "violations": sim.violations[name.split(".")[0]],
                    }
                    for name, what in INVARIANTS.items()
                },
                "violations": len(problems),
                "first_violations": problems[:20],
            }
            if problems:  # what is needed to look into it after the database is gone
                result["trace_of_implicated_records"] = sim.trace_for(problems[:5]).split("\n")
                result["server_history_of_implicated_records"] = _history(sim, problems[:5])
    return result


def _history(sim: Simulation, problems: list[str]) -> list[str]:
    """Server versions and conflicts of the records the first violations name."""
    ids = sorted({m for p in problems for m in re.findall(r"[0-9a-f]{8}-[0-9a-f-]{27}", p)})
    lines: list[str] = []
    for rid in ids:
        for r in sim._rows(
            "SELECT entity, record_id, version, deleted, author, client_id, mutation_id, hlc,"
            " changed_fields, data FROM record_versions WHERE record_id=:r ORDER BY version",
            r=rid,
        ):
            lines.append(" ".join(str(v) for v in r))
        for r in sim._rows("SELECT * FROM conflicts WHERE record_id=:r", r=rid):
            lines.append("conflict " + " ".join(str(v) for v in r))
        for r in sim._rows(
            "SELECT client_id, mutation_id, status, op, data FROM mutation_log"
            " WHERE record_id=:r ORDER BY client_id, mutation_id",
            r=rid,
        ):
            lines.append("log " + " ".join(str(v) for v in r))
    return lines


def main(argv: list[str]) -> int:
    """`python -m bench soak [--devices 50] [--mutations 2000] [--backend …] [--seed S]`."""
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument(
        "--mutations", type=int, default=2000, help="per device (the run stops at devices × this)"
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault-rate", type=float, default=0.15)
    parser.add_argument(
        "--concurrent",
        action="store_true",
        help="each phone syncs in its own thread at the same time (not replayable)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.devices < 1 or args.mutations < 1 or not 0 <= args.fault_rate <= 1:
        parser.error("--devices >= 1, --mutations >= 1, 0 <= --fault-rate <= 1")
    result = run(
        devices=args.devices,
        mutations=args.mutations,
        backend=args.backend,
        seed=args.seed,
        fault_rate=args.fault_rate,
        concurrent=args.concurrent,
        progress=not args.quiet,
    )
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 1 if result["violations"] else 0

"""`python -m tests.sim --seed S --devices N --steps M --backend sqlite|postgres`: one run.

Prints the fault and event counts and every violated invariant; exits 1 on a violation.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from tests.sim.harness import SimConfig, run_simulation


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run one simulation, print its report."""
    os.environ.setdefault("TIANYE_FAST_PASSWORD_HASH", "1")
    parser = argparse.ArgumentParser(prog="python -m tests.sim", description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--devices", type=int, default=4)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--fault-rate", type=float, default=0.15)
    args = parser.parse_args(argv)
    if args.devices < 1 or args.steps < 0 or not 0 <= args.fault_rate <= 1:
        parser.error("--devices >= 1, --steps >= 0, 0 <= --fault-rate <= 1")
    with tempfile.TemporaryDirectory(prefix="tianye-sim-") as tmp:
        config = SimConfig(
            seed=args.seed,
            devices=args.devices,
            steps=args.steps,
            backend=args.backend,
            fault_rate=args.fault_rate,
            workdir=Path(tmp),
        )
        problems, _state, report = run_simulation(config)
    print(report)
    for problem in problems:
        print("VIOLATION:", problem)
    print("ok" if not problems else f"{len(problems)} violation(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

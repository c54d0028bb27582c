"""`python -m bench.format_cells [--rows 5000]`: what the shared value formatter costs per row.

One flattened demo visit (35 leaf fields), formatted as an export row (`cell`, kinds looked up
once per column as the export does), as an export row looking kinds up per cell, and as the
console's text (`format_value`). Prints microseconds per row; see bench/README.md.
"""

from __future__ import annotations

import argparse
import timeit

from shared_schema.formatting import field_kind
from shared_schema.schemas.examples import example_visit
from shared_schema.sync import flatten
from sync_server.console.exports import cell, leaf_fields
from sync_server.console.values import format_value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args(argv)
    flat = flatten(example_visit(household_id="h", risks=["illness", "water"]))
    paths = leaf_fields("visit")
    columns = [(p, field_kind("visit", p)) for p in paths]
    cases = {
        "export row, kinds per column": lambda: [
            cell("visit", p, flat.get(p), "zh", k) for p, k in columns
        ],
        "export row, kinds per cell": lambda: [cell("visit", p, flat.get(p), "zh") for p in paths],
        "console text row": lambda: [format_value("visit", p, flat.get(p), "zh") for p in paths],
    }
    for name, row in cases.items():
        best = min(timeit.repeat(row, number=args.rows, repeat=3)) / args.rows
        print(f"{name} ({len(paths)} cells): {best * 1e6:.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m bench quick` runs the quick benchmarks; see bench/README.md."""

from __future__ import annotations

import argparse
import json
import sys

from bench import sync_quick


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suite", choices=("quick",), help="which benchmarks to run")
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    args = parser.parse_args(argv)
    result = sync_quick.run(households=args.households, database_url=args.database_url)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

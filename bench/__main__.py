"""`python -m bench quick` runs the quick benchmarks, `python -m bench profile` profiles the push
path in-process (cProfile); see bench/README.md."""

from __future__ import annotations

import argparse
import json
import sys

from bench import profile_push, sync_quick


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suite", choices=("quick", "profile"), help="which benchmark to run")
    parser.add_argument("--households", type=int, default=None, help="quick: 1000, profile: 300")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--top", type=int, default=25, help="profile: entries per listing")
    args = parser.parse_args(argv)
    if args.suite == "profile":
        result = profile_push.run(
            households=args.households or 300, database_url=args.database_url, top=args.top
        )
        report = result.pop("profile")
        print(json.dumps(result, indent=2, ensure_ascii=False))
        print(report)
        return 0
    result = sync_quick.run(households=args.households or 1000, database_url=args.database_url)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

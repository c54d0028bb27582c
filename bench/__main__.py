"""`python -m bench quick` runs the quick benchmarks, `python -m bench profile` profiles the push
path in-process (cProfile), `python -m bench pouch` runs ours next to PouchDB and
`python -m bench app` times the phone app's store and cold start; see bench/README.md."""

from __future__ import annotations

import argparse
import json
import sys

from bench import profile_push, sync_quick

# suites with their own options: `python -m bench soak --help` (bench/soak.py, export_mem.py)
OWN_OPTIONS = {
    "soak": "bench.soak",
    "export": "bench.export_mem",
    "all": "bench.suite",
    "load": "bench.load",
    "county": "bench.county",
    "scale": "bench.scale",
    "app": "bench.app_perf",
    "validators": "bench.validators",
    "attach": "bench.attachments",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in OWN_OPTIONS:
        import importlib

        return int(importlib.import_module(OWN_OPTIONS[argv[0]]).main(argv[1:]))
    parser = argparse.ArgumentParser(
        prog="python -m bench", epilog="also: " + ", ".join(f"{s} --help" for s in OWN_OPTIONS)
    )
    parser.add_argument(
        "suite", choices=("quick", "profile", "pouch"), help="which benchmark to run"
    )
    parser.add_argument("--households", type=int, default=None, help="quick: 1000, profile: 300")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp folder")
    parser.add_argument("--top", type=int, default=25, help="profile: entries per listing")
    parser.add_argument(
        "--postgres-admin-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="pouch: where to create (and drop) a temporary database; '' to skip PostgreSQL",
    )
    args = parser.parse_args(argv)
    if args.suite == "pouch":
        from bench import pouch_compare

        result = pouch_compare.run(
            households=args.households or 300, postgres_admin_url=args.postgres_admin_url or None
        )
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
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

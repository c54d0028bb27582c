"""`python -m bench all --quick` (= `make bench`): the quick version of every benchmark.

Each benchmark runs as its own `python -m bench …` process (one failing does not stop the
others); its JSON output and stderr go to `bench/results/quick-<UTC time>/<name>.{json,log}`
(git-ignored), and a summary table — exit status, seconds and a headline figure — is printed
at the end. The exit status is 1 if any benchmark failed. The full sizes are separate
commands (bench/README.md); this is a smoke run with small sizes, a few minutes in all.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.sync_quick import ROOT


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _quick(d: Any) -> str:
    push = _get(d, "push") or {}
    noop = _get(d, "noop_sync") or {}
    return (
        f"push {push.get('households_per_second')} hh/s;"
        f" no-op sync {noop.get('requests')} request, {noop.get('ms')} ms"
    )


def _soak(d: Any) -> str:
    checked = sum(v["checked"] for v in (_get(d, "invariants") or {}).values())
    return (
        f"{d.get('mutations_saved')} mutations, {sum(d['network_faults'].values())} network"
        f" faults, {checked} items checked, {d.get('violations')} violations"
    )


def _export(d: Any) -> str:
    out = []
    for name, e in (_get(d, "exports") or {}).items():
        growth = e["worker_peak_growth_mib"]
        out.append(f"{name}: {e['rows']} rows in {e['seconds']} s, worker +{growth} MiB")
    return "; ".join(out)


def _pouch(d: Any) -> str:
    ratio = _get(d, "ratios_ours_over_pouchdb", "ours_sqlite", "push_rate")
    ours = _get(d, "ours_sqlite", "push", "households_per_second")
    theirs = _get(d, "pouchdb", "push", "households_per_second")
    return f"push ours {ours} hh/s vs PouchDB {theirs} hh/s (ratio {ratio})"


def _app(d: Any) -> str:
    parts = []
    for kind in ("plain", "encrypted"):  # `bench app --store both`
        s = _get(d, kind)
        if s is None:
            continue
        met = _get(s, "targets_met") or {}
        parts.append(
            f"{kind}: list {_get(s, 'household_list', 'open_first_page_viewmodel', 'median_ms')}"
            f" ms, visit save {_get(s, 'visit_save', 'median_ms')} ms,"
            f" cold start {_get(s, 'cold_start', 'median_seconds')} s,"
            f" targets {sum(bool(v) for v in met.values())}/{len(met)}"
        )
    return "; ".join(parts)


def _load(d: Any) -> str:
    ok = [b for b in ("sqlite", "postgres") if _get(d, b, "exactly_once", "ok")]
    return f"exactly-once ok on {', '.join(ok) or 'none'}; steps: see the JSON"


def _first_line(d: Any) -> str:
    text = json.dumps(d, ensure_ascii=False)
    return text[:110] + ("…" if len(text) > 110 else "")


# name, arguments of `python -m bench`, headline of its JSON output
QUICK: tuple[tuple[str, list[str], Callable[[Any], str]], ...] = (
    ("quick", ["quick", "--households", "300"], _quick),
    ("pouch", ["pouch", "--households", "100", "--postgres-admin-url", ""], _pouch),
    ("app", ["app", "--households", "300"], _app),
    ("scale", ["scale", "--sizes", "1000"], _first_line),
    ("load", ["load", "--quick"], _load),
    ("export", ["export", "--households", "1000"], _export),
    ("soak", ["soak", "--devices", "4", "--mutations", "40", "--quiet"], _soak),
)


def _json_of(text: str) -> Any:
    """The first JSON object of a benchmark's stdout (some print a table after it)."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(text[start:])[0]
    except ValueError:
        return None


def run(names: list[str]) -> int:
    """Run the named quick benchmarks one after another; print the summary."""
    out_dir = ROOT / "bench" / "results" / f"quick-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, int, float, str]] = []
    for name, args, headline in QUICK:
        if name not in names:
            continue
        print(f"== {name}: python -m bench {' '.join(args)}", file=sys.stderr, flush=True)
        started = time.perf_counter()
        with (out_dir / f"{name}.log").open("wb") as log:
            done = subprocess.run(
                [sys.executable, "-m", "bench", *args],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=log,
                check=False,
            )
        seconds = time.perf_counter() - started
        stdout = done.stdout.decode("utf-8", "replace")
        (out_dir / f"{name}.json").write_text(stdout)
        data = _json_of(stdout)
        try:
            figure = headline(data) if data is not None else "(no JSON output)"
        except (KeyError, TypeError, AttributeError):
            figure = _first_line(data)
        rows.append((name, done.returncode, seconds, figure))
    print(f"\nquick benchmarks ({out_dir.relative_to(ROOT)}):")
    for name, code, seconds, figure in rows:
        status = "ok" if code == 0 else f"FAILED ({code})"
        print(f"  {name:<7} {status:<11} {seconds:6.1f} s  {figure}")
    print(f"  total {sum(r[2] for r in rows):.0f} s")
    return 0 if all(r[1] == 0 for r in rows) else 1


def main(argv: list[str]) -> int:
    """`python -m bench all --quick [--only quick,soak] [--skip pouch]`."""
    parser = argparse.ArgumentParser(prog="python -m bench all", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", required=True, help="small sizes (the only mode)"
    )
    names = [name for name, _, _ in QUICK]
    parser.add_argument("--only", default=",".join(names), help="comma-separated subset")
    parser.add_argument("--skip", default="", help="comma-separated benchmarks to leave out")
    args = parser.parse_args(argv)
    chosen = [n for n in args.only.split(",") if n and n not in args.skip.split(",")]
    unknown = set(chosen) - set(names)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}; known: {names}")
    return run(chosen)

"""XLSX exports of a big county over HTTP: time and the server worker's memory (issue 7).

`python -m bench export --households 100000` builds a county with `bench.county.build_county`
(SQLite; it copies `bench scale`'s cached county of that size and seed from `bench/.cache/` if
there is one, or uses `--database-url` as it is if it already holds one), adds an admin through
the CLI,
starts `python -m sync_server serve --workers 2`, signs in to the console and downloads the
households XLSX and the visits XLSX of one month (`?from=&to=`; a whole year of visits is
12 rows a household, past Excel's 1,048,576-row sheet limit at 100,000 households) over HTTP,
streaming them to files. For each download it reports the time to the first byte, the total
time, bytes and rows (the file is opened with openpyxl `read_only` and its rows counted), and
per gunicorn worker the RSS before the request, the highest RSS sampled every 10 ms during it
and VmHWM after it (from /proc/<pid>/status).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sqlite3
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import requests

from bench.sync_quick import ROOT, cli, serve

ADMIN, ADMIN_PASSWORD = "exporter", "bench-export-1"
MONTH = ("2026-11-01", "2026-11-30")  # build_county's last month (TODAY = 2026-11-25)


def _status_kib(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM), 0 if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


def _children(pid: int) -> list[int]:
    pids: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids += [int(p) for p in (task / "children").read_text().split()]
    return sorted(pids)


class RssSampler:
    """Samples VmRSS of some processes every `interval` seconds in a thread; keeps the peaks."""

    def __init__(self, pids: list[int], interval: float = 0.01) -> None:
        self.pids, self.interval = pids, interval
        self.peak = {p: _status_kib(p, "VmRSS") for p in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for p in self.pids:
                self.peak[p] = max(self.peak[p], _status_kib(p, "VmRSS"))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


def sign_in(base: str, username: str, password: str) -> requests.Session:
    """A console session (the login form with its CSRF token)."""
    http = requests.Session()
    form = http.get(f"{base}/console/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "no csrf_token on the login page"
    answer = http.post(
        f"{base}/console/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300])
    return http


def download(http: requests.Session, url: str, path: Path, workers: list[int]) -> dict[str, Any]:
    """Stream one export to `path` while sampling the workers' memory."""
    before = {p: _status_kib(p, "VmRSS") for p in workers}
    size, first = 0, None
    started = time.perf_counter()
    with RssSampler(workers) as sampler:
        with http.get(url, stream=True, timeout=3600) as answer:
            answer.raise_for_status()
            with path.open("wb") as out:
                for chunk in answer.iter_content(64 * 1024):
                    if first is None:
                        first = time.perf_counter() - started
                    out.write(chunk)
                    size += len(chunk)
        total = time.perf_counter() - started
    per_worker = {
        str(p): {
            "rss_before_mib": _mib(before[p]),
            "rss_peak_mib": _mib(sampler.peak[p]),
            "growth_mib": _mib(sampler.peak[p] - before[p]),
            "vmhwm_after_mib": _mib(_status_kib(p, "VmHWM")),
        }
        for p in workers
    }
    return {
        "seconds_to_first_byte": round(first or total, 2),
        "seconds": round(total, 2),
        "bytes": size,
        "workers": per_worker,
        "worker_peak_growth_mib": max(v["growth_mib"] for v in per_worker.values()),
        "worker_peak_rss_mib": max(v["rss_peak_mib"] for v in per_worker.values()),
    }


def count_rows(path: Path) -> tuple[int, float]:
    """Data rows (header excluded) of the only sheet, read with openpyxl in read_only mode."""
    from openpyxl import load_workbook

    started = time.perf_counter()
    workbook = load_workbook(path, read_only=True)
    try:
        [sheet] = workbook.worksheets
        rows = sum(1 for _ in sheet.iter_rows(values_only=True)) - 1
    finally:
        workbook.close()
    return rows, round(time.perf_counter() - started, 1)


def _county(url: str, households: int, seed: int) -> dict[str, Any]:
    """Build the county unless `url` already holds one; its households and month's visits."""
    import sqlalchemy as sa

    from bench.county import build_county

    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            has = conn.execute(sa.text("SELECT count(*) FROM grids")).scalar()
    except sa.exc.OperationalError:
        has = 0
    except sa.exc.ProgrammingError:
        has = 0
    built: dict[str, Any] = {}
    if not has:
        summary = build_county(url, households, months=12, seed=seed)
        built = {"built_seconds": round(summary.seconds, 1), "records": summary.records}
    with engine.connect() as conn:
        live = dict(
            conn.execute(
                sa.text(
                    "SELECT entity, count(*) FROM records WHERE deleted = false GROUP BY entity"
                )
            ).all()
        )
        visit_dates = conn.execute(
            sa.text("SELECT data FROM records WHERE entity = 'visit' AND deleted = false")
        )
        in_month = 0
        for (data,) in visit_dates:
            day = (json.loads(data) if isinstance(data, str) else data).get("visit_date", "")
            in_month += MONTH[0] <= str(day)[:10] <= MONTH[1]
    engine.dispose()
    return built | {
        "households": live.get("household", 0),
        "visits": live.get("visit", 0),
        "visits_in_month": in_month,
    }


def _first_grid(url: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        grid = conn.execute(sa.text("SELECT id FROM grids ORDER BY id LIMIT 1")).scalar_one()
    engine.dispose()
    return str(grid)


def run(
    *, households: int = 100_000, database_url: str | None = None, seed: int = 2026
) -> dict[str, Any]:
    """Build (or reuse) the county, serve it, download the exports; the figures."""
    with tempfile.TemporaryDirectory(prefix="tianye-export-") as tmp:
        url = database_url or f"sqlite:///{tmp}/county.sqlite3"
        cached = ROOT / "bench" / ".cache" / f"county-{households}h-s{seed}.sqlite3"
        if database_url is None and cached.exists():
            # `bench scale`'s county of this size (a copy: the admin added here stays here)
            # (the SQLite backup API: a consistent copy even while `bench scale` writes to it)
            with (
                closing(sqlite3.connect(cached)) as src,
                closing(sqlite3.connect(f"{tmp}/county.sqlite3")) as dst,
            ):
                src.backup(dst)
        county = _county(url, households, seed)
        env = os.environ | {
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
            "TIANYE_FAST_PASSWORD_HASH": "1",
            "PYTHONPATH": str(ROOT),
        }
        with contextlib.suppress(subprocess.CalledProcessError):  # a reused county has one
            cli(env, "create-user", "--username", ADMIN, "--password-stdin",
                "--role", "admin", stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
        log = Path(tmp) / "server.log"
        with serve(env, log) as (base, server):
            workers = _children(server.pid)
            http = sign_in(base, ADMIN, ADMIN_PASSWORD)
            # warm-up: a few one-grid exports, so each worker has imported openpyxl and built
            # its labels before "RSS before" is read (the growth is then the export's own)
            first_grid = _first_grid(url)
            warm = f"{base}/console/exports/households.xlsx?grid={first_grid}"
            with ThreadPoolExecutor(8) as pool:  # at once, so that both workers take some
                list(pool.map(lambda _: http.get(warm, timeout=600).status_code, range(8)))
            exports: dict[str, Any] = {}
            for name, query, expected in (
                ("households", "", county["households"]),
                ("visits", f"?from={MONTH[0]}&to={MONTH[1]}", county["visits_in_month"]),
            ):
                path = Path(tmp) / f"{name}.xlsx"
                figures = download(
                    http, f"{base}/console/exports/{name}.xlsx{query}", path, workers
                )
                rows, read_seconds = count_rows(path)
                figures |= {
                    "rows": rows,
                    "rows_expected": expected,
                    "openpyxl_read_only_seconds": read_seconds,
                }
                assert rows == expected, (name, rows, expected)
                exports[name + (" (one month)" if query else "")] = figures
                path.unlink()
            return {"county": county, "server_workers": workers, "exports": exports}


def main(argv: list[str]) -> int:
    """`python -m bench export [--households 100000] [--database-url URL] [--seed S]`."""
    parser = argparse.ArgumentParser(prog="python -m bench export", description=__doc__)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        help="reuse a county (built by `python -m bench county`, or built here if empty)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    result = run(households=args.households, database_url=args.database_url, seed=args.seed)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0

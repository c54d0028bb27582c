"""Our sync next to PouchDB's, on the same logical data, in one run (`python -m bench pouch`).

Both sides get the same households (1 household + 4 members + its latest visit, realistic
Chinese values from `sync_quick.workload`), one record = one PouchDB document
(`_id` = "<entity>:<id>", `type` = entity, the record's fields beside it). PouchDB is
`pouchdb-node` (LevelDB) replicating to `express-pouchdb` (LevelDB) over loopback, through
the Node scripts in bench/pouch/. Our side is `python -m sync_server serve --workers 2` on
SQLite and on PostgreSQL.

Every byte is counted by the same counting TCP proxy (`CountingProxy`) in front of each
server: headers and bodies as sent, gzip or not, so the byte ratios compare like with like.
Batches: ours 500 mutations per push, PouchDB `batch_size` 500 (its default is 100, which
costs it more requests); pulls in pages of 1,000 on both sides.

Decisions: PouchDB's push is timed as the replication only (the documents are stored in the
local PouchDB before, as our mutations are in the outbox before); its "sync with nothing to
do" is the second `local.sync(remote)` after the initial pull (both directions, what a PouchDB
app runs; the first one still checks the pulled documents back with `_revs_diff` to set its
push checkpoint, reported apart), and the pull-only figure is reported beside it; the initial
pull of one grid is a replication of the grid's database (one database per grid, the usual
PouchDB layout) into a fresh LevelDB.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from bench import sync_quick

ROOT = Path(__file__).resolve().parent.parent
POUCH_DIR = Path(__file__).resolve().parent / "pouch"
REQUEST_LINE = re.compile(rb"(?:GET|POST|PUT|DELETE|HEAD|COPY|OPTIONS) /\S* HTTP/1\.[01]\r\n")
TARGETS = {
    "push_ratio_min": 2.0,
    "bytes_ratio_max": 0.4,
    "noop_requests_max": 2,
    "noop_bytes_max": 1024,
}


class CountingProxy:
    """A loopback TCP proxy counting bytes each way and HTTP requests (by request line)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.lock = threading.Lock()
        self.sent = self.received = self.requests = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> dict[str, int]:
        """The counts so far, then zero them."""
        with self.lock:
            counts = {"requests": self.requests, "sent": self.sent, "received": self.received}
            self.sent = self.received = self.requests = 0
        return counts

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, outbound: bool) -> None:
        tail = b""
        try:
            while chunk := src.recv(65536):
                # Counted before forwarding: once the client has an answer, its bytes are in.
                with self.lock:
                    if outbound:
                        self.sent += len(chunk)
                        window = tail + chunk
                        self.requests += len(REQUEST_LINE.findall(window)) - len(
                            REQUEST_LINE.findall(tail)
                        )
                        tail = window[-64:]
                    else:
                        self.received += len(chunk)
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            src.close()

    def close(self) -> None:
        self.listener.close()


def _wait_http(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not start:\n" + log.read_text(errors="replace"))
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            time.sleep(0.1)


def _wire(counts: dict[str, int], households: int | None = None) -> dict[str, Any]:
    total = counts["sent"] + counts["received"]
    out: dict[str, Any] = {"requests": counts["requests"], "bytes": total}
    if households:
        out["bytes_per_household"] = round(total / households, 1)
    return out


# -- ours --------------------------------------------------------------------------------------


def run_ours(groups: list[list[dict[str, Any]]], database_url: str | None) -> dict[str, Any]:
    """Push, initial pull and no-op sync through our server behind the counting proxy."""
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "DATABASE_URL": database_url or f"sqlite:///{tmp}/bench.sqlite3",
            "LOG_LEVEL": "WARNING",
            "TIANYE_FAST_PASSWORD_HASH": "1",
            "PYTHONPATH": str(ROOT),
        }
        sync_quick.cli(env, "init-db")
        sync_quick.cli(
            env, "create-grid", "--id", "BENCH-01", "--name", "基准网格",
            "--village", "基准村", "--township", "基准镇",
        )  # fmt: skip
        sync_quick.cli(
            env, "create-user", "--username", "bench", "--password-stdin",
            "--role", "worker", "--grid", "BENCH-01", stdin=sync_quick.PASSWORD + "\n",
        )  # fmt: skip
        with sync_quick.serve(env, Path(tmp) / "server.log") as (base, _proc):
            proxy = CountingProxy(int(base.rsplit(":", 1)[1]))
            try:
                return _measure_ours(f"http://127.0.0.1:{proxy.port}", proxy, groups)
            finally:
                proxy.close()


def _measure_ours(base: str, proxy: CountingProxy, groups: list[list[dict]]) -> dict[str, Any]:
    wire = sync_quick.Wire(base)
    client_id, auth = sync_quick.login(wire)
    mutations = [
        {"mutation_id": n + 1, "op": "upsert", "base_version": None, "hlc": None, **m}
        for n, m in enumerate(m for group in groups for m in group)
    ]
    proxy.reset()
    started = time.perf_counter()
    for i in range(0, len(mutations), 500):
        body = {"client_id": client_id, "schema_version": 1, "mutations": mutations[i : i + 500]}
        answer = wire.call("POST", "/api/v1/sync/push", body, headers=auth)
        bad = [r for r in answer["results"] if r["status"] != "applied"]
        assert not bad, bad[:3]
    seconds = time.perf_counter() - started
    push = {
        "seconds": round(seconds, 3),
        "households_per_second": round(len(groups) / seconds, 1),
        **_wire(proxy.reset(), len(groups)),
    }

    fresh = sync_quick.Wire(base)
    _, auth2 = sync_quick.login(fresh)
    proxy.reset()
    started = time.perf_counter()
    cursor, pulled = sync_quick.pull_to_head(fresh, auth2)
    assert pulled == len(mutations), (pulled, len(mutations))
    pull = {"records": pulled, "seconds": round(time.perf_counter() - started, 3)}
    pull |= _wire(proxy.reset())

    proxy.reset()
    started = time.perf_counter()
    page = fresh.call("GET", f"/api/v1/sync/pull?cursor={cursor}&limit=1000", headers=auth2)
    assert page["changes"] == []
    noop = {"ms": round((time.perf_counter() - started) * 1000, 1), **_wire(proxy.reset())}
    return {"push": push, "initial_pull": pull, "noop_sync": noop}


# -- PouchDB ------------------------------------------------------------------------------------


def install_node_modules() -> None:
    """`npm ci` into bench/pouch/node_modules (git-ignored) unless it is there already."""
    if (POUCH_DIR / "node_modules" / "express-pouchdb").is_dir():
        return
    if not shutil.which("npm"):
        raise RuntimeError("npm is needed for `python -m bench pouch` (Node 20 and npm)")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"], cwd=POUCH_DIR, check=True, stdout=sys.stderr
    )


def _docs(groups: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [
        {"_id": f"{m['entity']}:{m['id']}", "type": m["entity"], **m["data"]}
        for group in groups
        for m in group
    ]


def _embedded_docs(groups: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The layout a PouchDB app would usually pick: one document per household, its members
    and latest visit embedded (issue 13 asks for this figure beside the one-per-record one)."""
    docs = []
    for group in groups:
        head, rest = group[0], group[1:]
        doc = {"_id": f"household:{head['id']}", "type": "household", **head["data"]}
        doc["members"] = [{"id": m["id"], **m["data"]} for m in rest if m["entity"] == "member"]
        doc["visits"] = [{"id": m["id"], **m["data"]} for m in rest if m["entity"] == "visit"]
        docs.append(doc)
    return docs


def _node(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        ["node", "client.js", *args], cwd=POUCH_DIR, check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_pouch(groups: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Push, initial pull and no-op sync of PouchDB to express-pouchdb behind the proxy."""
    docs = _docs(groups)
    with tempfile.TemporaryDirectory() as tmp:
        server_dir = Path(tmp) / "server"
        server_dir.mkdir()
        port = sync_quick.free_port()
        log = Path(tmp) / "server.log"
        server = subprocess.Popen(
            ["node", "server.js", str(port), str(server_dir)],
            cwd=POUCH_DIR,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proxy = CountingProxy(port)
        try:
            _wait_http(f"http://127.0.0.1:{port}/", server, log)
            remote = f"http://127.0.0.1:{proxy.port}/grid-bench-01"
            requests.put(f"http://127.0.0.1:{port}/grid-bench-01", timeout=10).raise_for_status()
            docs_file = Path(tmp) / "docs.json"
            docs_file.write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
            device = str(Path(tmp) / "device-a")
            _node("load", device, str(docs_file))
            proxy.reset()
            info = _node("push", device, remote, "500")
            assert info["docs_written"] == len(docs), info
            push = {
                "seconds": round(info["seconds"], 3),
                "households_per_second": round(len(groups) / info["seconds"], 1),
                **_wire(proxy.reset(), len(groups)),
            }
            embedded = _embedded_docs(groups)
            requests.put(f"http://127.0.0.1:{port}/grid-embedded", timeout=10).raise_for_status()
            embedded_file = Path(tmp) / "embedded.json"
            embedded_file.write_text(json.dumps(embedded, ensure_ascii=False), encoding="utf-8")
            device_c = str(Path(tmp) / "device-c")
            _node("load", device_c, str(embedded_file))
            proxy.reset()
            info = _node("push", device_c, f"http://127.0.0.1:{proxy.port}/grid-embedded", "500")
            assert info["docs_written"] == len(embedded), info
            push_embedded = {
                "seconds": round(info["seconds"], 3),
                "households_per_second": round(len(groups) / info["seconds"], 1),
                **_wire(proxy.reset(), len(groups)),
            }
            fresh = str(Path(tmp) / "device-b")
            info = _node("pull", fresh, remote, "1000")
            assert info["docs_written"] == len(docs), info
            pull = {"records": len(docs), "seconds": round(info["seconds"], 3)}
            pull |= _wire(proxy.reset())
            info = _node("sync", fresh, remote, "1000")
            first_sync = {"ms": round(info["seconds"] * 1000, 1), **_wire(proxy.reset())}
            info = _node("sync", fresh, remote, "1000")
            assert info["push"]["docs_written"] == info["pull"]["docs_written"] == 0, info
            noop = {"ms": round(info["seconds"] * 1000, 1), **_wire(proxy.reset())}
            info = _node("pull", fresh, remote, "1000")
            noop_pull = {"ms": round(info["seconds"] * 1000, 1), **_wire(proxy.reset())}
            return {
                "push": push,
                "push_one_document_per_household": push_embedded,
                "initial_pull": pull,
                "first_two_way_sync_after_pull": first_sync,
                "noop_sync": noop,
                "noop_pull_only": noop_pull,
            }
        finally:
            proxy.close()
            server.terminate()
            server.wait(timeout=20)


# -- the run ------------------------------------------------------------------------------------


def _temp_postgres(admin_url: str) -> tuple[str, Any]:
    """A fresh empty database on the server of `admin_url`, and a function dropping it."""
    import psycopg

    name = f"bench_pouch_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}", drop


def run(*, households: int = 300, postgres_admin_url: str | None = None) -> dict[str, Any]:
    """Both sides on the same workload; ratios (ours / PouchDB) against issue 7's targets."""
    install_node_modules()
    groups = sync_quick.workload(households)
    result: dict[str, Any] = {"households": len(groups), "records": sum(map(len, groups))}
    result["pouchdb"] = run_pouch(groups)
    result["ours_sqlite"] = run_ours(groups, None)
    if postgres_admin_url:
        url, drop = _temp_postgres(postgres_admin_url)
        try:
            result["ours_postgresql"] = run_ours(groups, url)
        finally:
            drop()
    pouch = result["pouchdb"]
    ratios: dict[str, Any] = {}
    for key in ("ours_sqlite", "ours_postgresql"):
        if key not in result:
            continue
        ours = result[key]
        push = ours["push"]["households_per_second"] / pouch["push"]["households_per_second"]
        size = ours["push"]["bytes_per_household"] / pouch["push"]["bytes_per_household"]
        pull = ours["initial_pull"]["bytes"] / pouch["initial_pull"]["bytes"]
        noop = ours["noop_sync"]
        embedded = (
            ours["push"]["households_per_second"]
            / pouch["push_one_document_per_household"]["households_per_second"]
        )
        ratios[key] = {
            "push_rate": round(push, 2),
            "push_rate_vs_one_document_per_household": round(embedded, 2),
            "push_rate_target_met": push >= TARGETS["push_ratio_min"],
            "push_bytes_per_household": round(size, 3),
            "push_bytes_target_met": size <= TARGETS["bytes_ratio_max"],
            "initial_pull_bytes": round(pull, 3),
            "initial_pull_time": round(
                ours["initial_pull"]["seconds"] / pouch["initial_pull"]["seconds"], 2
            ),
            "noop_target_met": noop["requests"] <= TARGETS["noop_requests_max"]
            and noop["bytes"] <= TARGETS["noop_bytes_max"],
        }
    result["ratios_ours_over_pouchdb"] = ratios
    result["targets"] = TARGETS
    return result

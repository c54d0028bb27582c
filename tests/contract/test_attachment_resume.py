"""A dropped connection mid-PATCH keeps the bytes that reached the server (PROTOCOL.md: "Bytes
already received survive a dropped connection: the client asks HEAD and goes on from there"),
against the real server (gunicorn, SQLite and PostgreSQL) through a proxy that cuts the
upload at a chosen byte."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from bench.attachments import photo
from tests.contract.proxy import Cut, CuttingProxy
from tests.sync_server.attachment_cases import TUS, create_headers, patch_headers, sha

CUT_AT = 60_000


def test_a_cut_patch_keeps_what_arrived_and_resumes(seed: Any, live_server: str) -> None:
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    wang = seed.login(live_server, "wang")
    data = photo(41)  # ≈ 250 KB that does not compress
    assert len(data) > 2 * CUT_AT
    created = requests.post(
        f"{live_server}/api/v1/attachments", headers=wang.headers | create_headers(data), timeout=30
    )
    assert created.status_code == 201
    path = created.headers["Location"]
    host, port = live_server.removeprefix("http://").split(":")
    with CuttingProxy(host, int(port)) as proxy:
        proxy.cuts.append(Cut("up", CUT_AT, marker=b"PATCH /api/v1/attachments"))
        with pytest.raises(requests.RequestException):
            requests.patch(
                proxy.url + path, headers=wang.headers | patch_headers(0), data=data, timeout=30
            )
        assert proxy.cuts_done == 1
    offset, deadline = 0, time.monotonic() + 20
    while time.monotonic() < deadline:  # the server notices the cut on its own time
        head = requests.head(live_server + path, headers=wang.headers | TUS, timeout=30)
        offset = int(head.headers["Upload-Offset"])
        if offset:
            break
        time.sleep(0.2)
    # everything after the request's headers (< 1 KB) up to the cut was kept
    assert CUT_AT - 1024 < offset < CUT_AT
    rest = requests.patch(
        live_server + path,
        headers=wang.headers | patch_headers(offset),
        data=data[offset:],
        timeout=30,
    )
    assert rest.status_code == 204 and rest.headers["Upload-Offset"] == str(len(data))
    got = requests.get(f"{live_server}/api/v1/attachments/{sha(data)}", headers=wang.headers)
    assert got.status_code == 200 and got.content == data

"""The HTTP surface: identity, every error status as JSON (never HTML, never 500 for bad
input), gzip in and out, gzip bombs, size and count limits, request ids, logs."""

from __future__ import annotations

import gzip
import json
import logging
import uuid

import pytest

from shared_schema.schemas.protocol import ErrorSchema
from tests.sync_server.helpers import create_household, household, mutation, new_id, push


@pytest.fixture
def wang(seed, client):
    seed.grid("g1", township="t1")
    seed.user("wang", grids=["g1"])
    seed.user("root", role="admin")
    return seed.login(client, "wang")


def assert_error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert ErrorSchema().validate(body) == {}
    assert body["code"] == status and body["message"]
    return body


def token_body(username="wang", password="pass-word-1", client_id=None):
    return {
        "username": username,
        "password": password,
        "client_id": client_id or str(uuid.uuid4()),
        "device_name": "测试机",
    }


def test_healthz_needs_no_auth(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.get_json() == {"status": "ok"}


def test_token_response_and_bad_credentials_look_the_same(client, wang):
    r = client.post("/api/v1/auth/token", json=token_body())
    body = r.get_json()
    assert r.status_code == 200 and body["user"]["username"] == "wang"
    assert body["user"]["role"] == "worker" and [g["id"] for g in body["grids"]] == ["g1"]
    wrong = assert_error(
        client.post("/api/v1/auth/token", json=token_body(password="nope-nope")), 401
    )
    ghost = assert_error(client.post("/api/v1/auth/token", json=token_body(username="ghost")), 401)
    assert wrong["message"] == ghost["message"]


def test_missing_and_invalid_tokens_are_401(client, wang):
    assert_error(client.get("/api/v1/me"), 401)
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}), 401)
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401)


def test_revoke_takes_effect_at_once(client, seed, wang):
    assert client.get("/api/v1/me", headers=wang.headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=wang.headers).status_code == 204
    assert_error(client.get("/api/v1/me", headers=wang.headers), 401)


def test_token_last_used_at_is_noted_at_most_once_per_interval(database, wang):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from sync_server.models import ApiToken
    from sync_server.services.identity import TOKEN_TOUCH_INTERVAL, authenticate

    def last_used():
        with database.read() as s:
            return s.scalars(
                select(ApiToken.last_used_at).where(ApiToken.client_id == wang.client_id)
            ).one()

    start = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    assert authenticate(database, wang.token, start).username == "wang"
    assert last_used() == start
    # within the interval: still a read, the stamp stays
    authenticate(database, wang.token, start + TOKEN_TOUCH_INTERVAL - timedelta(seconds=1))
    assert last_used() == start
    later = start + TOKEN_TOUCH_INTERVAL
    authenticate(database, wang.token, later)
    assert last_used() == later
    assert authenticate(database, "not-a-token", later) is None


def test_admin_revokes_any_clients_tokens_workers_may_not(client, seed, wang):
    other = seed.login(client, "wang")
    seed.grid("g2")
    seed.user("li", grids=["g2"])
    li = seed.login(client, "li")
    url = f"/api/v1/auth/token?client_id={other.client_id}"
    assert_error(client.delete(url, headers=li.headers), 403)
    root = seed.login(client, "root")
    assert client.delete(url, headers=root.headers).status_code == 204
    assert_error(client.get("/api/v1/me", headers=other.headers), 401)
    assert client.get("/api/v1/me", headers=wang.headers).status_code == 200


def test_login_rate_limit_is_429_even_with_the_right_password(client, wang):
    for _ in range(10):
        assert_error(client.post("/api/v1/auth/token", json=token_body(password="wrong-pw")), 401)
    body = assert_error(client.post("/api/v1/auth/token", json=token_body()), 429)
    assert "15" in body["message"]


def test_login_rate_limit_counts_per_ip_across_usernames(client, wang):
    for n in range(50):
        client.post("/api/v1/auth/token", json=token_body(username=f"ghost{n}", password="x"))
    assert_error(client.post("/api/v1/auth/token", json=token_body()), 429)


def test_me_config_and_report(client, wang):
    me = client.get("/api/v1/me", headers=wang.headers).get_json()
    assert me["user"]["username"] == "wang" and me["last_mutation_id"] == 0
    config = client.get("/api/v1/config", headers=wang.headers).get_json()
    assert config["rules"]["monitoring_threshold"] > 0
    assert {"visit", "member", "household"} <= set(config["forms"])
    assert {"code": "lifted", "zh": "脱贫户", "en": config["enums"]["household_type"][0]["en"]} in (
        config["enums"]["household_type"]
    )
    report = {"client_id": wang.client_id, "pending": 3, "device_time": "2026-01-01T00:00:00+00:00"}
    assert client.post("/api/v1/sync/report", json=report, headers=wang.headers).status_code == 204
    other = {"client_id": str(uuid.uuid4()), "pending": 3}
    assert_error(client.post("/api/v1/sync/report", json=other, headers=wang.headers), 403)


def test_error_statuses_are_json(client, wang):
    h = wang.headers
    assert_error(client.get("/api/v1/nothing-here", headers=h), 404)
    assert_error(client.get("/nothing-here"), 404)
    assert_error(client.put("/api/v1/sync/push", headers=h), 405)
    assert_error(
        client.post(
            "/api/v1/sync/push", data="{not json", content_type="application/json", headers=h
        ),
        400,
    )
    assert_error(
        client.post("/api/v1/sync/push", data="a=b", content_type="text/plain", headers=h), 415
    )
    body = assert_error(client.post("/api/v1/sync/push", json={"client_id": "x"}, headers=h), 422)
    assert {"client_id", "schema_version", "mutations"} <= set(body["errors"])
    assert_error(client.post("/api/v1/sync/push", json=[1, 2], headers=h), 422)
    assert_error(client.get("/api/v1/sync/pull?cursor=-1", headers=h), 422)
    assert_error(client.get("/api/v1/sync/pull?limit=5000", headers=h), 422)
    assert_error(client.get("/api/v1/sync/pull?cursor=abc", headers=h), 422)


def test_nested_mutation_errors_use_dotted_paths(client, wang):
    r = push(
        client, wang, {"mutation_id": "1", "entity": "farm", "id": "x", "op": "upsert", "data": {}}
    )
    body = assert_error(r, 422)
    assert {"mutations.0.mutation_id", "mutations.0.entity", "mutations.0.id"} <= set(
        body["errors"]
    )


def test_error_messages_follow_accept_language(client):
    zh = client.get("/api/v1/me").get_json()["message"]
    en = client.get("/api/v1/me", headers={"Accept-Language": "en"}).get_json()["message"]
    assert zh != en and en.isascii() and not zh.isascii()


def test_too_many_mutations_is_413(client, wang):
    batch = [
        mutation(wang, "household", new_id(), household(household_no=f"{n:05d}"))
        for n in range(501)
    ]
    assert_error(push(client, wang, *batch), 413)
    me = client.get("/api/v1/me", headers=wang.headers).get_json()
    assert me["last_mutation_id"] == 0


def test_too_many_bytes_is_413(client, wang):
    big = household(notes="x" * 2000)
    batch = [mutation(wang, "household", new_id(), big) for _ in range(1100)]
    assert_error(push(client, wang, *batch), 413)


def test_gzip_request_and_response(client, wang):
    hid = new_id()
    payload = {
        "client_id": wang.client_id,
        "schema_version": 1,
        "mutations": [mutation(wang, "household", hid, household())],
    }
    r = client.post(
        "/api/v1/sync/push",
        data=gzip.compress(json.dumps(payload).encode()),
        headers=wang.headers
        | {
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
            "Accept-Encoding": "gzip",
        },
    )
    assert r.status_code == 200
    assert r.get_json()["results"][0]["status"] == "applied"  # small: sent plain
    zipped = client.get("/api/v1/sync/pull", headers=wang.headers | {"Accept-Encoding": "gzip"})
    assert zipped.headers.get("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in zipped.headers.get("Vary", "")
    body = json.loads(gzip.decompress(zipped.get_data()))
    assert body["changes"][0]["id"] == hid
    plain = client.get("/api/v1/sync/pull", headers=wang.headers)
    assert "Content-Encoding" not in plain.headers and plain.get_json()["changes"][0]["id"] == hid


def test_gzip_bomb_is_413_and_broken_gzip_is_400(client, wang):
    bomb = gzip.compress(b"[" + b" " * (50 * 1024 * 1024) + b"]")
    assert len(bomb) < 200_000
    headers = wang.headers | {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    assert_error(client.post("/api/v1/sync/push", data=bomb, headers=headers), 413)
    assert_error(client.post("/api/v1/sync/push", data=b"not gzip at all", headers=headers), 400)
    br = wang.headers | {"Content-Encoding": "br", "Content-Type": "application/json"}
    assert_error(client.post("/api/v1/sync/push", data=b"{}", headers=br), 415)


def test_unexpected_errors_are_json_500(app, client, wang, monkeypatch):
    from sync_server.services import identity

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(identity, "me", boom)
    body = assert_error(client.get("/api/v1/me", headers=wang.headers), 500)
    assert "boom" not in json.dumps(body)


def test_request_id_and_log_line_without_secrets(client, wang, caplog):
    logger = logging.getLogger("tianye.access")
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO, logger="tianye.access"):
            r = client.post(
                "/api/v1/auth/token", json=token_body(), headers={"X-Request-ID": "abc-123"}
            )
            create_household(client, wang)
    finally:
        logger.removeHandler(caplog.handler)
    assert r.headers["X-Request-ID"] == "abc-123"
    lines = [rec.fields for rec in caplog.records if hasattr(rec, "fields")]
    token_line = next(line for line in lines if line["path"] == "/api/v1/auth/token")
    assert token_line["request_id"] == "abc-123" and token_line["status"] == 200
    push_line = next(line for line in lines if line["path"] == "/api/v1/sync/push")
    assert push_line["user"] == "wang" and push_line["client"] == wang.client_id
    assert isinstance(push_line["ms"], float)
    text = caplog.text + json.dumps(lines, ensure_ascii=False)
    assert "pass-word-1" not in text and wang.token not in text


def test_login_rate_limit_in_redis_is_shared(db_url, seed, monkeypatch):
    """With REDIS_URL, two app instances (two processes in production) share the count."""
    import redis

    from sync_server import create_app

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis unreachable: {exc}")
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    name = f"rl-{uuid.uuid4().hex[:8]}"
    seed.user(name, grids=[])
    prefix = f"tianye-test-{uuid.uuid4().hex}"
    config = {
        "DATABASE_URL": db_url,
        "REDIS_URL": url,
        "RATE_LIMIT_KEY_PREFIX": prefix,
        "LOG_LEVEL": "WARNING",
    }
    apps = [create_app(config), create_app(config)]
    first, second = apps[0].test_client(), apps[1].test_client()
    try:
        for n in range(10):
            app_client = first if n % 2 else second
            assert_error(
                app_client.post("/api/v1/auth/token", json=token_body(name, "bad-pw")), 401
            )
        assert_error(first.post("/api/v1/auth/token", json=token_body(name)), 429)
        assert_error(second.post("/api/v1/auth/token", json=token_body(name)), 429)
        ok = second.post("/api/v1/auth/token", json=token_body("wang"))
        assert ok.status_code == 200
    finally:
        for flask_app in apps:
            flask_app.extensions["tianye_db"].dispose()
            flask_app.extensions["tianye_throttle"].strategy.storage.storage.close()
        r = redis.Redis.from_url(url)
        assert list(r.scan_iter(f"*{prefix}*"))  # the counts really were in Redis
        for key in r.scan_iter(f"*{prefix}*"):
            r.delete(key)
        r.close()


def test_field_errors_follow_accept_language(client, wang):
    zh = client.post("/api/v1/sync/push", json={"client_id": "x"}, headers=wang.headers)
    en = client.post(
        "/api/v1/sync/push",
        json={"client_id": "x"},
        headers=wang.headers | {"Accept-Language": "en"},
    )
    assert zh.get_json()["errors"]["mutations"] == ["缺少必填字段。"]
    assert en.get_json()["errors"]["mutations"] == ["Missing data for required field."]
    limit = client.get("/api/v1/sync/pull?limit=0", headers=wang.headers).get_json()
    assert limit["errors"]["limit"] == ["必须在 1 与 1000 之间。"]


def test_logs_never_hold_an_id_number(client, wang, caplog):
    from tests.sync_server.helpers import member

    hid, _ = create_household(client, wang)
    data = member(hid)
    too_big = mutation(wang, "member", new_id(), data)
    too_big["base_version"] = 2**70  # refused by the database itself
    with caplog.at_level(logging.DEBUG):
        logger = logging.getLogger("tianye")
        logger.addHandler(caplog.handler)
        try:
            push(client, wang, mutation(wang, "member", new_id(), data | {"sex": "female"}))
            push(client, wang, too_big)
        finally:
            logger.removeHandler(caplog.handler)
    text = caplog.text + json.dumps([getattr(r, "fields", None) for r in caplog.records])
    assert data["id_number"] not in text

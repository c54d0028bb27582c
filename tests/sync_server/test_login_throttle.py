"""Issue 15 point 8: sign-in rate limits on Flask-Limiter — counted atomically (no race, even
across server processes sharing Redis), keyed on username + address (no lockout of a worker
from elsewhere), with backoff, shared by the API and the console."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from sync_server.services.login_throttle import LoginPolicy, login_limits, throttle_keys
from tests.ui.console.world import csrf_of

REDIS_URL = "redis://127.0.0.1:6379/15"


def token_body(username: str, password: str) -> dict[str, str]:
    return {
        "username": username,
        "password": password,
        "client_id": str(uuid.uuid4()),
        "device_name": "p",
    }


def api_sign_in(client: Any, username: str, password: str, address: str) -> Any:
    return client.post(
        "/api/v1/auth/token",
        json=token_body(username, password),
        environ_base={"REMOTE_ADDR": address},
    )


def console_sign_in(client: Any, username: str, password: str, address: str) -> Any:
    env = {"REMOTE_ADDR": address}
    page = client.get("/console/login", environ_base=env)
    data = {"username": username, "password": password, "csrf_token": csrf_of(page.text)}
    return client.post("/console/login", data=data, environ_base=env)


@pytest.fixture
def people(seed: Any) -> Any:
    seed.grid("g1")
    seed.user("wang", grids=["g1"])
    seed.user("sup", role="supervisor", township="t1")
    return seed


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL)
        client.ping()
        client.close()
    except redis.RedisError as exc:
        pytest.skip(f"Redis unreachable: {exc}")
    return REDIS_URL


@pytest.fixture
def prefix(redis_url: str) -> Any:
    """A key prefix of this test only (removed from Redis at the end)."""
    import redis

    value = f"tianye-test-{uuid.uuid4().hex}"
    yield value
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"*{value}*"):
        client.delete(key)
    client.close()


# --- the pure parts -----------------------------------------------------------------------


def test_limits_back_off_in_three_tiers_and_split_across_processes() -> None:
    policy = LoginPolicy(per_user_address=10, per_address=50, window_seconds=900)
    pair = [(i.amount, i.get_expiry()) for i in login_limits(policy)["pair"]]
    assert pair == [(10, 900), (20, 7200), (30, 86400)]
    assert [i.amount for i in login_limits(policy)["address"]] == [50, 100, 150]
    split = LoginPolicy(per_user_address=10, per_address=50, window_seconds=900, processes=3)
    assert [i.amount for i in login_limits(split)["pair"]] == [4, 8, 12]  # 3 x 4 >= 10


def test_keys_are_username_and_address_case_insensitive() -> None:
    assert throttle_keys(" Wang ", "10.0.0.1") == throttle_keys("wang", "10.0.0.1")
    assert throttle_keys("wang", "10.0.0.1") != throttle_keys("wang", "10.0.0.2")
    assert (
        throttle_keys("wang", "10.0.0.1")["address"] == throttle_keys("li", "10.0.0.1")["address"]
    )


# --- one app ------------------------------------------------------------------------------


def test_an_attacker_elsewhere_cannot_lock_the_worker_out(client: Any, people: Any) -> None:
    for _ in range(10):
        assert api_sign_in(client, "wang", "guess", "203.0.113.9").status_code == 401
    assert api_sign_in(client, "wang", "pass-word-1", "203.0.113.9").status_code == 429
    assert console_sign_in(client, "wang", "guess", "203.0.113.9").status_code == 429
    # The worker, from the township's address, is not affected.
    assert api_sign_in(client, "wang", "pass-word-1", "198.51.100.7").status_code == 200
    assert api_sign_in(client, "wang", "typo", "198.51.100.7").status_code == 401


def test_a_right_password_forgets_earlier_slips(client: Any, people: Any) -> None:
    for _ in range(9):
        assert api_sign_in(client, "wang", "typo", "198.51.100.7").status_code == 401
    assert api_sign_in(client, "wang", "pass-word-1", "198.51.100.7").status_code == 200
    for _ in range(9):
        assert api_sign_in(client, "wang", "typo", "198.51.100.7").status_code == 401


def test_api_and_console_share_one_budget(client: Any, people: Any) -> None:
    for _ in range(5):
        assert api_sign_in(client, "sup", "guess", "203.0.113.9").status_code == 401
        assert console_sign_in(client, "sup", "guess", "203.0.113.9").status_code == 401
    refused = console_sign_in(client, "sup", "pass-word-1", "203.0.113.9")
    assert refused.status_code == 429 and "登录失败次数过多" in refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 900
    assert api_sign_in(client, "sup", "pass-word-1", "203.0.113.9").status_code == 429


def test_one_address_cannot_spray_many_usernames(client: Any, people: Any) -> None:
    for n in range(50):
        assert api_sign_in(client, f"ghost{n}", "x", "203.0.113.9").status_code == 401
    assert api_sign_in(client, "wang", "pass-word-1", "203.0.113.9").status_code == 429
    assert api_sign_in(client, "wang", "pass-word-1", "198.51.100.7").status_code == 200


def test_an_office_signing_many_in_from_one_address_is_not_limited(
    client: Any, people: Any
) -> None:
    """Right passwords do not count against the address (a township office behind one NAT)."""
    for n in range(60):
        people.user(f"w{n}", grids=[])
        assert api_sign_in(client, f"w{n}", "pass-word-1", "198.51.100.7").status_code == 200
    for _ in range(3):  # and typing slips still count as they should
        assert api_sign_in(client, "wang", "typo", "198.51.100.7").status_code == 401
    assert api_sign_in(client, "wang", "pass-word-1", "198.51.100.7").status_code == 200


def test_the_wait_grows_for_an_address_that_keeps_guessing(app: Any, people: Any) -> None:
    app.config.update(LOGIN_MAX_FAILURES=2, LOGIN_WINDOW_SECONDS=1)
    client = app.test_client()
    for _ in range(2):
        assert api_sign_in(client, "wang", "guess", "203.0.113.9").status_code == 401
    first = api_sign_in(client, "wang", "guess", "203.0.113.9")
    assert first.status_code == 429 and int(first.headers["Retry-After"]) <= 1
    time.sleep(1.1)  # the first tier's window has passed: two more tries
    for _ in range(2):
        assert api_sign_in(client, "wang", "guess", "203.0.113.9").status_code == 401
    second = api_sign_in(client, "wang", "guess", "203.0.113.9")
    assert second.status_code == 429 and int(second.headers["Retry-After"]) > 5  # 8 s tier
    assert api_sign_in(client, "wang", "pass-word-1", "198.51.100.7").status_code == 200


def test_redis_unreachable_still_limits_in_memory(
    db_url: str, people: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from sync_server import create_app

    app = create_app(
        {"DATABASE_URL": db_url, "REDIS_URL": "redis://127.0.0.1:1/0", "LOG_LEVEL": "WARNING"}
    )
    client = app.test_client()
    try:
        for _ in range(10):
            assert api_sign_in(client, "wang", "guess", "203.0.113.9").status_code == 401
        assert api_sign_in(client, "wang", "pass-word-1", "203.0.113.9").status_code == 429
        assert api_sign_in(client, "wang", "pass-word-1", "198.51.100.7").status_code == 200
        assert "rate-limit storage failed" in caplog.text
    finally:
        app.extensions["tianye_db"].dispose()
        app.extensions["tianye_throttle"].strategy.storage.storage.close()


# --- real server processes sharing Redis ---------------------------------------------------


def test_concurrent_guesses_over_two_servers_never_pass_the_limit(
    people: Any, live_server_factory: Any, redis_url: str, prefix: str
) -> None:
    """Two `serve` processes (two workers each) share one Redis: 40 concurrent wrong
    passwords for one user from one address get exactly 10 password checks, 30 refusals."""
    env = {"REDIS_URL": redis_url, "RATE_LIMIT_KEY_PREFIX": prefix}
    servers = [live_server_factory(workers=2, env=env), live_server_factory(workers=2, env=env)]

    def guess(n: int) -> int:
        url = servers[n % 2].url
        body = token_body("wang", f"guess-{n}")
        return requests.post(f"{url}/api/v1/auth/token", json=body, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        counts = Counter(pool.map(guess, range(40)))
    assert counts == {401: 10, 429: 30}, counts
    refused = requests.post(
        f"{servers[0].url}/api/v1/auth/token", json=token_body("wang", "pass-word-1"), timeout=60
    )
    assert refused.status_code == 429 and refused.headers["Content-Type"] == "application/json"
    assert 0 < int(refused.headers["Retry-After"]) <= 900

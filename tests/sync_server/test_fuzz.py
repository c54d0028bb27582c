"""Bad input never causes a 500 or an HTML page: random JSON bodies and query strings at
every endpoint of the API (Hypothesis), on SQLite."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ENDPOINTS = [
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/sync/push"),
    ("GET", "/api/v1/sync/pull"),
    ("POST", "/api/v1/sync/report"),
    ("GET", "/api/v1/conflicts"),
    ("POST", "/api/v1/conflicts/{id}/resolve"),
    ("POST", "/api/v1/visits/{id}/review"),
    ("GET", "/api/v1/records/household/{id}/history"),
    ("POST", "/api/v1/admin/grids"),
    ("POST", "/api/v1/admin/users"),
    ("POST", "/api/v1/admin/assignments"),
    ("PUT", "/api/v1/admin/config"),
    ("DELETE", "/api/v1/auth/token"),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=12,
)


def mutation_like():
    """Push bodies close enough to valid to get past the envelope and into the services."""
    mutation = st.fixed_dictionaries(
        {
            "mutation_id": st.integers(-2, 4) | st.text(max_size=3),
            "entity": st.sampled_from(["household", "member", "visit", "x"]),
            "id": st.sampled_from(["0190a5c2-7b1e-7cc3-8d5e-2a0c0d0e0f10", "nope"]),
            "op": st.sampled_from(["upsert", "delete", "x"]),
            "base_version": st.none() | st.integers(-1, 5),
            "data": st.dictionaries(
                st.sampled_from(["grid_id", "phone", "income", "household_id", "gps", "a.b", ""]),
                json_values,
                max_size=4,
            ),
        }
    )
    return st.fixed_dictionaries(
        {
            "client_id": st.just("CLIENT"),
            "schema_version": st.just(1),
            "mutations": st.lists(mutation, max_size=3),
        }
    )


@pytest.fixture
def fuzz_env(sqlite_url):
    from sync_server import create_app
    from tests.conftest import Seed

    app = create_app(
        {"DATABASE_URL": sqlite_url, "LOG_LEVEL": "CRITICAL", "LOGIN_MAX_FAILURES": 10**6}
    )
    seed = Seed(app.extensions["tianye_db"])
    seed.grid("0190a5c2")
    seed.user("wang", grids=["0190a5c2"])
    seed.user("root", role="admin")
    client = app.test_client()
    sessions = [seed.login(client, "wang"), seed.login(client, "root")]
    yield client, sessions
    app.extensions["tianye_db"].dispose()


def check(response):
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code != 204:
        assert response.mimetype == "application/json", response.get_data(as_text=True)[:200]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    body=json_values,
    query=st.dictionaries(
        st.sampled_from(["cursor", "limit", "status", "client_id"]), st.text(max_size=8), max_size=3
    ),
    who=st.integers(0, 1),
    raw=st.booleans(),
)
def test_random_input_is_never_a_500(fuzz_env, endpoint, body, query, who, raw):
    client, sessions = fuzz_env
    method, path = endpoint
    path = path.replace("{id}", "0190a5c2-7b1e-7cc3-8d5e-2a0c0d0e0f10")
    kwargs = {"headers": sessions[who].headers, "query_string": query}
    if raw:
        kwargs["data"] = json.dumps(body)[:-1] or "{"
        kwargs["content_type"] = "application/json"
    elif method != "GET":
        kwargs["json"] = body
    check(client.open(path, method=method, **kwargs))


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=mutation_like(), who=st.integers(0, 1))
def test_random_push_batches_are_never_a_500(fuzz_env, body, who):
    client, sessions = fuzz_env
    body = body | {"client_id": sessions[who].client_id}
    check(client.post("/api/v1/sync/push", json=body, headers=sessions[who].headers))

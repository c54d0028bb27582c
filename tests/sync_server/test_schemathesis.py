"""Schemathesis 4 against a LIVE server (gunicorn, SQLite and PostgreSQL): every operation of
the OpenAPI document the server serves, positive and negative examples, signed in as a
worker (an admin for `/api/v1/admin/*`).

Every response must be a non-5xx JSON answer (or an empty 204) and pass the checks listed in
CHECKS. Bounded and deterministic: a fixed number of examples per operation and mode,
`derandomize=True`, no example database, no deadline (a live server's latency varies).

Checks left out, and why (the protocol's deliberate choices, not bugs):
- `negative_data_rejection` / `positive_data_acceptance`: schemathesis only knows the
  schema, not the scope rules — a schema-valid push is still a 403 out of scope, a
  schema-valid resolve is a 404 for an unknown id, and a "negative" query with an unknown
  parameter is accepted (query strings ignore unknown keys, like most HTTP APIs).
- `ignored_auth`: it replays requests without the token; covered exactly by
  test_authz_matrix.py, and here it would count the public sign-in and /healthz as failures.
- `use_after_free`, `ensure_resource_availability`, `object_level_authorization`: stateful
  link checks; the API declares no OpenAPI links.
- `missing_required_header`, `unsupported_method`, `allow_header_conformance`: they probe
  with methods and headers flask-smorest does not document per route (a 405 carries
  `Allow`, checked in test_http_surface.py).
"""

from __future__ import annotations

import time

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 12  # per operation and generation mode
BUDGET_SECONDS = 100


def _json_or_empty(response) -> None:
    """Never HTML: JSON, or no body at all for a 204 (schemathesis' transport response)."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.request.method == "HEAD":  # tus offsets travel in headers, never in a body
        assert not response.content
        return
    if response.status_code == 204:
        assert not response.content
        return
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.startswith("application/json"), (
        response.status_code,
        content_type,
        response.text[:300],
    )
    response.json()


@pytest.fixture
def target(seed, live_server_factory):
    """A live server with two grids, a worker and an admin (no login rate limit to hit)."""
    seed.grid("g1", township="t1")
    seed.grid("g2", township="t1")
    seed.user("wang", grids=["g1"])
    seed.user("zhao", role="supervisor", township="t1")
    seed.user("root", role="admin")
    seed.user("fuzzee", grids=["g2"])
    server = live_server_factory(
        env={"LOGIN_MAX_FAILURES": "1000000", "LOGIN_MAX_FAILURES_PER_IP": "1000000"}
    )
    return server.url


def fuzz(operation, mode, base_url, http, headers, seen):
    """Run EXAMPLES generated cases of `operation`; `headers()` gives each one's auth."""

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        if operation.label == "PATCH /api/v1/admin/users/{username}" and case.path_parameters:
            # Edit one dedicated user, so that the examples reach the service (a random name
            # is a 404) and whatever they set (deactivated, a new password or role) touches
            # no caller of the other operations.
            case.path_parameters = {**case.path_parameters, "username": "fuzzee"}
        response = case.call_and_validate(
            base_url=base_url, session=http, headers=headers(), checks=CHECKS, timeout=30
        )
        _json_or_empty(response)
        seen.setdefault(operation.label, set()).add(response.status_code)

    try:
        run()
    except Unsatisfiable:
        # Nothing to break: an operation without parameters or body has no negative case.
        assert mode == GenerationMode.NEGATIVE, operation.label


def test_every_operation_answers_json_and_never_5xx(seed, target):
    schema = schemathesis.openapi.from_url(f"{target}/api/openapi.json", timeout=10)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    worker = seed.login(target, "wang")
    admin = seed.login(target, "root")
    http = requests.Session()
    started = time.monotonic()
    seen: dict[str, set[int]] = {}
    for operation in operations:
        if operation.label == "DELETE /api/v1/auth/token":
            # It revokes the caller's token: every example signs in afresh.
            def headers():
                return seed.login(target, "wang").headers
        else:
            who = admin if operation.path.startswith("/api/v1/admin/") else worker

            def headers(who=who):
                return who.headers

        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, target, http, headers, seen)
    assert time.monotonic() - started < BUDGET_SECONDS
    # The run reached the services, not only the validation layer.
    assert 200 in seen["GET /api/v1/sync/pull"] and 422 in seen["GET /api/v1/sync/pull"]
    assert any(code in seen["POST /api/v1/sync/push"] for code in (200, 403, 409))
    assert 200 in seen["PATCH /api/v1/admin/users/{username}"]
    assert 422 in seen["POST /api/v1/auth/password"]
    # Configuration: publications are validated by the service (field errors, never a 500).
    assert 422 in seen["PUT /api/v1/admin/config"]
    assert seen["GET /api/v1/admin/config/{version}"] & {200, 404}
    assert 200 in seen["GET /api/v1/config"]

"""/api/docs in Chromium under its Content-Security-Policy: Swagger UI renders every operation,
"Try it out" reaches the API, and the browser reports no CSP violation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.console.conftest import shoot

pytestmark = pytest.mark.ui

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def test_swagger_ui_works_under_its_csp(new_page: Any, live_server: str) -> None:
    page = new_page(width=1280, height=900)
    page.add_init_script(COLLECT_VIOLATIONS)
    messages: list[str] = []
    page.on("console", lambda msg: messages.append(f"{msg.type}: {msg.text}"))
    response = page.goto("/api/docs")
    assert response is not None and response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in policy
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() >= 10
    # "Try it out" on GET /healthz: a fetch to this origin, allowed by connect-src 'self'.
    block = page.locator(".opblock", has=page.locator("[data-path='/healthz']")).first
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    page.wait_for_selector(".swagger-ui .live-responses-table tbody .response-col_status")
    status = block.locator(".live-responses-table tbody .response-col_status").first
    assert "200" in status.inner_text()
    shoot(page, "api-docs-csp")
    violations = page.evaluate("window.__csp")
    assert violations == [], violations
    assert not [m for m in messages if "Content Security Policy" in m], messages

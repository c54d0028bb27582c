"""The console's configuration pages through Flask's test client on SQLite and PostgreSQL: the
thresholds page publishes a version and the risk flags follow it; visit frequencies and
option labels publish versions; bad input publishes nothing; the versions list names who,
when (local time) and what changed; non-admins are refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.sync_server.test_console_web import sign_in, token
from tests.ui.console.world import World, api, build_world

LOW = "收入低于监测标准"


@pytest.fixture
def world(seed: Any, client: Any) -> World:
    return build_world(seed, client, datetime.now(UTC).date())


def api_config(client: Any, world: World) -> dict[str, Any]:
    r = client.get("/api/v1/config", headers=world.wang.session.headers)
    body: dict[str, Any] = r.get_json()
    return body


def thresholds_form(client: Any, threshold: int, **extra: str) -> dict[str, str]:
    return {
        "province": "",
        "year": "2026",
        "threshold": str(threshold),
        "settings": "{}",
        "csrf_token": token(client, "/console/admin/thresholds"),
        **extra,
    }


def test_thresholds_publish_a_version_and_the_flags_follow(client, world):
    sign_in(client, "boss")
    page = client.get(f"/console/households/{world.h2}")
    assert page.status_code == 200 and LOW not in page.text
    r = client.post("/console/admin/thresholds", data=thresholds_form(client, 1_000_000))
    assert r.status_code == 302
    body = api_config(client, world)
    assert body["version"] == 2 and body["rules"]["monitoring_threshold"] == 1_000_000
    assert LOW in client.get(f"/console/households/{world.h2}").text
    assert "第 2 版" in client.get("/console/admin/thresholds").text
    status, page = api(client, "GET", "/api/v1/sync/pull", world.wang.session.headers)
    assert status == 200 and page["config_version"] == 2


def test_thresholds_refuse_bad_values_and_stale_pages(client, world):
    sign_in(client, "boss")
    bad = client.post(
        "/console/admin/thresholds",
        data=thresholds_form(client, 9000, settings='{"drop_ratio": 5}'),
    )
    assert bad.status_code == 422 and "drop_ratio" in bad.text
    assert api_config(client, world)["version"] == 1
    client.post("/console/admin/thresholds", data=thresholds_form(client, 9100))
    stale = client.post(
        "/console/admin/thresholds", data=thresholds_form(client, 9200, base_version="1")
    )
    assert stale.status_code == 422
    assert api_config(client, world)["rules"]["monitoring_threshold"] == 9100


def test_visit_frequencies_publish_and_bad_days_publish_nothing(client, world):
    sign_in(client, "boss")
    page = client.get("/console/admin/config")
    assert page.status_code == 200 and "走访频次" in page.text and "未纳入监测" in page.text
    form = {
        "what": "intervals",
        "base_version": "1",
        "interval-unstable_lifted": "15",
        "interval-marginal": "30",
        "interval-sudden_hardship": "30",
        "interval-none": "180",
        "csrf_token": token(client, "/console/admin/config"),
    }
    bad = client.post("/console/admin/config", data=form | {"interval-none": "0"})
    assert bad.status_code == 422 and "1 至 3660" in bad.text
    assert api_config(client, world)["version"] == 1
    assert client.post("/console/admin/config", data=form).status_code == 302
    rules = api_config(client, world)["rules"]
    assert rules["visit_interval_days"]["unstable_lifted"] == 15
    assert rules["visit_interval_days"]["none"] == 180
    listed = client.get("/console/admin/config?lang=en").text
    assert "visit_interval_days.unstable_lifted" in listed and "30 → 15" in listed
    assert "boss" in listed and "In force" in listed


def _enum_form(client: Any, options: list[dict[str, str]], **extra: str) -> dict[str, str]:
    data = {
        "what": "enum",
        "base_version": "1",
        "csrf_token": token(client, "/console/admin/config"),
    }
    for i, o in enumerate(options):
        data[f"zh-{i}"], data[f"en-{i}"] = o["zh"], o["en"]
    return data | extra


def test_option_labels_publish_and_a_required_option_cannot_be_dropped(client, world):
    sign_in(client, "boss")
    options = api_config(client, world)["enums"]["relation"]
    head = next(i for i, o in enumerate(options) if o["code"] == "head")
    page = client.get("/console/admin/config?enum=relation")
    assert page.status_code == 200 and 'name="drop-0"' not in page.text  # head is required
    dropped = client.post(
        "/console/admin/config?enum=relation",
        data=_enum_form(client, options, **{f"drop-{head}": "1"}),
    )
    assert dropped.status_code == 422 and "head" in dropped.text
    edited = [dict(o) for o in options]
    edited[head]["zh"] = "户主本人"
    r = client.post(
        "/console/admin/config?enum=relation",
        data=_enum_form(
            client, edited, **{"new-code": "foster", "new-zh": "寄养", "new-en": "Foster"}
        ),
    )
    assert r.status_code == 302
    relation = api_config(client, world)["enums"]["relation"]
    assert relation[head]["zh"] == "户主本人"
    assert relation[-1] == {"code": "foster", "zh": "寄养", "en": "Foster"}
    history = client.get("/console/admin/config").text
    assert "改名" in history and "foster" in history


def test_config_page_is_for_admins_only(client, world):
    sign_in(client, "sup")
    assert client.get("/console/admin/config").status_code == 403
    refused = client.post(
        "/console/admin/config",
        data={"what": "intervals", "interval-none": "5", "csrf_token": token(client)},
    )
    assert refused.status_code == 403
    assert api_config(client, world)["version"] == 1


def test_console_labels_follow_the_version_in_force_and_keep_dropped_options(client, world):
    """Relabel `routine` in v2, drop it in v3: a visit of that type reads the new label, and
    after the drop its last label (never the raw code)."""
    sign_in(client, "boss")
    options = api_config(client, world)["enums"]["visit_type"]
    routine = next(i for i, o in enumerate(options) if o["code"] == "routine")
    shipped_label = options[routine]["zh"]
    assert shipped_label in client.get(f"/console/visits/{world.v2}").text
    edited = [dict(o) for o in options]
    edited[routine]["zh"] = "例行入户（月度）"
    r = client.post("/console/admin/config?enum=visit_type", data=_enum_form(client, edited))
    assert r.status_code == 302
    page = client.get(f"/console/visits/{world.v2}").text
    assert "例行入户（月度）" in page and shipped_label not in page
    dropped = _enum_form(client, edited, **{f"drop-{routine}": "1"}) | {"base_version": "2"}
    assert client.post("/console/admin/config?enum=visit_type", data=dropped).status_code == 302
    assert "routine" not in {o["code"] for o in api_config(client, world)["enums"]["visit_type"]}
    page = client.get(f"/console/visits/{world.v2}").text
    assert "例行入户（月度）" in page and '"routine"' not in page

"""Published configurations over HTTP (PROTOCOL.md "Configuration"), on SQLite and PostgreSQL:
`GET /api/v1/config` with its ETag and 304, `PUT /api/v1/admin/config` publishing a version
(or a 422/409 that publishes nothing), `config_version` on every pull, and a pushed visit
validated with the enumeration codes of its own `form_version`."""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

from sync_server.errors import ServiceError
from sync_server.services import audit
from sync_server.services import config as config_service
from tests.sync_server.helpers import (
    create_household,
    mutation,
    new_id,
    pull,
    push,
    visit,
)


@pytest.fixture
def team(seed, client):
    seed.grid("g1")
    seed.user("root", role="admin")
    seed.user("wang", grids=["g1"])
    return {name: seed.login(client, name) for name in ("root", "wang")}


def config(client, session) -> dict[str, Any]:
    r = client.get("/api/v1/config", headers=session.headers)
    assert r.status_code == 200, r.get_json()
    body: dict[str, Any] = r.get_json()
    return body


def publish(client, root, expect: int = 200, **parts: Any) -> dict[str, Any]:
    r = client.put("/api/v1/admin/config", json=parts, headers=root.headers)
    assert r.status_code == expect, r.get_json()
    body: dict[str, Any] = r.get_json()
    return body


def versions(client, root) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/api/v1/admin/config", headers=root.headers).get_json()
    return body


def with_option(enums: dict[str, Any], name: str, code: str, zh: str, en: str) -> dict[str, Any]:
    out = copy.deepcopy(enums)
    out[name].append({"code": code, "zh": zh, "en": en})
    return out


def without_option(enums: dict[str, Any], name: str, code: str) -> dict[str, Any]:
    out = copy.deepcopy(enums)
    out[name] = [o for o in out[name] if o["code"] != code]
    return out


def test_config_has_an_etag_and_answers_304_until_a_publication(client, team):
    root, wang = team["root"], team["wang"]
    first = client.get("/api/v1/config", headers=wang.headers)
    assert first.status_code == 200 and first.get_json()["version"] == 1
    etag = first.headers["ETag"]
    assert etag.startswith('"cfg-1-')
    again = client.get("/api/v1/config", headers=wang.headers | {"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    weak = client.get("/api/v1/config", headers=wang.headers | {"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304  # If-None-Match compares weakly (RFC 9110)
    rules = first.get_json()["rules"]
    publish(client, root, rules=rules | {"monitoring_threshold": 9100})
    changed = client.get("/api/v1/config", headers=wang.headers | {"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.get_json()["version"] == 2
    assert changed.get_json()["rules"]["monitoring_threshold"] == 9100
    assert changed.headers["ETag"] != etag and changed.headers["ETag"].startswith('"cfg-2-')
    assert set(changed.get_json()) == {"version", "rules", "forms", "enums"}


def test_publication_keeps_version_one_and_names_author_and_changes(client, team, database):
    root, wang = team["root"], team["wang"]
    shipped = config(client, wang)
    listed = versions(client, root)
    assert listed["in_force"] == 1 and listed["versions"][0]["published_at"] is None
    enums = with_option(shipped["enums"], "visit_type", "flood_check", "汛期排查", "Flood check")
    out = publish(client, root, enums=enums)
    assert out["version"] == 2 and out["author"] == "root"
    assert {"area": "enums", "name": "visit_type", "kind": "added"}.items() <= out["changes"][
        0
    ].items()
    listed = versions(client, root)
    assert [v["version"] for v in listed["versions"]] == [2, 1]
    assert all(v["published_at"] for v in listed["versions"])
    entries = audit.list_entries(database, target="config/2").entries
    assert [(e.actor, e.action) for e in entries] == [("root", "config.update")]
    assert entries[0].details["changes"][0].startswith("enums.visit_type added: flood_check")
    one = client.get("/api/v1/admin/config/1", headers=root.headers).get_json()
    assert one == shipped  # the shipped version, kept as it was served
    assert client.get("/api/v1/admin/config/9", headers=root.headers).status_code == 404


@pytest.mark.parametrize(
    "make, error_key",
    [
        (
            lambda c: {"rules": c["rules"] | {"monitoring_threshold": 0}},
            "rules.monitoring_threshold",
        ),
        (lambda c: {"rules": c["rules"] | {"drop_ratio": 7}}, "rules.drop_ratio"),
        (
            lambda c: {"rules": c["rules"] | {"ill_health_codes": ["no_such_health"]}},
            "rules.ill_health_codes",
        ),
        (
            lambda c: {"rules": c["rules"] | {"visit_interval_days": {"nope": 3, "none": 90}}},
            "rules.visit_interval_days",
        ),
        (lambda c: {"enums": without_option(c["enums"], "relation", "head")}, "enums.relation"),
        (
            lambda c: {"enums": with_option(c["enums"], "sex", "Bad Code", "坏", "Bad")},
            "enums.sex.2.code",
        ),
        (lambda c: {"enums": with_option(c["enums"], "sex", "x", "", "X")}, "enums.sex.x.zh"),
        (lambda c: {"enums": {**c["enums"], "colour": []}}, "enums.colour"),
        (lambda c: {"forms": {**c["forms"], "visit": {"form_id": "visit"}}}, "forms.visit"),
        (lambda c: {"forms": _select_with_enum(c["forms"], "no_such")}, "forms.visit.visit_type"),
        (lambda c: {"forms": _select_with_enum(c["forms"], "sex")}, "forms.visit.visit_type"),
        (lambda c: {"colour": 1}, "colour"),
    ],
)
def test_a_config_that_does_not_build_is_422_and_publishes_nothing(
    client, team, database, make, error_key
):
    root, wang = team["root"], team["wang"]
    before = config(client, wang)
    r = client.put(
        "/api/v1/admin/config", json=make(before), headers=root.headers | {"Accept-Language": "en"}
    )
    assert r.status_code == 422, r.get_json()
    assert error_key in r.get_json()["errors"], r.get_json()["errors"]
    assert config(client, wang) == before
    assert [v["version"] for v in versions(client, root)["versions"]] == [1]
    assert audit.list_entries(database, target="config/2").total == 0


def _select_with_enum(forms: dict[str, Any], enum: str) -> dict[str, Any]:
    out = copy.deepcopy(forms)
    for section in out["visit"]["sections"]:
        for f in section["fields"]:
            if f["path"] == "visit_type":
                f["enum"] = enum
    return out


def test_identical_config_and_stale_base_version_publish_nothing(client, team):
    root, wang = team["root"], team["wang"]
    current = config(client, wang)
    same = publish(client, root, 422, rules=current["rules"])
    assert "1" in same["message"] or same["message"]
    publish(client, root, rules=current["rules"] | {"max_risks": 4}, base_version=1)
    stale = publish(client, root, 409, rules=current["rules"] | {"max_risks": 3}, base_version=1)
    assert stale["code"] == 409
    assert config(client, wang)["rules"]["max_risks"] == 4
    assert versions(client, root)["in_force"] == 2


def test_every_pull_carries_the_version_in_force(client, team):
    root, wang = team["root"], team["wang"]
    assert pull(client, wang)["config_version"] == 1
    rules = config(client, wang)["rules"]
    publish(client, root, rules=rules | {"monitoring_threshold": 8888})
    page = pull(client, wang)
    assert page["config_version"] == 2
    assert pull(client, wang, cursor=page["cursor"])["config_version"] == 2


def _push_visit(client, session, hid: str, **fields: Any) -> dict[str, Any]:
    vid = new_id()
    r = push(client, session, mutation(session, "visit", vid, visit(hid, **fields)))
    assert r.status_code == 200, r.get_json()
    result: dict[str, Any] = r.get_json()["results"][0]
    return result


def test_a_visit_is_validated_with_its_own_configuration_version(client, team):
    """v2 adds visit type `flood_check`; v3 removes `sweep`. Each visit is judged by the
    version it names: an option removed later still holds on an older visit, an option added
    later is refused on one made before it."""
    root, wang = team["root"], team["wang"]
    hid, _ = create_household(client, wang)
    shipped = config(client, wang)["enums"]
    v2 = with_option(shipped, "visit_type", "flood_check", "汛期排查", "Flood check")
    publish(client, root, enums=v2)
    publish(client, root, enums=without_option(v2, "visit_type", "sweep"))

    def status(visit_type: str, version: int | None) -> tuple[str, dict[str, Any]]:
        fields: dict[str, Any] = {"visit_type": visit_type}
        if version is not None:
            fields["form_version"] = version
        result = _push_visit(client, wang, hid, **fields)
        return result["status"], result["errors"]

    assert status("sweep", 2)[0] == "applied"  # removed in v3, valid in v2
    assert status("flood_check", 2)[0] == "applied"  # added in v2
    assert status("flood_check", 3)[0] == "applied"
    refused, errors = status("sweep", 3)
    assert refused == "rejected" and "visit_type" in errors
    refused, errors = status("flood_check", 1)
    assert refused == "rejected" and "visit_type" in errors
    refused, errors = status("flood_check", None)  # an older app: version 1
    assert refused == "rejected" and "visit_type" in errors
    assert status("sweep", None)[0] == "applied"
    refused, errors = status("routine", 4)  # never published
    assert refused == "rejected" and set(errors) == {"form_version"}


def test_an_edit_of_an_older_visit_is_judged_by_its_version(client, team):
    """Partial changes without `form_version` are checked with any version's codes, then the
    merged visit with its own version: an edit of a v2 visit to a v3-removed option holds, the
    same edit of a v3 visit is refused."""
    root, wang = team["root"], team["wang"]
    hid, _ = create_household(client, wang)
    shipped = config(client, wang)["enums"]
    publish(client, root, enums=with_option(shipped, "visit_type", "flood_check", "汛", "Flood"))
    publish(client, root, enums=without_option(shipped, "visit_type", "sweep"))
    old = _push_visit(client, wang, hid, form_version=2, visit_type="routine")
    new = _push_visit(client, wang, hid, form_version=3, visit_type="routine")
    assert old["status"] == new["status"] == "applied"

    def edit(result: dict[str, Any], value: str) -> dict[str, Any]:
        r = push(
            client,
            wang,
            mutation(
                wang,
                "visit",
                _visit_id(client, wang, result["version"]),
                {"visit_type": value},
                base_version=result["version"],
            ),
        )
        body: dict[str, Any] = r.get_json()["results"][0]
        return body

    assert edit(old, "sweep")["status"] == "applied"
    refused = edit(new, "sweep")
    assert refused["status"] == "rejected" and "visit_type" in refused["errors"]
    refused = edit(new, "no_such_type")
    assert refused["status"] == "rejected" and "visit_type" in refused["errors"]


def _visit_id(client, session, version: int) -> str:
    for change in pull(client, session)["changes"]:
        if change["entity"] == "visit" and change["version"] == version:
            vid: str = change["id"]
            return vid
    raise AssertionError(f"no visit at version {version}")


def test_two_admins_publishing_at_once_get_one_version_and_one_409(database):
    """Both edited version 1: exactly one publication wins; the other is a 409 and writes
    nothing (on PostgreSQL the loser's insert of the same version number fails)."""
    with database.read() as s:
        rules = dict(config_service.in_force(s).body["rules"])
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def publish_one(threshold: int) -> None:
        barrier.wait()
        try:
            p = config_service.publish(
                database,
                {"rules": rules | {"monitoring_threshold": threshold}},
                actor="root",
                now=datetime.now(UTC),
                base_version=1,
            )
            outcomes.append(p.version)
        except ServiceError as exc:
            outcomes.append(exc.status)

    threads = [threading.Thread(target=publish_one, args=(t,)) for t in (9001, 9002)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=str) == sorted([2, 409], key=str)
    with database.read() as s:
        assert [p.version for p in config_service.list_versions(s)] == [2, 1]

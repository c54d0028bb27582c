"""View-model tests: plain pytest, no window, a real SQLite store in tmp_path."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

from datetime import UTC, datetime, timedelta

import pytest

from mobile_app.store import Store
from mobile_app.viewmodels import (
    GridViewModel,
    HouseholdViewModel,
    MemberFormViewModel,
    ReturnedViewModel,
    SettingsViewModel,
    SignInViewModel,
    SyncViewModel,
    VisitFormViewModel,
)
from mobile_app.viewmodels.settings import Preferences
from tests.ui.kivy.seed import (
    NOW,
    hid,
    id_number,
    mid,
    pulled_page,
    seed_grid,
    seed_household,
    seed_pulled_grid,
    server_household,
    vid,
)


def clock():
    return NOW


def sync_calls(fn):
    fn()


SYNC = {"now": clock, "spawn": sync_calls, "post": sync_calls}


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "phone.sqlite3") as s:
        yield s


# -- grid -----------------------------------------------------------------------------------
def test_grid_search_by_name_number_and_id_number(store):
    seed_grid(store, 12)
    vm = GridViewModel(store, **SYNC)
    vm.refresh()
    assert vm.total == 12
    vm.set_search("5226010010007")
    assert [r["key"] for r in vm.rows] == [hid(7)]
    vm.set_search(store.members.get(mid(4, 2)).data["id_number"])
    assert [r["key"] for r in vm.rows] == [hid(4)]
    vm.set_search(store.households.get(hid(3)).data["head_name"])
    assert hid(3) in [r["key"] for r in vm.rows]
    vm.set_search("不存在的人")
    assert vm.rows == [] and vm.total == 0


def test_grid_priority_filters_and_badges(store):
    seed_grid(store, 10)
    vm = GridViewModel(store, **SYNC)
    vm.refresh()
    # never visited first (5, 10), then the overdue ones
    assert [r["key"] for r in vm.rows[:2]] == [hid(5), hid(10)]
    assert vm.rows[0]["status"] == "未走访" and vm.rows[0]["urgent"]
    assert all("未同步" in r["badges"] for r in vm.rows)
    assert vm.unsynced_total == store.outbox.count() > 0
    vm.toggle_filter("overdue")
    overdue = {r["key"] for r in vm.rows}
    assert hid(3) not in overdue and hid(1) in overdue and hid(5) in overdue
    vm.toggle_filter("overdue")
    assert vm.total == 10
    with pytest.raises(ValueError):
        vm.toggle_filter("bogus")


def test_grid_language_switch_relabels_rows(store):
    seed_grid(store, 5)
    vm = GridViewModel(store, **SYNC)
    vm.refresh()
    vm.lang = "en"
    assert vm.rows[0]["status"] == "Never visited"
    assert vm.filter_labels["overdue"] == "Overdue"


def test_grid_pages_through_2000_households(store):
    seed_pulled_grid(store, 2000)
    vm = GridViewModel(store, page_size=500, **SYNC)
    started = datetime.now(UTC)
    vm.refresh()
    assert vm.total == 2000 and len(vm.rows) == 500
    while vm.load_more():
        pass
    assert len(vm.rows) == 2000
    assert len({r["key"] for r in vm.rows}) == 2000
    assert datetime.now(UTC) - started < timedelta(seconds=10)  # sanity bound, not a benchmark
    assert vm.load_more() is False


# -- sign in --------------------------------------------------------------------------------
def answer(username="wang"):
    return {
        "token": "tok-1",
        "user": {"id": "u1", "username": username, "role": "worker", "display_name": "王网格"},
        "grids": ["g-001"],
    }


@pytest.fixture
def vault(tmp_path):
    from mobile_app.store.vault import StoreVault

    v = StoreVault(tmp_path / "phone")
    yield v
    v.lock()


def test_sign_in_validates_inputs_before_calling_the_server(vault):
    calls = []
    vm = SignInViewModel(vault, lambda *a: calls.append(a) or answer(), **SYNC)
    assert vm.sign_in() is False and "服务器地址" in vm.error
    vm.server_url = "ftp://x"
    vm.username, vm.password = "wang", "pw"
    assert vm.sign_in() is False and "http" in vm.error
    vm.server_url = "http://127.0.0.1:9"
    vm.pin = "12"
    assert vm.sign_in() is False and "PIN" in vm.error
    assert calls == []


def test_sign_in_online_then_offline_with_pin(vault):
    from mobile_app.store.vault import StoreVault

    vm = SignInViewModel(vault, lambda *a: answer(), **SYNC)
    vm.server_url, vm.username, vm.password, vm.pin = "http://srv/", "wang", "pw", "2468"
    assert vm.sign_in() is True
    assert vm.signed_in and vm.error == "" and vm.password == ""
    session = vault.store.session.get()
    assert session.token == "tok-1" and session.server_url == "http://srv"
    assert vault.store.db.encrypted
    vault.lock()
    fresh = StoreVault(vault.path.parent)  # the app started again: only the key file is read
    again = SignInViewModel(fresh, lambda *a: pytest.fail("offline must not call"), **SYNC)
    assert again.can_open_offline and again.needs_pin and again.known_user == "王网格"
    assert fresh.store is None
    again.pin = "0000"
    again.open_offline()
    assert not again.signed_in and again.error == "PIN 码不正确" and fresh.store is None
    again.pin = "2468"
    assert again.open_offline() is True and again.signed_in
    assert fresh.store.session.get().token == "tok-1"
    fresh.lock()


def test_sign_in_without_a_pin_opens_offline_with_the_password(vault):
    vm = SignInViewModel(vault, lambda *a: answer(), **SYNC)
    vm.server_url, vm.username, vm.password = "http://srv", "wang", "pw"
    vm.sign_in()
    vault.lock()
    vm.reload()
    assert vm.can_open_offline and not vm.needs_pin
    assert vm.open_offline() is False and "密码" in vm.error
    vm.password = "nope"
    vm.open_offline()
    assert vm.error == "密码不正确" and vault.store is None
    vm.password = "pw"
    vm.open_offline()
    assert vm.signed_in and vault.store is not None


def test_sign_in_errors_in_plain_words(vault):
    from mobile_app.sync.client import SyncClient

    def real_login(*args):  # a real HTTP attempt against a closed port
        return SyncClient(connect_timeout=0.5).login(*args)

    vm = SignInViewModel(vault, real_login, **SYNC)
    vm.lang = "en"
    vm.server_url, vm.username, vm.password = "http://127.0.0.1:9", "wang", "pw"
    vm.sign_in()
    assert vm.error == "Cannot reach the server; check the network and address"
    assert not vm.signed_in and not vm.busy
    assert vault.store is None and not vault.keys.exists()
    first = SignInViewModel(vault, real_login, **SYNC)
    assert first.open_offline() is False and first.error == "首次使用请联网登录"


def test_sign_in_refused_without_sqlcipher(vault):
    vault.encrypting = False  # as on a device where sqlcipher3 cannot be imported
    vm = SignInViewModel(vault, lambda *a: pytest.fail("must not call"), **SYNC)
    assert vm.blocked
    vm.server_url, vm.username, vm.password = "http://srv", "wang", "pw"
    assert vm.sign_in() is False and "SQLCipher" in vm.error


# -- settings -------------------------------------------------------------------------------
def test_settings_language_persists_and_sign_out_needs_confirmation(store, tmp_path):
    seed_household(store, 1)
    store.session.save_login(server_url="http://srv", user=answer()["user"], token="t", grids=[])
    prefs = Preferences(tmp_path / "prefs.json")
    revoked = []
    vm = SettingsViewModel(store, prefs, revoke=lambda: revoked.append(1), **SYNC)
    vm.set_language("en")
    assert Preferences(tmp_path / "prefs.json").language() == "en"
    with pytest.raises(ValueError):
        vm.set_language("fr")
    assert vm.sign_out() is False
    assert vm.confirm_needed and "not synced" in vm.error
    assert store.session.get().token == "t" and revoked == []
    assert vm.sign_out(confirmed=True) is True
    assert store.session.get().token is None and revoked == [1] and vm.signed_out
    assert store.households.get(hid(1)) is not None  # data stays on the phone


def test_settings_exports_unsynced_work_to_a_checksummed_file(store, tmp_path):
    import hashlib
    import json

    from mobile_app.store.export import canonical_bytes

    seed_household(store, 1)
    pending = store.outbox.count()
    assert pending > 0
    vm = SettingsViewModel(
        store, Preferences(tmp_path / "p.json"), export_dir=tmp_path / "out", **SYNC
    )
    path = vm.export_unsynced()
    assert path is not None and path.parent == tmp_path / "out" and not vm.error
    assert str(path) in vm.message and str(pending) in vm.message
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "tianye-outbox"
    assert hashlib.sha256(canonical_bytes(document["payload"])).hexdigest() == document["sha256"]
    assert len(document["payload"]["mutations"]) == pending
    blocked = SettingsViewModel(store, Preferences(tmp_path / "p.json"), export_dir=path, **SYNC)
    assert blocked.export_unsynced() is None and blocked.error.startswith("导出失败")


def test_settings_server_url(store, tmp_path):
    vm = SettingsViewModel(store, Preferences(tmp_path / "p.json"), **SYNC)
    assert vm.save_server_url("srv.example") is False and vm.error
    assert vm.save_server_url("https://srv.example/") is True
    assert vm.server_url == "https://srv.example"
    assert Preferences(tmp_path / "p.json").get("server_url") == "https://srv.example"


# -- household ------------------------------------------------------------------------------
def test_household_shows_members_visits_comment_and_flags(store):
    pulled_page(store, server_household(1, 10, review="returned", comment="收入填写有误"), 12)
    vm = HouseholdViewModel(store, **SYNC)
    vm.load(hid(1))
    assert vm.head_name and vm.address
    assert [m["member_id"] for m in vm.members] == [mid(1, 1)]
    assert vm.visits[0]["returned"] is True
    assert "收入填写有误" in vm.visits[0]["status"] and "退回" in vm.visits[0]["title"]
    assert isinstance(vm.flags, list)
    with pytest.raises(LookupError):
        vm.load(hid(99))


def test_household_move_out_and_head_refused(store):
    seed_household(store, 2)
    vm = HouseholdViewModel(store, **SYNC)
    vm.load(hid(2))
    assert vm.move_out(mid(2, 1)) is False and "户主" in vm.error
    assert vm.move_out(mid(2, 2)) is True
    assert store.members.get(mid(2, 2)).data["status"] == "moved_out"
    row = next(m for m in vm.members if m["member_id"] == mid(2, 2))
    assert not row["present"] and "迁出" in row["status"]
    assert store.outbox.for_record("member", mid(2, 2))


def test_household_flags_for_low_income(store):
    seed_household(store, 3)
    from shared_schema.schemas.examples import example_visit

    low = example_visit(household_id=hid(3), visit_date="2024-05-20")
    low["income"].update(wage=0, operating=100, property=0, transfer=0, costs=0)
    store.records.save("visit", vid(3), low, now=NOW, hlc_node="n")
    vm = HouseholdViewModel(store, **SYNC)
    vm.load(hid(3))
    assert "INCOME_LOW" in [f["code"] for f in vm.flags]
    vm.lang = "en"
    assert any("income" in f["text"].lower() for f in vm.flags)


# -- visit form -----------------------------------------------------------------------------
def test_visit_form_relevance_errors_and_live_income(store):
    seed_household(store, 4)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_new(hid(4))
    assert [s.key for s in vm.form.sections][:3] == ["visit", "members", "income"]
    assert "disaster_type" not in vm.relevant
    vm.set_value("risks", ["disaster"])
    assert "disaster_type" in vm.relevant
    vm.set_value("water.source", "tap")
    assert "water.fetch_minutes" not in vm.relevant
    vm.set_value("water.source", "well")
    assert "water.fetch_minutes" in vm.relevant
    assert vm.errors == {}  # nothing touched shows no error yet
    vm.set_value("income.wage", "abc")
    assert vm.errors["income.wage"] == "请输入金额（最多两位小数）"
    vm.set_value("income.wage", "12.345")
    assert "income.wage" in vm.errors
    vm.set_value("income.wage", "12000")
    assert "income.wage" not in vm.errors
    for k in ("operating", "property", "transfer", "costs"):
        vm.set_value(f"income.{k}", "0")
    assert vm.computed["per_capita_income"] == 6000
    assert vm.per_capita_text == "人均纯收入：6,000.00 元"
    assert "INCOME_LOW" in [f["code"] for f in vm.flags]
    vm.lang = "en"
    assert vm.errors == {} or all(e.isascii() for e in vm.errors.values())
    assert vm.per_capita_text.startswith("Per-capita income")


def test_visit_form_draft_autosave_and_offline_save(store):
    seed_household(store, 5)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_new(hid(5))
    visit_id = vm.record_id
    vm.set_value("income.wage", "5000")
    assert store.visits.get_draft(visit_id).data["income"]["wage"] == 5000
    assert store.outbox.for_record("visit", visit_id) == []
    again = VisitFormViewModel(store, **SYNC)
    again.open_new(hid(5))
    assert again.record_id == visit_id and again.value("income.wage") == 5000
    assert again.save() is False
    assert again.errors["food_ok"] and again.message.startswith("有")
    assert store.visits.get(visit_id) is None
    fill_valid_visit(again)
    assert again.save() is True, again.errors
    saved = store.visits.get(visit_id)
    assert saved.data["review_status"] == "submitted" and saved.data["income"]["wage"] == 5000
    assert "gps" not in saved.data or saved.data["gps"] is None
    assert store.visits.get_draft(visit_id) is None
    assert store.outbox.for_record("visit", visit_id)
    assert store.households.get(hid(5)).data["house_grade"] == "c"
    assert again.message == "走访已保存，待同步"


def fill_valid_visit(vm):
    for k, v in {
        "wage": "5000",
        "operating": "0",
        "property": "0",
        "transfer": "0",
        "costs": "0",
    }.items():
        vm.set_value(f"income.{k}", v)
    vm.set_value("food_ok", True)
    vm.set_value("clothing_ok", True)
    vm.set_value("water.source", "tap")
    vm.set_value("water.quantity_lpd", "60")
    vm.set_value("water.quality_ok", True)
    vm.set_value("water.reliability_pct", "99")
    vm.set_value("house_grade", "c")
    vm.set_value("confirmed", True)


def test_returned_visit_is_resubmitted(store):
    pulled_page(store, server_household(6, 20, review="returned", comment="请补充饮水情况"), 22)
    vm = VisitFormViewModel(store, **SYNC)
    vm.open_existing(vid(6))
    assert vm.review_comment == "请补充饮水情况"
    vm.set_value("water.quantity_lpd", "80")
    assert vm.save() is True, (vm.errors, vm.form_errors)
    entry = store.outbox.for_record("visit", vid(6))[0]
    assert entry.data["review_status"] == "submitted" and entry.data["water"]["quantity_lpd"] == 80
    assert entry.base_version == 22


# -- member form ----------------------------------------------------------------------------
def test_member_id_number_fills_birth_date_and_sex(store):
    from datetime import date

    seed_household(store, 7)
    vm = MemberFormViewModel(store, **SYNC)
    vm.open_new(hid(7))
    good = id_number(7, 5, date(2012, 3, 4), "female")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    vm.set_value("name", "王小花")
    vm.set_value("id_number", bad)
    assert "id_number" in vm.errors and "校验" in vm.errors["id_number"]
    assert vm.value("birth_date") is None
    vm.set_value("id_number", good)
    assert "id_number" not in vm.errors
    assert vm.value("birth_date") == "2012-03-04" and vm.value("sex") == "female"
    assert vm.filled_text
    assert vm.computed["age"] == 12
    # aged 12 without a school stage: the not-in-school reason becomes relevant
    assert "not_in_school_reason" in vm.relevant
    vm.set_value("school_stage", "primary")
    assert "not_in_school_reason" not in vm.relevant and "education" not in vm.relevant
    for path, value in (("relation", "child"), ("health", ["healthy"]), ("labor_ability", "none")):
        vm.set_value(path, value)
    assert vm.save() is True, (vm.errors, vm.form_errors)
    saved = store.members.get(vm.record_id)
    assert saved.data["birth_date"] == "2012-03-04" and saved.data["household_id"] == hid(7)


# -- sync -----------------------------------------------------------------------------------
class FakeRunner:
    """Stands in for SyncRunner where no server runs: reports progress, then ends or fails."""

    def __init__(self, on_progress, error=None):
        self.on_progress, self.error = on_progress, error

    def run(self):
        from mobile_app.sync.runner import Progress

        self.on_progress(Progress("push", 1, 2))
        self.on_progress(Progress("pull", 3))
        if self.error:
            raise self.error
        return object()


def test_sync_not_signed_in(store):
    vm = SyncViewModel(store, lambda p: FakeRunner(p), **SYNC)
    assert vm.start() is False and vm.error == "尚未联网登录，无法同步"


def test_sync_real_runner_offline_error_in_plain_words_and_retry(store):
    from mobile_app.sync.client import SyncClient
    from mobile_app.sync.runner import SyncRunner

    seed_household(store, 8)
    store.session.save_login(
        server_url="http://127.0.0.1:9", user=answer()["user"], token="t", grids=[]
    )
    phases = []

    def factory(on_progress):
        def progress(p):
            phases.append(p.phase)
            on_progress(p)

        client = SyncClient("http://127.0.0.1:9", "t", connect_timeout=0.5)
        return SyncRunner(store, client, on_progress=progress, sleep=lambda s: None, max_attempts=2)

    vm = SyncViewModel(store, factory, **SYNC)
    assert vm.pending_count == store.outbox.count() > 0
    assert vm.start() is True
    assert not vm.running and vm.can_retry
    assert vm.error.startswith("没有网络")
    assert "failed" in phases
    assert vm.pending_count == store.outbox.count()  # nothing lost
    vm.lang = "en"
    assert vm.last_sync_text == "Last sync: Never"
    assert vm.error.startswith("No network"), vm.error  # before: stayed in Chinese
    vm.lang = "zh"
    assert vm.error.startswith("没有网络")


def test_sync_progress_and_done(store):
    store.session.save_login(server_url="http://srv", user=answer()["user"], token="t", grids=[])
    seen = []
    vm = SyncViewModel(store, lambda p: FakeRunner(p), **SYNC)
    vm.bind(phase_text=lambda _vm, text: seen.append(text))
    assert vm.start() is True
    assert "正在上传 1/2" in seen and any(s.startswith("正在下载") for s in seen)
    assert vm.progress == 1.0 and vm.phase_text == "同步完成" and vm.finished_runs == 1


def test_sync_background_thread_posts_back(store):
    import threading

    store.session.save_login(server_url="http://srv", user=answer()["user"], token="t", grids=[])
    posted = []
    done = threading.Event()

    def post(fn):
        posted.append(threading.current_thread().name)
        fn()
        if vm.finished_runs:
            done.set()

    vm = SyncViewModel(store, lambda p: FakeRunner(p), now=clock, post=post)
    vm.start()
    assert done.wait(5)
    assert posted and all(name == "tianye-worker" for name in posted)


# -- returned -------------------------------------------------------------------------------
def test_returned_lists_supervisor_comment_and_conflicts(store):
    pulled_page(store, server_household(9, 30), 32)
    vm = ReturnedViewModel(store, **SYNC)
    vm.refresh()
    assert vm.items == []
    returned = server_household(9, 40, review="returned", comment="家庭人口与上次不一致")
    returned[0]["open_conflicts"] = ["phone"]
    pulled_page(store, returned, 42)
    vm.refresh()
    kinds = {i["kind"]: i for i in vm.items}
    assert kinds["returned"]["text"] == "审核意见：家庭人口与上次不一致"
    assert kinds["returned"]["household"].startswith("5226010010009")
    assert "联系电话" in kinds["conflict"]["text"]
    vm.lang = "en"
    assert any(i["text"] == "Reviewer: 家庭人口与上次不一致" for i in vm.items)
    vm.open(kinds["returned"]["key"])
    assert store.conflicts.unseen_count() == 1


def test_member_form_refuses_a_second_head(store):
    from datetime import date

    seed_household(store, 10)
    vm = MemberFormViewModel(store, **SYNC)
    vm.open_new(hid(10))
    birth = date(1990, 2, 3)
    for path, value in (
        ("name", "王二"),
        ("id_number", id_number(10, 9, birth, "male")),
        ("relation", "head"),
        ("health", ["healthy"]),
        ("labor_ability", "ordinary"),
        ("education", "junior"),
    ):
        vm.set_value(path, value)
    assert vm.save() is False
    assert "户主" in vm.errors["relation"]
    assert store.members.get(vm.record_id) is None
    vm.set_value("relation", "sibling")
    assert vm.save() is True


def test_server_refusal_shows_next_to_the_field_until_fixed(store):
    import json

    seed_household(store, 11)
    with store.db.transaction() as conn:
        conn.execute(
            "INSERT INTO rejected (mutation_id, entity, record_id, op, data, errors, created_at)"
            " VALUES (7, 'member', ?, 'upsert', '{}', ?, '2024-06-01T00:00:00Z')",
            (mid(11, 2), json.dumps({"phone": ["号码已被他人使用"]}, ensure_ascii=False)),
        )
    returned = ReturnedViewModel(store, **SYNC)
    returned.refresh()
    assert any(i["kind"] == "rejected" and "号码已被他人使用" in i["text"] for i in returned.items)
    vm = MemberFormViewModel(store, **SYNC)
    vm.open_existing(mid(11, 2))
    assert vm.errors["phone"] == "号码已被他人使用"
    vm.set_value("phone", "13900000002")
    assert "phone" not in vm.errors
    assert vm.save() is True
    assert store.rejected.list() == []


def test_visit_form_recomputes_per_capita_after_a_member_is_added(store):
    from datetime import date

    seed_household(store, 12)
    visit = VisitFormViewModel(store, **SYNC)
    visit.open_new(hid(12))
    for k, v in {"wage": "9000", "operating": "0", "property": "0", "transfer": "0"}.items():
        visit.set_value(f"income.{k}", v)
    visit.set_value("income.costs", "0")
    assert visit.computed["per_capita_income"] == 4500  # head and spouse
    member = MemberFormViewModel(store, **SYNC)
    member.open_new(hid(12))
    birth = date(2000, 5, 6)
    for path, value in (
        ("name", "王三"),
        ("id_number", id_number(12, 8, birth, "female")),
        ("relation", "child"),
        ("health", ["healthy"]),
        ("labor_ability", "ordinary"),
        ("education", "senior"),
    ):
        member.set_value(path, value)
    assert member.save() is True
    visit.reload_members()
    assert visit.computed["per_capita_income"] == 3000
    assert len(visit.member_rows) == 3 and all(r["member_id"] for r in visit.member_rows)


def test_sign_in_as_someone_else_refused_while_unsynced(vault):
    vm = SignInViewModel(vault, lambda *a: answer(), **SYNC)
    vm.server_url, vm.username, vm.password = "http://srv", "wang", "pw"
    vm.sign_in()
    seed_household(vault.store, 13)
    vault.lock(signed_out=True)
    calls = []
    other = SignInViewModel(vault, lambda *a: calls.append(a) or answer("zhao"), **SYNC)
    other.server_url, other.username, other.password = "http://srv", "zhao", "pw"
    assert other.sign_in() is False and calls == []
    assert not other.signed_in and other.error.startswith("本机还有 wang 的")
    assert vault.profile()["username"] == "wang"


def test_settings_lock_and_change_pin(vault, tmp_path):
    signin = SignInViewModel(vault, lambda *a: answer(), **SYNC)
    signin.server_url, signin.username, signin.password, signin.pin = (
        "http://s",
        "wang",
        "pw",
        "2468",
    )
    signin.sign_in()
    vm = SettingsViewModel(vault.store, Preferences(tmp_path / "p.json"), vault=vault, **SYNC)
    assert vm.change_pin("2468", "12") is False and "4–8" in vm.error
    vm.change_pin("1111", "1357")
    assert vm.error == "当前 PIN 码不正确"
    vm.change_pin("2468", "1357")
    assert vm.message.startswith("PIN 码已修改") and not vm.error
    vm.lock()
    assert vm.locked
    vault.lock()
    again = SignInViewModel(vault, lambda *a: answer(), **SYNC)
    again.pin = "2468"
    again.open_offline()
    assert not again.signed_in and again.error == "PIN 码不正确"
    again.pin = "1357"
    again.open_offline()
    assert again.signed_in

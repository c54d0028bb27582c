"""Every app string exists in Chinese and English, every key the screens use is defined,
form labels come in both languages, and the CJK font lookup registers or falls back."""

from __future__ import annotations

import logging
import os
import re
import string
import tempfile
from pathlib import Path

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="tianye-kivy-home-"))

import pytest

from mobile_app import fonts
from mobile_app.i18n import STRINGS, translate
from mobile_app.store import FILTERS
from mobile_app.store.reconcile.admission import PROBLEMS

APP = Path(__file__).resolve().parents[2] / "mobile_app"
KEY_LITERAL = re.compile(r"""["']([a-z_]+(?:\.[a-z_]+)+)["']""")
CJK = re.compile(r"[\u4e00-\u9fff]")


PREFIXES = {key.split(".")[0] for key in STRINGS}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_string_has_chinese_and_english_with_the_same_placeholders(key):
    zh, en = STRINGS[key]
    assert zh.strip() and en.strip()
    assert placeholders(zh) == placeholders(en)
    if not key.startswith("settings.lang."):
        assert CJK.search(zh), f"{key}: the Chinese text has no Chinese"
        assert not CJK.search(en.replace("{", "")), f"{key}: the English text has Chinese"


def used_keys() -> set[str]:
    keys = set()
    for path in [*APP.rglob("*.py"), *APP.rglob("*.kv")]:
        if path.is_relative_to(APP / "store") or path.is_relative_to(APP / "sync"):
            continue
        if path.name == "i18n.py":
            continue
        text = path.read_text(encoding="utf-8")
        keys.update(
            k
            for k in KEY_LITERAL.findall(text)
            if k.split(".")[0] in PREFIXES and not k.endswith((".kv", ".py", ".json"))
        )
    keys.update(f"grid.filter.{name}" for name in FILTERS)  # built from the store's filter names
    kinds = ("returned", "rejected_review", "conflict", "deleted_on_server", "rejected")
    keys.update(f"returned.kind.{kind}" for kind in kinds)
    # what a parked pulled record's problems are called (mobile_app/store/reconcile/admission.py)
    keys.update(f"parked.problem.{code}" for code in PROBLEMS)
    return keys


def test_every_key_the_app_uses_is_defined():
    used = used_keys()
    assert len(used) > 60  # the scan finds the screens' keys
    missing = sorted(used - set(STRINGS))
    assert missing == [], f"app strings without a translation: {missing}"


def test_no_unused_strings():
    unused = sorted(set(STRINGS) - used_keys())
    assert unused == [], f"strings nothing shows: {unused}"


def test_translate_formats_and_unknown_key_is_a_bug():
    assert translate("grid.count", "zh", n=3) == "共 3 户"
    assert translate("grid.count", "en", n=3) == "3 households"
    with pytest.raises(KeyError):
        translate("no.such.key")


def test_form_labels_in_both_languages():
    from mobile_app.viewmodels.member_form import member_form
    from mobile_app.viewmodels.visit_form import visit_form

    for form in (visit_form(), member_form()):
        for section in form.sections:
            assert CJK.search(section.title("zh")) and not CJK.search(section.title("en"))
            for field in section.fields:
                assert CJK.search(field.label("zh")), field.path
                assert field.label("en") and not CJK.search(field.label("en")), field.path


# -- fonts ----------------------------------------------------------------------------------
def test_find_cjk_font_takes_the_first_existing_candidate(tmp_path, monkeypatch):
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    second = tmp_path / "wqy-microhei.ttc"
    second.write_bytes(b"font")
    assert fonts.find_cjk_font([str(tmp_path / "missing.ttc"), str(second)]) == str(second)
    assert fonts.find_cjk_font([str(tmp_path / "missing.ttc")]) is None


def test_register_falls_back_with_a_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv(fonts.FONT_ENV, raising=False)
    with caplog.at_level(logging.WARNING, logger="mobile_app.fonts"):
        assert fonts.register_cjk_font([str(tmp_path / "none.ttc")]) is None
    assert "no CJK font" in caplog.text


@pytest.mark.skipif(fonts.find_cjk_font() is None, reason="no CJK font installed here")
def test_register_makes_the_cjk_font_kivys_default():
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = fonts.register_cjk_font()
    assert path is not None
    assert LabelBase._fonts[DEFAULT_FONT][0] == path

"""Member form screen: the shared member form; the ID number fills birth date and sex.

Back with unsaved edits asks first (save / discard / keep editing; `FormScreen.may_leave`), so
a tap never throws away what the worker typed.
"""

from __future__ import annotations

from mobile_app.screens.base import load_screen_kv
from mobile_app.screens.form_screen import FormScreen

load_screen_kv(__file__, "member")


class MemberScreen(FormScreen):
    """Layout in member.kv."""

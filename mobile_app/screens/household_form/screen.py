"""Household form screen: register a household in the grid (provisional number) or edit one,
from the shared household form (issue 16). Back with unsaved edits asks first, as on the
member form (`FormScreen.may_leave`)."""

from __future__ import annotations

from mobile_app.screens.base import load_screen_kv
from mobile_app.screens.form_screen import FormScreen

load_screen_kv(__file__, "household_form")


class HouseholdFormScreen(FormScreen):
    """Layout in household_form.kv."""

    unsaved_text = "register.unsaved_household"

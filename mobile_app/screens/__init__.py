"""The app's screens, one package each (`screen.py` + `.kv`), registered by name."""

from mobile_app.screens.grid.screen import GridScreen
from mobile_app.screens.household.screen import HouseholdScreen
from mobile_app.screens.household_form.screen import HouseholdFormScreen
from mobile_app.screens.member.screen import MemberScreen
from mobile_app.screens.register.screen import RegisterScreen
from mobile_app.screens.returned.screen import ReturnedScreen
from mobile_app.screens.settings.screen import SettingsScreen
from mobile_app.screens.signin.screen import SignInScreen
from mobile_app.screens.sync.screen import SyncScreen
from mobile_app.screens.visit.screen import VisitScreen

SCREENS = {
    "signin": SignInScreen,
    "grid": GridScreen,
    "household": HouseholdScreen,
    "visit": VisitScreen,
    "member": MemberScreen,
    "household_form": HouseholdFormScreen,
    "register": RegisterScreen,
    "sync": SyncScreen,
    "returned": ReturnedScreen,
    "settings": SettingsScreen,
}

__all__ = ["SCREENS"]

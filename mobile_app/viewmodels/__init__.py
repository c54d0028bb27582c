"""View-models: `EventDispatcher`s with Kivy properties and no widgets, testable by plain pytest.

Each takes the `Store` (and, where it talks to the server, a client or sync runner) and exposes
what a screen shows as properties and what it does as methods. Screens bind to properties in
.kv and call methods from buttons; nothing here imports a widget.
"""

from mobile_app.viewmodels.grid import GridViewModel
from mobile_app.viewmodels.household import HouseholdViewModel
from mobile_app.viewmodels.member_form import MemberFormViewModel
from mobile_app.viewmodels.returned import ReturnedViewModel
from mobile_app.viewmodels.settings import SettingsViewModel
from mobile_app.viewmodels.signin import SignInViewModel
from mobile_app.viewmodels.sync import SyncViewModel
from mobile_app.viewmodels.visit_form import VisitFormViewModel

__all__ = [
    "GridViewModel",
    "HouseholdViewModel",
    "MemberFormViewModel",
    "ReturnedViewModel",
    "SettingsViewModel",
    "SignInViewModel",
    "SyncViewModel",
    "VisitFormViewModel",
]

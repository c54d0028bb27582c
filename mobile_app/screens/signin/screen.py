"""Sign-in screen: server, username, password and PIN; or open offline."""

from mobile_app.screens.base import BaseScreen, load_screen_kv

load_screen_kv(__file__, "signin")


class SignInScreen(BaseScreen):
    """Layout in signin.kv; actions go straight to SignInViewModel."""

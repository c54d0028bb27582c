"""Android runtime permissions, asked at the moment of use (the camera when the worker taps
"take a photo", the location when a visit starts, the photos when they choose from the
gallery), never at start-up.

`ask(need, on_result, platform=..., post=...)` calls `on_result(granted)` once: at once when
the permission is already held or there is nothing to ask (a desktop has no runtime
permissions), else after Android's dialog, through python-for-android's
`android.permissions.request_permissions` (callback-based; the callback arrives on Android's
UI thread, so `post` carries it to Kivy's). A refusal, an interrupted dialog (Android answers
with an empty list) or a failing bridge count as refused: the form then says so next to the
field and saving never waits for it.

The permissions must also be in buildozer.spec's `android.permissions` (the manifest), or
Android refuses them without a dialog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

CAMERA = "android.permission.CAMERA"
FINE_LOCATION = "android.permission.ACCESS_FINE_LOCATION"
COARSE_LOCATION = "android.permission.ACCESS_COARSE_LOCATION"
READ_MEDIA_IMAGES = "android.permission.READ_MEDIA_IMAGES"  # Android 13 and later
READ_EXTERNAL_STORAGE = "android.permission.READ_EXTERNAL_STORAGE"  # Android 12 and earlier

# need -> (permissions asked together, granted when all of them / any of them is granted)
NEEDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "camera": ((CAMERA,), True),
    # "approximate" (coarse) is the worker's choice on Android 12+; a fix is still a fix
    "location": ((FINE_LOCATION, COARSE_LOCATION), False),
    # one of the two exists on a given Android version; the other is refused silently
    "photos": ((READ_MEDIA_IMAGES, READ_EXTERNAL_STORAGE), False),
}

Result = Callable[[bool], None]
Post = Callable[[Callable[[], None]], None]


def _now(fn: Callable[[], None]) -> None:
    fn()


def decide(need: str, grants: Sequence[object]) -> bool:
    """Pure: whether the answers of Android's dialog grant `need` (empty: interrupted)."""
    _, needs_all = NEEDS[need]
    answers = [bool(g) for g in grants]
    if not answers:
        return False
    return all(answers) if needs_all else any(answers)


def ask(need: str, on_result: Result, *, platform: str, post: Post = _now) -> None:
    """Make sure the app may use `need` ("camera", "location", "photos"), asking if needed."""
    permissions, _ = NEEDS[need]
    if platform != "android":
        on_result(True)
        return
    try:
        from android.permissions import check_permission, request_permissions
    except ImportError:  # python-for-android's module is missing: nothing can be granted
        on_result(False)
        return
    try:
        held = [bool(check_permission(p)) for p in permissions]
    except Exception:
        held = []
    if held and decide(need, held):
        on_result(True)
        return

    def answered(_permissions: Sequence[str], grants: Sequence[object]) -> None:
        granted = decide(need, grants)
        post(lambda: on_result(granted))

    try:
        request_permissions(list(permissions), answered)
    except Exception:  # the bridge failed: as refused (the field says so)
        on_result(False)

"""Where the console may send a browser after a form: only its own pages (no open redirect).

`next` (after sign-in) and `back` (after a bulk action) come from the request, so an attacker
can craft them. A target is followed only when it is a plain same-site path under `/console/`:
no scheme, no host, no `//` or `/\\` (browsers read a backslash as a slash), and no control
character (a newline would split the `Location` header). Anything else falls back to `default`.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

PREFIX = "/console/"
MAX_TARGET_LENGTH = 2048
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_target(target: str | None, default: str) -> str:
    """`target` when it is a console path on this site, else `default`."""
    if not target or len(target) > MAX_TARGET_LENGTH or _UNSAFE.search(target):
        return default
    if not target.startswith(PREFIX):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(PREFIX):
        return default
    return target

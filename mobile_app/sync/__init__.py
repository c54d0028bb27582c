"""Sync with the server: an HTTP client (`SyncClient`) and the run loop (`SyncRunner`).

No Kivy here: the runner reports progress through a plain callback and runs in a plain
thread; handing results to the UI thread is the screens' job.
"""

from mobile_app.sync.client import (
    AuthExpired,
    MutationGap,
    Offline,
    OutOfScope,
    ServerBusy,
    ServerRejected,
    SyncClient,
    SyncError,
    TooLarge,
)
from mobile_app.sync.runner import (
    Progress,
    SyncCancelled,
    SyncHandle,
    SyncResult,
    SyncRunner,
)

__all__ = [
    "AuthExpired",
    "MutationGap",
    "Offline",
    "OutOfScope",
    "Progress",
    "ServerBusy",
    "ServerRejected",
    "SyncCancelled",
    "SyncClient",
    "SyncError",
    "SyncHandle",
    "SyncResult",
    "SyncRunner",
    "TooLarge",
]

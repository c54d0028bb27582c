"""Reusable widgets of the phone UI (big touch targets, light theme); rules in common.kv."""

from mobile_app.widgets.common import (
    Badge,
    Card,
    Chip,
    DangerButton,
    FitButton,
    Header,
    ListRow,
    PrimaryButton,
    TButton,
    TInput,
    TLabel,
    load_kv,
)

__all__ = [
    "Badge",
    "Card",
    "Chip",
    "DangerButton",
    "FitButton",
    "Header",
    "ListRow",
    "PrimaryButton",
    "TButton",
    "TInput",
    "TLabel",
    "load_kv",
]

"""The flag a risk rule raises: code, severity, the fields it concerns and a zh/en message."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class Flag:
    """One rule's finding on a visit; `details` names sub-checks (e.g. which water check failed)."""

    code: str
    severity: str
    fields: tuple[str, ...]
    message_zh: str
    message_en: str
    details: tuple[str, ...] = ()

    def message(self, lang: str = "zh") -> str:
        """The message in a language (`zh` default, `en`)."""
        return self.message_en if lang == "en" else self.message_zh

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored by the server and shown by the console."""
        return {
            "code": self.code,
            "severity": self.severity,
            "fields": list(self.fields),
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": list(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Flag:
        """Inverse of `to_dict` (`details` may be absent)."""
        return cls(
            code=str(data["code"]),
            severity=str(data["severity"]),
            fields=tuple(data.get("fields") or ()),
            message_zh=str(data["message_zh"]),
            message_en=str(data["message_en"]),
            details=tuple(data.get("details") or ()),
        )


def flags_summary(flags: Iterable[Flag]) -> dict[str, int]:
    """How many flags of each severity, every severity present (zero when none)."""
    counts = dict.fromkeys(SEVERITIES, 0)
    for flag in flags:
        counts[flag.severity] = counts.get(flag.severity, 0) + 1
    return counts


def suggested_risks(
    flags: Iterable[Flag], risks: Iterable[str] | None, mapping: Mapping[str, str]
) -> list[str]:
    """Risk codes the flags point to that `risks` does not hold yet, in flag order.

    `mapping` is `RulesConfig.suggested_risks`; the app shows these as hints and the worker
    decides (the visit's `risks` is never changed by the rules).
    """
    held = set(risks or ())
    found = [mapping[f.code] for f in flags if f.code in mapping]
    return [code for code in dict.fromkeys(found) if code not in held]

"""Evidence of visits for the console: which files a visit refers to, which have arrived, and
its paradata flags (shared_schema.paradata). Pure helpers over loaded data plus one query for
the files' states (`load_file_states`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared_schema.enums import ENUMS
from shared_schema.paradata import ParaFlag, finite_number, visit_paradata
from sync_server.console.i18n import t
from sync_server.extensions import Database
from sync_server.services.attachments import file_states_in, file_status

EVIDENCE_FIELDS = ("attachments",)
"""Record fields shown as evidence (files by hash), not as plain export cells."""


@dataclass(frozen=True)
class EvidenceFile:
    """One file of a visit, as the visit describes it, and whether the server holds it."""

    sha256: str
    kind: str
    mime: str
    size: int | None
    taken_at: str | None
    arrived: bool

    def kind_label(self, lang: str) -> str:
        """The kind's label (a stored code this version does not know shows as it is)."""
        kinds = ENUMS["attachment_kind"]
        return kinds.label(self.kind, lang) if self.kind in kinds.codes else self.kind


@dataclass
class Evidence:
    """A visit's files: `missing` of `total` are still on the phone."""

    files: list[EvidenceFile] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.files)

    @property
    def missing(self) -> int:
        return sum(1 for f in self.files if not f.arrived)

    @property
    def complete(self) -> bool:
        return self.missing == 0

    @property
    def photos(self) -> list[EvidenceFile]:
        return [f for f in self.files if f.kind != "signature"]

    @property
    def signatures(self) -> list[EvidenceFile]:
        return [f for f in self.files if f.kind == "signature"]


def attachments_of(visit: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The well-formed items of a stored `attachments` value (anything else is skipped)."""
    items = visit.get("attachments")
    if not isinstance(items, list):
        return []
    return [a for a in items if isinstance(a, dict) and isinstance(a.get("sha256"), str)]


def evidence_of(visit: Mapping[str, Any], states: Mapping[str, str]) -> Evidence:
    """The files of `visit`, each marked arrived when its state is `complete`."""
    return Evidence(
        [
            EvidenceFile(
                sha256=a["sha256"],
                kind=str(a.get("kind") or ""),
                mime=str(a.get("mime") or ""),
                size=a.get("size") if isinstance(a.get("size"), int) else None,
                taken_at=str(a["taken_at"]) if a.get("taken_at") else None,
                arrived=states.get(a["sha256"]) == "complete",
            )
            for a in attachments_of(visit)
        ]
    )


def load_file_states(db: Database, visits: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """sha256 → state for every file the visits refer to (one query per 500 hashes)."""
    return file_status(db, [a["sha256"] for v in visits for a in attachments_of(v)])


def paradata_of(visit: Mapping[str, Any], earlier: Iterable[Mapping[str, Any]]) -> list[ParaFlag]:
    """The paradata flags of a visit given the household's earlier visits."""
    return visit_paradata(visit, list(earlier))


def load_states(session: Any, records: Iterable[Any]) -> dict[str, str]:
    """File states for a batch of visit `Record`s (exports: one query per batch)."""
    return file_states_in(session, [a["sha256"] for r in records for a in attachments_of(r.data)])


def evidence_header(lang: str) -> list[str]:
    """The visits export's evidence columns."""
    return [
        t("exp.col.files", lang),
        t("exp.col.files_missing", lang),
        t("exp.col.evidence_complete", lang),
        t("exp.col.file_hashes", lang),
    ]


def evidence_cells(visit: Mapping[str, Any], states: Mapping[str, str], lang: str) -> list[Any]:
    """Files, files still on the phone, complete (是/否), the hashes (space-separated)."""
    ev = evidence_of(visit, states)
    done = t("common.yes" if ev.complete else "common.no", lang) if ev.total else ""
    return [ev.total, ev.missing, done, " ".join(f.sha256 for f in ev.files)]


def gps_line(gps: Any, lang: str) -> str | None:
    """`26.56600, 107.98100 · 精度 ±12 米` for the visit page, or None when the stored fix is not
    a place on Earth (a legacy out-of-range value is shown as no fix, never a page error)."""
    if not isinstance(gps, Mapping):
        return None
    lat, lon = finite_number(gps.get("lat")), finite_number(gps.get("lon"))
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    text = f"{lat:.5f}, {lon:.5f}"
    accuracy = finite_number(gps.get("accuracy_m"))
    if accuracy is not None and 0 <= accuracy < 10**7:
        text += " · " + t("evidence.accuracy", lang, metres=round(accuracy))
    return text

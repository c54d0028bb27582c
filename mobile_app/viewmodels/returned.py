"""Visits the supervisor returned (with the comment), conflicting edits and refused edits.

Each item names the household and says, in plain words, what happened and what to do.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import ListProperty, NumericProperty

from mobile_app.store import ConflictNotice, ParkedEdit, RejectedMutation, Store
from mobile_app.store.parked import PULLED, REMOVED_REASON
from mobile_app.viewmodels.base import ViewModel
from mobile_app.viewmodels.labels import field_text, value_text


class ReturnedViewModel(ViewModel):
    """State of the "returned and conflicts" screen."""

    items = ListProperty([])
    count = NumericProperty(0)

    def __init__(self, store: Store, **kw: Any) -> None:
        super().__init__(**kw)
        self.store = store
        self.bind(lang=lambda *_: self.refresh())

    def _household_name(self, household_id: str | None) -> str:
        hh = self.store.households.get(household_id) if household_id else None
        if hh is None:
            return ""
        return f"{hh.data.get('household_no', '')} {hh.data.get('head_name', '')}".strip()

    def refresh(self) -> None:
        """Reload open notices and refused edits."""
        items = [self._notice_item(n) for n in self.store.conflicts.list()]
        items += [self._rejected_item(r) for r in self.store.rejected.list()]
        items += [self._parked_item(p) for p in self.store.parked.list()]
        self.items = items
        self.count = len(items)

    def _notice_item(self, n: ConflictNotice) -> dict[str, Any]:
        title = self.tr(f"returned.kind.{n.kind}")
        if n.kind in ("returned", "rejected_review"):
            text = self.tr("household.comment", text=n.detail.get("comment") or "")
            if n.detail.get("visit_date"):
                title = f"{title} · {n.detail['visit_date']}"
        elif n.kind == "conflict":
            text = self._conflict_text(n)
        else:
            text = ""
        return {
            "key": n.key,
            "kind": n.kind,
            "household_id": n.household_id or "",
            "record_id": n.record_id,
            "entity": n.entity,
            "title": title,
            "household": self._household_name(n.household_id),
            "text": text,
            "seen": n.seen,
        }

    def _conflict_text(self, n: ConflictNotice) -> str:
        if n.field == "_deleted":
            return self._deleted_text(n)
        if n.field:
            record = self.store.records.get(n.entity, n.record_id)
            current = _dig(record.data, n.field) if record else None
            return self.tr(
                "returned.conflict_detail",
                field=field_text(n.entity, n.field, self.lang),
                value=value_text(n.entity, n.field, current, self.lang),
            )
        sent = n.detail.get("sent") or {}
        return self.tr(
            "returned.conflict_sent",
            fields="、".join(field_text(n.entity, k, self.lang) for k in sorted(sent)) or "—",
        )

    def _deleted_text(self, n: ConflictNotice) -> str:
        """Delete vs edit in plain words; a member or visit saved for a household another
        phone deleted (issue 6) names the record, since the household is gone here."""
        if n.detail.get("client_value") is True:
            return self.tr("returned.conflict_delete_edited")
        if (
            n.entity in ("member", "visit")
            and self.store.households.get(n.household_id or "") is None
        ):
            data = n.detail.get("client_data") or n.detail.get("sent") or {}
            if n.entity == "visit":
                record = self.tr("returned.record.visit", date=data.get("visit_date") or "—")
            else:
                record = self.tr("returned.record.member", name=data.get("name") or "—")
            return self.tr("returned.conflict_household_deleted", record=record)
        return self.tr("returned.conflict_edit_deleted")

    def _rejected_item(self, r: RejectedMutation) -> dict[str, Any]:
        record = self.store.records.get(r.entity, r.record_id)
        household_id = (
            r.record_id if r.entity == "household" else (record.household_id if record else None)
        )
        errors = "; ".join(
            f"{field_text(r.entity, k, self.lang)}: {_join(v)}" for k, v in sorted(r.errors.items())
        )
        return {
            "key": f"rejected:{r.mutation_id}",
            "kind": "rejected",
            "household_id": household_id or "",
            "record_id": r.record_id,
            "entity": r.entity,
            "title": self.tr("returned.kind.rejected"),
            "household": self._household_name(household_id),
            "text": errors,
            "seen": False,
        }

    def _parked_item(self, p: ParkedEdit) -> dict[str, Any]:
        """Something set aside: a pulled record this phone cannot store (issue 15), or an
        edit outside the worker's grids."""
        data = p.data if isinstance(p.data, dict) else {}
        household_id = p.record_id if p.entity == "household" else data.get("household_id")
        if not isinstance(household_id, str) or self.store.households.get(household_id) is None:
            household_id = None  # not (or no longer) on this phone: nothing to open
        reason = p.reason_value
        if p.op == PULLED:
            title = self.tr("returned.kind.unreadable")
            errors = reason.get("errors") if isinstance(reason, dict) else None
            colon, sep = ("：", "；") if self.lang == "zh" else (": ", "; ")
            text = sep.join(
                f"{self._path_text(p.entity, path)}{colon}{self._problems(codes)}"
                for path, codes in sorted((errors or {}).items())
            )
            text = f"{text}\n{self.tr('returned.unreadable_hint')}".strip()
        else:
            title = self.tr("returned.kind.parked")
            text = (
                self.tr("returned.parked_removed")
                if reason == REMOVED_REASON
                else _join(reason if isinstance(reason, list) else [reason])
            )
        return {
            "key": f"parked:{p.seq}",
            "kind": "unreadable" if p.op == PULLED else "parked",
            "household_id": household_id or "",
            "record_id": p.record_id,
            "entity": p.entity,
            "title": title,
            "household": self._household_name(household_id),
            "text": text,
            "seen": False,
        }

    def _path_text(self, entity: str, path: str) -> str:
        if path == "_record":
            return self.tr("returned.record_whole")
        return field_text(entity, path, self.lang)

    def _problems(self, codes: Any) -> str:
        known = []
        for code in codes if isinstance(codes, list) else [codes]:
            key = f"parked.problem.{code}"
            try:
                known.append(self.tr(key))
            except KeyError:
                continue  # technical detail kept in the store (export), not shown
        return "、".join(known) if self.lang == "zh" else ", ".join(known)

    def open(self, key: str) -> dict[str, Any] | None:
        """Mark a notice seen and return its item (the screen then opens the household)."""
        item = next((i for i in self.items if i["key"] == key), None)
        if item is not None and not key.startswith(("rejected:", "parked:")):
            self.store.conflicts.mark_seen(key)
        return item


def _join(messages: Any) -> str:
    return " ".join(map(str, messages if isinstance(messages, list) else [messages]))


def _dig(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value

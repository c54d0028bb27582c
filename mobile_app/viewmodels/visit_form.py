"""The visit form: sections from the shared definition, live relevance, inline errors, live
net and per-capita income and risk flags, draft autosave, and an offline save.

A new visit gets its id up front; its draft is stored under that id, so reopening the
household offers "continue draft" and the saved visit keeps the same id. Editing a visit the
supervisor returned resubmits it (the store sets `review_status` to `submitted`).
The visit form also shows household fields (the house's safety grade): they are edited with
the visit and saved to the household record in the same transaction.
"""

from __future__ import annotations

import copy
import uuid
from datetime import date
from typing import Any

from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty

from mobile_app.forms.definition import bundled_form, pulled_form
from mobile_app.store import Store, ValidationFailed
from mobile_app.store.clock import iso
from mobile_app.viewmodels.flags import flag_rows, rules_config
from mobile_app.viewmodels.form_base import FormViewModel, get_path, set_path
from mobile_app.viewmodels.labels import code_text
from mobile_app.viewmodels.localtime import clock_text
from shared_schema.formatting import money_text
from shared_schema.forms import EVIDENCE_WIDGETS, FormDef, form_values, missing_required

SERVER_OWNED = ("review_status", "review_comment")
REVIEW_NOTES = {  # review_status -> the banner's words around the supervisor's comment
    "returned": "visit.returned_comment",
    "rejected": "visit.rejected_comment",
    "approved": "visit.approved_comment",
    "submitted": "visit.resubmitted_comment",
}
STATE_KEYS = {
    "pending": "evidence.state.pending",
    "uploaded": "evidence.state.uploaded",
    "thumb": "evidence.state.thumb",
}
EARLIEST_VISIT_DATE = date(2000, 1, 1)


def visit_form() -> FormDef:
    """The bundled shared visit form (read from its served JSON shape)."""
    return bundled_form("visit")


def form_for(store: Store, form_version: Any = None) -> FormDef:
    """The visit form to render (`pulled_form`): the visit's own version's when held, else
    the newest pulled one, else the bundled one."""
    return pulled_form(store.config, "visit", form_version)


def new_visit(household_id: str, today: date) -> dict[str, Any]:
    """Defaults of a fresh visit: today, routine, in person, nothing ticked yet."""
    return {
        "household_id": household_id,
        "visit_date": today.isoformat(),
        "visit_type": "routine",
        "contact_mode": "in_person",
        "income": {},
        "water": {},
        "risks": [],
        "assistance": [],
        "confirmed": False,
    }


class VisitFormViewModel(FormViewModel):
    """State of the visit form screen."""

    entity = "visit"
    household_id = StringProperty("")
    household_title = StringProperty("")
    net_income_text = StringProperty("")
    per_capita_text = StringProperty("")
    flags = ListProperty([])
    member_rows = ListProperty([])
    draft_text = StringProperty("")
    review_comment = StringProperty("")
    review_status = StringProperty("")  # the saved record's ("" for a new visit)
    review_note = StringProperty("")  # what the supervisor did, with their comment
    review_returned = BooleanProperty(False)  # the note asks the worker to act
    gps_text = StringProperty("")
    space_warning = StringProperty("")
    viewing: Any = ObjectProperty(None, allownone=True)  # {"sha256", "data", "mime"} full screen
    fetching = StringProperty("")  # the sha256 of a full file being fetched from the server

    def __init__(self, store: Store, form: FormDef | None = None, **kw: Any) -> None:
        from kivy.utils import platform

        from mobile_app.evidence import capture

        self.platform = str(platform)  # "android": camera, gallery and runtime permissions
        self.camera: Any = capture.take_picture  # (on_file) -> None; tests give their own
        self.gallery: Any = capture.choose_picture
        self._notes: dict[str, tuple[str, str]] = {}  # field → a message that never blocks
        self._household: dict[str, Any] = {}
        self._members: list[dict[str, Any]] = []
        self._previous: dict[str, Any] | None = None
        self._evidence: Any = None
        self._location: Any = None
        self._gps_state: Any = None
        self._fixed_form = form is not None  # a form given here is kept (tests, previews)
        super().__init__(store, form or form_for(store), **kw)
        self.bind(
            lang=self._update_review_note,
            review_status=self._update_review_note,
            review_comment=self._update_review_note,
        )

    # -- opening ---------------------------------------------------------------------------
    def open_new(self, household_id: str) -> None:
        """Start a new visit (or continue the household's latest draft)."""
        drafts = self.store.visits.drafts(household_id)
        if drafts:
            self._open(household_id, drafts[0].id, drafts[0].data)
        else:
            data = new_visit(household_id, self.today())
            data["started_at"] = iso(self.now())
            version = self.store.config.version()
            if version is not None and self.store.config.forms_for(version) is not None:
                # filled on the newest published form this phone holds: the server validates
                # the visit with that version's rules (PROTOCOL.md "Configuration")
                data["form_version"] = version
            self._open(household_id, str(uuid.uuid4()), data)
        self.review_status = self.review_comment = ""
        if self.values.get("gps") is None:
            self.start_location()

    def open_existing(self, visit_id: str) -> None:
        """Edit a saved visit (a returned one is resubmitted on save); its draft wins if any."""
        draft = self.store.visits.get_draft(visit_id)
        record = self.store.visits.get(visit_id)
        if record is None and draft is None:
            raise LookupError(f"no such visit: {visit_id}")
        data = draft.data if draft else dict(record.data)  # type: ignore[union-attr]
        self._open(data["household_id"], visit_id, data)
        self.review_comment = (record.data.get("review_comment") or "") if record else ""
        self.review_status = (record.data.get("review_status") or "") if record else ""

    def _open(self, household_id: str, visit_id: str, data: dict[str, Any]) -> None:
        hh = self.store.households.get(household_id)
        if hh is None:
            raise LookupError(f"no such household: {household_id}")
        self._household = hh.data
        self._members = [
            {**m.data, "id": m.id} for m in self.store.members.for_household(household_id)
        ]
        self.household_id = household_id
        self.household_title = f"{hh.data.get('household_no', '')} {hh.data.get('head_name', '')}"
        self.record_id = visit_id
        if not self._fixed_form:  # the newest pulled form, or the visit's own version's
            self.form = form_for(self.store, data.get("form_version"))
        self.computed = {}  # nothing of the previously opened visit may show
        self.touched = set()
        self.show_all = False
        self._parse_errors = {}
        self._notes = {}
        self.viewing = None
        self.fetching = ""
        self.section_index = 0
        self.saved = False
        self.message = self.draft_text = ""
        values = {k: v for k, v in data.items() if k not in SERVER_OWNED}
        for f in self._household_fields():
            if get_path(values, f.path) is None:
                set_path(values, f.path, get_path(hh.data, f.path))
        self.values = values
        self._load_previous()
        self.revalidate()

    def reload_members(self) -> None:
        """Re-read the household's members (after the member form) and recompute."""
        if not self.household_id:
            return
        self._members = [
            {**m.data, "id": m.id} for m in self.store.members.for_household(self.household_id)
        ]
        self.revalidate()

    def _household_fields(self) -> list[Any]:
        return [f for f in self.form.fields() if f.entity == "household"]

    def _load_previous(self) -> None:
        day = str(self.values.get("visit_date") or "9999-12-31")
        previous = self.store.visits.last_before(self.household_id, day)
        self._previous = previous.data if previous and previous.id != self.record_id else None

    def _update_review_note(self, *_args: Any) -> None:
        """The banner under the income line: a comment read with what the supervisor did
        (a comment alone is not a return: an approval may carry one, and a fixed visit
        keeps the comment it was returned with until the supervisor answers)."""
        comment, status = self.review_comment, self.review_status
        key = REVIEW_NOTES.get(status) if comment else None
        self.review_note = self.tr(key, text=comment) if key else ""
        self.review_returned = bool(key) and status in ("returned", "rejected")

    # -- live values -----------------------------------------------------------------------
    def as_of(self) -> date:
        try:
            return date.fromisoformat(str(self.values.get("visit_date")))
        except ValueError:
            return self.today()

    def after_change(self, path: str) -> None:
        if path == "visit_date":
            self._load_previous()
        self.autosave()

    def autosave(self) -> None:
        """Store the half-filled form as a draft (never in the outbox, never validated)."""
        if not self.record_id:
            return
        draft = self.store.visits.save_draft(
            self.record_id, self.household_id, dict(self.values), now=self.now()
        )
        self.draft_text = self.tr("visit.draft_saved", time=clock_text(draft.updated_at))

    def household_data(self) -> dict[str, Any]:
        """The household record with the form's household fields applied."""
        data = copy.deepcopy(self._household)
        for f in self._household_fields():
            value = get_path(self.values, f.path)
            if value is None:
                data.pop(f.path, None)
            else:
                set_path(data, f.path, value)
        return data

    def compute(self) -> None:
        from shared_schema.forms import computed_values

        visit = self.clean_data()
        self.computed = computed_values(
            self.household_data(),
            self._members,
            visit,
            config=rules_config(self.store),
            previous_visit=self._previous,
        )

    def schema_errors(self, data: dict[str, Any]) -> dict[str, list[str]]:
        errors = super().schema_errors(data)
        # required per visit type (`required_when`, data in the shared form): the house photo,
        # the signature and the signer of an in-person elimination check
        values = form_values(
            self.form, {"visit": data, "household": self.household_data()}, self.computed
        )
        for path in missing_required(self.form, values):
            if self.form.field(path).required_when is not None:
                errors.setdefault(path, [self.tr("evidence.required")])
        if "visit_date" not in errors:  # the shared schema's own bound wins when it has one
            problem = self.visit_date_problem(data.get("visit_date"))
            if problem:
                errors["visit_date"] = [problem]
        if self._household_fields():
            from shared_schema.schemas.records import validate_record

            hh_errors = validate_record("household", self.household_data(), lang=self.lang)
            paths = {f.path for f in self._household_fields()}
            errors.update({k: v for k, v in hh_errors.items() if k in paths})
        return errors

    def visit_date_problem(self, value: Any) -> str | None:
        """A visit is dated on a day that has come: not after the device's today, not before
        2000 (the server refuses the same, with a day of grace for clocks and time zones)."""
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return None  # a blank or unreadable date has its own message
        today = self.today()
        if day > today:
            return self.tr("visit.date_future", today=today.isoformat())
        if day < EARLIEST_VISIT_DATE:
            return self.tr("visit.date_too_early", earliest=EARLIEST_VISIT_DATE.isoformat())
        return None

    def on_revalidated(self) -> None:
        net = self.computed.get("net_income")
        per = self.computed.get("per_capita_income")
        self.net_income_text = self.tr(
            "visit.net_income", value=money_text(net) if net is not None else "—"
        )
        residents = [m for m in self._members if m.get("status", "present") == "present"]
        if per is not None:
            self.per_capita_text = self.tr("visit.per_capita", value=money_text(per))
        elif residents:
            self.per_capita_text = self.tr("visit.per_capita", value="—")
        else:
            self.per_capita_text = self.tr("visit.per_capita_none")
        self.flags = flag_rows(self.computed.get("flags") or [], self.lang)
        self.member_rows = [
            {
                "member_id": m["id"],
                "title": m.get("name") or "",
                "status": " · ".join(
                    [
                        code_text("relation", m.get("relation"), self.lang),
                        code_text("member_status", m.get("status", "present"), self.lang),
                    ]
                ),
            }
            for m in self._members
        ]

    # -- evidence: photos, signature, GPS (mobile_app/evidence) ---------------------------
    def evidence(self) -> Any:
        """The store's evidence files (sealed under the store's key), opened on first use."""
        if self._evidence is None:
            from mobile_app.sync.files import evidence_for

            self._evidence = evidence_for(self.store.db)
        return self._evidence

    def display(self, path: str) -> Any:
        field = self.form.field(path)
        if field.widget in EVIDENCE_WIDGETS:
            return self.evidence_items(path)
        if field.widget == "geopoint":
            return self.gps_text or self._gps_saved_text()
        return super().display(path)

    def _gps_saved_text(self) -> str:
        from mobile_app.evidence.location import Fix, LocationState, status_text

        gps = self.values.get("gps")
        if not isinstance(gps, dict) or gps.get("lat") is None:
            return ""
        fix = Fix(float(gps["lat"]), float(gps["lon"]), gps.get("accuracy_m"), "")
        return status_text(LocationState("fixed", fix), self.lang)

    def evidence_items(self, path: str) -> list[dict[str, Any]]:
        """The files of an evidence field with their state on this phone, for its widget."""
        from mobile_app.store import files as files_table

        kind = self.form.field(path).attachment_kind
        items = []
        for a in self.values.get("attachments") or []:
            if not isinstance(a, dict) or a.get("kind") != kind:
                continue
            row = files_table.get_file(self.store.db, str(a.get("sha256")))
            thumb = self.thumbnail(str(a["sha256"]))
            if row is None:  # taken on another phone: on the server, fetched on demand
                key = "evidence.state.remote_thumb" if thumb else "evidence.state.remote"
                state, text = "remote", self.tr(key)
            elif row.local == "missing":
                state, text = "missing", self.tr("evidence.state.missing")
            elif row.upload_error and row.remote == "pending":
                state, text = "refused", self.tr("evidence.state.refused", reason=row.upload_error)
            else:
                state = "thumb" if row.local == "thumb" else row.remote
                text = self.tr(STATE_KEYS[state])
            items.append(
                {"sha256": a["sha256"], "state": state, "text": text, "item": a, "thumb": thumb}
            )
        return items

    def set_value(self, path: str, raw: Any) -> None:
        """Evidence widgets send actions (forms/evidence_fields.py); the rest are values."""
        field = self.form.field(path)
        if field.widget not in EVIDENCE_WIDGETS and field.widget != "geopoint":
            super().set_value(path, raw)
            return
        action = raw if isinstance(raw, dict) else {}
        if "file" in action:
            self.add_photo_file(path, str(action["file"]))
        elif action.get("camera"):
            self.take_photo(path)
        elif action.get("gallery"):
            self.choose_photo(path)
        elif "remove" in action:
            self.remove_attachment(str(action["remove"]))
        elif "fetch" in action:
            self.fetch_thumbnail_later(path, str(action["fetch"]))
        elif "view" in action:
            self.open_full(path, str(action["view"]))
        elif "strokes" in action:
            self.add_signature(path, list(action["strokes"]), tuple(action["size"]))
        elif action.get("locate"):
            self.start_location()

    def thumbnail(self, sha256: str) -> bytes | None:
        """A file's small JPEG for its widget (None when the phone no longer has it)."""
        from mobile_app.evidence.vault import MissingFile

        if len(sha256) != 64:
            return None
        try:
            return bytes(self.evidence().vault.read_thumb(sha256))
        except (MissingFile, ValueError):
            return None

    def fetch_thumbnail_later(self, path: str, sha256: str) -> None:
        """A tap on "fetch": the thumbnail comes off the UI thread (seconds on 2G), then the
        widget shows it, or a note says it could not come."""
        if self.fetching:
            return
        from mobile_app.sync.tus import TusClient

        session = self.store.session.get()
        if not session.server_url or not session.token:
            self._note(path, "evidence.thumb_failed")
            return
        client = TusClient(session.server_url, session.token)
        self.fetching = sha256
        self.message = self.tr("evidence.fetching_thumb")

        def done(data: bytes | None) -> None:
            self.fetching = ""
            self.message = ""
            if data is None:
                self._note(path, "evidence.thumb_failed")
            else:
                self.evidence().vault.put_thumb(sha256, data)  # the store, on the UI thread
                self._clear_note(path)
            self.reshow()

        def failed(_exc: BaseException) -> None:
            done(None)

        self.run_background(lambda: client.fetch(sha256, thumb=True), done, failed)

    # -- messages next to a field that never block saving (permissions, fetches) -----------
    def _note(self, path: str, key: str, why: str | None = None, **fmt: Any) -> None:
        """A message next to the field in both languages (`why`: a key for its {reason})."""
        from mobile_app.i18n import translate

        def text(lang: str) -> str:
            reason = {"reason": translate(why, lang)} if why else {}
            return translate(key, lang, **fmt, **reason)

        self._notes[path] = (text("zh"), text("en"))
        self.revalidate()

    def _clear_note(self, path: str) -> None:
        if self._notes.pop(path, None) is not None:
            self.revalidate()

    def revalidate(self) -> None:
        super().revalidate()
        if not self._notes or not self.record_id:
            return
        errors = dict(self.errors)
        for path, (zh, en) in self._notes.items():
            if path not in errors:  # a real error wins; the note comes back when it is fixed
                errors[path] = en if self.lang == "en" else zh
        self.errors = errors

    # -- the camera and the gallery (Android), after their permission ----------------------
    def take_photo(self, path: str) -> None:
        """Android: ask for the camera, then open it; refused → a note and the gallery."""
        from mobile_app.evidence import permissions

        def allowed(granted: bool) -> None:
            if not granted:
                self._note(path, "evidence.camera_refused")
                return
            self._clear_note(path)
            try:
                self.camera(lambda file: self._post(lambda: self._add_later(path, file)))
            except Exception as exc:  # no camera app, plyer failed: say so, keep the form
                self._note(path, "evidence.camera_failed", reason=str(exc) or type(exc).__name__)

        permissions.ask("camera", allowed, platform=self.platform, post=self._post)

    def choose_photo(self, path: str) -> None:
        """Android: a picture from the gallery (read access asked first)."""
        from mobile_app.evidence import permissions

        def allowed(granted: bool) -> None:
            if not granted:
                self._note(path, "evidence.gallery_refused")
                return
            try:
                self.gallery(lambda file: self._post(lambda: self._add_later(path, file)))
            except Exception as exc:
                self._note(path, "evidence.camera_failed", reason=str(exc) or type(exc).__name__)

        permissions.ask("photos", allowed, platform=self.platform, post=self._post)

    def _add_later(self, path: str, file: str) -> None:
        self.add_photo_file(path, file)

    # -- the full-size photo (on this phone, or fetched from the server on demand) ---------
    def open_full(self, path: str, sha256: str) -> None:
        """Show a file full screen: from the vault when it is here, else fetched from the
        server (scoped read), kept in the vault (bounded, evictable: the server holds it)
        and shown; a fetch that fails says so next to the field and keeps the thumbnail."""
        from mobile_app.evidence.vault import MissingFile
        from mobile_app.store import files as files_table

        item = self._attachment(sha256)
        if item is None or self.fetching:
            return
        row = files_table.get_file(self.store.db, sha256)
        if row is not None and row.local == "full":
            try:
                data = self.evidence().read_full(sha256, now=iso(self.now()))
            except MissingFile:  # gone or damaged: marked missing, shown so
                self.reshow()
                return
            self._show_full(path, item, data)
            return
        if row is not None and row.remote == "pending":  # never reached the server
            self._note(path, "evidence.state.missing")
            return
        session = self.store.session.get()
        if not session.server_url or not session.token:
            self._note(path, "evidence.fetch_failed", why="evidence.why.signed_out")
            return
        from mobile_app.sync.tus import TusClient

        client = TusClient(session.server_url, session.token)
        self.fetching = sha256
        self.message = self.tr("evidence.fetching")

        def fetched(data: bytes) -> None:
            self.fetching = ""
            self.message = ""
            try:
                added = self.evidence().keep_fetched(
                    item, data, visit_id=self.record_id or None, now=iso(self.now())
                )
            except MissingFile:
                self._note(path, "evidence.fetch_failed", why="evidence.why.damaged")
                return
            self.space_warning = _space_text(added.plan, self.lang) or ""
            self.reshow()  # its state: on this phone now
            self._show_full(path, item, data)

        def failed(exc: BaseException) -> None:
            self.fetching = ""
            self.message = ""
            why = _fetch_reason(exc)
            if why is None:
                self._note(path, "evidence.fetch_failed", reason=str(exc) or type(exc).__name__)
            else:
                self._note(path, "evidence.fetch_failed", why=why)

        self.run_background(lambda: client.fetch(sha256), fetched, failed)

    def _attachment(self, sha256: str) -> dict[str, Any] | None:
        for a in self.values.get("attachments") or []:
            if isinstance(a, dict) and a.get("sha256") == sha256:
                return a
        return None

    def _show_full(self, path: str, item: dict[str, Any], data: bytes) -> None:
        self._clear_note(path)
        self.viewing = {"sha256": item["sha256"], "data": data, "mime": item.get("mime")}

    def reshow(self) -> None:
        """The widgets show again what `display` gives (a file's state changed, not a value;
        assigning an equal dict would not tell Kivy anything)."""
        self.property("values").dispatch(self)

    def close_full(self) -> None:
        self.viewing = None

    def _attach(self, path: str, image: Any) -> None:
        kind = self.form.field(path).attachment_kind
        added = self.evidence().add(image, kind=kind, visit_id=self.record_id, now=iso(self.now()))
        self.space_warning = _space_text(added.plan, self.lang) or ""
        if self.space_warning:  # shown in the form's message line until the next action
            self.message = self.space_warning
        item = added.file.attachment()
        current = [
            a
            for a in self.values.get("attachments") or []
            if isinstance(a, dict) and a.get("sha256") != item["sha256"]
        ]
        if self.form.field(path).widget == "signature":  # one signature: a redo replaces it
            current = [a for a in current if a.get("kind") != kind]
        data = copy.deepcopy(dict(self.values))
        data["attachments"] = [*current, item]
        self._parse_errors.pop(path, None)
        self._notes.pop(path, None)
        self.touched.add(path)
        self.saved = False
        self.values = data
        self.autosave()
        self.revalidate()

    def _evidence_problem(self, path: str, key: str, **fmt: Any) -> bool:
        from mobile_app.i18n import translate

        self._parse_errors[path] = (translate(key, "zh", **fmt), translate(key, "en", **fmt))
        self.touched.add(path)
        self.revalidate()
        return False

    def add_photo_bytes(self, path: str, data: bytes) -> bool:
        """A photo from the camera or a chosen file: prepared (upright, ≤1600 px, no metadata),
        sealed in the store, added to the visit's attachments. False with a reason when the
        file is not a readable image."""
        from mobile_app.evidence.photo import NotAnImage, prepare_photo

        try:
            image = prepare_photo(data)
        except NotAnImage as exc:
            return self._evidence_problem(path, "evidence.not_image", reason=str(exc))
        self._attach(path, image)
        return True

    def add_photo_file(self, path: str, file_path: str) -> bool:
        try:
            with open(file_path, "rb") as f:
                data = f.read()
        except OSError as exc:
            return self._evidence_problem(path, "evidence.not_image", reason=exc.strerror or "")
        return self.add_photo_bytes(path, data)

    def add_signature(self, path: str, strokes: list[Any], pad_size: tuple[float, float]) -> bool:
        from mobile_app.evidence.signature import EmptySignature, render_signature

        try:
            image = render_signature(strokes, pad_size)
        except (EmptySignature, ValueError):
            return self._evidence_problem(path, "evidence.empty_signature")
        self._attach(path, image)
        return True

    def remove_attachment(self, sha256: str) -> None:
        """Take a file off the visit (its bytes stay until the storage bound needs room)."""
        data = copy.deepcopy(dict(self.values))
        data["attachments"] = [
            a
            for a in data.get("attachments") or []
            if not (isinstance(a, dict) and a.get("sha256") == sha256)
        ]
        self.values = data
        self.autosave()
        self.revalidate()

    def start_location(self, source: Any = None) -> None:
        """Ask for a fix (the fake source on desktop and in tests: TIANYE_FAKE_LOCATION)."""
        import os

        from mobile_app.evidence.location import source_for

        if source is None:
            try:
                from kivy.utils import platform

                source = source_for(os.environ, str(platform), now=self.now, post=self._post)
            except ValueError:
                source = source_for({}, "")
        if self._location is not None:
            self._location.stop()
        self._location = source
        source.start(self._on_location)

    def _on_location(self, state: Any) -> None:
        from mobile_app.evidence.location import gps_value, status_text

        self._gps_state = state
        self.gps_text = status_text(state, self.lang)
        value = gps_value(state)
        data = copy.deepcopy(dict(self.values))
        if value is not None:
            data["gps"] = value
            if self._location is not None:
                self._location.stop()
        self.values = data  # the text shows through `display`, a fix is saved with the visit
        if value is not None and self.record_id:
            self.autosave()

    # -- saving ----------------------------------------------------------------------------
    def save(self) -> bool:
        """Validate and save offline (household fields, visit and their outbox entries in one
        transaction); drop the draft. False with errors next to the fields when invalid."""
        self.saved = False
        if not self.validate_all():
            return False
        visit = self.clean_data()
        visit.setdefault("ended_at", iso(self.now()))
        household = self.household_data()
        node = self.store.session.client_id()
        try:
            with self.store.db.transaction():
                if household != self._household:
                    self.store.records.save(
                        "household", self.household_id, household, now=self.now(), hlc_node=node
                    )
                self.store.records.save(
                    "visit", self.record_id, visit, now=self.now(), hlc_node=node
                )
        except ValidationFailed as exc:
            shown = set(self.relevant)
            self.errors = {k: " ".join(map(str, v)) for k, v in exc.errors.items() if k in shown}
            self.form_errors = [
                f"{k}: {' '.join(map(str, v))}" for k, v in exc.errors.items() if k not in shown
            ]
            self.message = self.tr("visit.has_errors", n=len(exc.errors))
            return False
        self._household = household
        for rejection in self.store.rejected.for_record("visit", self.record_id):
            self.store.rejected.dismiss(rejection.mutation_id)  # fixed and saved again
        self.store.visits.discard_draft(self.record_id)
        self.review_status = "submitted"  # a returned visit saved again is resubmitted
        self.draft_text = ""
        self.message = self.tr("visit.saved")
        self.saved = True
        return True


def _fetch_reason(exc: BaseException) -> str | None:
    """The i18n key of why a fetch failed (None: the error's own words)."""
    from mobile_app.sync.client import AuthExpired, Offline, ServerRejected

    if isinstance(exc, Offline):
        return "evidence.why.offline"
    if isinstance(exc, AuthExpired):
        return "evidence.why.signed_out"
    if isinstance(exc, ServerRejected) and exc.status == 404:
        return "evidence.why.not_found"
    return None


def _space_text(plan: Any, lang: str) -> str | None:
    from mobile_app.evidence.eviction import space_text

    return space_text(plan, lang)

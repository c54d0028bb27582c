"""Streamed exports of households, members, visits, flags and cases as CSV or XLSX.

Rows come from server-side cursors (`yield_per`) and are written as they arrive, so memory
stays flat for a county of 100,000 households:
- CSV is a generator response: the first bytes leave before the query finishes (UTF-8 with a
  BOM so Excel reads Chinese correctly).
- XLSX uses openpyxl's write-only workbook, which spills rows to a temporary file as they are
  appended; the finished file is then streamed out in 64 KiB chunks. (An .xlsx is a zip whose
  directory comes last, so no byte can be sent before the last row is written.)
Flags are computed grid by grid (`ScopeData` of one grid at a time) for the same reason.
Column headers and enumeration values are in the chosen language; money stays numeric.
Cells are neutralised against formula injection (OWASP "CSV Injection"): a text cell starting
with `= + - @`, a tab or a carriage return gets a leading apostrophe in CSV, and an XLSX text
cell is always written as a string (`data_type` "s": never a formula, never an error code);
numbers stay numbers. Control characters a spreadsheet cannot hold become U+FFFD, and a number
no spreadsheet can hold exactly (NaN, ±infinity, 10**400, integers of 16 digits or more) is
written as text, so no stored value can break an export (docs/console.md).
Filters: `grid` for every table; `from`/`to` on the visit date (visits, flags) or the lead
date (cases); households and members are current records and take the grid filter only.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from shared_schema.formatting import export_value, field_kind
from shared_schema.labels import FIELD_LABELS, field_label
from shared_schema.sync import flatten
from shared_schema.timefmt import DEFAULT_TIME_ZONE, export_timestamp, parse_zone, zone_label
from sync_server.console.cases import ELIMINATION_MODES, SOURCES, STATES, is_overdue
from sync_server.console.evidence import (
    EVIDENCE_FIELDS,
    evidence_cells,
    evidence_header,
    load_states,
)
from sync_server.console.i18n import pair, t
from sync_server.console.scope import ScopeData, rules_config, work_calendar
from sync_server.extensions import Database
from sync_server.models import Grid, MonitoringCase, Record

KINDS: tuple[str, ...] = ("households", "members", "visits", "flags", "cases")
FORMATS: tuple[str, ...] = ("csv", "xlsx")
SHEET_ROWS = 1_048_576  # rows of one Excel sheet, header included
YIELD_PER = 1000
CHUNK = 64 * 1024
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP's list)."""
_UNHOLDABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters XLSX (XML 1.0) cannot hold: replaced in both formats alike."""
EXACT_DIGITS = 10**15
"""Integers from this magnitude lose digits as spreadsheet numbers: written as text."""


def neutralize(text: str) -> str:
    """A text cell that no spreadsheet runs: unholdable control characters become U+FFFD, and
    a leading `= + - @ TAB CR` gets an apostrophe (which Excel and LibreOffice take as
    "this is text" and do not show in the cell)."""
    text = _UNHOLDABLE.sub("\ufffd", text)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def spreadsheet_number(value: Any) -> int | float | None:
    """`value` as a number a spreadsheet holds exactly, or None (then it is written as text)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, int):
        return value if -EXACT_DIGITS < value < EXACT_DIGITS else None
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) >= EXACT_DIGITS:
            return None
        return int(value) if value == value.to_integral_value() else float(value)
    return value if math.isfinite(value) else None


def _number_as_text(value: Any) -> str:
    try:
        return str(value)
    except ValueError:  # an integer past Python's str() digit limit
        return "∞" if value > 0 else "-∞"


def csv_text(value: Any) -> str:
    """A CSV field: numbers as written, everything else as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return _number_as_text(value)
    return neutralize(str(value))


def xlsx_cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """An XLSX cell: a number when it is one a spreadsheet holds, otherwise a string cell
    (its type set after openpyxl's inference, which would make `=…` a formula)."""
    if value is None:
        return None
    number = spreadsheet_number(value)
    if number is not None:
        return number
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        text = _number_as_text(value)
    else:
        text = _UNHOLDABLE.sub("\ufffd", str(value))
    cell = WriteOnlyCell(sheet, value=text[:32767])
    cell.data_type = "s"
    return cell


def leaf_fields(entity: str) -> list[str]:
    """Labelled leaf paths of an entity in data-model order (objects drop out for their leaves;
    a visit's `attachments` list becomes the evidence columns instead)."""
    paths = [p for p in FIELD_LABELS[entity] if p.split(".")[0] not in EVIDENCE_FIELDS]
    return [p for p in paths if not any(q.startswith(p + ".") for q in paths)]


def cell(
    entity: str, path: str, value: Any, lang: str, kind: tuple[str | None, str] | None = None
) -> Any:
    """An export cell (the shared formatter): enumeration labels, 是/否, lists joined; numbers
    stay numbers and text stays as it is. `kind`: the field's, looked up once per export."""
    return export_value(entity, path, value, lang, kind=kind)


class ExportQuery:
    """What to export: the kind, the grids in scope (after the grid filter) and the dates."""

    def __init__(
        self,
        kind: str,
        grid_ids: Sequence[str],
        date_from: date | None,
        date_to: date | None,
        lang: str,
        today: date,
        zone: tzinfo | None = None,
    ) -> None:
        self.kind, self.grid_ids, self.lang, self.today = kind, list(grid_ids), lang, today
        self.date_from, self.date_to = date_from, date_to
        self.zone = zone or parse_zone(DEFAULT_TIME_ZONE)

    def in_dates(self, day: Any) -> bool:
        text = str(day or "")[:10]
        if self.date_from and text < self.date_from.isoformat():
            return False
        return not (self.date_to and text > self.date_to.isoformat())


def _records(session: Session, q: ExportQuery, entity: str) -> Iterator[Record]:
    stmt = (
        select(Record)
        .where(Record.entity == entity, Record.deleted.is_(False), Record.grid_id.in_(q.grid_ids))
        .order_by(Record.grid_id, Record.household_id, Record.id)
        .execution_options(yield_per=YIELD_PER)
    )
    if entity == "visit":
        # the date filter in SQL (JSON_EXTRACT / ->>): rows outside it are never decoded
        day = Record.data["visit_date"].as_string()
        if q.date_from:
            stmt = stmt.where(day >= q.date_from.isoformat())
        if q.date_to:
            stmt = stmt.where(day <= q.date_to.isoformat() + "~")  # a datetime of that day too
    yield from session.scalars(stmt)


class HouseholdNames:
    """Who a member or visit row belongs to, in words a supervisor reads: household number,
    head, village and grid. Rows arrive ordered by grid, so one grid's households are held at
    a time (memory stays bounded by the largest grid, not the county)."""

    def __init__(self, session: Session, grid_ids: Sequence[str]) -> None:
        self.session = session
        self.grids = {
            g.id: (g.name, g.village)
            for g in session.scalars(select(Grid).where(Grid.id.in_(list(grid_ids))))
        }
        self.grid_id: str | None = None
        self.households: dict[str, tuple[Any, Any]] = {}

    def of(self, grid_id: str | None, household_id: str | None) -> list[Any]:
        if grid_id != self.grid_id:
            self.grid_id = grid_id
            self.households = {
                hid: (data.get("household_no"), data.get("head_name"))
                for hid, data in self.session.execute(
                    select(Record.id, Record.data).where(
                        Record.entity == "household", Record.grid_id == grid_id
                    )
                )
            }
        number, head = self.households.get(household_id or "", (None, None))
        return [number, head, *self.grid(grid_id)]

    def grid(self, grid_id: str | None) -> list[Any]:
        name, village = self.grids.get(grid_id or "", (None, None))
        return [village, f"{name} ({grid_id})" if name else grid_id]


def _entity_table(
    entity: str,
) -> Callable[[Session, ExportQuery], tuple[list[str], Iterator[list[Any]]]]:
    def table(session: Session, q: ExportQuery) -> tuple[list[str], Iterator[list[Any]]]:
        paths = leaf_fields(entity)
        lang = q.lang
        where = [t("exp.col.village", lang), t("exp.col.grid_name", lang)]
        header = [t("exp.col.id", lang)]
        if entity != "household":
            header.append(t("exp.col.household_id", lang))
            header += [
                field_label("household", "household_no", lang),
                field_label("household", "head_name", lang),
            ]
        header += where
        header += [field_label(entity, p, lang) for p in paths if p != "household_id"]
        if entity == "visit":
            header += evidence_header(lang)
        header.append(t("exp.col.version", lang))
        header.append(f"{t('exp.col.updated_at', lang)} ({zone_label(q.zone, _now_for(q))})")
        names = HouseholdNames(session, q.grid_ids)
        columns = [(p, field_kind(entity, p)) for p in paths if p != "household_id"]

        def rows() -> Iterator[list[Any]]:
            records = (
                rec
                for rec in _records(session, q, entity)
                if entity != "visit" or q.in_dates(rec.data.get("visit_date"))
            )
            for batch in _batches(records, YIELD_PER):
                states = load_states(session, batch) if entity == "visit" else {}
                for rec in batch:
                    flat = flatten(rec.data)
                    row: list[Any] = [rec.id]
                    if entity == "household":
                        row += names.grid(rec.grid_id)
                    else:
                        row.append(rec.household_id)
                        row += names.of(rec.grid_id, rec.household_id)
                    row += [cell(entity, p, flat.get(p), lang, kind) for p, kind in columns]
                    if entity == "visit":
                        row += evidence_cells(rec.data, states, lang)
                    row.append(rec.version)
                    row.append(export_timestamp(rec.updated_at, q.zone) if rec.updated_at else "")
                    yield row

        return header, rows()

    return table


def _now_for(q: ExportQuery) -> datetime:
    """A moment on the export's day, for naming the zone's offset in force (summer time)."""
    return datetime.combine(q.today, datetime.min.time(), tzinfo=UTC)


def _batches(items: Iterator[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _flags_table(session: Session, q: ExportQuery) -> tuple[list[str], Iterator[list[Any]]]:
    lang = q.lang
    header = [
        t("exp.col.visit_id", lang),
        t("exp.col.household_id", lang),
        field_label("household", "household_no", lang),
        field_label("household", "head_name", lang),
        field_label("household", "grid_id", lang),
        field_label("visit", "visit_date", lang),
        t("exp.col.flag_code", lang),
        t("dash.flags", lang),
        t("exp.col.severity", lang),
        t("exp.col.message", lang),
    ]
    config = rules_config(session)

    def rows() -> Iterator[list[Any]]:
        for grid_id in q.grid_ids:
            data = ScopeData(session, [grid_id], config)
            for hh in data.households.values():
                for visit in hh.visits:
                    if not q.in_dates(visit.get("visit_date")):
                        continue
                    for flag in data.flags_of(hh, visit):
                        yield [
                            visit["id"],
                            hh.id,
                            hh.data.get("household_no"),
                            hh.data.get("head_name"),
                            hh.grid_id,
                            visit.get("visit_date"),
                            flag.code,
                            t(f"flag.{flag.code}", lang),
                            t(f"severity.{flag.severity}", lang),
                            flag.message(lang),
                        ]

    return header, rows()


def _cases_table(session: Session, q: ExportQuery) -> tuple[list[str], Iterator[list[Any]]]:
    lang = q.lang
    header = [
        t("exp.col.id", lang),
        t("exp.col.household_id", lang),
        field_label("household", "household_no", lang),
        field_label("household", "head_name", lang),
        field_label("household", "grid_id", lang),
        t("case.source", lang),
        t("case.state", lang),
        t("case.opened_on", lang),
        t("case.notice_started", lang),
        t("case.monitoring_started", lang),
        t("case.closed", lang),
        t("case.mode", lang),
        t("case.overdue", lang),
    ]
    stmt = (
        select(MonitoringCase, Record)
        .join(Record, (Record.entity == "household") & (Record.id == MonitoringCase.household_id))
        .where(Record.grid_id.in_(q.grid_ids))
        .order_by(MonitoringCase.opened_on, MonitoringCase.id)
        .execution_options(yield_per=YIELD_PER)
    )

    cal = work_calendar(session)

    def rows() -> Iterator[list[Any]]:
        from sync_server.console.case_service import snapshot

        for case, hh in session.execute(stmt):
            if not q.in_dates(case.opened_on.isoformat()):
                continue
            yield [
                case.id,
                hh.id,
                hh.data.get("household_no"),
                hh.data.get("head_name"),
                hh.grid_id,
                pair(SOURCES, case.source, lang),
                pair(STATES, case.state, lang),
                case.opened_on,
                case.notice_started or "",
                case.monitoring_started or "",
                case.closed_on or "",
                pair(ELIMINATION_MODES, case.elimination_mode, lang)
                if case.elimination_mode
                else "",
                t("common.yes" if is_overdue(snapshot(case), q.today, cal) else "common.no", lang),
            ]

    return header, rows()


TABLES = {
    "households": _entity_table("household"),
    "members": _entity_table("member"),
    "visits": _entity_table("visit"),
    "flags": _flags_table,
    "cases": _cases_table,
}


def stream_csv(db: Database, q: ExportQuery) -> Iterator[bytes]:
    """CSV bytes, a few hundred rows per chunk, while the cursor is read."""
    with db.read() as session:
        header, rows = TABLES[q.kind](session, q)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([csv_text(h) for h in header])
        yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        for i, row in enumerate(rows, 1):
            writer.writerow([csv_text(v) for v in row])
            if i % 500 == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")


def stream_xlsx(db: Database, q: ExportQuery) -> Iterator[bytes]:
    """An XLSX built in openpyxl's write-only mode, then streamed from its temporary file.

    A sheet holds at most `SHEET_ROWS` rows (Excel's limit, 1,048,576, header included): a
    longer export (a year of visits of a county is over a million) continues on further sheets
    named "<title> (2)", "<title> (3)"…, each with the header row.
    """
    workbook = Workbook(write_only=True)
    title = t(f"exp.{q.kind}", q.lang)
    with db.read() as session:
        header, rows = TABLES[q.kind](session, q)
        sheets = 1
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append(header)
        filled = 1
        for row in rows:
            if filled >= SHEET_ROWS:
                sheets += 1
                suffix = f" ({sheets})"
                sheet = workbook.create_sheet(title=title[: 31 - len(suffix)] + suffix)
                sheet.append(header)
                filled = 1
            sheet.append([xlsx_cell(sheet, v) for v in row])
            filled += 1
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk

"""Exports page and the streamed download (`/console/exports/<kind>.<fmt>`)."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, request, stream_with_context
from flask.typing import ResponseReturnValue

from sync_server.console.blueprint import bp, lang, local_today, page, principal, zone
from sync_server.console.exports import FORMATS, KINDS, ExportQuery, stream_csv, stream_xlsx
from sync_server.console.scope import grids_in_scope
from sync_server.extensions import current_db

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _date(name: str) -> date | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)


@bp.route("/exports")
def exports() -> str:
    with current_db().read() as s:
        grids = grids_in_scope(s, principal())
    return page("exports.html", active="console.exports", grids=grids, kinds=KINDS)


@bp.route("/exports/<kind>.<fmt>")
def export_download(kind: str, fmt: str) -> ResponseReturnValue:
    if kind not in KINDS or fmt not in FORMATS:
        abort(404)
    grid = request.args.get("grid") or None
    date_from, date_to = _date("from"), _date("to")
    db = current_db()
    with db.read() as s:
        allowed = [g.id for g in grids_in_scope(s, principal())]
    if grid and grid not in allowed:
        abort(403)
    ids = [grid] if grid else allowed
    query = ExportQuery(kind, ids, date_from, date_to, lang(), local_today(), zone())
    body = stream_csv(db, query) if fmt == "csv" else stream_xlsx(db, query)
    filename = f"tianye-{kind}-{local_today():%Y%m%d}.{fmt}"
    response = Response(stream_with_context(body), mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response

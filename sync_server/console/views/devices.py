"""Devices: every app install in scope with its user, last sync, cursor lag (head version minus
the client's last pull cursor), pending mutations reported at its last sync, clock skew, and a
revoke button (admins: `sync_server.services.identity.revoke_client`, as in the API)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func, or_, select

from sync_server.console.blueprint import bp, now, page, principal, tr
from sync_server.errors import ServiceError
from sync_server.extensions import current_db
from sync_server.models import ApiToken, Client, Grid, SyncCounter, User
from sync_server.services.identity import revoke_client
from sync_server.services.principal import ADMIN, scope_grid_query


def device_rows() -> list[dict[str, Any]]:
    who = principal()
    with current_db().read() as s:
        head = s.scalar(select(func.max(SyncCounter.value))) or 0
        live = (
            select(
                ApiToken.client_id,
                func.count().label("total"),
                func.count(ApiToken.revoked_at).label("revoked"),
            )
            .group_by(ApiToken.client_id)
            .subquery()
        )
        query = (
            select(Client, User, live.c.total, live.c.revoked)
            .join(User, User.id == Client.user_id)
            .outerjoin(live, live.c.client_id == Client.client_id)
        )
        grids = scope_grid_query(who)
        if grids is not None:
            workers = select(Grid.worker_id).where(Grid.id.in_(grids.scalar_subquery()))
            query = query.where(
                or_(User.id.in_(workers.scalar_subquery()), User.township == who.township)
            )
        rows = []
        for client, user, total, revoked in s.execute(query.order_by(Client.last_seen.desc())):
            lag = (
                None if client.last_pull_cursor is None else max(0, head - client.last_pull_cursor)
            )
            rows.append(
                {
                    "client": client,
                    "user": user,
                    "lag": lag,
                    "status": "active"
                    if (total or 0) > (revoked or 0)
                    else ("revoked" if total else "signed_out"),
                    "skew_s": None
                    if client.clock_skew_ms is None
                    else round(client.clock_skew_ms / 1000),
                }
            )
        return rows


@bp.route("/devices")
def devices() -> str:
    return page("devices.html", active="console.devices", rows=device_rows())


@bp.route("/devices/<client_id>/revoke", methods=["POST"])
def device_revoke(client_id: str) -> ResponseReturnValue:
    if principal().role != ADMIN:
        abort(403)
    try:
        revoke_client(current_db(), principal(), client_id, now())
    except ServiceError as exc:
        abort(exc.status)
    flash(tr("dev.revoke_done"), "ok")
    return redirect(url_for("console.devices"))

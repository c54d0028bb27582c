"""Who is calling and what they may see: the grids of their scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sync_server.errors import ServiceError
from sync_server.models import Grid

WORKER, SUPERVISOR, ADMIN = "worker", "supervisor", "admin"


@dataclass(frozen=True)
class Principal:
    """An authenticated user (and the client of their token, if any)."""

    user_id: str
    username: str
    role: str
    display_name: str
    township: str | None = None
    client_id: str | None = None
    token_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def scope_grid_query(principal: Principal) -> Select[str] | None:
    """A query of the grid ids in scope, or None for everything (admin)."""
    if principal.role == ADMIN:
        return None
    if principal.role == SUPERVISOR:
        return select(Grid.id).where(Grid.township == (principal.township or ""))
    return select(Grid.id).where(Grid.worker_id == principal.user_id)


def scope_grids(session: Session, principal: Principal) -> set[str] | None:
    """The grid ids in scope, or None for everything (admin)."""
    query = scope_grid_query(principal)
    if query is None:
        return None
    return set(session.scalars(query))


def require_role(principal: Principal, *roles: str) -> None:
    """403 unless the caller has one of `roles`."""
    if principal.role not in roles:
        raise ServiceError(403, "forbidden")


def require_grid(session: Session, principal: Principal, grid_id: str | None) -> None:
    """403 unless `grid_id` is in the caller's scope."""
    allowed = scope_grids(session, principal)
    if allowed is not None and grid_id not in allowed:
        raise ServiceError(403, "out_of_scope")

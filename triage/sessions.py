"""Server-side sessions.  The cookie carries only a random id (`secrets`); the `websession` row keeps
its sha256, the user, the CSRF nonce, the next page's message and when the session began, was last
seen and ends.  A session is a row, so ending one is a DELETE that every worker process sees at its
next request: logout, a new password and a closed account end a copied cookie too."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, update
from starlette.responses import Response

from config.settings import Role, WebSettings
from storage.models import User, WebSession
from triage.access import role_of

COOKIE = "taskforce_session"
TOUCH = dt.timedelta(minutes=1)  # last_seen_at is written at most this often, not on every page


def wall_clock() -> dt.datetime:
    """Sessions and login attempts run on the real clock, never on TASKFORCE_INTAKE_NOW: a replayed
    service clock must not keep a session open for ever, nor make two processes disagree on a minute."""
    return dt.datetime.now(dt.timezone.utc)


def digest(raw: str) -> str:
    """What is stored of a session id: its sha256 (the id is 256 random bits, so no salt or stretching)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Current:
    """The request's session as read at its start: a plain value, not a row bound to a database session."""

    id_hash: str
    user_id: int
    username: str
    role: Role
    csrf_nonce: str
    flash: dict[str, str] | None = None


def start(engine: Engine, user: User, hours: int, now: dt.datetime) -> tuple[str, Current]:
    """A new session for `user` (a fresh id and CSRF nonce at every login); returns the cookie's value."""
    assert user.id is not None
    raw = secrets.token_urlsafe(32)
    row = WebSession(id_hash=digest(raw), user_id=user.id, csrf_nonce=secrets.token_urlsafe(32), created_at=now,
                     last_seen_at=now, expires_at=now + dt.timedelta(hours=hours))
    current = Current(row.id_hash, user.id, user.username, role_of(user), row.csrf_nonce)
    with Session(engine) as session:
        session.exec(delete(WebSession).where(col(WebSession.expires_at) <= now))
        session.add(row)
        session.commit()
    return raw, current


def find(engine: Engine, raw: str, now: dt.datetime) -> Current | None:
    """The live session of this cookie with its user's role as it is now, else None (unknown, expired,
    or its account closed).  The role is read at every request, so `user role` applies at once."""
    with Session(engine) as session:
        row = session.get(WebSession, digest(raw))
        if row is None:
            return None
        user = session.get(User, row.user_id)
        if user is None or not user.active or row.expires_at <= now:
            session.delete(row)
            session.commit()
            return None
        assert user.id is not None
        current = Current(row.id_hash, user.id, user.username, role_of(user), row.csrf_nonce, json.loads(row.flash) if row.flash else None)
        if now - row.last_seen_at >= TOUCH:
            row.last_seen_at = now
            session.add(row)
            session.commit()
        return current


def end(engine: Engine, id_hash: str) -> None:
    with Session(engine) as session:
        session.exec(delete(WebSession).where(col(WebSession.id_hash) == id_hash))
        session.commit()


def end_all(session: Session, user_id: int) -> int:
    """Every session of one user, in the caller's transaction (a new password or a closed account)."""
    result = session.exec(delete(WebSession).where(col(WebSession.user_id) == user_id))
    return int(result.rowcount or 0)


def set_flash(engine: Engine, current: Current, kind: str, message: str) -> None:
    """The message the next page shows (post/redirect/get)."""
    _write_flash(engine, current, json.dumps({"kind": kind, "message": message}, ensure_ascii=False))


def take_flash(engine: Engine, current: Current | None) -> dict[str, str] | None:
    """The message waiting for this page, shown once."""
    if current is None or current.flash is None:
        return None
    _write_flash(engine, current, None)
    return current.flash


def _write_flash(engine: Engine, current: Current, value: str | None) -> None:
    with Session(engine) as session:
        session.exec(update(WebSession).where(col(WebSession.id_hash) == current.id_hash).values(flash=value))
        session.commit()


def set_cookie(response: Response, raw: str, web: WebSettings) -> None:
    """HttpOnly, SameSite=Strict, Secure behind TLS; it lives as long as the session row."""
    response.set_cookie(COOKIE, raw, max_age=web.session_hours * 3600, path="/", httponly=True, samesite="strict",
                        secure=web.secure_cookies)


def clear_cookie(response: Response, web: WebSettings) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=web.secure_cookies)


def cookie_set(response: Response) -> bool:
    return any(value.startswith(COOKIE + "=") for value in response.headers.getlist("set-cookie"))

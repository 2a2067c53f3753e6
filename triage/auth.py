"""Who is asking: local accounts (argon2 hashes) with their roles, the server-side session of the request
(triage/sessions.py), CSRF tokens tied to it, login throttling shared by every worker process, and the
optional trusted reverse-proxy header."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select
from starlette.requests import Request
from starlette.responses import Response

from config.settings import Role, WebSettings
from storage.models import LoginAttempt, ServiceState, User
from triage import sessions
from triage.sessions import Current, wall_clock

HASHER = PasswordHasher()
MIN_PASSWORD = 8
CSRF_FIELD = "csrf_token"
CSRF_COOKIE = "taskforce_csrf"  # the nonce of a visitor without a session: the login form's


class AccountError(ValueError):
    """An account cannot be created or changed as asked (the message is Danish, for the operator)."""


def _find(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip())).first()


def add_user(engine: Engine, username: str, password: str, now: dt.datetime, role: Role = Role.SAGSBEHANDLER) -> User:
    username = username.strip()
    if not username or any(c.isspace() for c in username):
        raise AccountError("brugernavnet må ikke være tomt eller indeholde mellemrum")
    _check_password(password)
    with Session(engine) as session:
        if _find(session, username):
            raise AccountError(f"brugeren {username!r} findes allerede")
        user = User(username=username, password_hash=HASHER.hash(password), created_at=now, role=Role(role))
        session.add(user)
        session.commit()
        session.refresh(user)
        return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"adgangskoden skal være mindst {MIN_PASSWORD} tegn")


def _existing(session: Session, username: str) -> User:
    user = _find(session, username)
    if user is None or user.id is None:
        raise AccountError(f"brugeren {username!r} findes ikke")
    return user


def change_user(engine: Engine, username: str, password: str | None = None, active: bool | None = None) -> int:
    """A new password and/or (de)activation.  A new password or a closed account ends every session of
    the account in the same transaction, so a stolen cookie dies with the old password in every worker
    process; returns how many sessions ended."""
    if password is not None:
        _check_password(password)
    with Session(engine) as session:
        user = _existing(session, username)
        if password is not None:
            user.password_hash = HASHER.hash(password)
        if active is not None:
            user.active = active
        session.add(user)
        ended = sessions.end_all(session, user.id) if password is not None or active is False else 0  # type: ignore[arg-type]
        session.commit()
        return ended


def set_role(engine: Engine, username: str, role: Role) -> None:
    """The sessions stay: the role is read at every request, so the new one applies at the next."""
    with Session(engine) as session:
        user = _existing(session, username)
        user.role = Role(role)
        session.add(user)
        session.commit()


_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The active user with this password, else None (a wrong name costs as much as a wrong password)."""
    with Session(engine) as session:
        user = _find(session, username)
        try:
            HASHER.verify(user.password_hash if user and user.active else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None or not user.active:
            return None
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
            session.add(user)
            session.commit()
            session.refresh(user)
        return user


def proxy_account(engine: Engine, username: str, role: Role, now: dt.datetime) -> User | None:
    """The account of a name the trusted proxy vouches for, made on its first visit with `[web]
    trusted_user_role` and a password nobody knows (it signs in through the proxy; `user role`,
    `user disable` and `user passwd` work on it as on any account).  A closed account is None."""
    with Session(engine) as session:
        user = _find(session, username)
        if user is None:
            session.add(User(username=username, password_hash=HASHER.hash(secrets.token_urlsafe(32)), created_at=now, role=Role(role)))
            try:
                session.commit()
            except IntegrityError:  # made by a request of the same user in another process just now
                session.rollback()
            user = _find(session, username)
        return user if user is not None and user.active else None


def secret_key(engine: Engine, configured: str) -> str:
    """The configured `secret_key`, else one made once and kept in the database, so the CSRF tokens of
    open pages survive a restart."""
    if configured:
        return configured
    with Session(engine) as session:
        row = session.get(ServiceState, "web_secret_key")
        if row is None:
            row = ServiceState(key="web_secret_key", value=secrets.token_urlsafe(48))
            session.add(row)
            session.commit()
        return row.value


class LoginLimiter:
    """At most N failed logins a minute per client address and per user name, over a moving window kept
    in the database, so every `serve` process counts the same attempts.  (`limits` keeps its windows in
    one process's memory or in Redis, Memcached or MongoDB, none of which this service runs; a table and
    one counting query do the same.)  The keys are sha256s: a password typed into the name field is not
    kept, and rows leave the table when they leave the window."""

    WINDOW = dt.timedelta(minutes=1)

    def __init__(self, engine: Engine, per_minute: int, clock: Callable[[], dt.datetime] = wall_clock) -> None:
        self.engine, self.per_minute, self.clock = engine, per_minute, clock

    @staticmethod
    def _keys(client: str, username: str) -> tuple[tuple[str, str], ...]:
        def digest(value: str) -> str:
            return hashlib.sha256(value.encode("utf-8")).hexdigest()

        return ("client", digest(client)), ("user", digest(username.strip().lower()))

    def blocked(self, client: str, username: str) -> bool:
        since = self.clock() - self.WINDOW
        with Session(self.engine) as session:
            for scope, key in self._keys(client, username):
                count = session.exec(select(func.count()).select_from(LoginAttempt).where(
                    LoginAttempt.scope == scope, LoginAttempt.key == key, col(LoginAttempt.at) > since)).one()
                if count >= self.per_minute:
                    return True
        return False

    def failed(self, client: str, username: str) -> None:
        now = self.clock()
        with Session(self.engine) as session:
            session.exec(delete(LoginAttempt).where(col(LoginAttempt.at) <= now - self.WINDOW))
            session.add_all([LoginAttempt(scope=scope, key=key, at=now) for scope, key in self._keys(client, username)])
            session.commit()


class Csrf:
    """Synchroniser tokens: a random nonce, the session row's (for a visitor without a session, the
    login form, one in a cookie of its own), handed to forms signed with itsdangerous; a form is
    accepted only with a token that carries this session's nonce."""

    def __init__(self, key: str, max_age_seconds: int) -> None:
        self.serializer = URLSafeTimedSerializer(key, salt="taskforce-intake.csrf")
        self.max_age = max_age_seconds

    def token(self, request: Request) -> str:
        return str(self.serializer.dumps(self._nonce(request, create=True)))

    def valid(self, request: Request, token: str | None) -> bool:
        nonce = self._nonce(request, create=False)
        if not token or not nonce:
            return False
        try:
            carried = self.serializer.loads(token, max_age=self.max_age)
        except BadSignature:
            return False
        return isinstance(carried, str) and hmac.compare_digest(carried, nonce)

    @staticmethod
    def _nonce(request: Request, create: bool) -> str | None:
        current = getattr(request.state, "session", None)
        if isinstance(current, Current):
            return current.csrf_nonce
        nonce = getattr(request.state, "new_csrf_nonce", None) or request.cookies.get(CSRF_COOKIE)
        if not nonce and create:
            nonce = request.state.new_csrf_nonce = secrets.token_urlsafe(32)
        return str(nonce) if nonce else None


def set_csrf_cookie(request: Request, response: Response, web: WebSettings) -> None:
    """The cookie of a nonce made for this response's form (a visitor without a session)."""
    nonce = getattr(request.state, "new_csrf_nonce", None)
    if nonce:
        response.set_cookie(CSRF_COOKIE, nonce, path="/", httponly=True, samesite="strict", secure=web.secure_cookies)


def proxy_user(request: Request, web: WebSettings) -> str | None:
    """The user named by the trusted header, only when the request comes straight from a configured proxy."""
    if not web.trusted_user_header or request.client is None or request.client.host not in web.trusted_proxies:
        return None
    value = request.headers.get(web.trusted_user_header, "").strip()
    return value or None


@dataclass(frozen=True)
class Identity:
    """Who the request is (its session, if any) and what its response must do with the session cookie."""

    current: Current | None
    new_cookie: str | None = None  # a session started for this request (a user named by the proxy)
    stale_cookie: bool = False  # the cookie names no live session: clear it


def identify(request: Request, engine: Engine, web: WebSettings, now: dt.datetime) -> Identity:
    """The session of the cookie; a user named by the trusted proxy gets one of their own (the proxy
    vouches for who, the account says what they may do)."""
    raw = request.cookies.get(sessions.COOKIE)
    current = sessions.find(engine, raw, now) if raw else None
    name = proxy_user(request, web)
    if name is None or (current is not None and current.username == name):
        return Identity(current, stale_cookie=bool(raw) and current is None)
    if current is not None:
        sessions.end(engine, current.id_hash)  # the proxy now names someone else on this browser
    user = proxy_account(engine, name, web.trusted_user_role, now)
    if user is None:
        return Identity(None, stale_cookie=bool(raw))
    new_cookie, current = sessions.start(engine, user, web.session_hours, now)
    return Identity(current, new_cookie=new_cookie)

"""Who is asking: local accounts (argon2 hashes), the signed session cookie, CSRF tokens tied to the
session, login rate limiting, and the optional trusted reverse-proxy header."""
from __future__ import annotations

import datetime as dt
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.requests import Request

from config.settings import WebSettings
from storage.models import ServiceState, User

HASHER = PasswordHasher()
MIN_PASSWORD = 8
CSRF_FIELD = "csrf_token"
SESSION_USER = "user"
SESSION_NONCE = "csrf_nonce"


class AccountError(ValueError):
    """An account cannot be created as asked (the message is Danish, for the operator)."""


def add_user(engine: Engine, username: str, password: str, now: dt.datetime) -> User:
    username = username.strip()
    if not username or any(c.isspace() for c in username):
        raise AccountError("brugernavnet må ikke være tomt eller indeholde mellemrum")
    _check_password(password)
    with Session(engine) as session:
        if session.exec(select(User).where(User.username == username)).first():
            raise AccountError(f"brugeren {username!r} findes allerede")
        user = User(username=username, password_hash=HASHER.hash(password), created_at=now)
        session.add(user)
        session.commit()
        session.refresh(user)
        return user


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"adgangskoden skal være mindst {MIN_PASSWORD} tegn")


def change_user(engine: Engine, username: str, password: str | None = None, active: bool | None = None) -> None:
    """A new password and/or (de)activation; a deactivated user's sessions end at their next request."""
    if password is not None:
        _check_password(password)
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username.strip())).first()
        if user is None:
            raise AccountError(f"brugeren {username!r} findes ikke")
        if password is not None:
            user.password_hash = HASHER.hash(password)
        if active is not None:
            user.active = active
        session.add(user)
        session.commit()


_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The active user with this password, else None (a wrong name costs as much as a wrong password)."""
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username.strip())).first()
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
        return user


def active_user(engine: Engine, username: str) -> bool:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).first()
        return bool(user and user.active)


def secret_key(engine: Engine, configured: str) -> str:
    """The configured `secret_key`, else one made once and kept in the database, so sessions survive a restart."""
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
    """At most N failed logins a minute per client address and per user name (moving window)."""

    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def blocked(self, client: str, username: str) -> bool:
        return not (self.limiter.test(self.item, "client", client) and self.limiter.test(self.item, "user", username.lower()))

    def failed(self, client: str, username: str) -> None:
        self.limiter.hit(self.item, "client", client)
        self.limiter.hit(self.item, "user", username.lower())


class Csrf:
    """Synchroniser tokens: a random nonce in the (signed) session, handed to forms signed with
    itsdangerous; a form is accepted only with a token that carries this session's nonce."""

    def __init__(self, key: str, max_age_seconds: int) -> None:
        self.serializer = URLSafeTimedSerializer(key, salt="taskforce-intake.csrf")
        self.max_age = max_age_seconds

    def token(self, request: Request) -> str:
        nonce = request.session.get(SESSION_NONCE)
        if not nonce:
            nonce = request.session[SESSION_NONCE] = secrets.token_urlsafe(32)
        return str(self.serializer.dumps(nonce))

    def valid(self, request: Request, token: str | None) -> bool:
        nonce = request.session.get(SESSION_NONCE)
        if not token or not nonce:
            return False
        try:
            carried = self.serializer.loads(token, max_age=self.max_age)
        except BadSignature:
            return False
        return isinstance(carried, str) and hmac.compare_digest(carried, nonce)


def proxy_user(request: Request, web: WebSettings) -> str | None:
    """The user named by the trusted header, only when the request comes straight from a configured proxy."""
    if not web.trusted_user_header or request.client is None or request.client.host not in web.trusted_proxies:
        return None
    value = request.headers.get(web.trusted_user_header, "").strip()
    return value or None


def session_user(request: Request) -> str | None:
    value = request.session.get(SESSION_USER)
    return value if isinstance(value, str) and value else None

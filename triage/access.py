"""Who may do what.  Three roles, lowest first (`config.settings.Role`): a `laeser` reads, a
`sagsbehandler` also acts on applications, an `admin` also takes the round exports of personal data.
Every route names the lowest role that may use it with exactly one of the levels below (`PUBLIC`,
`READ`, `ACT`, `ADMIN`), so the check lives in one place and not in the handlers; `check_routes` refuses
to build an app with a route that names none or two, and tests/integration/test_web_roles.py walks
every route of the app as every role."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

try:  # FastAPI 0.16x keeps an included router as one entry of `app.routes`; this lists its routes
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI: `app.routes` lists every route itself
    iter_route_contexts = None  # type: ignore[assignment]

from config.settings import Role
from storage.models import User

ROLE_NAMES: dict[str, str] = {Role.LAESER: "læser", Role.SAGSBEHANDLER: "sagsbehandler", Role.ADMIN: "administrator"}
LEGACY_ROLE = Role.SAGSBEHANDLER  # an account made before roles came could act; it keeps that
Level = Callable[[Request], None]
_LEVELS: dict[Level, Role | None] = {}


def role_of(user: User) -> Role:
    """The account's role; NULL (an account older than roles) is `sagsbehandler`, as it could do before,
    and an unknown value (a row written by a newer version) is the lowest role, never more."""
    if user.role is None:
        return LEGACY_ROLE
    try:
        return Role(user.role)
    except ValueError:
        return Role.LAESER


def forbidden(have: Role, needed: Role) -> HTTPException:
    return HTTPException(403, f"Som {ROLE_NAMES[have]} har du ikke adgang til dette: det kræver rollen {ROLE_NAMES[needed]}. "
                              "Spørg en administrator, hvis du skal have en anden rolle.")


def _level(needed: Role | None) -> Level:
    """A dependency that lets the request through when its user's role (set by the app's guard from the
    session) is at least `needed`; `None` is the public level (the login page, /healthz)."""

    def allowed(request: Request) -> None:
        if needed is None:
            return
        have = getattr(request.state, "role", None)
        if not isinstance(have, Role):  # the guard sends a visitor without a session to /login first
            raise HTTPException(403, "Du er ikke logget ind.")
        if not have.allows(needed):
            raise forbidden(have, needed)

    allowed.__name__ = f"role_{needed or 'public'}"
    _LEVELS[allowed] = needed
    return allowed


PUBLIC = [Depends(_level(None))]
READ = [Depends(_level(Role.LAESER))]
ACT = [Depends(_level(Role.SAGSBEHANDLER))]
ADMIN = [Depends(_level(Role.ADMIN))]


@dataclass(frozen=True)
class Entry:
    """One route of the app as a request meets it: its path and methods, and the route as declared."""

    path: str
    methods: frozenset[str]
    route: BaseRoute


def entries(routes: Sequence[BaseRoute]) -> Iterator[Entry]:
    """Every route of the app (pass `app.routes`), an included router's one by one."""
    if iter_route_contexts is None:  # pragma: no cover
        found = [(r, r) for r in routes]
    else:
        found = [(c, c.original_route) for c in iter_route_contexts(routes)]
    for effective, route in found:
        yield Entry(str(getattr(effective, "path", "")), frozenset(getattr(effective, "methods", None) or ()), route)


def levels(route: BaseRoute) -> list[Role | None]:
    """The levels a route names (exactly one, once `check_routes` has passed)."""
    return [_LEVELS[d.dependency] for d in getattr(route, "dependencies", []) if d.dependency in _LEVELS]


def check_routes(routes: Sequence[BaseRoute]) -> None:
    """A route added without a level would be open to every signed-in role: refuse to start instead."""
    for entry in entries(routes):
        if isinstance(entry.route, APIRoute) and len(levels(entry.route)) != 1:
            raise RuntimeError(f"{sorted(entry.methods)} {entry.path}: skal have præcis ét adgangsniveau (triage/access.py), "
                               f"har {len(levels(entry.route))}")


def public_paths(routes: Sequence[BaseRoute]) -> frozenset[str]:
    """The paths a visitor without a session may reach (the guard sends every other one to /login)."""
    return frozenset(e.path for e in entries(routes) if isinstance(e.route, APIRoute) and levels(e.route) == [None])

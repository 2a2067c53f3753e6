"""What every request handler shares, made once per app by triage/app.py and read by triage/routes.py
through `web_of(request)`: the two modules depend on this one and never on each other."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from bot.runtime import Runtime
from config.settings import Role
from triage import sessions
from triage.access import ROLE_NAMES
from triage.auth import Csrf, LoginLimiter


@dataclass
class Web:
    """The service's runtime, the clock, CSRF, the login limiter, the page templates and the real clock
    that sessions run on (never TASKFORCE_INTAKE_NOW, see triage/sessions.py)."""

    rt: Runtime
    now: Callable[[], dt.datetime]
    csrf: Csrf
    limiter: LoginLimiter
    templates: Jinja2Templates
    clock: Callable[[], dt.datetime]

    def page(self, request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
        """A page; `can_act` and `can_admin` let the templates leave out what the user's role may not use."""
        role = getattr(request.state, "role", None)
        return self.templates.TemplateResponse(request, name, {
            "user": getattr(request.state, "user", None), "csrf_token": self.csrf.token(request),
            "flash": sessions.take_flash(self.rt.engine, getattr(request.state, "session", None)),
            "role_name": ROLE_NAMES.get(role, "") if role else "",
            "can_act": isinstance(role, Role) and role.allows(Role.SAGSBEHANDLER),
            "can_admin": isinstance(role, Role) and role.allows(Role.ADMIN),
            "now": self.now(), "tz": self.rt.settings.timezone, **context,
        }, status_code=status_code)


def web_of(request: Request) -> Web:
    """The app's `Web` (set as `app.state.web` by `create_app`)."""
    web = request.app.state.web
    assert isinstance(web, Web)
    return web


def safe_next(target: str | None) -> str:
    """Only a path on this site (never `//host` or a scheme) is followed after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target

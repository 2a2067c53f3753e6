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
from triage.auth import Csrf, LoginLimiter


@dataclass
class Web:
    """The service's runtime, the clock, CSRF, the login limiter and the page templates."""

    rt: Runtime
    now: Callable[[], dt.datetime]
    csrf: Csrf
    limiter: LoginLimiter
    templates: Jinja2Templates

    def page(self, request: Request, name: str, status_code: int = 200, **context: object) -> HTMLResponse:
        flash = request.session.pop("flash", None)
        return self.templates.TemplateResponse(request, name, {
            "user": getattr(request.state, "user", None), "csrf_token": self.csrf.token(request), "flash": flash,
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

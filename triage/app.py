"""The secretariat's web app: FastAPI + Jinja2, server-rendered, no JavaScript needed.

Every page but /login, /healthz and the stylesheet needs a signed-in user (a server-side session,
started by the login or for a user named by the trusted proxy header when configured), and every route
names the lowest role that may use it (triage/access.py); every form carries a CSRF token; every
response carries a strict Content-Security-Policy.  Mail content is untrusted and only ever rendered as
escaped text."""
from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot import states
from bot.runtime import Runtime
from triage import access, labels, sessions
from triage.auth import Csrf, LoginLimiter, identify, secret_key, set_csrf_cookie
from triage.context import Web, safe_next
from triage.routes import router

__all__ = ["create_app", "safe_next", "templates", "Web"]

HERE = Path(__file__).resolve().parent
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def templates(tz: dt.tzinfo) -> Jinja2Templates:
    env = Jinja2Templates(directory=str(HERE / "templates"))
    env.env.autoescape = True  # every template, whatever its name: mail content is untrusted
    env.env.filters["local"] = lambda when, seconds=True: labels.local(when, tz, seconds)
    env.env.filters["label"] = labels.label  # {{ row.state|label(ReplyState) }}: the Danish name of a state
    env.env.globals.update(
        STATUS_NAMES=labels.STATUS_NAMES, CHECK_NAMES=labels.CHECK_NAMES, CHECK_STATUS_NAMES=labels.CHECK_STATUS_NAMES,
        DECISION_NAMES=labels.DECISION_NAMES, MESSAGE_KINDS=labels.MESSAGE_KINDS, REPLY_KINDS=labels.REPLY_KINDS,
        REPLY_STATES=labels.REPLY_STATES, ACTIONS=labels.ACTIONS, ROLE_NAMES=labels.ROLE_NAMES, STATUSES=labels.STATUSES,
        countdown=labels.countdown, HELD_FOR_SECRETARIAT=states.HELD_FOR_SECRETARIAT,
        **{enum.__name__: enum for enum in states.ALL},  # the enums themselves: `m.row.answered == AnswerState.HELD`
    )
    return env


def create_app(rt: Runtime, now: Callable[[], dt.datetime], clock: Callable[[], dt.datetime] = sessions.wall_clock) -> FastAPI:
    """`now` is the service clock (pages, audit); `clock` the real one that sessions and login attempts run on."""
    web_settings = rt.settings.web
    key = secret_key(rt.engine, rt.settings.secret_key)
    max_age = web_settings.session_hours * 3600
    web = Web(rt, now, Csrf(key, max_age), LoginLimiter(rt.engine, web_settings.login_attempts_per_minute, clock),
              templates(rt.settings.timezone), clock)
    app = FastAPI(title="Task Force – sekretariatet", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = web
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(router)
    access.check_routes(app.routes)
    public = access.public_paths(app.routes)

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        who = identify(request, rt.engine, web_settings, clock())
        request.state.session = who.current
        request.state.user = who.current.username if who.current else None
        request.state.role = who.current.role if who.current else None
        path = request.url.path
        if who.current is None and path not in public and not path.startswith("/static/"):
            target = path + (f"?{request.url.query}" if request.url.query else "")
            response: Response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        else:
            response = await call_next(request)
        if who.new_cookie:
            sessions.set_cookie(response, who.new_cookie, web_settings)
        elif who.stale_cookie and not sessions.cookie_set(response):  # a login in this request set a new one
            sessions.clear_cookie(response, web_settings)
        set_csrf_cookie(request, response, web_settings)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if path != "/healthz" and not path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return web.page(request, "error.html", status_code=exc.status_code, status=exc.status_code, message=str(exc.detail))

    return app

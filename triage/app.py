"""The secretariat's web app: FastAPI + Jinja2, server-rendered, no JavaScript needed.

Every page but /login, /healthz and the stylesheet needs a signed-in user (a session, or the trusted
proxy header when configured); every form carries a CSRF token; every response carries a strict
Content-Security-Policy.  Mail content is untrusted and only ever rendered as escaped text."""
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
from starlette.middleware.sessions import SessionMiddleware

from bot import states
from bot.runtime import Runtime
from triage import labels
from triage.auth import Csrf, LoginLimiter, active_user, proxy_user, secret_key, session_user
from triage.context import Web, safe_next
from triage.routes import router

__all__ = ["create_app", "safe_next", "templates", "Web"]

HERE = Path(__file__).resolve().parent
PUBLIC = ("/login", "/healthz")
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
        countdown=labels.countdown,
        **{enum.__name__: enum for enum in states.ALL},  # the enums themselves: `m.row.answered == AnswerState.HELD`
    )
    return env


def create_app(rt: Runtime, now: Callable[[], dt.datetime]) -> FastAPI:
    web_settings = rt.settings.web
    key = secret_key(rt.engine, rt.settings.secret_key)
    max_age = web_settings.session_hours * 3600
    web = Web(rt, now, Csrf(key, max_age), LoginLimiter(web_settings.login_attempts_per_minute), templates(rt.settings.timezone))
    app = FastAPI(title="Task Force – sekretariatet", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = web
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        user = proxy_user(request, web_settings)
        if user is None:
            user = session_user(request)
            if user is not None and not active_user(rt.engine, user):
                request.session.clear()
                user = None
        request.state.user = user
        path = request.url.path
        if user is None and path not in PUBLIC and not path.startswith("/static/"):
            target = path + (f"?{request.url.query}" if request.url.query else "")
            response: Response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
        else:
            response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if path != "/healthz" and not path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.add_middleware(SessionMiddleware, secret_key=key, session_cookie="taskforce_session", max_age=max_age,
                       same_site="strict", https_only=web_settings.secure_cookies)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return web.page(request, "error.html", status_code=exc.status_code, status=exc.status_code, message=str(exc.detail))

    app.include_router(router)
    return app

"""The pages and the form posts.  Posts follow post/redirect/get; a refused action comes back as a
message at the top of the page it was made on.  Each route names the lowest role that may use it
(`dependencies=READ | ACT | ADMIN`, or `PUBLIC`; triage/access.py): a role below gets a 403 page."""
from __future__ import annotations

import datetime as dt
import hmac
import time
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlmodel import Session

from bot.health import check, readiness
from bot.metrics import registry
from bot.outbox import FlushResult, send_pending
from bot.states import AuditAction, ReplyState
from storage.models import Application, Attachment, Message, Picture, Reply
from triage import actions, exports, sessions
from triage.access import ACT, ADMIN, PUBLIC, READ
from triage.auth import CSRF_FIELD, authenticate
from triage.context import Web, safe_next, web_of
from triage.labels import local
from triage.sessions import Current
from triage.views import QueueFilter, application_page, audit_log, find_application, queue_page
from triage.evidence import viewer as document_viewer


async def csrf_protect(request: Request) -> None:
    """Every unsafe request must carry this session's CSRF token in its form."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not web_of(request).csrf.valid(request, token if isinstance(token, str) else None):
        raise HTTPException(403, "Formularen mangler et gyldigt sikkerhedstegn (CSRF). Genindlæs siden og prøv igen.")


router = APIRouter(dependencies=[Depends(csrf_protect)])
Text = Annotated[str, Form()]


def user_of(request: Request) -> str:
    return str(request.state.user)


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


def current_of(request: Request) -> Current | None:
    current = getattr(request.state, "session", None)
    return current if isinstance(current, Current) else None


def flash(request: Request, kind: str, message: str) -> None:
    current = current_of(request)
    if current is not None:
        sessions.set_flash(web_of(request).rt.engine, current, kind, message)


PROCESS_STARTED = time.monotonic()  # this web process loaded its routes: /healthz's grace before the first poll


def _started(web: Web) -> dt.datetime:
    return web.now() - dt.timedelta(seconds=time.monotonic() - PROCESS_STARTED)


@router.get("/healthz", dependencies=PUBLIC)
def healthz(request: Request) -> Response:
    """200 while the database answers and the last mailbox poll (by any worker) is recent; else 503 with
    the reason in Danish (bot/health.py).  For monitoring: the web app's own container is ready by /readyz."""
    web = web_of(request)
    verdict = check(web.rt.engine, web.now(), web.rt.settings.monitoring.poll_stale_seconds, _started(web))
    return JSONResponse(verdict.to_json(), status_code=200 if verdict.healthy else 503)


@router.get("/readyz", dependencies=PUBLIC)
def readyz(request: Request) -> Response:
    """200 when the database answers and holds this version's tables; no poll needed."""
    ready = readiness(web_of(request).rt.engine)
    return JSONResponse(ready.to_json(), status_code=200 if ready.ready else 503)


@router.get("/metrics", dependencies=PUBLIC)
def metrics(request: Request) -> Response:
    """Prometheus metrics read from the database at scrape time (bot/metrics.py); with `[monitoring]
    metrics_token` only for `Authorization: Bearer <token>`."""
    web = web_of(request)
    token = web.rt.settings.monitoring.metrics_token
    given = request.headers.get("authorization", "")
    if token and not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return PlainTextResponse("Kræver Authorization: Bearer <[monitoring] metrics_token>\n", status_code=401,
                                 headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    found = registry(web.rt.engine, web.now, web.rt.settings.monitoring.poll_stale_seconds, _started(web))
    return Response(generate_latest(found), media_type=CONTENT_TYPE_LATEST)


@router.get("/login", response_class=HTMLResponse, dependencies=PUBLIC)
def login_form(request: Request, next: str = "/") -> Response:
    if request.state.user:
        return RedirectResponse(safe_next(next), status_code=303)
    return web_of(request).page(request, "login.html", next=safe_next(next))


@router.post("/login", dependencies=PUBLIC)
def login(request: Request, username: Text = "", password: Text = "", next: Text = "/") -> Response:
    web = web_of(request)
    client = client_of(request)
    if web.limiter.blocked(client, username):
        return web.page(request, "login.html", status_code=429, next=safe_next(next), username=username,
                        error="For mange forkerte forsøg. Vent et minut, og prøv igen.")
    user = authenticate(web.rt.engine, username, password)
    if user is None:
        web.limiter.failed(client, username)
        return web.page(request, "login.html", status_code=401, next=safe_next(next), username=username,
                        error="Forkert brugernavn eller adgangskode.")
    previous = current_of(request)
    if previous is not None:
        sessions.end(web.rt.engine, previous.id_hash)
    raw, _ = sessions.start(web.rt.engine, user, web.rt.settings.web.session_hours, web.clock())  # a fresh id and CSRF nonce
    with Session(web.rt.engine) as session:
        actions.audit(session, user.username, AuditAction.LOGIN, web.now(), f"fra {client}")
        session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    sessions.set_cookie(response, raw, web.rt.settings.web)
    return response


@router.post("/logout", dependencies=READ)
def logout(request: Request) -> Response:
    """Deletes the session's row: the cookie, wherever a copy of it is, opens nothing after this."""
    web = web_of(request)
    with Session(web.rt.engine) as session:
        actions.audit(session, user_of(request), AuditAction.LOGOUT, web.now())
        session.commit()
    current = current_of(request)
    if current is not None:
        sessions.end(web.rt.engine, current.id_hash)
    response = RedirectResponse("/login", status_code=303)
    sessions.clear_cookie(response, web.rt.settings.web)
    return response


@router.get("/", response_class=HTMLResponse, dependencies=READ)
def queue_view(request: Request, round: str = "", status: str = "", q: str = "") -> Response:
    web = web_of(request)
    page = queue_page(web.rt, QueueFilter(round or web.rt.settings.rounds[0].id, status, q))
    return web.page(request, "queue.html", q=page)


@router.get("/applications/{reference}", response_class=HTMLResponse, dependencies=READ)
def application_view(request: Request, reference: str) -> Response:
    web = web_of(request)
    page = application_page(web.rt, reference)
    if page is None:
        raise HTTPException(404, "Ansøgningen findes ikke.")
    draft = ""
    if page.applicant is not None:
        draft = actions.draft_text(actions.information_request_draft(web.rt, page.round, page.app, page.applicant, web.now()))
    return web.page(request, "application.html", a=page, draft=draft, steering=steering_of(web, page))


def _act(request: Request, reference: str, anchor: str, act: Callable[[Session, Application], object], done: str,
         send: bool = False) -> Response:
    """Run one action on an application with its audit event, in one transaction.  With `send`, the
    reply the action recorded is then sent at once (`deliver_now`), and the message says how that went."""
    web = web_of(request)
    reply_id: int | None = None
    with Session(web.rt.engine) as session:
        app = find_application(session, reference)
        if app is None:
            raise HTTPException(404, "Ansøgningen findes ikke.")
        try:
            result = act(session, app)
        except actions.ActionError as exc:
            session.rollback()
            flash(request, "error", str(exc))
            send = False
        else:
            session.commit()
            flash(request, "ok", done)
            reply_id = result.id if isinstance(result, Reply) else None
    if send:
        deliver_now(web, web.now())
        if reply_id is not None:
            _report_delivery(request, web, reply_id, done)
    return RedirectResponse(f"/applications/{quote(reference)}#{anchor}", status_code=303)


def deliver_now(web: Web, now: dt.datetime) -> FlushResult:
    """Send what an action recorded at once, through the service's own send function and so with the
    configured retry policy: a failed send stays pending with its next attempt scheduled, and the
    service's next pass (or the next action) takes it then."""
    return send_pending(web.rt.engine, web.rt.settings.delivery, now)


def _report_delivery(request: Request, web: Web, reply_id: int, done: str) -> None:
    """After `deliver_now`: say so when the reply did not go out."""
    with Session(web.rt.engine) as session:
        reply = session.get(Reply, reply_id)
    if reply is None or reply.state in (ReplyState.SENT, ReplyState.CLAIMED, ReplyState.SENDING):
        return  # sent, or being sent by the service right now
    tz = web.rt.settings.timezone
    if reply.state == ReplyState.PENDING and reply.next_attempt_at is not None:
        flash(request, "error", f"{done} Mailen kunne ikke sendes endnu ({reply.error}); "
                                f"der prøves igen {local(reply.next_attempt_at, tz, seconds=False)}.")
    elif reply.state == ReplyState.FAILED:
        flash(request, "error", f"{done} Mailen blev ikke sendt: {reply.error}")


@router.post("/applications/{reference}/override", dependencies=ACT)
def override(request: Request, reference: str, check: Text = "", status: Text = "", reason: Text = "") -> Response:
    now, actor = web_of(request).now(), user_of(request)
    return _act(request, reference, "tjek", lambda s, app: actions.override_check(s, app, check, status, reason, actor, now), "Tjekket er overstyret.")


@router.post("/applications/{reference}/note", dependencies=ACT)
def note(request: Request, reference: str, note: Text = "") -> Response:
    now, actor = web_of(request).now(), user_of(request)
    return _act(request, reference, "noter", lambda s, app: actions.add_note(s, app, note, actor, now), "Noten er gemt.")


@router.post("/applications/{reference}/decision", dependencies=ACT)
def decision(request: Request, reference: str, decision: Text = "", comment: Text = "") -> Response:
    now, actor = web_of(request).now(), user_of(request)
    return _act(request, reference, "afgoerelse", lambda s, app: actions.decide(s, app, decision, comment, actor, now), "Afgørelsen er gemt.")


@router.post("/applications/{reference}/inquiry-answered", dependencies=ACT)
def inquiry_answered(request: Request, reference: str) -> Response:
    now, actor = web_of(request).now(), user_of(request)
    return _act(request, reference, "handlinger", lambda s, app: actions.mark_inquiry_answered(s, app, actor, now), "Henvendelsen er markeret som besvaret.")


@router.post("/applications/{reference}/information-request", dependencies=ACT)
def information_request(request: Request, reference: str, text: Text = "") -> Response:
    web = web_of(request)
    now, actor = web.now(), user_of(request)
    page = application_page(web.rt, reference)
    if page is None:
        raise HTTPException(404, "Ansøgningen findes ikke.")
    return _act(request, reference, "anmodninger",
                lambda s, app: actions.request_information(s, web.rt, page.round, app, page.applicant, text, actor, now),
                "Anmodningen om oplysninger er lagt i udbakken.", send=True)


@router.post("/applications/{reference}/information-request/{request_id}/close", dependencies=ACT)
def close_information_request(request: Request, reference: str, request_id: int) -> Response:
    now, actor = web_of(request).now(), user_of(request)
    return _act(request, reference, "anmodninger", lambda s, app: actions.close_request(s, app, request_id, actor, now),
                "Anmodningen er lukket.")


@router.post("/applications/{reference}/messages/{message_id}/answer", dependencies=ACT)
def send_held_reply(request: Request, reference: str, message_id: int) -> Response:
    web = web_of(request)
    now, actor = web.now(), user_of(request)
    return _act(request, reference, "mails", lambda s, app: actions.send_held_reply(s, web.rt, app, message_id, actor, now),
                "Svaret er lagt i udbakken.", send=True)


def download(data: bytes, filename: str, content_type: str = "application/octet-stream") -> Response:
    """Always a download, never rendered: Content-Disposition attachment, nosniff, a sandboxing CSP."""
    fallback = "".join(c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in filename) or "fil"
    return Response(data, media_type=content_type, headers={
        "Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff",
    })


# One mail or one of its files is how a case is read (the page shows the mail's text already): READ.
@router.get("/attachments/{attachment_id}", dependencies=READ)
def attachment(request: Request, attachment_id: int) -> Response:
    web = web_of(request)
    with Session(web.rt.engine) as session:
        row = session.get(Attachment, attachment_id)
        if row is None:
            raise HTTPException(404, "Filen findes ikke.")
        return download(stored_file(web, row.sha256), row.filename)


def stored_file(web: Web, sha256: str) -> bytes:
    """A kept file's bytes; 410 when `retention apply` or a subject erasure has deleted it."""
    if not web.rt.store.exists(sha256):
        raise HTTPException(410, "Filen er slettet efter reglerne for opbevaring af persondata.")
    return web.rt.store.get(sha256)


@router.get("/messages/{message_id}.eml", dependencies=READ)
def raw_message(request: Request, message_id: int) -> Response:
    web = web_of(request)
    with Session(web.rt.engine) as session:
        row = session.get(Message, message_id)
        if row is None:
            raise HTTPException(404, "Mailen findes ikke.")
        return download(stored_file(web, row.sha256), f"mail-{row.id}.eml")


EXPORTS = {"export": ("ansoegninger", exports.steering_group, "Ansøgninger"), "journal": ("journal", exports.journal, "Journal")}


# The round exports are the exports of personal data, so ADMIN: the journal names every sender and
# recipient with address, subject and file names; the steering-group list carries the overrides' free-text
# reasons and the staff who wrote them.  Both leave the app as files, beyond its roles and audit trail.
@router.get("/rounds/{round_id}/{what}.{fmt}", dependencies=ADMIN)
def export(request: Request, round_id: str, what: str, fmt: str) -> Response:
    web = web_of(request)
    round_ = next((r for r in web.rt.settings.rounds if r.id == round_id), None)
    if round_ is None or what not in EXPORTS or fmt not in ("csv", "xlsx"):
        raise HTTPException(404, "Eksporten findes ikke.")
    stem, build, title = EXPORTS[what]
    table = build(web.rt, round_)
    now = web.now()
    with Session(web.rt.engine) as session:
        actions.audit(session, user_of(request), AuditAction.EXPORT, now, f"{title} for {round_.id} ({fmt.upper()}, {len(table[1])} rækker)")
        session.commit()
    filename = f"{stem}-{round_.id}-{now.astimezone(web.rt.settings.timezone):%Y%m%d-%H%M}.{fmt}"
    if fmt == "csv":
        return download(exports.to_csv(table), filename, "text/csv; charset=utf-8")
    return download(exports.to_xlsx(table, title), filename, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@router.get("/audit", response_class=HTMLResponse, dependencies=READ)
def audit(request: Request) -> Response:
    web = web_of(request)
    return web.page(request, "audit.html", events=audit_log(web.rt))




# --- The round at a glance (issue 13): charts of the round's stored data, for every reader ---------


@router.get("/rounds/{round_id}", response_class=HTMLResponse, dependencies=READ)
def round_overview(request: Request, round_id: str) -> Response:
    from triage.round_view import round_page  # this block's own imports, kept with it
    from triage.rounds import days_left, duration

    web = web_of(request)
    page = round_page(web.rt, round_id, web.now())
    if page is None:
        raise HTTPException(404, "Runden findes ikke. Vælg en runde under Ansøgninger.")
    return web.page(request, "round.html", p=page, duration=duration, days_left=days_left)


# --- Toward the steering group (issue 13): scores, the decision letters, the steering-group pack -----
# This block's own imports, kept with it.
from bot.steering import Criterion, pack_of  # noqa: E402
from triage.pack import render as render_pack  # noqa: E402
from triage.steering_view import SteeringView, steering_view  # noqa: E402
from triage.views import ApplicationPage  # noqa: E402


def steering_of(web: Web, page: ApplicationPage) -> SteeringView | None:
    """The application page's scoring form and decision letter (templates/_scores.html)."""
    return steering_view(web.rt, page, web.now())


async def scores_given(request: Request) -> dict[str, tuple[str, str]]:
    """The scoring form's five (value, note) pairs, by criterion: fields `value_<criterion>`, `note_<criterion>`."""
    form = await request.form()
    return {c: (str(form.get(f"value_{c}") or ""), str(form.get(f"note_{c}") or "")) for c in Criterion}


@router.post("/applications/{reference}/scores", dependencies=ACT)
def scores(request: Request, reference: str, given: Annotated[dict[str, tuple[str, str]], Depends(scores_given)]) -> Response:
    now, actor = web_of(request).now(), user_of(request)
    return _act(request, reference, "vurdering", lambda s, app: actions.score(s, app, given, actor, now), "Vurderingen er gemt.")


@router.post("/applications/{reference}/decision-letter", dependencies=ACT)
def decision_letter(request: Request, reference: str, text: Text = "", decision_id: Text = "") -> Response:
    """The edited letter for the decision in force, recorded (`bot.replies.record`) and sent through the
    outbox at once, like a request for information."""
    web = web_of(request)
    now, actor = web.now(), user_of(request)
    page = application_page(web.rt, reference)
    if page is None:
        raise HTTPException(404, "Ansøgningen findes ikke.")
    shown = int(decision_id) if decision_id.strip().isdigit() else 0
    return _act(request, reference, "afgoerelsesbrev",
                lambda s, app: actions.send_decision_letter(s, web.rt, page.round, app, page.applicant, shown, text, actor, now),
                "Afgørelsesbrevet er lagt i udbakken.", send=True)


# The pack is ADMIN, like the round exports: it is the steering-group list and more (each check's evidence
# quoted from the applications, the overrides' reasons, the scores' free-text notes and who wrote them),
# and it leaves the app as a file, beyond its roles and audit trail.
@router.get("/rounds/{round_id}/pack.pdf", dependencies=ADMIN)
def steering_pack(request: Request, round_id: str) -> Response:
    web = web_of(request)
    round_ = next((r for r in web.rt.settings.rounds if r.id == round_id), None)
    if round_ is None:
        raise HTTPException(404, "Runden findes ikke.")
    now = web.now()
    with Session(web.rt.engine) as session:
        pack = pack_of(session, web.rt.settings, round_, now)
    data = render_pack(pack)
    with Session(web.rt.engine) as session:
        actions.audit(session, user_of(request), AuditAction.EXPORT, now,
                      f"Styregruppepakke for {round_.id} (PDF, {len(pack.applications)} ansøgninger)")
        session.commit()
    return download(data, f"styregruppepakke-{round_.id}-{now.astimezone(web.rt.settings.timezone):%Y%m%d-%H%M}.pdf", "application/pdf")


def _ahead_of_exports(path: str) -> None:
    """Starlette tries routes in order, and the exports' `/rounds/{round_id}/{what}.{fmt}` would take
    `pack.pdf` (and answer 404): the pack's route goes just before it."""
    mine = next(r for r in router.routes if getattr(r, "path", "") == path)
    router.routes.remove(mine)
    at = next((i for i, r in enumerate(router.routes) if getattr(r, "path", "") == "/rounds/{round_id}/{what}.{fmt}"), len(router.routes))
    router.routes.insert(at, mine)


_ahead_of_exports("/rounds/{round_id}/pack.pdf")


# --- Evidence pictures and the document viewer (bot/pictures.py makes the pictures; a request only
# reads them: a missing one is shown as "billedet laves", never made here) ---------------------------

PICTURE_MAX_AGE = 3600  # a picture's bytes never change (its name is its row); private: only this browser keeps it


@router.get("/pictures/{picture_id}.png", dependencies=READ)
def picture(request: Request, picture_id: int) -> Response:
    web = web_of(request)
    with Session(web.rt.engine) as session:
        row = session.get(Picture, picture_id)
    if row is None or not row.image_sha256:
        raise HTTPException(404, "Billedet findes ikke.")
    if not web.rt.store.exists(row.document_sha256):  # the document deleted (retention, erasure): its pictures go with it
        raise HTTPException(410, "Filen er slettet efter reglerne for opbevaring af persondata.")
    return Response(stored_file(web, row.image_sha256), media_type="image/png", headers={
        "Cache-Control": f"private, max-age={PICTURE_MAX_AGE}", "X-Content-Type-Options": "nosniff"})


@router.get("/attachments/{attachment_id}/view", response_class=HTMLResponse, dependencies=READ)
def attachment_viewer(request: Request, attachment_id: int, page: int = 1) -> Response:
    web = web_of(request)
    with Session(web.rt.engine) as session:
        row = session.get(Attachment, attachment_id)
        if row is None:
            raise HTTPException(404, "Filen findes ikke.")
        message = session.get(Message, row.message_id)
        application = session.get(Application, message.application_id) if message and message.application_id else None
        shown = document_viewer(session, row, page) if web.rt.store.exists(row.sha256) else None
    if shown is None:
        raise HTTPException(410, "Filen er slettet efter reglerne for opbevaring af persondata.")
    return web.page(request, "viewer.html", v=shown, reference=application.reference if application else "")

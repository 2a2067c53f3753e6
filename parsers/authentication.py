"""Sender authenticity: what the trusted receiving server wrote in `Authentication-Results` (RFC 8601).

Anyone can write an `Authentication-Results` header: the sender, or any server the mail passed on the
way.  Only the receiving server of our own mailbox is believed, named by `[mailbox] trusted_authserv_id`
(one id, a comma-separated string, or a list; empty = no header is believed, the verdict is "none").

The trust rule (the headers are taken in message order, topmost = added last = nearest to us):

1. **RFC 8601 form** (`Authentication-Results: mx.sbst.dk; spf=pass …`).  A header is the trusted
   server's when its authserv-id (case-insensitive) is one of the configured ids.  The trusted server
   must remove headers bearing its id from mail arriving from outside (RFC 8601 section 5), so the
   headers it wrote are the topmost run: the results are read from the first trusted header and the
   trusted headers directly below it (Postfix with OpenDKIM and OpenDMARC writes one header each); for
   each method, from the topmost of them that reports it.  A header below the first foreign one is
   ignored even when it bears a trusted id: it was already in the mail when a server outside our
   boundary saw it, so it may be the sender's forgery; so is one that repeats a method a trusted
   header above it reported (each filter of the trusted server writes its own methods once: a second
   `dkim=` is not its), and the run ends there.  Foreign headers above the trusted ones (a hop
   after ours, inside the boundary: Exchange Online behind our own MX) are skipped, never read.  This
   relies on the trusted server doing what section 5 requires (stamping what it accepts, removing its
   own id from mail arriving from outside): if it stamps nothing, a forged header bearing its id is
   all there is.
2. **Microsoft 365 form** (Exchange Online Protection writes no authserv-id:
   `Authentication-Results: spf=pass (sender IP is …) smtp.mailfrom=kommune.dk; dkim=pass …;
   dmarc=pass action=none header.from=kommune.dk;compauth=pass reason=100`).  With the id
   `microsoft365` configured, the **topmost** header is Microsoft's when it has no authserv-id: EOP
   prepends its header when the mail enters the tenant, so anything below it came with the mail.  A
   header without an id anywhere else is ignored; so is a header that names `microsoft365` as its
   authserv-id (that is not what Microsoft writes: a sender could).  If another hop of ours writes its
   own header after EOP, configure that hop's id instead.  Microsoft documents the fields
   ("Anti-spam message headers in Microsoft 365", section Authentication-results): `compauth` is its
   composite verdict on the From domain, `reason` its three-digit code (000/001/002/010 fail, 1xx/7xx
   pass, 2xx softpass, 3xx/4xx/9xx none), `dmarc` may be `bestguesspass` (no DMARC record, but it
   would pass).

The verdict ("pass", "fail", "none") follows DMARC (RFC 7489) semantics on the trusted results:

- **fail**: `dmarc=fail`; or `compauth=fail` (Microsoft's DMARC-equivalent); or SPF `fail` and no
  DKIM signature verified (`dkim` reported as fail, none, neutral, policy or permerror: nothing
  authenticates the sender, and its domain says the sending host is not allowed).
- **pass**: `dmarc=pass` (or Microsoft's `bestguesspass`) or `compauth=pass`; without a DMARC result,
  an SPF or DKIM pass for exactly the From domain (strict alignment, which implies DMARC's relaxed
  alignment).  A DMARC pass for another domain than the From header's is no pass.
- **none**: nothing trusted, or nothing conclusive (softfail, temperror, permerror, unaligned passes).

Parsing uses `authres` (the RFC 8601 parser dkimpy uses; Debian ships it).  It cannot read the
Microsoft form: it requires an authserv-id and takes it as a dot-atom, so `spf=none; dkim=none` is read
as the id "spf=none" with one DKIM result, silently.  A header whose first word is `method=` (an
authserv-id is a MIME token, which cannot hold "=") is therefore read by putting a stand-in id in front
and parsing the rest with `authres`; a clause `smtp.mailfrom=…` standing on its own (seen in copies of
Microsoft headers) is taken as a property of the clause before it.  A header that cannot be parsed is
"not read", with the reason; no parse error leaves this module.

Pure: strings in, frozen dataclasses out.  `read_authentication` is the convenience for a parsed
`email.message.Message`.
"""
from __future__ import annotations

import email.message
import email.utils
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import authres
import authres.dmarc

from parsers.municipalities import by_domain

MICROSOFT365 = "microsoft365"  # the configured id meaning "Exchange Online's topmost header without an authserv-id"
MICROSOFT_LABEL = "Microsoft 365"
MAX_HEADER_CHARS = 16_000  # a longer header is not read (authres is quadratic in the length)

Verdict = Literal["pass", "fail", "none"]

_FEATURES = authres.FeatureContext(authres.dmarc)
_PTYPES = ("smtp", "header", "body", "policy")
_STANDIN_ID = "authserv-id.missing"
_FIELD_NAME = re.compile(r"^\s*Authentication-Results\s*:\s*", re.I)
_LEADING_COMMENTS = re.compile(r"^\s*(?:\([^()]*\)\s*)*")
_NO_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:/\s*\d+\s*)?=")  # `method=` or `method/1=` where the id should be
_ID_GUESS = re.compile(r"([A-Za-z0-9!#$%&'*+.^_`{|}~-]+)\s*(?:\d+\s*)?(?:;|\(|$)")
_DKIM_NOT_VERIFIED = ("fail", "none", "neutral", "policy", "permerror")


@dataclass(frozen=True)
class MethodResult:
    """One `method=result` clause: `spf=pass smtp.mailfrom=kommune.dk` → ("spf", "pass", None,
    (("smtp.mailfrom", "kommune.dk"),)).  Method, result and property names are lower case."""

    method: str
    result: str
    reason: str | None = None
    properties: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> str | None:
        return next((v for k, v in self.properties if k == name), None)


@dataclass(frozen=True)
class AuthenticationResults:
    """One header as read: its authserv-id (None: Microsoft's form without one), its results, or why it
    could not be read (`error`; then `results` is empty)."""

    authserv_id: str | None
    results: tuple[MethodResult, ...] = ()
    error: str | None = None

    @property
    def read(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class DomainMismatch:
    """A From domain and an envelope sender domain (Return-Path / smtp.mailfrom) of different
    organisations, where at least one is a municipality's."""

    from_domain: str
    envelope_domain: str
    municipality: str
    reason: str


@dataclass(frozen=True)
class SenderAuthentication:
    """The trusted receiving server's view of the sender, and the verdict drawn from it.

    `trusted` is True when a trusted header was found and read; `authserv_id` names it (MICROSOFT365 for
    Exchange Online's header).  `spf`, `dkim`, `dmarc`, `compauth` are the results as written (lower
    case; `dkim` is "pass" when any signature verified); `header_from` is the From domain the server
    evaluated (else the From header's); `mailfrom_domain` the envelope sender's domain (smtp.mailfrom of
    the trusted header, else the Return-Path's).  `reasons` are Danish, for the secretariat; `mismatch`
    is `domain_mismatch(From, envelope sender)`."""

    trusted: bool
    verdict: Verdict
    reasons: tuple[str, ...]
    authserv_id: str | None = None
    spf: str | None = None
    dkim: str | None = None
    dmarc: str | None = None
    compauth: str | None = None
    compauth_reason: str | None = None
    header_from: str | None = None
    mailfrom_domain: str | None = None
    dkim_domains: tuple[str, ...] = ()
    mismatch: DomainMismatch | None = None


# --- reading one header -------------------------------------------------------------------------


def unfold(value: str) -> str:
    """RFC 5322 unfolding: a line break followed by white space is no break; a stray one is a space."""
    return re.sub(r"\r?\n", " ", re.sub(r"\r?\n(?=[ \t])", "", value)).strip()


def parse_authentication_results(value: str) -> AuthenticationResults:
    """One `Authentication-Results` value (folded or not, with or without the field name).  Never raises."""
    try:
        return _parse(value)
    except Exception as exc:  # authres raises its own SyntaxError, RecursionError on deep comments, …
        return AuthenticationResults(_guess_id(value), error=_describe(exc))


def _parse(value: str) -> AuthenticationResults:
    text = _FIELD_NAME.sub("", unfold(str(value)), count=1)
    if not text:
        return AuthenticationResults(None, error="tom header")
    if len(text) > MAX_HEADER_CHARS:
        return AuthenticationResults(_guess_id(text), error=f"for lang ({len(text)} tegn)")
    microsoft = _NO_ID.match(text, _comments_end(text)) is not None
    header = _FEATURES.parse_value(f"{_STANDIN_ID}; {text}" if microsoft else text)
    results = [_result(r) for r in header.results]
    if microsoft:
        results = _attach_stray_properties(results)
    return AuthenticationResults(None if microsoft else str(header.authserv_id), tuple(results))


def _result(parsed: object) -> MethodResult:
    method = str(getattr(parsed, "method", "")).lower()
    result = str(getattr(parsed, "result", "")).lower()
    reason = getattr(parsed, "reason", None)
    properties = tuple(
        (f"{str(p.type).lower()}.{str(p.name).lower()}", str(p.value) if p.value is not None else "")
        for p in getattr(parsed, "properties", None) or ()
    )
    return MethodResult(method, result, str(reason) if reason is not None else None, properties)


def _attach_stray_properties(results: list[MethodResult]) -> list[MethodResult]:
    """`spf=pass (…); smtp.mailfrom=x.dk` → the property belongs to the clause before it."""
    out: list[MethodResult] = []
    for r in results:
        ptype = r.method.split(".", 1)[0]
        if "." in r.method and ptype in _PTYPES and out:
            last = out[-1]
            out[-1] = MethodResult(last.method, last.result, last.reason, (*last.properties, (r.method, r.result)))
        else:
            out.append(r)
    return out


def _guess_id(value: object) -> str | None:
    """The authserv-id of a header that could not be parsed, when its first word looks like one (a
    token followed by `;`, a comment, a version or nothing)."""
    try:
        text = _FIELD_NAME.sub("", unfold(str(value)), count=1)
        match = _ID_GUESS.match(text, _comments_end(text))
    except Exception:
        return None
    return match.group(1).lower() if match else None


def _comments_end(text: str) -> int:
    match = _LEADING_COMMENTS.match(text)
    return match.end() if match else 0


def _describe(exc: Exception) -> str:
    message = str(exc).strip() or type(exc).__name__
    return message if len(message) <= 200 else message[:200] + " …"


# --- which headers are believed -----------------------------------------------------------------


def trusted_ids(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """The configured ids: "mx.sbst.dk", "mx.sbst.dk, microsoft365" or a list; lower case, no empties."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else [i for v in value for i in str(v).split(",")]
    return tuple(dict.fromkeys(i.strip().lower().rstrip(".") for i in items if i.strip()))


@dataclass(frozen=True)
class _Selection:
    trusted: tuple[AuthenticationResults, ...]  # read or not, in message order
    ignored: tuple[str, ...]  # one word for each header not believed


def _select(headers: Sequence[AuthenticationResults], ids: tuple[str, ...]) -> _Selection:
    """The trusted run of headers (rules 1 and 2 of the module's docstring) and a word for each other one."""
    named = {i for i in ids if i != MICROSOFT365}
    trusted: list[AuthenticationResults] = []
    ignored: list[str] = []
    reported: set[str] = set()  # the methods the run has reported so far
    closed_by = ""  # what ended the run, once it has begun and ended
    for index, header in enumerate(headers):
        if header.authserv_id is None:
            ours = MICROSOFT365 in ids and index == 0  # Exchange Online's header is the topmost one
        else:
            ours = header.authserv_id in named
        methods = {r.method for r in header.results}
        repeats = sorted(methods & reported)
        if ours and not closed_by and not repeats:
            trusted.append(header)
            reported |= methods
            continue
        if ours and closed_by:
            ignored.append(f"{header.authserv_id} (under {closed_by})")
        elif ours:
            ignored.append(f"{header.authserv_id} (gentager {', '.join(repeats)} fra headeren over)")
            closed_by = "en gentaget header"
        elif header.authserv_id is None:
            ignored.append("én uden authserv-id" if header.read else "én ulæselig")
        else:
            ignored.append(header.authserv_id)
        if trusted and not closed_by:
            closed_by = "en anden servers header"
    return _Selection(tuple(trusted), tuple(ignored))


def _label(authserv_id: str | None) -> str:
    return MICROSOFT_LABEL if authserv_id in (None, MICROSOFT365) else str(authserv_id)


# --- the verdict --------------------------------------------------------------------------------


def address_domain(value: str | None) -> str | None:
    """The domain of "Navn <x@kommune.dk>", "<x@kommune.dk>", "x@kommune.dk" or a bare "kommune.dk"."""
    if not value:
        return None
    text = str(value).strip()
    address = email.utils.parseaddr(text)[1] or text.strip("<> ")
    domain = address.rsplit("@", 1)[-1] if "@" in address else ("" if "<" in text else address)
    domain = domain.strip(" <>\"'").rstrip(".").lower()
    return domain if domain and "." in domain and re.fullmatch(r"[^\s@<>()\[\],;:\"]+", domain) else None


def sender_authentication(
    headers: Sequence[str],
    trusted: str | Iterable[str] | None,
    from_address: str = "",
    return_path: str = "",
) -> SenderAuthentication:
    """The verdict on a mail's sender from its `Authentication-Results` values (message order, topmost
    first), the ids of the trusted receiving server, and the From and Return-Path header values."""
    ids = trusted_ids(trusted)
    from_domain = address_domain(from_address)
    envelope_domain = address_domain(return_path)
    if not ids:
        return SenderAuthentication(
            trusted=False, verdict="none", header_from=from_domain, mailfrom_domain=envelope_domain,
            reasons=("Afsenderens ægthed er ikke vurderet: ingen betroet modtageserver er sat op ([mailbox] trusted_authserv_id)",),
            mismatch=domain_mismatch(from_address, return_path),
        )
    parsed = [parse_authentication_results(h) for h in headers]
    selection = _select(parsed, ids)
    reasons: list[str] = []
    read = [h for h in selection.trusted if h.read]
    for h in selection.trusted:
        if not h.read:
            reasons.append(f"Authentication-Results fra {_label(h.authserv_id)} kunne ikke læses: {h.error}")
    if selection.ignored:
        reasons.append(f"Ignorerede Authentication-Results (ikke fra den betroede modtageserver): {', '.join(selection.ignored)}")
    if not read:
        wanted = ", ".join("Microsoft 365 (øverste header, uden authserv-id)" if i == MICROSOFT365 else i for i in ids)
        reasons.insert(0, f"Afsenderens ægthed er ikke vurderet: ingen læsbar Authentication-Results fra {wanted}")
        return SenderAuthentication(
            trusted=False, verdict="none", reasons=tuple(reasons), header_from=from_domain, mailfrom_domain=envelope_domain,
            mismatch=domain_mismatch(from_address, return_path),
        )
    source = f"Authentication-Results fra {_label(read[0].authserv_id)}"
    spf_all = _reported(read, "spf")
    spf_result = next((r for r in spf_all if r.get("smtp.mailfrom")), spf_all[0] if spf_all else None)
    dkim_all = _reported(read, "dkim")
    dmarc_result = next(iter(_reported(read, "dmarc")), None)
    comp_result = next(iter(_reported(read, "compauth")), None)

    spf = _spf_value(spf_result.result) if spf_result else None
    dkim_passed = [r for r in dkim_all if r.result == "pass"]
    dkim = "pass" if dkim_passed else (dkim_all[0].result if dkim_all else None)
    dkim_domains = tuple(dict.fromkeys(d for d in (_dkim_domain(r) for r in dkim_passed) if d))
    dmarc = dmarc_result.result if dmarc_result else None
    compauth = comp_result.result if comp_result else None
    compauth_reason = comp_result.reason if comp_result else None
    evaluated_from = address_domain(dmarc_result.get("header.from")) if dmarc_result else None
    evaluated_from = evaluated_from or (address_domain(comp_result.get("header.from")) if comp_result else None)
    mailfrom = address_domain(spf_result.get("smtp.mailfrom")) if spf_result else None
    header_from = evaluated_from or from_domain
    mailfrom_domain = mailfrom or envelope_domain
    domain = header_from or "ukendt domæne"

    failures: list[str] = []
    if dmarc == "fail":
        failures.append(f"DMARC fejlede for {domain} ({source})")
    if compauth == "fail":
        code = f", reason={compauth_reason}" if compauth_reason else ""
        failures.append(f"Microsoft 365's samlede godkendelse (compauth) fejlede for {domain}{code} ({source})")
    if spf == "fail" and dkim in _DKIM_NOT_VERIFIED:
        checked = mailfrom or mailfrom_domain or domain
        why = "mailen var ikke DKIM-signeret" if dkim == "none" else f"DKIM fejlede ({dkim})"
        failures.append(f"SPF fejlede for {checked}, og {why} ({source})")

    verdict: Verdict
    if failures:
        verdict = "fail"
        reasons[:0] = failures
        if compauth == "pass":
            reasons.append(f"Microsoft 365 godkendte dog afsenderen samlet (compauth=pass, reason={compauth_reason or '?'})")
    else:
        passed = _passed(dmarc, compauth, compauth_reason, spf, dkim, mailfrom, dkim_domains, from_domain, domain, source)
        if passed and evaluated_from and from_domain and evaluated_from != from_domain:
            verdict = "none"
            reasons.insert(0, f"Godkendelsen gælder {evaluated_from}, men afsenderen (From) er {from_domain} ({source})")
        elif passed:
            verdict = "pass"
            reasons.insert(0, passed)
        else:
            verdict = "none"
            reasons.insert(0, f"Ingen afgørelse om afsenderen {domain}: {_summary(spf, dkim, dmarc, compauth)} ({source})")
    return SenderAuthentication(
        trusted=True, verdict=verdict, reasons=tuple(reasons), authserv_id=read[0].authserv_id or MICROSOFT365,
        spf=spf, dkim=dkim, dmarc=dmarc, compauth=compauth, compauth_reason=compauth_reason,
        header_from=header_from, mailfrom_domain=mailfrom_domain, dkim_domains=dkim_domains,
        mismatch=domain_mismatch(from_address, mailfrom or return_path),
    )


def _reported(headers: Sequence[AuthenticationResults], method: str) -> list[MethodResult]:
    """The results for `method` of the topmost header that reports it (OpenDKIM writes every signature
    into one header; a header further down cannot add to or override what the one above said)."""
    for header in headers:
        found = [r for r in header.results if r.method == method]
        if found:
            return found
    return []


def _spf_value(result: str) -> str:
    return "fail" if result == "hardfail" else result  # RFC 6577: "hardfail" is the old name of "fail"


def _dkim_domain(result: MethodResult) -> str | None:
    d = result.get("header.d")
    if d and d.lower() != "none":
        return address_domain(d)
    return address_domain(result.get("header.i"))


def _passed(
    dmarc: str | None, compauth: str | None, compauth_reason: str | None, spf: str | None, dkim: str | None,
    mailfrom: str | None, dkim_domains: tuple[str, ...], from_domain: str | None, domain: str, source: str,
) -> str | None:
    if dmarc == "pass":
        return f"Afsenderen er godkendt: DMARC bestået for {domain} ({source})"
    if dmarc == "bestguesspass":
        return f"Afsenderen er godkendt: DMARC ville være bestået for {domain} (bestguesspass, domænet har ingen DMARC-post) ({source})"
    if compauth == "pass":
        return f"Afsenderen er godkendt: Microsoft 365's samlede godkendelse (compauth) bestået for {domain}, reason={compauth_reason or '?'} ({source})"
    if dmarc is None and from_domain:
        if spf == "pass" and mailfrom == from_domain:
            return f"Afsenderen er godkendt: SPF bestået for {from_domain}, samme domæne som From ({source})"
        if dkim == "pass" and from_domain in dkim_domains:
            return f"Afsenderen er godkendt: DKIM-signatur fra {from_domain}, samme domæne som From ({source})"
    return None


def _summary(spf: str | None, dkim: str | None, dmarc: str | None, compauth: str | None) -> str:
    parts = [f"SPF {spf or 'ikke vurderet'}", f"DKIM {dkim or 'ikke vurderet'}", f"DMARC {dmarc or 'ikke vurderet'}"]
    if compauth:
        parts.append(f"compauth {compauth}")
    return ", ".join(parts)


# --- From against the envelope sender -----------------------------------------------------------


def _same_organisation(a: str, b: str) -> bool:
    if a == b or a.endswith("." + b) or b.endswith("." + a):
        return True
    ma, mb = by_domain(a), by_domain(b)
    return ma is not None and ma == mb  # one municipality's two domains (balk.dk, ballerup.dk)


def domain_mismatch(from_address: str, envelope_sender: str) -> DomainMismatch | None:
    """A From whose domain differs from the envelope sender's (Return-Path, or smtp.mailfrom) where
    either is a municipality's; None when they agree (a subdomain, or another domain of the same
    municipality, agrees), when either is missing (a bounce's `<>`) or when neither is a municipality's."""
    from_domain, envelope_domain = address_domain(from_address), address_domain(envelope_sender)
    if not from_domain or not envelope_domain or _same_organisation(from_domain, envelope_domain):
        return None
    m_from, m_env = by_domain(from_domain), by_domain(envelope_domain)
    if m_from is None and m_env is None:
        return None
    if m_from is not None:
        other = f" ({m_env.name})" if m_env else ""
        reason = (f"Afsenderen (From) er fra {from_domain} ({m_from.name}), men konvolutafsenderen "
                  f"(Return-Path) er fra {envelope_domain}{other}")
        return DomainMismatch(from_domain, envelope_domain, m_from.name, reason)
    assert m_env is not None
    reason = (f"Konvolutafsenderen (Return-Path) er fra {envelope_domain} ({m_env.name}), men afsenderen "
              f"(From) er fra {from_domain}")
    return DomainMismatch(from_domain, envelope_domain, m_env.name, reason)


# --- convenience --------------------------------------------------------------------------------


def read_authentication(message: email.message.Message, trusted: str | Iterable[str] | None) -> SenderAuthentication:
    """`sender_authentication` over a parsed message: its `Authentication-Results` in order, its From
    and its topmost Return-Path."""
    try:
        headers = [str(v) for v in message.get_all("Authentication-Results") or []]
        from_address = str(message.get("From") or "")
        return_path = str(message.get("Return-Path") or "")
    except Exception as exc:  # a header the email package cannot decode
        return SenderAuthentication(
            trusted=False, verdict="none",
            reasons=(f"Afsenderens ægthed er ikke vurderet: mailens headere kunne ikke læses ({_describe(exc)})",),
        )
    return sender_authentication(headers, trusted, from_address, return_path)


__all__ = [
    "MICROSOFT365", "AuthenticationResults", "DomainMismatch", "MethodResult", "SenderAuthentication", "Verdict",
    "address_domain", "domain_mismatch", "parse_authentication_results", "read_authentication",
    "sender_authentication", "trusted_ids", "unfold",
]

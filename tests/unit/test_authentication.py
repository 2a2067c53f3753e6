"""Sender authenticity from Authentication-Results (parsers/authentication.py).

Every expected verdict below is derived from the header's meaning, not from running the code:
RFC 8601 (which header is whose, the result words), RFC 7489 (DMARC: pass needs an aligned SPF or DKIM
pass; dmarc=fail is a failure whatever the policy), RFC 7208 (SPF fail = the host is not allowed;
softfail is weaker) and Microsoft's "Anti-spam message headers in Microsoft 365" (compauth: Microsoft's
composite verdict on the From domain; reason 000/001 fail, 1xx pass, 130 = passed through ARC, 2xx
softpass, 9xx bypassed).  The header shapes are the ones these servers write.
"""
from __future__ import annotations

import email
import email.policy
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from config.settings import ConfigError, parse_settings
from parsers.authentication import (
    MICROSOFT365,
    address_domain,
    domain_mismatch,
    parse_authentication_results,
    read_authentication,
    sender_authentication,
    trusted_ids,
)

# Exchange Online Protection, as Microsoft documents it and as it arrives: no authserv-id, no space after some ";"
EOP_PASS = ("spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=kommune.dk; dkim=pass (signature was verified) "
            "header.d=kommune.dk;dmarc=pass action=none header.from=kommune.dk;compauth=pass reason=100")
EOP_DMARC_REJECT = ("spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=kommune.dk; dkim=none (message not signed) "
                    "header.d=none;dmarc=fail action=oreject header.from=kommune.dk;compauth=fail reason=000")
EOP_IMPLICIT_FAIL = ("spf=softfail (sender IP is 203.0.113.9) smtp.mailfrom=kommune.dk; dkim=none (message not signed) "
                     "header.d=none;dmarc=none action=none header.from=kommune.dk;compauth=fail reason=001")
EOP_SOFTPASS = ("spf=none (sender IP is 198.51.100.7) smtp.mailfrom=kommune.dk; dkim=none (message not signed) "
                "header.d=none;dmarc=none action=none header.from=kommune.dk;compauth=softpass reason=201")
EOP_BESTGUESS = ("spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=kommune.dk; dkim=none (message not signed) "
                 "header.d=none;dmarc=bestguesspass action=none header.from=kommune.dk;compauth=pass reason=109")
EOP_ARC_OVERRIDE = ("spf=fail (sender IP is 192.0.2.10) smtp.mailfrom=kommune.dk; dkim=fail (body hash did not verify) "
                    "header.d=kommune.dk;dmarc=fail action=none header.from=kommune.dk;compauth=pass reason=130")
EOP_SPF_FAIL_UNSIGNED = ("spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=kommune.dk; dkim=none (message not signed) "
                         "header.d=none;dmarc=none action=none header.from=kommune.dk;compauth=none reason=905")

GMAIL_PASS = ("mx.google.com;\r\n       dkim=pass header.i=@kommune.dk header.s=selector1 header.b=\"Ab/cD+e1\";\r\n"
              "       spf=pass (google.com: domain of mette@kommune.dk designates 1.2.3.4 as permitted sender) smtp.mailfrom=mette@kommune.dk;\r\n"
              "       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=kommune.dk")
GMAIL_DMARC_FAIL = ("mx.google.com; spf=pass (google.com: domain of someone@gmail.com designates 209.85.220.41 as permitted sender) "
                    "smtp.mailfrom=someone@gmail.com; dmarc=fail (p=QUARANTINE sp=NONE dis=QUARANTINE) header.from=aarhus.dk")

OPENDKIM_PASS = ("mail.sbst.dk;\n\tdkim=pass (2048-bit key; unprotected) header.d=kommune.dk header.i=@kommune.dk "
                 "header.a=rsa-sha256 header.s=202301 header.b=\"AbCdEf12\";\n\tdkim-atps=neutral")
SPF_PASS = "mail.sbst.dk; spf=pass (sender SPF authorized) smtp.mailfrom=kommune.dk"
OPENDMARC_PASS = "mail.sbst.dk; dmarc=pass (p=reject dis=none) header.from=kommune.dk"


@dataclass(frozen=True)
class Case:
    name: str
    headers: tuple[str, ...]
    trusted: str | tuple[str, ...]
    verdict: str
    is_trusted: bool = True
    sender: str = "Mette Hansen <mette@kommune.dk>"
    return_path: str = "<mette@kommune.dk>"
    fields: dict[str, object] = field(default_factory=dict)
    reason: str = ""  # a substring of one of the reasons


CASES = [
    # --- Microsoft 365 (Exchange Online Protection) --------------------------------------------
    Case("m365 without authserv-id, all pass", (EOP_PASS,), "microsoft365", "pass",
         fields={"spf": "pass", "dkim": "pass", "dmarc": "pass", "compauth": "pass", "compauth_reason": "100",
                 "header_from": "kommune.dk", "mailfrom_domain": "kommune.dk", "authserv_id": MICROSOFT365},
         reason="DMARC bestået for kommune.dk (Authentication-Results fra Microsoft 365)"),
    # DMARC fail with p=reject (action=oreject: Microsoft delivered it anyway) and compauth=fail reason=000
    Case("m365 dmarc fail, oreject", (EOP_DMARC_REJECT,), "microsoft365", "fail",
         fields={"dmarc": "fail", "compauth": "fail", "compauth_reason": "000", "dkim": "none", "spf": "fail"},
         reason="DMARC fejlede for kommune.dk (Authentication-Results fra Microsoft 365)"),
    # no DMARC record and a weak SPF: only Microsoft's implicit check fails (reason 001), a DMARC-equivalent fail
    Case("m365 compauth fail 001 without dmarc", (EOP_IMPLICIT_FAIL,), "microsoft365", "fail",
         fields={"dmarc": "none", "compauth": "fail", "compauth_reason": "001"}, reason="compauth"),
    # softpass is neither a pass nor a fail
    Case("m365 compauth softpass", (EOP_SOFTPASS,), "microsoft365", "none", fields={"compauth": "softpass"}),
    # bestguesspass: no DMARC record, but the message would pass DMARC
    Case("m365 bestguesspass", (EOP_BESTGUESS,), "microsoft365", "pass", fields={"dmarc": "bestguesspass"}),
    # DMARC failed; Microsoft let it through on the ARC chain (reason 130).  A DMARC fail is a fail; the note says so.
    Case("m365 dmarc fail with ARC override", (EOP_ARC_OVERRIDE,), "microsoft365", "fail",
         fields={"compauth": "pass", "compauth_reason": "130"}, reason="compauth=pass, reason=130"),
    # SPF -all fails and nothing is signed: nothing authenticates the sender
    Case("m365 spf fail, unsigned, no dmarc record", (EOP_SPF_FAIL_UNSIGNED,), "microsoft365", "fail",
         fields={"spf": "fail", "dkim": "none", "dmarc": "none"}, reason="SPF fejlede for kommune.dk, og mailen var ikke DKIM-signeret"),
    # the same header, folded over three lines as Exchange stores it
    Case("m365 folded", (EOP_PASS.replace("; dkim", ";\r\n\tdkim").replace(";dmarc", ";\r\n dmarc"),), "microsoft365", "pass",
         fields={"dkim": "pass", "dmarc": "pass"}),
    # the form as Valimail's and others' copies print it, with ";" before each property
    Case("m365 semicolons before properties",
         ("spf=pass (sender IP is 209.85.222.48); smtp.mailfrom=kommune.dk; dkim=pass (signature was verified); header.d=kommune.dk;"
          "dmarc=pass action=none; header.from=kommune.dk;compauth=pass reason=100",),
         "microsoft365", "pass", fields={"mailfrom_domain": "kommune.dk", "header_from": "kommune.dk"}),
    # Microsoft with an authserv-id (hotmail.com writes one; x-hmca is its own method): trusted by that id.
    # No DMARC result: SPF passed for exactly the From domain (strict alignment implies DMARC alignment).
    Case("microsoft with authserv-id",
         ("hotmail.com; spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=kommune.dk; dkim=pass header.d=kommune.dk; "
          "x-hmca=pass header.id=mette@kommune.dk",), "hotmail.com", "pass", fields={"authserv_id": "hotmail.com"},
         reason="SPF bestået for kommune.dk"),
    Case("m365 with authserv-id and compauth",
         ("eur03.prod.protection.outlook.com; spf=pass (sender IP is 1.2.3.4) smtp.mailfrom=kommune.dk; dkim=none (message not signed) "
          "header.d=none;dmarc=none action=none header.from=kommune.dk;compauth=fail reason=001",),
         "eur03.prod.protection.outlook.com", "fail", fields={"compauth": "fail"}),
    # Microsoft's header is not believed when microsoft365 is not configured
    Case("m365 header, another server configured", (EOP_PASS,), "mx.sbst.dk", "none", is_trusted=False,
         reason="Ignorerede Authentication-Results (ikke fra den betroede modtageserver): én uden authserv-id"),
    # the sender put a passing EOP-style header into the mail; Microsoft's own (topmost) says DMARC failed
    Case("m365 forged no-id header below", (EOP_DMARC_REJECT, EOP_PASS), "microsoft365", "fail",
         fields={"dmarc": "fail"}, reason="én uden authserv-id"),
    # the topmost header is another server's: an EOP-style header further down is not Microsoft's
    Case("m365 no-id header not topmost", ("mx.kommune.dk; spf=fail smtp.mailfrom=kommune.dk", EOP_PASS), "microsoft365", "none",
         is_trusted=False),
    # a header that names "microsoft365" as its authserv-id is not what Microsoft writes: anybody could
    Case("authserv-id spelled microsoft365", ("microsoft365; dmarc=pass header.from=kommune.dk",), "microsoft365", "none",
         is_trusted=False),

    # --- Gmail ---------------------------------------------------------------------------------
    Case("gmail pass, folded", (GMAIL_PASS,), "mx.google.com", "pass",
         fields={"dkim": "pass", "dkim_domains": ("kommune.dk",), "mailfrom_domain": "kommune.dk", "header_from": "kommune.dk"},
         reason="(Authentication-Results fra mx.google.com)"),
    # a Gmail account sending as aarhus.dk: SPF passes for gmail.com, DMARC fails for aarhus.dk
    Case("gmail dmarc fail, gmail envelope", (GMAIL_DMARC_FAIL,), "mx.google.com", "fail",
         sender="Jens <jens@aarhus.dk>", return_path="<someone@gmail.com>",
         fields={"spf": "pass", "dmarc": "fail", "mailfrom_domain": "gmail.com", "header_from": "aarhus.dk"},
         reason="DMARC fejlede for aarhus.dk (Authentication-Results fra mx.google.com)"),

    # --- Postfix with OpenDKIM, OpenDMARC and an SPF policy daemon: one header each, one authserv-id
    Case("postfix three headers pass", (OPENDMARC_PASS, OPENDKIM_PASS, SPF_PASS), "mail.sbst.dk", "pass",
         fields={"spf": "pass", "dkim": "pass", "dmarc": "pass", "mailfrom_domain": "kommune.dk"}),
    Case("opendmarc fail, opendkim bad signature",
         ("mail.sbst.dk; dmarc=fail (p=quarantine dis=quarantine) header.from=kommune.dk",
          "mail.sbst.dk; dkim=fail reason=\"signature verification failed\" (2048-bit key; unprotected) header.d=kommune.dk header.b=\"x1\""),
         "mail.sbst.dk", "fail", fields={"dkim": "fail", "dmarc": "fail"}),
    # no DMARC filter: SPF fail AND DKIM fail
    Case("spf fail and dkim fail, no dmarc",
         ("mail.sbst.dk; spf=fail (sender IP is not authorized) smtp.mailfrom=kommune.dk; dkim=fail (bad signature) header.d=kommune.dk",),
         "mail.sbst.dk", "fail", reason="SPF fejlede for kommune.dk, og DKIM fejlede (fail)"),
    # RFC 6577: "hardfail" is the old word for "fail"
    Case("spf hardfail and dkim permerror",
         ("mail.sbst.dk; spf=hardfail smtp.mailfrom=kommune.dk; dkim=permerror (no key for signature) header.d=kommune.dk",),
         "mail.sbst.dk", "fail", fields={"spf": "fail", "dkim": "permerror"}),
    # softfail is weaker than fail: no conclusion
    Case("spf softfail, unsigned", ("mail.sbst.dk; spf=softfail smtp.mailfrom=kommune.dk; dkim=none",), "mail.sbst.dk", "none",
         reason="Ingen afgørelse om afsenderen kommune.dk"),
    # DKIM was not checked at all: SPF fail alone says nothing about the signature
    Case("spf fail, dkim not evaluated", ("mail.sbst.dk; spf=fail smtp.mailfrom=kommune.dk",), "mail.sbst.dk", "none"),
    # a DKIM temperror (DNS timeout) is no DKIM failure
    Case("spf fail, dkim temperror", ("mail.sbst.dk; spf=fail smtp.mailfrom=kommune.dk; dkim=temperror header.d=kommune.dk",),
         "mail.sbst.dk", "none"),
    # SPF passed for a newsletter service, not for the From domain: unaligned, no DMARC result, no conclusion
    Case("spf pass unaligned", ("mail.sbst.dk; spf=pass smtp.mailfrom=bounce.mailservice.example",), "mail.sbst.dk", "none",
         return_path="<b-123@bounce.mailservice.example>"),
    # a DKIM signature by exactly the From domain, no DMARC filter: aligned pass
    Case("dkim pass aligned, no dmarc", ("mail.sbst.dk; spf=none smtp.mailfrom=kommune.dk; dkim=pass header.d=kommune.dk",),
         "mail.sbst.dk", "pass", reason="DKIM-signatur fra kommune.dk"),
    # two signatures: the one by the From domain verified, a relay's failed; DKIM passed
    Case("two dkim signatures", ("mail.sbst.dk; dkim=fail header.d=relay.example; dkim=pass header.d=kommune.dk; "
                                 "dmarc=pass header.from=kommune.dk",), "mail.sbst.dk", "pass",
         fields={"dkim": "pass", "dkim_domains": ("kommune.dk",)}),
    # DMARC passed for a domain that is not the From header's: it does not vouch for the From
    Case("dmarc pass for another domain", ("mail.sbst.dk; dmarc=pass header.from=other.example",), "mail.sbst.dk", "none",
         reason="Godkendelsen gælder other.example, men afsenderen (From) er kommune.dk"),

    # --- several hops ----------------------------------------------------------------------------
    # our MX on top, the municipality's gateway below (its header says whatever it says: ignored)
    Case("trusted on top, gateway below", (OPENDMARC_PASS, "gw.kommune.dk; dmarc=fail header.from=kommune.dk"),
         "mail.sbst.dk", "pass", reason="Ignorerede Authentication-Results (ikke fra den betroede modtageserver): gw.kommune.dk"),
    # Exchange Online behind our own MX: EOP's header on top is a hop after ours; our MX's is read
    Case("internal hop above the trusted one", (EOP_PASS, "mail.sbst.dk; spf=fail smtp.mailfrom=kommune.dk; dkim=fail header.d=kommune.dk"),
         "mail.sbst.dk", "fail", fields={"authserv_id": "mail.sbst.dk"}),
    # both configured: EOP's topmost header and our MX's directly below are one run; EOP's results come first
    Case("microsoft365 and own mx", (EOP_PASS, "mail.sbst.dk; iprev=pass policy.iprev=1.2.3.4"), ("microsoft365", "mail.sbst.dk"),
         "pass", fields={"authserv_id": MICROSOFT365}),
    # our MX's header below EOP's repeats spf: EOP's is read, ours adds nothing
    Case("microsoft365 and own mx repeating spf", (EOP_PASS, "mail.sbst.dk; spf=fail smtp.mailfrom=kommune.dk"),
         ("microsoft365", "mail.sbst.dk"), "pass", fields={"spf": "pass"}, reason="gentager spf"),
    # the sender forged a header with our id; it sits below a foreign relay's header, so it came from outside
    Case("forged trusted id below a foreign header",
         ("mail.sbst.dk; dmarc=fail header.from=kommune.dk", "relay.example.net; spf=pass smtp.mailfrom=kommune.dk",
          "mail.sbst.dk; dmarc=pass header.from=kommune.dk"),
         "mail.sbst.dk", "fail", reason="relay.example.net, mail.sbst.dk (under en anden servers header)"),
    # a forged header with our id directly below ours: it repeats dkim, which our server reported once, so
    # it is not our server's and adds nothing (not even the dmarc=pass our server never wrote)
    Case("forged trusted id directly below",
         ("mail.sbst.dk; spf=fail smtp.mailfrom=kommune.dk; dkim=fail header.d=kommune.dk",
          "mail.sbst.dk; dkim=pass header.d=kommune.dk; dmarc=pass header.from=kommune.dk"),
         "mail.sbst.dk", "fail", fields={"dkim": "fail", "dmarc": None}, reason="mail.sbst.dk (gentager dkim fra headeren over)"),
    # only foreign headers: nothing trusted
    Case("only foreign headers", ("mx.kommune.dk; dmarc=pass header.from=kommune.dk",), "mail.sbst.dk", "none", is_trusted=False,
         reason="ingen læsbar Authentication-Results fra mail.sbst.dk"),

    # --- syntax: comments, case, versions, none, garbage --------------------------------------
    Case("comments everywhere (RFC 8601 appendix B style)",
         ("(our MX) mail.sbst.dk (v2.3) 1; (checked) spf (x) = (y) pass (z) smtp.mailfrom (a) = kommune.dk;\r\n"
          " dmarc=pass (p=reject; sp=reject) header.from=kommune.dk (From)",), "mail.sbst.dk", "pass", fields={"spf": "pass"}),
    Case("upper case", ("MAIL.SBST.DK; SPF=PASS smtp.mailfrom=kommune.dk; DMARC=FAIL header.from=Kommune.DK",), "Mail.Sbst.dk", "fail",
         fields={"dmarc": "fail", "header_from": "kommune.dk"}),
    Case("authserv-id; none", ("mail.sbst.dk 1; none",), "mail.sbst.dk", "none", fields={"spf": None, "dmarc": None}),
    # RFC 8601 section 2.2: a version the reader does not know is not read
    Case("unknown version", ("mail.sbst.dk 2; dmarc=fail header.from=kommune.dk",), "mail.sbst.dk", "none", is_trusted=False,
         reason="kunne ikke læses"),
    Case("unclosed comment", ("mail.sbst.dk; dmarc=fail (p=reject header.from=kommune.dk",), "mail.sbst.dk", "none",
         is_trusted=False, reason="Authentication-Results fra mail.sbst.dk kunne ikke læses"),
    Case("garbage and an empty header", ("\x00\x01 ;;; === ((", "", "mail.sbst.dk; dmarc=pass header.from=kommune.dk"),
         "mail.sbst.dk", "pass"),
    Case("nothing configured", (EOP_PASS, OPENDMARC_PASS), "", "none", is_trusted=False, reason="trusted_authserv_id"),
    Case("no headers", (), "mail.sbst.dk", "none", is_trusted=False),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_verdict(case: Case) -> None:
    got = sender_authentication(list(case.headers), case.trusted, case.sender, case.return_path)
    assert (got.verdict, got.trusted) == (case.verdict, case.is_trusted), got.reasons
    for name, value in case.fields.items():
        assert getattr(got, name) == value, (name, got)
    if case.reason:
        assert any(case.reason in r for r in got.reasons), got.reasons
    assert got.reasons, "every verdict says why"


def test_there_are_enough_real_world_cases() -> None:
    assert len(CASES) >= 20


def test_the_microsoft_form_is_read_with_a_stand_in_id_not_as_id_spf_none() -> None:
    """authres alone would take "spf=none" for the authserv-id and lose the SPF result."""
    header = parse_authentication_results("spf=none; dkim=none")
    assert header.authserv_id is None
    assert [(r.method, r.result) for r in header.results] == [("spf", "none"), ("dkim", "none")]


def test_one_header_parsed() -> None:
    header = parse_authentication_results("Authentication-Results: " + EOP_PASS)
    assert header.read and header.authserv_id is None
    compauth = header.results[-1]
    assert (compauth.method, compauth.result, compauth.reason) == ("compauth", "pass", "100")
    assert header.results[0].get("smtp.mailfrom") == "kommune.dk"
    rfc = parse_authentication_results(GMAIL_PASS)
    assert rfc.authserv_id == "mx.google.com" and rfc.results[0].get("header.i") == "@kommune.dk"


def test_no_parse_error_escapes() -> None:
    rng = random.Random(11)
    alphabet = list('abcdemxsptf.;=()"\\@ /\t\r\n1æ\x00') + ["smtp", "header.", "reason=", "none", "spf=", "dkim=", "dmarc=", "mx.a.dk; "]
    for _ in range(400):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        parse_authentication_results(value)
        got = sender_authentication([value, value], ("mx.a.dk", MICROSOFT365), value, value)
        assert got.verdict in ("pass", "fail", "none")
    too_long = "mail.sbst.dk; " + "dkim=pass header.d=kommune.dk; " * 1000
    assert "for lang" in (parse_authentication_results(too_long).error or "")
    assert parse_authentication_results("mail.sbst.dk; spf=pass (" + "(" * 3000).error  # deep comments: RecursionError, caught


RAW = (
    "Return-Path: <mette@kommune.dk>\r\n"
    "Authentication-Results: spf=pass (sender IP is 1.2.3.4)\r\n smtp.mailfrom=kommune.dk; dkim=pass (signature was verified)\r\n"
    " header.d=kommune.dk;dmarc=fail action=oreject header.from=kommune.dk;compauth=fail\r\n reason=000\r\n"
    "Received: from mx.kommune.dk (1.2.3.4) by AM0PR01.outlook.office365.com; Tue, 25 Mar 2025 11:00:00 +0000\r\n"
    "Authentication-Results: spf=pass smtp.mailfrom=kommune.dk; dmarc=pass header.from=kommune.dk\r\n"
    "From: Mette Hansen <mette@kommune.dk>\r\n"
    "To: taskforce@sbst.dk\r\n"
    "Subject: Ansøgning\r\n"
    "\r\n"
    "Hej\r\n"
).encode()


@pytest.mark.parametrize("policy", [email.policy.compat32, email.policy.default], ids=["compat32", "default"])
def test_read_authentication_from_a_message(policy: email.policy.Policy) -> None:
    message = email.message_from_bytes(RAW, policy=policy)
    got = read_authentication(message, "microsoft365")
    assert got.verdict == "fail" and got.trusted  # Microsoft's topmost header; the one below is the sender's
    assert (got.dmarc, got.compauth, got.compauth_reason) == ("fail", "fail", "000")
    assert got.mismatch is None
    assert read_authentication(message, None).verdict == "none"


# --- From against the envelope sender ---------------------------------------------------------


def test_from_a_municipality_with_a_foreign_envelope_is_flagged() -> None:
    flag = domain_mismatch("Jens <jens@aarhus.dk>", "<bounce-77@mailservice.example>")
    assert flag is not None and flag.municipality == "Aarhus Kommune"
    assert flag.reason == ("Afsenderen (From) er fra aarhus.dk (Aarhus Kommune), men konvolutafsenderen "
                           "(Return-Path) er fra mailservice.example")


def test_an_envelope_of_a_municipality_with_a_foreign_from_is_flagged() -> None:
    flag = domain_mismatch("someone@gmail.com", "<x@slagelse.dk>")
    assert flag is not None and flag.municipality == "Slagelse Kommune"
    assert "Konvolutafsenderen (Return-Path) er fra slagelse.dk (Slagelse Kommune)" in flag.reason


def test_two_municipalities_are_flagged_with_both_names() -> None:
    flag = domain_mismatch("a@aarhus.dk", "<b@slagelse.dk>")
    assert flag is not None and "(Slagelse Kommune)" in flag.reason


@pytest.mark.parametrize("sender, envelope", [
    ("a@aarhus.dk", "<a@aarhus.dk>"),              # the same
    ("a@aarhus.dk", "<bounce@mail.aarhus.dk>"),    # a subdomain
    ("a@balk.dk", "<b@ballerup.dk>"),              # two domains of Ballerup Kommune
    ("a@gmail.com", "<b@mailservice.example>"),    # no municipality involved
    ("a@aarhus.dk", "<>"),                         # a bounce has no envelope sender
    ("", "<a@aarhus.dk>"),
])
def test_no_flag(sender: str, envelope: str) -> None:
    assert domain_mismatch(sender, envelope) is None


def test_the_mismatch_uses_the_trusted_smtp_mailfrom() -> None:
    got = sender_authentication([GMAIL_DMARC_FAIL], "mx.google.com", "jens@aarhus.dk", "")
    assert got.mismatch is not None and got.mismatch.envelope_domain == "gmail.com"


def test_addresses_and_ids() -> None:
    assert address_domain("Navn <X@Kommune.DK>") == "kommune.dk"
    assert address_domain("@kommune.dk") == "kommune.dk"
    assert address_domain("kommune.dk") == "kommune.dk"
    assert address_domain("<>") is None and address_domain("Navn") is None
    assert trusted_ids("Mail.SBST.dk., microsoft365") == ("mail.sbst.dk", "microsoft365")
    assert trusted_ids(["a.dk", "b.dk, a.dk"]) == ("a.dk", "b.dk")
    assert trusted_ids(None) == () and trusted_ids("") == ()


def test_the_setting() -> None:
    def ids(value: object) -> tuple[str, ...]:
        return parse_settings({"mailbox": {"trusted_authserv_id": value}}, "t.toml", Path("/tmp")).mailbox.trusted_authserv_id

    assert parse_settings({}, "t.toml", Path("/tmp")).mailbox.trusted_authserv_id == ()
    assert ids("microsoft365") == ("microsoft365",)
    assert ids("Mail.SBST.dk, microsoft365") == ("mail.sbst.dk", "microsoft365")
    assert ids(["mail.sbst.dk"]) == ("mail.sbst.dk",)
    with pytest.raises(ConfigError, match=r"\[mailbox\] trusted_authserv_id"):
        ids(3)
    with pytest.raises(ConfigError, match="ét ord"):
        ids("mail sbst dk")

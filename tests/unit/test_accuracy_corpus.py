"""The accuracy corpus itself (tests/accuracy): big enough, every family populated, every expected
verdict consistent with the contract's rules, and the mails well-formed and reproducible.

These tests never run the product; `make accuracy` does."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
from collections import Counter

import pytest

from tests.accuracy import corpus
from tests.accuracy.corpus import CHECKS, DEADLINE, Case, expected

CASES = corpus.cases()
APPLICATIONS = [c for c in CASES if expected(c)["checks"] is not None]


def test_at_least_320_cases_with_unique_ids():
    assert len(CASES) >= 320
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("family", corpus.FAMILIES)
def test_every_family_has_at_least_ten_cases(family):
    assert sum(c.family == family for c in CASES) >= 10


def test_negatives_are_many_and_spread_over_formats_and_layouts():
    negatives = [c for c in CASES if c.family == "negatives" and expected(c)["complete"] is False]
    assert len(negatives) >= 40
    assert {d.fmt for c in negatives for d in c.docs if d.role == "form"} >= {"docx", "pdf", "odt", "scan_pdf"}
    assert len({c.form.layout for c in negatives if c.form}) >= 4
    replies = Counter(expected(c)["reply"] for c in negatives)
    assert replies["missing_items"] >= 25 and replies["late"] >= 5


def test_scans_are_kept_to_a_budget():
    assert 15 <= sum(c.scanned for c in CASES) <= 25


def _required(case: Case) -> list[str]:
    base = ["application_form", "director_signature", "political_backing"]
    return base if case.programme == "handicap" else base + ["initial_meeting"]


@pytest.mark.parametrize("case", APPLICATIONS, ids=lambda c: c.id)
def test_expected_verdict_follows_the_contract(case):
    exp = expected(case)
    checks = exp["checks"]
    assert set(checks) == set(CHECKS)
    assert exp["kind"] == "application"
    required = _required(case)
    # complete = every required check ok and on time
    assert exp["complete"] == (checks["deadline"] == "ok" and all(checks[c] == "ok" for c in required))
    # reply: late -> late; any required missing -> missing_items; otherwise receipt
    if checks["deadline"] == "late":
        assert exp["reply"] == "late"
    elif any(checks[c] == "missing" for c in required):
        assert exp["reply"] == "missing_items"
    else:
        assert exp["reply"] == "receipt"
    # the deadline: at or before 12:00:00 Copenhagen on 25 March (boern-unge); no deadline for handicap
    if case.programme == "handicap":
        assert checks["deadline"] == "ok" and checks["initial_meeting"] == "not_required"
    else:
        assert (checks["deadline"] == "ok") == (case.received <= DEADLINE)
    # no form: nothing the form carries can be ok
    if case.form is None:
        assert checks["application_form"] == checks["director_signature"] == "missing"
        assert checks["initial_meeting"] in ("missing", "not_required")
    for status in checks.values():
        assert status in ("ok", "missing", "review", "late", "not_required")


def test_inquiries_and_automatic_mail_are_answered_with_none():
    others = [c for c in CASES if expected(c)["checks"] is None]
    assert {expected(c)["kind"] for c in others} == {"inquiry", "automatic"}
    assert all(expected(c)["reply"] == "none" for c in others)
    assert all(not c.docs for c in others)


def test_spot_checks_of_the_spec_rules():
    by_family = {f: [c for c in CASES if c.family == f] for f in corpus.FAMILIES}
    for c in by_family["on_behalf"]:  # someone else signed: review, so a receipt but not complete
        e = expected(c)
        assert e["checks"]["director_signature"] == "review" and e["complete"] is False
    for c in by_family["kind_minutes_first"]:  # minutes first, the form follows
        e = expected(c)
        assert e["kind"] == "application" and e["reply"] == "missing_items"
        assert e["checks"]["application_form"] == e["checks"]["director_signature"] == "missing"
    inline = [c for c in by_family["kind_inline_images"] if c.inline_images and not c.docs]
    assert len(inline) >= 8 and all(expected(c)["kind"] == "inquiry" for c in inline)
    ids = {c.id.split("-", 2)[2]: c for c in by_family["negatives"]}
    assert expected(ids["deadline-120000"])["complete"] is True  # exactly 12:00:00 is on time
    assert expected(ids["deadline-110000utc"])["complete"] is True  # 11:00:00Z = 12:00:00 local
    assert expected(ids["late-120001"])["reply"] == "late"
    assert expected(ids["late-110001utc"])["reply"] == "late"
    for c in by_family["handicap"]:
        if c.received > DEADLINE:
            assert expected(c)["checks"]["deadline"] == "ok"


def _sample() -> list[Case]:
    """One case of every (envelope, document formats) combination, without scans (fast)."""
    seen: dict[tuple, Case] = {}
    for c in CASES:
        key = (c.envelope, c.automatic, bool(c.inline_images), tuple(sorted(d.fmt for d in c.docs)))
        if not c.scanned and key not in seen:
            seen[key] = c
    return list(seen.values())


@pytest.mark.parametrize("case", _sample(), ids=lambda c: c.id)
def test_the_bytes_parse_as_the_mail_described(case):
    data = corpus.raw(case)
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["To"] == corpus.ADDRESS[case.programme]
    assert msg["Subject"] == case.subject
    assert msg["Message-ID"]
    top = msg.get_all("Received")[0]
    assert email.utils.parsedate_to_datetime(top.rsplit(";", 1)[1].strip()) == case.received
    # the sender's Date header is never later than the server's receipt
    assert email.utils.parsedate_to_datetime(msg["Date"]) <= case.received
    names = [p.get_filename() for p in msg.walk()
             if p.get_content_disposition() == "attachment" and p.get_content_type() != "message/rfc822"]
    if case.envelope in ("plain", "outlook", "gmail", "sv", "html_inline", "forwarded", "forwarded_eml"):
        assert names == [d.filename for d in case.docs]
    elif case.docs:
        assert len(names) == 1  # one container (zip, .msg, winmail.dat)
    if case.automatic:
        assert msg["Auto-Submitted"] == "auto-replied"
    if case.inline_images:
        images = [p for p in msg.walk() if p.get_content_maintype() == "image"]
        html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
        assert len(images) == case.inline_images
        for part in images:
            assert part.get_content_disposition() == "inline"
            assert f"cid:{part['Content-ID'].strip('<>')}" in html


def test_the_same_case_gives_the_same_bytes():
    for case in _sample()[:12]:
        assert corpus.raw(case) == corpus.raw(case)


def test_received_times_and_the_check_clock():
    assert all(dt.date(2025, 2, 1) <= c.received.date() <= dt.date(2025, 3, 31) for c in CASES)
    assert all(c.now >= c.received for c in CASES)
    # documents are dated before the mail arrives: initial meetings and committee meetings
    for c in APPLICATIONS:
        if c.form and c.form.meeting.kind == "yes":
            assert c.form.meeting.date < c.received.date()
        for m in c.minutes:
            if m.outcome != "agenda":
                assert m.spec.date < c.received.date()


def test_scanned_forms_are_short():
    """OCR costs ~5 s a page: a scanned form is 1-2 pages, a scanned PNG the whole form on one page."""
    from tests.accuracy import documents

    for case in CASES:
        for doc in case.docs:
            if doc.fmt == "scan_png":
                assert documents.page_count(documents.form_bytes(doc.form, "pdf", size=corpus.PNG_FONT_SIZE)) == 1
            elif doc.fmt == "scan_pdf" and doc.form is not None:
                assert documents.page_count(documents.form_bytes(doc.form, "pdf")) <= 2

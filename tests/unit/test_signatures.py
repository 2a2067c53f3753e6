"""Digital signatures (pyHanko) on generated, signed application forms: the signer's name, intact or
altered, trusted or not, and what the director_signature check makes of it."""

import pytest

from bot.assessment import assess
from bot.rules import Dossier, ReceivedDocument
from config.settings import ConfigError, load_settings
from parsers.documents import ReadOptions
from parsers.reading import read_document
from tests.factories.forms import FormSpec, form_pdf
from tests.factories.signed import alter_after_signing, make_pki, sign_pdf, tamper_signed_bytes
from tests.unit.test_rules import BU, NOW, ON_TIME

UNSIGNED = form_pdf(FormSpec(signature="none", director_name="Mette Hansen"), "table")


@pytest.fixture(scope="module")
def ca_signed():
    pki = make_pki("Mette Hansen")
    return pki, sign_pdf(UNSIGNED, pki)


def signature_check(data: bytes, trust_roots=()):
    reading = read_document("skema.pdf", "application/pdf", data, options=ReadOptions(trust_roots=trust_roots))
    dossier = Dossier(BU, ON_TIME, (ReceivedDocument(reading, ON_TIME),))
    return reading, assess(dossier, NOW).check("director_signature")


def test_self_signed_is_review_with_the_signers_name():
    pki = make_pki("Mette Hansen", self_signed=True)
    reading, check = signature_check(sign_pdf(UNSIGNED, pki), (pki.ca_pem,))
    sig = reading.text.signatures[0]
    assert (sig.field, sig.signer, sig.intact, sig.trusted, sig.covers_whole_document) == ("Direktørunderskrift", "Mette Hansen", True, False, True)
    assert check.status == "review" and check.details.kind == "digital"
    assert "Mette Hansen" in check.detail and "betroede" in check.detail
    assert check.evidence[0].file == "skema.pdf" and check.evidence[0].location == "signaturfelt Direktørunderskrift"


def test_signed_by_a_trusted_ca_is_ok(ca_signed):
    pki, signed = ca_signed
    reading, check = signature_check(signed, (pki.ca_pem,))
    assert reading.role == "application_form"
    assert reading.text.signatures[0].trusted
    assert (check.status, check.details.kind) == ("ok", "digital")
    assert "Mette Hansen" in check.detail


def test_the_same_signature_without_that_ca_configured_is_review(ca_signed):
    _, signed = ca_signed
    _, check = signature_check(signed, (make_pki().ca_pem,))
    assert check.status == "review"
    _, check = signature_check(signed, ())
    assert check.status == "review"


def test_changed_after_signing_is_not_ok(ca_signed):
    pki, signed = ca_signed
    reading, check = signature_check(alter_after_signing(signed), (pki.ca_pem,))
    sig = reading.text.signatures[0]
    assert sig.intact and not sig.covers_whole_document
    assert check.status != "ok" and "ændret efter underskriften" in check.detail


def test_bytes_changed_inside_the_signed_range_break_the_signature(ca_signed):
    pki, signed = ca_signed
    reading, check = signature_check(tamper_signed_bytes(signed), (pki.ca_pem,))
    assert not reading.text.signatures[0].intact
    assert check.status != "ok"


def test_an_unsigned_pdf_has_no_signatures():
    assert read_document("skema.pdf", "", UNSIGNED).text.signatures == ()


def test_trust_roots_come_from_the_config(tmp_path, ca_signed):
    pki, _ = ca_signed
    (tmp_path / "ca.pem").write_bytes(pki.ca_pem)
    config = tmp_path / "intake.toml"
    config.write_text('[signatures]\ntrust_roots = ["ca.pem"]\n', encoding="utf-8")
    assert load_settings(config).trust_roots == (pki.ca_pem,)
    config.write_text('[signatures]\ntrust_roots = ["mangler.pem"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[signatures\] trust_roots: .*mangler.pem"):
        load_settings(config)

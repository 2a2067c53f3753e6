"""Digital signatures on a PDF (MitID / Penneo-style), validated with pyHanko.

For each signature field: the signer's name from the certificate, whether the signed bytes are intact,
whether the document was changed after signing (anything beyond what a signature allows: another
signature, form filling, validation data), and whether the certificate chains to one of the configured
trust roots (`[signatures] trust_roots`).  Pure: no network (no OCSP/CRL fetching), no clock (the
chain is judged at the time the signer's software stamped into the signature).
"""
from __future__ import annotations

from typing import Any

import io
import logging

from parsers.text import DigitalSignature

log = logging.getLogger(__name__)
# pyHanko logs an untrusted chain or a changed document as a warning with a traceback; both are
# expected outcomes here, reported in the facts: the service quiets those loggers where it configures
# logging (bot.engines.quiet_libraries), parsers leave the logging configuration alone.


def _signer_name(status: Any) -> str | None:
    cert = getattr(status, "signing_cert", None)
    if cert is None:
        return None
    subject = cert.subject.native
    name = subject.get("common_name") or subject.get("pseudonym") or cert.subject.human_friendly
    return str(name) if name else None


def load_certificates(blob: bytes) -> list[Any]:
    """The certificates in one PEM (one or several) or DER blob, as asn1crypto objects."""
    from asn1crypto import pem, x509

    if pem.detect(blob):
        return [x509.Certificate.load(der) for kind, _, der in pem.unarmor(blob, multiple=True) if kind == "CERTIFICATE"]
    return [x509.Certificate.load(blob)]


def read_signatures(data: bytes, trust_roots: tuple[bytes, ...] = ()) -> tuple[DigitalSignature, ...]:
    """Every signature field of a PDF with what pyHanko says about it; () for an unsigned or unreadable PDF.
    `trust_roots` are CA certificates (PEM or DER bytes)."""
    if b"/ByteRange" not in data:  # cheap: no signature dictionary at all
        return ()
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # a broken PDF is reported by the text reader
        log.info("signatures unreadable: %s", exc)
        return ()
    roots = [cert for blob in trust_roots for cert in load_certificates(blob)]
    out = []
    for sig in embedded:
        field = sig.field_name or "ukendt felt"
        try:
            moment = sig.self_reported_timestamp
            context = ValidationContext(trust_roots=roots, allow_fetching=False,
                                        revocation_mode="soft-fail", moment=moment, best_signature_time=moment)
            status = validate_pdf_signature(sig, context)
        except (SignatureValidationError, ValueError, KeyError, TypeError) as exc:
            out.append(DigitalSignature(field, None, False, False, False, f"signaturen kan ikke valideres: {exc}"))
            continue
        level = status.modification_level
        unchanged = status.docmdp_ok is not False and (
            level is None or level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING))
        intact = bool(status.intact and status.valid)
        trusted = bool(status.trusted)
        signer = _signer_name(status)
        facts = [
            "signaturen er intakt" if intact else "de signerede bytes er ændret (signaturen er brudt)",
            "ingen ændringer efter underskriften" if unchanged else f"dokumentet er ændret efter underskriften ({getattr(level, 'name', level)})",
            "certifikatet kæder til en betroet udsteder" if trusted else "certifikatet kæder ikke til en betroet udsteder",
        ]
        out.append(DigitalSignature(field, signer, intact, trusted, unchanged, "; ".join(facts)))
    return tuple(out)

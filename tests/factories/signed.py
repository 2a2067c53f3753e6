"""Digitally signed PDFs for the tests: a test CA and signer certificates made with `cryptography`,
signatures made with pyHanko, and the two ways a signed PDF gets changed afterwards (an incremental
update that alters a page, and bytes changed inside the signed range)."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["TestPKI", "make_pki", "sign_pdf", "alter_after_signing", "tamper_signed_bytes"]

_VALID_FROM = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
_VALID_TO = dt.datetime(2045, 1, 1, tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class TestPKI:
    ca_pem: bytes
    ca_cert: x509.Certificate
    ca_key: ec.EllipticCurvePrivateKey
    signer_cert: x509.Certificate
    signer_key: ec.EllipticCurvePrivateKey
    self_signed: bool

    __test__ = False  # not a pytest class


def _name(common_name: str, org: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DK"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _cert(subject: x509.Name, issuer: x509.Name, key, issuer_key, ca: bool, serial: int) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(serial).not_valid_before(_VALID_FROM).not_valid_after(_VALID_TO)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=not ca, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                            encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(signer: str = "Mette Hansen", self_signed: bool = False) -> TestPKI:
    """A test CA and a signer certificate it issued (or, `self_signed`, a signer that issued its own)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _cert(_name("Test Tillidstjeneste CA", "Test CA ApS"), _name("Test Tillidstjeneste CA", "Test CA ApS"), ca_key, ca_key, True, 1)
    signer_key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(signer, "Slagelse Kommune")
    if self_signed:
        signer_cert = _cert(subject, subject, signer_key, signer_key, False, 2)
    else:
        signer_cert = _cert(subject, ca_cert.subject, signer_key, ca_key, False, 2)
    return TestPKI(ca_cert.public_bytes(serialization.Encoding.PEM), ca_cert, ca_key, signer_cert, signer_key, self_signed)


def sign_pdf(pdf: bytes, pki: TestPKI, field: str = "Direktørunderskrift") -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    der = serialization.Encoding.DER
    cert = asn1_x509.Certificate.load(pki.signer_cert.public_bytes(der))
    key = asn1_keys.PrivateKeyInfo.load(pki.signer_key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    chain = [] if pki.self_signed else [asn1_x509.Certificate.load(pki.ca_cert.public_bytes(der))]
    signer = signers.SimpleSigner(signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs(chain))
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = io.BytesIO()
    signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field), signer=signer, output=out)
    return out.getvalue()


def alter_after_signing(signed: bytes, text: str = "CVR-nr. 12345678") -> bytes:
    """An incremental update that draws new text on page 1: the signature stays intact, but the
    document shown is no longer the one signed."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    font = generic.DictionaryObject({generic.NameObject("/Type"): generic.NameObject("/Font"),
                                     generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
                                     generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica")})
    resources = generic.DictionaryObject({generic.NameObject("/Font"): generic.DictionaryObject({generic.NameObject("/FX"): writer.add_object(font)})})
    stream = generic.StreamObject(stream_data=f"BT /FX 14 Tf 72 72 Td ({text}) Tj ET".encode("latin-1"))
    writer.add_stream_to_page(0, writer.add_object(stream), resources=resources)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def tamper_signed_bytes(signed: bytes) -> bytes:
    """One byte inside the signed range changed (in the document's /Producer or /Title string)."""
    for needle in (b"/Producer (", b"/Title (", b"/Author ("):
        at = signed.find(needle)
        if at >= 0:
            i = at + len(needle)
            return signed[:i] + bytes([signed[i] ^ 0x01]) + signed[i + 1:]
    raise ValueError("no string to change in the signed PDF")

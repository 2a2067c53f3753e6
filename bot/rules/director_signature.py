"""The director has signed: a digital signature, a picture in the signature block, or a typed name
that matches the director named in section 1."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.states import CheckStatus
from bot.rules.base import CheckResult, Dossier
from parsers.names import same_person
from parsers.signature_block import signed_by_other_role
from parsers.form import SignatureBlock
from parsers.text import DigitalSignature, Evidence

REMEDY = "Send ansøgningsskemaet med direktørens underskrift (digital signatur, indsat underskrift eller scannet underskrevet skema)."


__all__ = ["DirectorSignature", "same_person"]


@dataclass(frozen=True)
class SignatureEvidence:
    """How the director signed: `digital` (a PDF signature), `image` (a picture in the block), `typed`
    (the name written), or None."""

    kind: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"evidence": self.kind}


class DirectorSignature:
    name = "director_signature"
    description = "Ansøgningen er underskrevet af direktøren."

    def check(self, dossier: Dossier, now: dt.datetime) -> CheckResult:
        form = dossier.form
        if form is None:
            return CheckResult(self.name, CheckStatus.MISSING, "Intet ansøgningsskema, og derfor ingen direktørunderskrift.", remedy=REMEDY,
                               details=SignatureEvidence())
        director = form.director_name.value if form.director_name else None
        document = next(d.reading for d in reversed(dossier.documents) if d.reading.form is form)
        if document.text.signatures:
            return self._digital(document.text.signatures[0], director, document.filename)
        return self._block(form.signature, director, form.filename, bool(document.text.ocr_pages))

    def _block(self, block: SignatureBlock, director: str | None, filename: str, ocr: bool = False) -> CheckResult:
        """The signature block as read: someone signing on the director's behalf, or another name than
        the director's (even under a picture), is for the secretariat to judge, never "missing"."""
        evidence = (block.evidence,) if block.evidence else ()
        where = f" ({block.evidence.describe()})" if block.evidence else ""
        kind = "image" if block.image else "typed"
        role = f" ({block.title})" if block.title else ""
        if block.on_behalf:
            of = f" {block.behalf_of}" if block.behalf_of else " direktøren"
            return CheckResult(self.name, CheckStatus.REVIEW, f"Underskrevet på vegne af{of} af {block.typed_name or 'en anden'}{role}, ikke af "
                               f"direktøren selv; sekretariatet vurderer underskriften{where}.", evidence=evidence, details=SignatureEvidence(kind))
        if block.typed_name and not (director and same_person(block.typed_name, director, ocr)):
            who = f"direktøren i afsnit 1 er {director}" if director else "direktøren er ikke angivet i afsnit 1"
            return CheckResult(self.name, CheckStatus.REVIEW, f"Underskriftsfeltet har navnet {block.typed_name}{role}, men {who}{where}.",
                               evidence=evidence, details=SignatureEvidence(kind))
        if block.typed_name and signed_by_other_role(block.title):
            return CheckResult(self.name, CheckStatus.REVIEW, f"Underskriftsfeltet har navnet {block.typed_name} med titlen »{block.title}«, "
                               f"som ikke er en direktørtitel{where}.", evidence=evidence, details=SignatureEvidence(kind))
        if block.image and ocr and not block.typed_name:
            # ink found on a scan by a rule of thumb, and no name beside it to confirm it: a person looks
            return CheckResult(self.name, CheckStatus.REVIEW, f"Der er håndskrift i underskriftsfeltet på den scannede side, men intet navn "
                               f"under den; sekretariatet kontrollerer underskriften{where}.", evidence=evidence, details=SignatureEvidence("image"))
        if block.image:
            return CheckResult(self.name, CheckStatus.OK, f"Underskrift indsat som billede i underskriftsfeltet{where}.", evidence=evidence,
                               details=SignatureEvidence("image"))
        if block.typed_name:
            return CheckResult(self.name, CheckStatus.OK, f"Underskrevet med navn: {block.typed_name}{role}, som er direktøren i afsnit 1{where}.",
                               evidence=evidence, details=SignatureEvidence("typed"))
        detail = "Underskriftsfeltet er tomt" + where if block.found else f"Intet underskriftsfelt fundet i {filename}"
        return CheckResult(self.name, CheckStatus.MISSING, detail + ".", evidence=evidence, remedy=REMEDY, details=SignatureEvidence())

    def _digital(self, sig: DigitalSignature, director: str | None, filename: str = "") -> CheckResult:
        signer = sig.signer or "ukendt"
        kind = "digital"
        cite = (Evidence(filename, f"signaturfelt {sig.field}", f"{signer}: {sig.summary}"),)
        if not sig.intact or not sig.covers_whole_document:
            return CheckResult(self.name, CheckStatus.REVIEW, f"Digital signatur af {signer} i feltet {sig.field}, men dokumentet er ændret "
                               f"efter underskriften: {sig.summary}", evidence=cite, details=SignatureEvidence(kind))
        if not sig.trusted:
            return CheckResult(self.name, CheckStatus.REVIEW, f"Digital signatur af {signer} i feltet {sig.field}; certifikatet kan ikke "
                               f"verificeres mod de betroede udstedere: {sig.summary}", evidence=cite, details=SignatureEvidence(kind))
        if director and sig.signer and not same_person(sig.signer, director):
            return CheckResult(self.name, CheckStatus.REVIEW, f"Digital signatur af {signer}, men direktøren i afsnit 1 er {director}.",
                               evidence=cite, details=SignatureEvidence(kind))
        return CheckResult(self.name, CheckStatus.OK, f"Gyldig digital signatur af {signer} i feltet {sig.field}.", evidence=cite,
                           details=SignatureEvidence(kind))

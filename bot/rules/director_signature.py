"""The director has signed: a digital signature, a picture in the signature block, or a typed name
that matches the director named in section 1."""
from __future__ import annotations

import datetime as dt
import unicodedata

from bot.rules.base import CheckResult, Dossier
from parsers.text import Evidence

REMEDY = "Send ansøgningsskemaet med direktørens underskrift (digital signatur, indsat underskrift eller scannet underskrevet skema)."


def _norm(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().replace(".", " ").split())


def same_person(a: str, b: str) -> bool:
    """Equal names, or one with a middle name the other leaves out ("Mette K. Hansen" ~ "Mette Hansen")."""
    x, y = _norm(a).split(), _norm(b).split()
    if not x or not y:
        return False
    return x == y or (x[0] == y[0] and x[-1] == y[-1])


class DirectorSignature:
    name = "director_signature"
    description = "Ansøgningen er underskrevet af direktøren."

    def check(self, dossier: Dossier, now: dt.datetime) -> CheckResult:
        form = dossier.form
        if form is None:
            return CheckResult(self.name, "missing", "Intet ansøgningsskema, og derfor ingen direktørunderskrift.", remedy=REMEDY)
        director = form.director_name.value if form.director_name else None
        document = next(d.reading for d in reversed(dossier.documents) if d.reading.form is form)
        if document.text.signatures:
            return self._digital(document.text.signatures[0], director, document.filename)
        block = form.signature
        evidence = (block.evidence,) if block.evidence else ()
        if block.image:
            return CheckResult(self.name, "ok", f"Underskrift indsat som billede i underskriftsfeltet ({block.evidence.describe()}).",  # type: ignore[union-attr]
                               evidence=evidence, evidence_kind="image")
        if block.typed_name:
            if director and same_person(block.typed_name, director):
                return CheckResult(self.name, "ok", f"Underskrevet med navn: {block.typed_name}, som er direktøren i afsnit 1 ({block.evidence.describe()}).",  # type: ignore[union-attr]
                                   evidence=evidence, evidence_kind="typed")
            who = f"direktøren i afsnit 1 er {director}" if director else "direktøren er ikke angivet i afsnit 1"
            return CheckResult(self.name, "review", f"Underskriftsfeltet har navnet {block.typed_name}, men {who}.",
                               evidence=evidence, evidence_kind="typed")
        where = f" ({block.evidence.describe()})" if block.evidence else ""
        detail = "Underskriftsfeltet er tomt" + where if block.found else f"Intet underskriftsfelt fundet i {form.filename}"
        return CheckResult(self.name, "missing", detail + ".", evidence=evidence, remedy=REMEDY)

    def _digital(self, sig, director: str | None, filename: str = "") -> CheckResult:
        signer = sig.signer or "ukendt"
        kind = "digital"
        cite = (Evidence(filename, f"signaturfelt {sig.field}", f"{signer}: {sig.summary}"),)
        if not sig.intact or not sig.covers_whole_document:
            return CheckResult(self.name, "review", f"Digital signatur af {signer} i feltet {sig.field}, men dokumentet er ændret efter underskriften: {sig.summary}", evidence=cite, evidence_kind=kind)
        if not sig.trusted:
            return CheckResult(self.name, "review", f"Digital signatur af {signer} i feltet {sig.field}; certifikatet kan ikke verificeres mod de betroede udstedere: {sig.summary}", evidence=cite, evidence_kind=kind)
        if director and sig.signer and not same_person(sig.signer, director):
            return CheckResult(self.name, "review", f"Digital signatur af {signer}, men direktøren i afsnit 1 er {director}.", evidence=cite, evidence_kind=kind)
        return CheckResult(self.name, "ok", f"Gyldig digital signatur af {signer} i feltet {sig.field}.", evidence=cite, evidence_kind=kind)

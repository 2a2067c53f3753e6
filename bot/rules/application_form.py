"""The application form is attached and readable."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.states import CheckStatus
from bot.rules.base import CheckResult, Dossier

REMEDY = "Vedhæft det udfyldte ansøgningsskema (Word eller PDF) i et svar på denne e-mail."


@dataclass(frozen=True)
class FormSections:
    """The form's free-text sections (3-7): number, title, answered or not, length."""

    sections: tuple[dict[str, object], ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"sections": list(self.sections)} if self.sections else {}


class ApplicationForm:
    name = "application_form"
    description = "Det udfyldte ansøgningsskema er vedhæftet og kan læses."

    def check(self, dossier: Dossier, now: dt.datetime) -> CheckResult:
        form = dossier.form
        if form is None:
            unreadable = [f"{d.filename} ({d.problem})" for d in dossier.unreadable]
            if unreadable:
                return CheckResult(
                    self.name, CheckStatus.MISSING,
                    "Ansøgningsskemaet kunne ikke findes; disse filer kunne ikke læses: " + "; ".join(unreadable),
                    remedy=REMEDY + " Send filerne uden adgangskode, fx som PDF eksporteret fra Word.",
                )
            return CheckResult(self.name, CheckStatus.MISSING, "Intet vedhæftet dokument ligner ansøgningsskemaet.", remedy=REMEDY)
        evidence = tuple(f.evidence for f in (form.municipality, form.cvr, form.director_name) if f)
        sections = tuple({"number": s.number, "title": s.title, "answered": s.answered, "length": s.length} for s in form.sections)
        gaps = []
        if form.municipality is None and form.cvr is None:
            gaps.append("kommunens navn eller CVR-nummer")
        if form.cvr is not None and not form.cvr_valid:
            gaps.append(f"et gyldigt CVR-nummer ({form.cvr.value} består ikke modulus 11-kontrollen)")
        if form.director_name is None:
            gaps.append("direktørens navn")
        if gaps:
            return CheckResult(
                self.name, CheckStatus.REVIEW,
                f"Ansøgningsskemaet {form.filename} er modtaget, men mangler " + ", ".join(gaps) + ".",
                evidence=evidence, details=FormSections(sections),
            )
        municipality = form.municipality.value if form.municipality else f"CVR {form.cvr.value}"  # type: ignore[union-attr]
        return CheckResult(self.name, CheckStatus.OK, f"Ansøgningsskemaet {form.filename} fra {municipality} er modtaget.", evidence=evidence,
                           details=FormSections(sections))

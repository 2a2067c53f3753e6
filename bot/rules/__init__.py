"""The minimum criteria, one module per rule, and the explicit chain per programme.

Every rule in a chain runs before one decision, so one notice lists all that is missing."""
from __future__ import annotations

from bot.rules.application_form import ApplicationForm
from bot.rules.base import CheckResult, Dossier, ReceivedDocument, Rule
from bot.rules.deadline import Deadline
from bot.rules.director_signature import DirectorSignature
from bot.rules.initial_meeting import InitialMeeting
from bot.rules.political_backing import PoliticalBacking

PROGRAMMES: dict[str, tuple[Rule, ...]] = {
    "boern-unge": (Deadline(), ApplicationForm(), DirectorSignature(), PoliticalBacking(), InitialMeeting(required=True)),
    "handicap": (Deadline(), ApplicationForm(), DirectorSignature(), PoliticalBacking(), InitialMeeting(required=False)),
}

__all__ = ["PROGRAMMES", "CheckResult", "Dossier", "ReceivedDocument", "Rule"]

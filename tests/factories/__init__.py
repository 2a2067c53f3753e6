"""Test-document factories: application forms, meeting minutes and images.

All output is generated in code and deterministic (same spec -> same bytes).
"""

from .forms import DEFAULT_SECTIONS, FORM_LAYOUTS, SECTION_TITLES, FormSpec, form_docx, form_pdf
from .images import org_chart_png, signature_png
from .minutes import (
    APPROVAL_WORDINGS,
    MINUTES_LAYOUTS,
    POSTPONED_WORDINGS,
    REJECTED_WORDINGS,
    MinutesSpec,
    minutes_docx,
    minutes_pdf,
    task_force_decision,
)

__all__ = [
    "APPROVAL_WORDINGS",
    "DEFAULT_SECTIONS",
    "FORM_LAYOUTS",
    "MINUTES_LAYOUTS",
    "POSTPONED_WORDINGS",
    "REJECTED_WORDINGS",
    "SECTION_TITLES",
    "FormSpec",
    "MinutesSpec",
    "form_docx",
    "form_pdf",
    "minutes_docx",
    "minutes_pdf",
    "org_chart_png",
    "signature_png",
    "task_force_decision",
]

"""The accuracy figure as a gate: the stateless check on the generated corpus (without the scans, which
take OCR minutes; `make accuracy` runs them too) must never call an incomplete application complete, and
must be right on at least 99 % of the mails.  The expectations come from the spec (tests/accuracy), so
this fails when the reader regresses on any family."""
from __future__ import annotations

import json

from tests.accuracy import run


def test_no_false_complete_and_at_least_99_percent_right(tmp_path, capsys):
    out = tmp_path / "accuracy.json"
    assert run.main(["--fast", "--json", str(out)]) == 0
    summary = json.loads(out.read_text(encoding="utf-8"))["summary"]
    wrong = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert summary["cases"] >= 300
    assert summary["false_complete"] == 0, wrong
    assert summary["wrong_kind"] == 0, wrong
    assert summary["right"] >= 0.99 * summary["cases"], wrong
    for family, figures in summary["families"].items():
        assert figures["false_complete"] == 0, family

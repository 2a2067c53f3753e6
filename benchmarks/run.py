"""`make bench`: the figures the README quotes.  Each benchmark is a function below; none yet measures
more than extraction of the generated documents."""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parsers.reading import read_document  # noqa: E402
from tests.factories.forms import FormSpec, form_docx, form_pdf  # noqa: E402
from tests.factories.minutes import MinutesSpec, minutes_pdf  # noqa: E402


def timed(label: str, name: str, data: bytes, runs: int = 5) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        read_document(name, "", data)
        times.append(time.perf_counter() - start)
    print(f"{label:40} median {statistics.median(times) * 1000:8.1f} ms   (n={runs}, {len(data) / 1024:.0f} KiB)")


def main() -> None:
    print("Document extraction + form/minutes reading, per document:")
    timed("application form, .docx (table layout)", "skema.docx", form_docx(FormSpec(), "table"))
    timed("application form, text PDF", "skema.pdf", form_pdf(FormSpec(), "table"))
    timed("minutes, text PDF, 20 items", "referat.pdf", minutes_pdf(MinutesSpec(n_items=20), "numbered"))


if __name__ == "__main__":
    main()

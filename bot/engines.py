"""The engines the readers are handed (parsers/ runs no program of its own): OCR and the office
converter, built here for the service, `check` and the benchmarks."""
from __future__ import annotations

from parsers.documents import ReadOptions


def read_options(trust_roots: tuple[bytes, ...] = ()) -> ReadOptions:
    """What the readers need from this installation: the CA certificates a signature must chain to."""
    return ReadOptions(trust_roots=trust_roots)

"""OCR engines that misbehave, for the reader processes' limits (bot/readers.py): each is handed to the
readers like Tesseract is (`ReadOptions.ocr`), so a scan's OCR step runs it inside a reader process."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass


@dataclass(frozen=True)
class HangingOcr:
    """Starts a program that never ends (as a Tesseract stuck on a page would) and waits for it.
    `marker` is the program's argument, so a test can find it among the machine's processes."""

    marker: str = "987.654"

    def read_words(self, pages):
        for _ in pages:
            subprocess.run(["sleep", self.marker], check=False)
        return []


@dataclass(frozen=True)
class GreedyOcr:
    """Allocates 10 GB for a page, as a reader given a decompression bomb would."""

    gigabytes: int = 10

    def read_words(self, pages):
        hoard = [bytearray(1024 ** 3) for _ in range(self.gigabytes)]
        return [[] for _ in pages] if hoard else []

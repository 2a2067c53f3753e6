"""Scans of generated documents: a text PDF rendered to a 150 dpi greyscale image with PDFium, turned
slightly, with speckles and a grey paper tone, saved as an image-only PDF or as PNG/TIFF pages.

Deterministic: the noise comes from a seeded generator (same input -> same bytes).
"""
from __future__ import annotations

import io
import random

import pypdfium2
from PIL import Image, ImageChops, ImageFilter

__all__ = ["render_pages", "scan_pages", "scanned_pdf", "scanned_png", "scanned_tiff"]


def render_pages(pdf: bytes, dpi: int = 150) -> list[Image.Image]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in range(len(document))]
    finally:
        document.close()


def _scan(page: Image.Image, angle: float, noise: float, rng: random.Random) -> Image.Image:
    w, h = page.size
    page = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=245)
    page = page.filter(ImageFilter.GaussianBlur(0.5)).point(lambda v: 30 + v * 215 // 255)  # grey paper, toner not black
    cut = round(noise * 256)
    speckles = Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(lambda v: 180 if v < cut else 0)
    return ImageChops.subtract(page, speckles)


def scan_pages(pdf: bytes, dpi: int = 150, angle: float = 1.5, noise: float = 0.01, seed: int = 7) -> list[Image.Image]:
    """Every page of `pdf` as a scan: `angle` degrees turned, `noise` share of dark speckles."""
    rng = random.Random(seed)
    return [_scan(page, angle * (1 if i % 2 == 0 else -0.7), noise, rng) for i, page in enumerate(render_pages(pdf, dpi))]


def scanned_pdf(pdf: bytes, dpi: int = 150, angle: float = 1.5, noise: float = 0.01, seed: int = 7) -> bytes:
    """An image-only PDF (no text layer), as a scanner writes it."""
    pages = scan_pages(pdf, dpi, angle, noise, seed)
    out = io.BytesIO()
    pages[0].save(out, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])
    return out.getvalue()


def scanned_png(pdf: bytes, page: int = 1, dpi: int = 150, angle: float = 1.5, noise: float = 0.01, seed: int = 7) -> bytes:
    out = io.BytesIO()
    scan_pages(pdf, dpi, angle, noise, seed)[page - 1].save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()


def scanned_tiff(pdf: bytes, dpi: int = 150, angle: float = 1.5, noise: float = 0.01, seed: int = 7) -> bytes:
    """A multi-page TIFF (fax-style scanners); JPEG pages are `scanned_png` saved as JPEG."""
    pages = scan_pages(pdf, dpi, angle, noise, seed)
    out = io.BytesIO()
    pages[0].save(out, "TIFF", dpi=(dpi, dpi), save_all=True, append_images=pages[1:], compression="tiff_deflate")
    return out.getvalue()

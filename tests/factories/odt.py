"""LibreOffice .odt versions of the generated forms and minutes, written with odfpy from the same blocks
as the Word and PDF versions (paragraphs, tables, pictures)."""
from __future__ import annotations

import io

from odf import draw, table, text
from odf.opendocument import OpenDocumentText
from odf.style import GraphicProperties, Style, TextProperties

from . import forms, minutes
from .images import Grid, PageBreak, Para, Pic

__all__ = ["render_odt", "form_odt", "minutes_odt"]


def render_odt(blocks, meta) -> bytes:
    doc = OpenDocumentText()
    bold = Style(name="Fed", family="text")
    bold.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    frame_style = Style(name="Billede", family="graphic")
    frame_style.addElement(GraphicProperties(anchortype="as-char"))
    doc.automaticstyles.addElement(frame_style)
    pictures = [0]

    def paragraph(block: Para):
        element = text.H(outlinelevel=1) if block.style in ("title", "h1", "h2", "h3") else text.P()
        for part in block.parts:
            if isinstance(part, Pic):
                pictures[0] += 1
                href = doc.addPicture(f"Pictures/underskrift{pictures[0]}.png", "image/png", part.png)
                frame = draw.Frame(stylename=frame_style, width=f"{part.width_cm}cm", height=f"{part.width_cm / 3:.2f}cm", anchortype="as-char")
                frame.addElement(draw.Image(href=href))
                element.addElement(frame)
            elif part.bold:
                element.addElement(text.Span(stylename=bold, text=part.text))
            else:
                element.addText(part.text)
        return element

    for block in blocks:
        if isinstance(block, Para):
            doc.text.addElement(paragraph(block))
        elif isinstance(block, Grid):
            grid = table.Table()
            grid.addElement(table.TableColumn(numbercolumnsrepeated=len(block.widths)))
            for cells in block.rows:
                row = table.TableRow()
                for spec in cells:
                    cell = table.TableCell(numbercolumnsspanned=len(block.widths)) if spec.span else table.TableCell()
                    for p in spec.paras:
                        cell.addElement(paragraph(p))
                    row.addElement(cell)
                grid.addElement(row)
            doc.text.addElement(grid)
        elif isinstance(block, PageBreak):
            doc.text.addElement(text.P())
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def form_odt(spec: forms.FormSpec = forms.FormSpec(), layout: str = "table") -> bytes:
    return render_odt(forms._blocks(spec, layout), forms._meta(spec))


def minutes_odt(spec: minutes.MinutesSpec = minutes.MinutesSpec(), layout: str = "numbered") -> bytes:
    return render_odt(minutes._blocks(spec, layout), minutes._meta(spec, layout))

"""Draw a dossier `Sheet` as a text PDF with fpdf2.

The Court's registry refuses scanned requests, so everything here is real text in an
embedded Unicode font (DejaVu Sans covers Cyrillic), never an image of text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.enums import MethodReturnValue, XPos, YPos
from fpdf.fonts import FontFace
from fpdf.table import Row, Table

from safehold.records.fonts import BOLD_FONT, REGULAR_FONT, check_fonts

if TYPE_CHECKING:
    from safehold.records.dossier import Draft, DraftSection, Entry, Fact, Sheet

FAMILY = "DejaVu"

MARGIN = 15.0  # millimetres
FOOTER_SPACE = 18.0
BODY_SIZE = 9.0
DIGEST_SIZE = 7.5  # a SHA-256 in full fits one line of any table at this size
LINE_HEIGHT = 4.6
# fpdf2 refuses a table row taller than a page, and a note can be longer than that, so
# long cells continue in further rows of at most this many lines.
MAX_ROW_LINES = 40
CELL_PADDING = 1.2
HEADING_FILL = (230, 230, 230)
URGENT_COLOUR = (160, 0, 0)
WARNING_FILL = (253, 236, 234)
BLACK = (0, 0, 0)


SUMMARY_WIDTHS = (45.0, 135.0)
TIMELINE_WIDTHS = (27.0, 38.0, 30.0, 85.0)
EVIDENCE_WIDTHS = (10.0, 46.0, 24.0, 24.0, 38.0, 38.0)


class DossierPDF(FPDF):
    """A4 pages with the dossier's title and the page number in every footer."""

    def __init__(self, footer_title: str, page_pattern: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_title = footer_title
        self.page_pattern = page_pattern

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=7.5)
        # fpdf2 swaps "{nb}" for the page count when the document is written out.
        page = self.page_pattern % {"number": self.page_no(), "total": "{nb}"}
        self.cell(0, 5, text=f"{self.footer_title} · {page}", align="C")


def draw(sheet: Sheet) -> bytes:
    """Return the sheet as PDF bytes; the same sheet always gives the same bytes.

    Raise FileNotFoundError, naming the file, if a DejaVu font is not installed.
    """
    pdf = _new_document(sheet)
    _title(pdf, sheet.title)
    _key_values(pdf, sheet.summary)
    _heading(pdf, sheet.labels.person)
    if sheet.person:
        _key_values(pdf, sheet.person)
    else:
        _paragraph(pdf, sheet.labels.no_person)
    _timeline(pdf, sheet)
    _evidence(pdf, sheet)
    # The draft starts on its own page so it can be sent without the internal record.
    pdf.add_page()
    _draft(pdf, sheet.draft)
    return bytes(pdf.output())


def _new_document(sheet: Sheet) -> DossierPDF:
    check_fonts()
    pdf = DossierPDF(footer_title=sheet.title, page_pattern=sheet.labels.page)
    pdf.add_font(FAMILY, "", REGULAR_FONT)
    pdf.add_font(FAMILY, "B", BOLD_FONT)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=FOOTER_SPACE)
    # Only neutral metadata: a file's properties travel further than its pages.
    pdf.set_title(sheet.title)
    pdf.set_creator("Safehold")
    pdf.set_lang(sheet.language)
    pdf.set_creation_date(sheet.exported_at)
    pdf.add_page()
    pdf.set_font(FAMILY, size=BODY_SIZE)
    return pdf


def _title(pdf: FPDF, text: str) -> None:
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(0, 8, text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FAMILY, size=BODY_SIZE)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(4)
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(0, 6, text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.set_font(FAMILY, size=BODY_SIZE)


def _paragraph(pdf: FPDF, text: str, size: float = BODY_SIZE, is_bold: bool = False) -> None:
    pdf.set_font(FAMILY, "B" if is_bold else "", size)
    pdf.multi_cell(0, LINE_HEIGHT, text=text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=BODY_SIZE)


def _key_values(pdf: FPDF, facts: Sequence[Fact]) -> None:
    rows = [(fact.label, fact.value) for fact in facts]
    _table(pdf, SUMMARY_WIDTHS, heading=None, rows=rows, bold_first_column=True)


def _timeline(pdf: FPDF, sheet: Sheet) -> None:
    labels = sheet.labels
    _heading(pdf, labels.timeline)
    if not sheet.timeline:
        _paragraph(pdf, labels.no_timeline)
        return
    heading = (labels.time_utc, labels.time_local, labels.who, labels.what)
    rows = [
        (row.utc, row.local, row.actor, f"{row.kind}\n{row.text}" if row.kind else row.text)
        for row in sheet.timeline
    ]
    _table(pdf, TIMELINE_WIDTHS, heading=heading, rows=rows)


def _evidence(pdf: FPDF, sheet: Sheet) -> None:
    labels = sheet.labels
    _heading(pdf, labels.evidence)
    if not sheet.evidence:
        _paragraph(pdf, labels.no_evidence)
        return
    heading = (
        labels.number,
        labels.item,
        labels.item_kind,
        labels.size,
        labels.added,
        labels.added_by,
    )
    digest_style = FontFace(family=FAMILY, size_pt=DIGEST_SIZE)
    with _open_table(pdf, EVIDENCE_WIDTHS, has_heading=True) as table:
        _fill_row(table.row(), heading)
        for exhibit in sheet.evidence:
            cells = (
                exhibit.number,
                exhibit.label,
                exhibit.kind,
                exhibit.size,
                exhibit.added_at,
                exhibit.added_by,
            )
            for chunk in _split_row(pdf, EVIDENCE_WIDTHS, cells):
                _fill_row(table.row(), chunk)
            # The digest gets a row of its own so all 64 characters stay on one line.
            table.row().cell(
                f"SHA-256: {exhibit.sha256}", colspan=len(EVIDENCE_WIDTHS), style=digest_style
            )


def _table(
    pdf: FPDF,
    widths: Sequence[float],
    heading: Sequence[str] | None,
    rows: Sequence[Sequence[str]],
    bold_first_column: bool = False,
) -> None:
    bold = FontFace(family=FAMILY, emphasis="BOLD")
    with _open_table(pdf, widths, has_heading=heading is not None) as table:
        if heading is not None:
            _fill_row(table.row(), heading)
        for cells in rows:
            for chunk in _split_row(pdf, widths, cells):
                row = table.row()
                for index, text in enumerate(chunk):
                    row.cell(text, style=bold if bold_first_column and index == 0 else None)


def _open_table(
    pdf: FPDF, widths: Sequence[float], has_heading: bool
) -> AbstractContextManager[Table]:
    return pdf.table(
        col_widths=tuple(widths),
        width=sum(widths),
        align="LEFT",
        text_align="LEFT",
        v_align="TOP",
        line_height=LINE_HEIGHT,
        padding=CELL_PADDING,
        first_row_as_headings=has_heading,
        headings_style=FontFace(family=FAMILY, emphasis="BOLD", fill_color=HEADING_FILL),
    )


def _fill_row(row: Row, cells: Sequence[str]) -> None:
    for text in cells:
        row.cell(text)


def _split_row(pdf: FPDF, widths: Sequence[float], cells: Sequence[str]) -> list[tuple[str, ...]]:
    """Return the cells as one or more rows, none taller than `MAX_ROW_LINES` lines."""
    lines = [
        _wrapped_lines(pdf, width - 2 * CELL_PADDING, text)
        for width, text in zip(widths, cells, strict=True)
    ]
    count = max(1, *(math.ceil(len(cell) / MAX_ROW_LINES) for cell in lines))
    return [
        tuple("\n".join(cell[part * MAX_ROW_LINES : (part + 1) * MAX_ROW_LINES]) for cell in lines)
        for part in range(count)
    ]


def _wrapped_lines(pdf: FPDF, width: float, text: str) -> list[str]:
    lines = pdf.multi_cell(width, text=text, dry_run=True, output=MethodReturnValue.LINES)
    if not isinstance(lines, list):
        raise TypeError("fpdf2 did not return the wrapped lines")
    return lines


# --- The Rule 39 draft ---------------------------------------------------------------


def _draft(pdf: FPDF, draft: Draft) -> None:
    _marking(pdf, draft.marking)
    _title(pdf, draft.title)
    for warning in draft.warnings:
        _warning(pdf, warning)
    _reminders(pdf, draft)
    for section in draft.sections:
        _draft_section(pdf, section)


def _marking(pdf: FPDF, marking: str) -> None:
    pdf.set_font(FAMILY, "B", 18)
    pdf.set_text_color(*URGENT_COLOUR)
    pdf.set_draw_color(*URGENT_COLOUR)
    pdf.set_line_width(0.8)
    pdf.cell(0, 13, text=marking, border=1, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(*BLACK)
    pdf.set_text_color(*BLACK)
    pdf.ln(4)
    pdf.set_font(FAMILY, size=BODY_SIZE)


def _warning(pdf: FPDF, text: str) -> None:
    pdf.set_font(FAMILY, "B", BODY_SIZE)
    pdf.set_fill_color(*WARNING_FILL)
    pdf.set_draw_color(*URGENT_COLOUR)
    pdf.multi_cell(
        0,
        LINE_HEIGHT + 0.4,
        text=text,
        border=1,
        fill=True,
        align="L",
        padding=2,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_draw_color(*BLACK)
    pdf.set_font(FAMILY, size=BODY_SIZE)
    pdf.ln(3)


def _reminders(pdf: FPDF, draft: Draft) -> None:
    _paragraph(pdf, draft.reminders_title, is_bold=True)
    for reminder in draft.reminders:
        _paragraph(pdf, f"• {reminder}")


def _draft_section(pdf: FPDF, section: DraftSection) -> None:
    _heading(pdf, section.title)
    for number, entry in enumerate(section.entries, start=1):
        prefix = f"{number}. " if section.is_numbered else ""
        _entry(pdf, entry, prefix)


def _entry(pdf: FPDF, entry: Entry, prefix: str) -> None:
    """Write "label text" as flowing text, the label in bold and a placeholder in red."""
    if prefix or entry.label:
        pdf.set_font(FAMILY, "B", BODY_SIZE)
        pdf.write(LINE_HEIGHT, f"{prefix}{entry.label} ")
    if entry.is_missing:
        pdf.set_font(FAMILY, "B", BODY_SIZE)
        pdf.set_text_color(*URGENT_COLOUR)
    else:
        pdf.set_font(FAMILY, size=BODY_SIZE)
    pdf.write(LINE_HEIGHT, entry.text)
    pdf.set_text_color(*BLACK)
    pdf.set_font(FAMILY, size=BODY_SIZE)
    pdf.ln(LINE_HEIGHT + 1)

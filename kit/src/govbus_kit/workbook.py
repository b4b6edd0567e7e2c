"""Workbooks an office files (.xlsx, openpyxl): bordered cells that wrap, merged headings,
column widths, a print layout, a file name, and bytes that are the same for the same content.

What the services' spreadsheets share (disclosure's annual report, supervision's 台账); what
goes in the cells is each service's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy
from datetime import datetime
from io import BytesIO
from typing import Any
from weakref import WeakKeyDictionary
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Border, Font, Side  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped]
from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped]

#: The media type of an .xlsx file.
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Characters a file system or a Content-Disposition header would trip on.
_UNSAFE_IN_NAMES = '\\/:*?"<>|\r\n\t'

THIN = Side(style="thin")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
BOLD = Font(bold=True)


#: Per workbook, the style of each kind of cell once made: a cell takes a copy of it rather
#: than being styled anew (openpyxl looks every assigned style up in the workbook's tables,
#: most of the time of a sheet of thousands of rows).
_STYLES: WeakKeyDictionary[Workbook, dict[tuple[Any, ...], Any]] = WeakKeyDictionary()


def cell(ws: Worksheet, row: int, col: int, value: Any, *, bold: bool = False,
         left: bool = False, number_format: str | None = None,
         font: Font | None = None) -> Any:
    """One bordered, wrapping cell (centred unless ``left``); returns the cell."""
    c = ws.cell(row=row, column=col, value=value)
    styles = _STYLES.setdefault(ws.parent, {})
    key = (left, bold, number_format, font)
    made = styles.get(key)
    if made is not None:
        c._style = copy(made)
        return c
    c.border = BORDER
    c.alignment = LEFT if left else CENTER
    if font is not None:
        c.font = font
    elif bold:
        c.font = BOLD
    if number_format:
        c.number_format = number_format
    styles[key] = copy(c._style)
    return c


def merge(ws: Worksheet, r1: int, c1: int, r2: int, c2: int, value: Any, *,
          bold: bool = False, left: bool = False, font: Font | None = None) -> None:
    """``value`` over the cells r1:c1 … r2:c2, merged, every one of them bordered."""
    for r in range(r1, r2 + 1):
        for c in range(c1, c2 + 1):
            cell(ws, r, c, None)
    cell(ws, r1, c1, value, bold=bold, left=left, font=font)
    if (r1, c1) != (r2, c2):
        ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)


def widths(ws: Worksheet, column_widths: Sequence[float]) -> None:
    """Column widths from A on, in characters."""
    for i, w in enumerate(column_widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def print_layout(ws: Worksheet, *, landscape: bool = True, repeat_rows: str | None = None,
                 fit_width: bool = True) -> None:
    """Printable on A4 (landscape by default), all columns on one page's width, the rows
    ``repeat_rows`` (e.g. ``"3:3"``, the header) at the top of every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    if fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if repeat_rows:
        ws.print_title_rows = repeat_rows
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def safe_name(title: str, suffix: str = ".xlsx") -> str:
    """``title`` + ``suffix`` without the characters a file name must not hold."""
    return "".join(c for c in title if c not in _UNSAFE_IN_NAMES) + suffix


class _StampedZip(ZipFile):
    """A zip whose members all carry one time (``ZipFile`` stamps each with the clock)."""

    def __init__(self, out: BytesIO, stamp: datetime) -> None:
        super().__init__(out, "w", ZIP_DEFLATED, allowZip64=True)
        self._stamp = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute,
                       stamp.second)

    def writestr(self, zinfo_or_arcname: str | ZipInfo, data: Any,
                 compress_type: int | None = None, compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = ZipInfo(zinfo_or_arcname, date_time=self._stamp)
            zinfo_or_arcname.compress_type = ZIP_DEFLATED
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: int | None = None,
              compresslevel: int | None = None) -> None:
        # openpyxl writes each worksheet to a temporary file and adds it by name.
        with open(filename, "rb") as f:
            self.writestr(str(arcname or filename), f.read(), compress_type, compresslevel)


def workbook_bytes(wb: Workbook, *, title: str, creator: str, at: datetime) -> bytes:
    """The workbook as .xlsx bytes, stamped ``at`` (its properties and its zip members, not
    the time of saving, which openpyxl's ``save`` would write), so that the same content
    gives the same bytes."""
    stamp = at.replace(tzinfo=None, microsecond=0)
    wb.properties.title = title
    wb.properties.creator = creator
    wb.properties.created = stamp
    wb.properties.modified = stamp
    out = BytesIO()
    ExcelWriter(wb, _StampedZip(out, stamp)).save()  # closes the zip
    return out.getvalue()


__all__ = ["BOLD", "BORDER", "CENTER", "LEFT", "XLSX_MEDIA_TYPE", "Workbook", "Worksheet", "cell",
           "merge", "print_layout", "safe_name", "widths", "workbook_bytes"]

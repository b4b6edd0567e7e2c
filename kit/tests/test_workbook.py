"""govbus_kit.workbook: what the services' spreadsheets share."""

from __future__ import annotations

import time
from datetime import datetime
from io import BytesIO

from openpyxl import load_workbook

from govbus_kit.workbook import Workbook, cell, merge, print_layout, safe_name, workbook_bytes

AT = datetime(2026, 12, 2, 9, 30)


def book() -> bytes:
    wb = Workbook()
    ws = wb.active
    merge(ws, 1, 1, 1, 3, "标题", bold=True)
    cell(ws, 2, 1, "一行\n两行", left=True)
    print_layout(ws, repeat_rows="2:2")
    return workbook_bytes(wb, title="台账", creator="govbus", at=AT)


def test_the_same_content_gives_the_same_bytes_whatever_the_clock_says(monkeypatch):
    first = book()
    later = time.time() + 3600
    monkeypatch.setattr(time, "time", lambda: later)  # zip members are stamped by the clock
    assert book() == first
    wb = load_workbook(BytesIO(first))
    assert wb.properties.modified == AT and wb.properties.title == "台账"


def test_cells_merged_headings_and_the_print_layout():
    ws = load_workbook(BytesIO(book())).active
    assert ws["A1"].value == "标题" and ws["A1"].font.bold
    assert [str(r) for r in ws.merged_cells.ranges] == ["A1:C1"]
    assert ws["C1"].border.right.style == "thin"
    assert ws["A2"].alignment.wrap_text and ws["A2"].alignment.horizontal == "left"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$2:$2"


def test_a_file_name_has_no_character_a_header_or_a_file_system_trips_on():
    assert safe_name('2026年/台账:"草稿"') == "2026年台账草稿.xlsx"

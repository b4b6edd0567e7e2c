"""发文字号: the number register of each 机关代字 and year.

[GB/T 9704-2012 §7.2.5] 发文字号 = 机关代字 + 年份 in full inside 六角括号 〔〕 + 发文顺序号
without leading zeros (不编虚位) + 号, e.g. 宜府办发〔2008〕71号.
[GB/T 9704-2012 §10.2, §10.3] a 令 is numbered by its 令号 第N号 and a 纪要 by its 期号 第N期,
neither with 〔年份〕: each 文种's series (``NumberSeries``) runs on its own register; the 令号
series of a 机关代字 runs on across years, the 期号 series restarts each year.
[条例 Art. 9, the office's rules] serials run per series without gaps: a number is
taken at registration after sign-off, may be reserved (预留) beforehand, and a voided number
(作废) stays in the register with its reason, so every serial is accounted for.

Every serial comes from one ``NumberRegister`` aggregate written by compare-and-set, so two
registrations never take the same serial and none is skipped. A number is taken together
with the id of the document it is for: a registration retried after a crash finds the
number it already took instead of taking another.

The register document keeps the numbers reserved for a document and the last ``WINDOW``
others, and the last ``WINDOW`` lines of its history; older ones move to the kit's pages
(``govbus_kit.registers.EntryPages``), so that no 编号 rewrites a document growing all year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from pydantic import Field

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.common import Classification, DocType, Role
from govbus_contracts.services.documents.outgoing import (
    HistoryEntry,
    NumberEntry,
    NumberSeries,
    NumberStatus,
)
from govbus_kit.domain import Actor, Aggregate, act_as
from govbus_kit.registers import WINDOW, overflow

COLLECTION = "numbering"

# 机关代字: the issuer's characters, no digits, blanks or brackets of any kind (the year and
# serial follow it, so a digit or bracket in the code would make a number ambiguous).
_CODE = r"[^\s\d〔〕\[\]［］()（）【】{}<>〈〉《》]+"
_ISSUER_CODE_RE = re.compile(rf"^{_CODE}$")
# Only 六角括号 〔〕 and a year in full (GB/T 9704 §7.2.5: 年份应标全称, 用六角括号);
# the serial has no leading zeros (不编虚位) and ends in 号.
_DOC_NUMBER_RE = re.compile(
    rf"^(?P<code>{_CODE})〔(?P<year>(?:19|20|21)[0-9]{{2}})〕(?P<serial>[1-9][0-9]*)号$")


class MalformedDocNumber(GovbusError, ValueError):
    """A 发文字号 not in the standard form."""

    def __init__(self, text: str, why: str) -> None:
        super().__init__(ErrorCode.validation_failed,
                         f"发文字号 {text!r} 不符合规范 (机关代字〔年份〕序号号): {why}",
                         doc_number=text)


def validate_issuer_code(code: str) -> str:
    """The 机关代字, or validation_failed."""
    if not code or len(code) > 20 or not _ISSUER_CODE_RE.match(code):
        raise GovbusError(ErrorCode.validation_failed,
                          f"机关代字 {code!r} 不规范: 不得含数字、空格或括号", issuer_code=code)
    return code


def format_doc_number(issuer_code: str, year: int, serial: int) -> str:
    """宜府办发〔2026〕71号."""
    if serial < 1:
        raise ValueError("a serial starts at 1")
    if not 1900 <= year <= 2199:
        raise ValueError(f"year {year} is not a year in full")
    return f"{validate_issuer_code(issuer_code)}〔{year}〕{serial}号"


#: The 文种 numbered outside the 发文字号 series (GB/T 9704 §10.2 令号, §10.3 纪要).
SERIES_OF_TYPE: dict[DocType, NumberSeries] = {
    DocType.order: NumberSeries.order,
    DocType.minutes: NumberSeries.minutes,
}


def series_of(doc_type: DocType) -> NumberSeries:
    """The numbering series of a 文种."""
    return SERIES_OF_TYPE.get(doc_type, NumberSeries.standard)


def format_number(series: NumberSeries, issuer_code: str, year: int, serial: int) -> str:
    """The number a serial stands for in its series: 宜府办发〔2026〕71号, 第3号 (令号),
    第5期 (纪要期号)."""
    if series is NumberSeries.standard:
        return format_doc_number(issuer_code, year, serial)
    if serial < 1:
        raise ValueError("a serial starts at 1")
    validate_issuer_code(issuer_code)
    return f"第{serial}号" if series is NumberSeries.order else f"第{serial}期"


def parse_doc_number(text: str) -> tuple[str, int, int]:
    """``(机关代字, year, serial)`` of a 发文字号 in the standard form; raises
    ``MalformedDocNumber`` (a ``GovbusError`` with code validation_failed, and a
    ``ValueError``) on anything else: other brackets, a short year, leading zeros, blanks."""
    match = _DOC_NUMBER_RE.match(text)
    if match is None:
        raise MalformedDocNumber(text, _why_malformed(text))
    return match["code"], int(match["year"]), int(match["serial"])


def _why_malformed(text: str) -> str:
    if any(c in text for c in "[]［］()（）【】"):
        return "年份须用六角括号〔〕"
    if any(c.isspace() for c in text):
        return "不得含空格"
    if not text.endswith("号"):
        return "须以“号”结尾"
    if re.search(r"〕0", text):
        return "序号不编虚位 (无前导零)"
    if re.search(r"〔[0-9]{1,3}〕|〔[0-9]{5,}〕", text):
        return "年份须标全称"
    return "格式应为 机关代字〔年份〕序号号"


# --- the register ----------------------------------------------------------------------------


def register_id(issuer_code: str, year: int,
                series: NumberSeries = NumberSeries.standard) -> str:
    """One register per series: "宜府办发:2026" (发文字号), "宜府纪:2026:期号" (纪要, per
    year), "宜府令:令号" (令, across years: the year does not enter)."""
    if series is NumberSeries.order:
        return f"{issuer_code}:{series.value}"
    if series is NumberSeries.minutes:
        return f"{issuer_code}:{year}:{series.value}"
    return f"{issuer_code}:{year}"


class NumberRegister(Aggregate):
    """发文字号登记簿 of one 机关代字 and one year."""

    issuer_code: str = Field(description="机关代字")
    year: int = Field(description="年度 (令号: the year the series was opened)")
    series: NumberSeries = Field(default=NumberSeries.standard, description="编号序列")
    next_serial: int = Field(default=1, description="the serial the next number takes")
    entries: list[NumberEntry] = Field(
        default_factory=list, description="the open entries and the recent final ones")
    # Readable by the office's staff (access.py): a register names no classified content.
    classification_level: Classification = Classification.none
    departments: list[str] = Field(default_factory=list)
    history: list[HistoryEntry] = Field(default_factory=list,
                                        description="the recent lines of the history")
    history_moved: int = Field(default=0, description="history lines moved to pages")


def new_register(issuer_code: str, year: int,
                 series: NumberSeries = NumberSeries.standard) -> NumberRegister:
    validate_issuer_code(issuer_code)
    return NumberRegister(id=register_id(issuer_code, year, series), issuer_code=issuer_code,
                          year=year, series=series)


def number_in(register: NumberRegister, serial: int) -> str:
    """The number of a serial of this register."""
    return format_number(register.series, register.issuer_code, register.year, serial)


def require_registrar(actor: Principal) -> Actor:
    """登记, 预留 and 作废 of numbers are the registrar's (文书) work."""
    return act_as(actor, Role.registrar, step="管理发文字号")


def entry_for_document(register: NumberRegister, document_id: str,
                       status: NumberStatus | None = None) -> NumberEntry | None:
    for entry in register.entries:
        if entry.document_id == document_id and (status is None or entry.status is status):
            return entry
    return None


def entry_by_serial(register: NumberRegister, serial: int) -> NumberEntry:
    for entry in register.entries:
        if entry.serial == serial:
            return entry
    raise GovbusError(ErrorCode.not_found,
                      f"{number_in(register, serial)} 尚未编号",
                      serial=serial, register_id=register.id)


def _with_entry(register: NumberRegister, entry: NumberEntry, *, consumed: bool,
                history: HistoryEntry) -> NumberRegister:
    entries = [e for e in register.entries if e.serial != entry.serial] + [entry]
    entries.sort(key=lambda e: e.serial)
    return register.model_copy(update={
        "entries": entries,
        "next_serial": register.next_serial + (1 if consumed else 0),
        "history": [*register.history, history],
    })


def _history(actor: Principal, at: datetime, action: str, remarks: str | None) -> HistoryEntry:
    return HistoryEntry(at=at, actor=actor.subject, actor_name=actor.name,
                        role=Role.registrar.value, action=action, remarks=remarks)


def take_number(register: NumberRegister, document_id: str, at: datetime, actor: Principal,
                reserved_serial: int | None = None) -> tuple[NumberRegister | None, NumberEntry]:
    """The number of a document at registration.

    Returns ``(new register or None when unchanged, entry)``. A document that already holds
    a number in this register keeps it (a retried registration); a number reserved for it is
    used; otherwise ``reserved_serial`` names a reserved number to use, or the next serial is
    taken.
    """
    held = entry_for_document(register, document_id, NumberStatus.used)
    if held is not None:
        if reserved_serial is not None and reserved_serial != held.serial:
            raise GovbusError(ErrorCode.conflict,
                              f"该公文已编号 {held.doc_number}", doc_number=held.doc_number)
        return None, held
    chosen: NumberEntry | None
    if reserved_serial is not None:
        chosen = entry_by_serial(register, reserved_serial)
        if chosen.status is not NumberStatus.reserved:
            raise GovbusError(ErrorCode.conflict, f"{chosen.doc_number} {chosen.status.value}, "
                              "不能再用", doc_number=chosen.doc_number,
                              status=chosen.status.value)
        if chosen.document_id not in (None, document_id):
            raise GovbusError(ErrorCode.conflict,
                              f"{chosen.doc_number} 是为另一份公文预留的",
                              doc_number=chosen.doc_number, reserved_for=chosen.document_id)
    else:
        chosen = entry_for_document(register, document_id, NumberStatus.reserved)
    if chosen is not None:
        used = chosen.model_copy(update={"status": NumberStatus.used, "document_id": document_id,
                                         "used_at": at})
        return _with_entry(register, used, consumed=False,
                           history=_history(actor, at, "使用预留号", used.doc_number)), used
    serial = register.next_serial
    entry = NumberEntry(
        serial=serial, doc_number=number_in(register, serial),
        status=NumberStatus.used, document_id=document_id, taken_at=at, taken_by=actor.subject,
        used_at=at)
    return _with_entry(register, entry, consumed=True,
                       history=_history(actor, at, "编号", entry.doc_number)), entry


def reserve_number(register: NumberRegister, at: datetime, actor: Principal, *,
                   document_id: str | None = None,
                   purpose: str | None = None) -> tuple[NumberRegister, NumberEntry]:
    """预留: the next serial, set aside for a document or a stated purpose."""
    require_registrar(actor)
    if not document_id and not (purpose and purpose.strip()):
        raise GovbusError(ErrorCode.validation_failed, "预留文号须说明为哪份公文或何种用途")
    if document_id is not None:
        existing = entry_for_document(register, document_id)
        if existing is not None and existing.status is not NumberStatus.voided:
            raise GovbusError(ErrorCode.conflict,
                              f"该公文已有文号 {existing.doc_number} ({existing.status.value})",
                              doc_number=existing.doc_number)
    serial = register.next_serial
    entry = NumberEntry(
        serial=serial, doc_number=number_in(register, serial),
        status=NumberStatus.reserved, document_id=document_id, purpose=purpose, taken_at=at,
        taken_by=actor.subject)
    return _with_entry(register, entry, consumed=True,
                       history=_history(actor, at, "预留", purpose or document_id)), entry


def void_number(register: NumberRegister, serial: int, reason: str, at: datetime,
                actor: Principal) -> tuple[NumberRegister, NumberEntry]:
    """作废 a reserved number; it stays in the register with its reason.

    A number a document carries cannot be voided here: the document would keep a number the
    register calls void.
    """
    require_registrar(actor)
    if not reason.strip():
        raise GovbusError(ErrorCode.validation_failed, "作废文号须说明原因")
    entry = entry_by_serial(register, serial)
    if entry.status is NumberStatus.voided:
        raise GovbusError(ErrorCode.invalid_transition, f"{entry.doc_number} 已作废",
                          doc_number=entry.doc_number, void_reason=entry.void_reason)
    if entry.status is NumberStatus.used:
        raise GovbusError(ErrorCode.invalid_transition,
                          f"{entry.doc_number} 已用于公文, 不能作废",
                          doc_number=entry.doc_number, document_id=entry.document_id)
    voided = entry.model_copy(update={"status": NumberStatus.voided, "void_reason": reason,
                                      "voided_at": at, "voided_by": actor.subject})
    return _with_entry(register, voided, consumed=False,
                       history=_history(actor, at, "作废", f"{entry.doc_number}: {reason}")), voided


def gaps(register: NumberRegister, moved: Iterable[int] = ()) -> list[int]:
    """Serials below ``next_serial`` that the register does not account for (none, ever);
    ``moved``: the serials of the entries in pages."""
    held = {e.serial for e in register.entries} | set(moved)
    return [s for s in range(1, register.next_serial) if s not in held]


# --- what moves to pages ---------------------------------------------------------------------


def movable(entry: NumberEntry) -> bool:
    """Whether an entry may live in a page: every entry but one reserved for a document,
    which a registration looks up by the document (a number reserved for a purpose is named
    by its serial, and read back from its page when used or voided)."""
    return entry.status is not NumberStatus.reserved or entry.document_id is None


def to_move(register: NumberRegister) -> tuple[list[NumberEntry], list[HistoryEntry]]:
    """The oldest movable entries beyond ``WINDOW`` and the oldest history lines beyond it."""
    serials = set(overflow([e.serial for e in register.entries],
                           [movable(e) for e in register.entries], WINDOW))
    history = register.history[:max(len(register.history) - WINDOW, 0)]
    return [e for e in register.entries if e.serial in serials], history


def without_moved(register: NumberRegister, moved: Iterable[NumberEntry], history_upto: int
                  ) -> NumberRegister:
    """The register without the entries written to pages, where it still holds them as
    written there (one changed meanwhile stays), and without the history lines up to
    position ``history_upto``."""
    paged = {e.serial: e for e in moved}
    entries = [e for e in register.entries if paged.get(e.serial) != e]
    first = register.history_moved + 1  # the position of ``history[0]``
    history = register.history[max(history_upto - first + 1, 0):]
    if len(entries) == len(register.entries) and len(history) == len(register.history):
        return register
    return register.model_copy(update={
        "entries": entries, "history": history,
        "history_moved": max(register.history_moved, history_upto)})


def with_paged(register: NumberRegister, paged: Iterable[NumberEntry]) -> NumberRegister:
    """The register with entries read back from their pages, for a rule that names their
    serial (the register's own copy, where it holds one, is the newer)."""
    held = {e.serial for e in register.entries}
    extra = [e for e in paged if e.serial not in held]
    if not extra:
        return register
    return register.model_copy(update={
        "entries": sorted([*register.entries, *extra], key=lambda e: e.serial)})

"""发文字号: the standard form and the number register, without servers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.common import DocType
from govbus_contracts.services.documents.outgoing import NumberSeries, NumberStatus
from govbus_documents.domain.numbering import (
    MalformedDocNumber,
    NumberRegister,
    format_doc_number,
    gaps,
    new_register,
    parse_doc_number,
    register_id,
    reserve_number,
    series_of,
    take_number,
    validate_issuer_code,
    void_number,
)

AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
REGISTRAR = Principal(subject="u-registrar", name="刘洋", roles=frozenset({"registrar"}),
                      department="秘书科")
DRAFTER = Principal(subject="u-drafter", name="李明", roles=frozenset({"drafter"}),
                    department="秘书科")


def register() -> NumberRegister:
    return new_register("宜府办发", 2026)


def take(reg: NumberRegister, document_id: str,
         reserved_serial: int | None = None) -> tuple[NumberRegister, int]:
    changed, entry = take_number(reg, document_id, AT, REGISTRAR, reserved_serial)
    return (changed or reg), entry.serial


# --- the standard form ---------------------------------------------------------------------


def test_doc_number_is_issuer_code_year_in_full_in_hexagonal_brackets_serial_and_hao():
    assert format_doc_number("宜府办发", 2008, 71) == "宜府办发〔2008〕71号"
    assert format_doc_number("宜发", 2008, 13) == "宜发〔2008〕13号"


def test_parse_doc_number_returns_issuer_code_year_and_serial():
    assert parse_doc_number("宜府办发〔2008〕71号") == ("宜府办发", 2008, 71)
    assert parse_doc_number("宜发〔2008〕13号") == ("宜发", 2008, 13)
    assert parse_doc_number("国办发〔2026〕1号") == ("国办发", 2026, 1)


@pytest.mark.parametrize("text", [
    "宜发[2008]13号",  # square brackets, as the seed's own citation has it
    "宜发(2008)13号",
    "宜发（2008）13号",
    "宜发【2008】13号",
    "宜发〔 2008〕13号",  # a blank inside the brackets (the seed's header)
    "宜府办发〔08〕71号",  # the year not in full
    "宜府办发〔2008〕071号",  # 虚位: a leading zero
    "宜府办发〔2008〕0号",
    "宜府办发〔2008〕71",  # no 号
    "〔2008〕71号",  # no 机关代字
    "宜府办发2008〕71号",
    " 宜府办发〔2008〕71号",
    "",
])
def test_malformed_doc_numbers_are_refused(text):
    with pytest.raises(MalformedDocNumber) as refused:
        parse_doc_number(text)
    assert refused.value.code is ErrorCode.validation_failed
    assert isinstance(refused.value, ValueError)
    assert refused.value.details["doc_number"] == text


def test_issuer_code_has_no_digits_blanks_or_brackets():
    assert validate_issuer_code("宜府办发") == "宜府办发"
    for bad in ("宜府2办发", "宜府 办发", "宜府〔办发", "", "宜" * 21):
        with pytest.raises(GovbusError) as refused:
            validate_issuer_code(bad)
        assert refused.value.code is ErrorCode.validation_failed


def test_one_register_per_issuer_code_and_year():
    assert register_id("宜府办发", 2026) == "宜府办发:2026"
    assert register().id == "宜府办发:2026"
    assert register().next_serial == 1


def test_an_order_takes_its_order_number_and_minutes_their_issue_number_without_year():
    # GB/T 9704 §10.2 令号, §10.3 纪要: numbered outside the 发文字号 series, without 〔年份〕.
    assert series_of(DocType.order) is NumberSeries.order
    assert series_of(DocType.minutes) is NumberSeries.minutes
    assert series_of(DocType.notice) is NumberSeries.standard
    orders = new_register("宜府令", 2026, NumberSeries.order)
    orders, first = take_number(orders, "order-1", AT, REGISTRAR)
    assert first.doc_number == "第1号"
    minutes = new_register("宜府纪", 2026, NumberSeries.minutes)
    minutes, issue = take_number(minutes, "minutes-1", AT, REGISTRAR)
    assert issue.doc_number == "第1期"


def test_each_series_has_its_own_register_and_orders_run_on_across_years():
    assert register_id("宜府令", 2026, NumberSeries.order) == \
        register_id("宜府令", 2027, NumberSeries.order) == "宜府令:令号"
    assert register_id("宜府办发", 2026, NumberSeries.minutes) == "宜府办发:2026:期号"
    assert len({register_id("宜府办发", 2026, s) for s in NumberSeries}) == 3


# --- the register ----------------------------------------------------------------------------


def test_serials_run_from_one_without_gaps():
    reg = register()
    serials = []
    for n in range(5):
        reg, serial = take(reg, f"doc-{n}")
        serials.append(serial)
    assert serials == [1, 2, 3, 4, 5]
    assert reg.next_serial == 6
    assert gaps(reg) == []
    assert [e.doc_number for e in reg.entries][:2] == ["宜府办发〔2026〕1号", "宜府办发〔2026〕2号"]


def test_a_retried_registration_finds_the_number_it_took_for_its_document():
    reg, first = take(register(), "doc-a")
    changed, again = take_number(reg, "doc-a", AT, REGISTRAR)
    assert changed is None
    assert again.serial == first == 1
    assert reg.next_serial == 2


def test_a_reserved_number_consumes_a_serial_and_is_used_by_its_document():
    reg, reserved = reserve_number(register(), AT, REGISTRAR, document_id="doc-a")
    assert reserved.status is NumberStatus.reserved and reserved.serial == 1
    reg, other = take(reg, "doc-b")
    assert other == 2
    reg, own = take(reg, "doc-a")
    assert own == 1
    entry = next(e for e in reg.entries if e.serial == 1)
    assert entry.status is NumberStatus.used and entry.document_id == "doc-a"
    assert reg.next_serial == 3 and gaps(reg) == []


def test_a_number_reserved_for_a_purpose_is_used_by_naming_its_serial():
    reg, reserved = reserve_number(register(), AT, REGISTRAR, purpose="市长办公会议纪要")
    reg, serial = take(reg, "doc-x", reserved_serial=reserved.serial)
    assert serial == 1
    assert reg.entries[0].purpose == "市长办公会议纪要"
    assert reg.entries[0].document_id == "doc-x"


def test_a_number_reserved_for_another_document_cannot_be_used():
    reg, reserved = reserve_number(register(), AT, REGISTRAR, document_id="doc-a")
    with pytest.raises(GovbusError) as refused:
        take_number(reg, "doc-b", AT, REGISTRAR, reserved_serial=reserved.serial)
    assert refused.value.code is ErrorCode.conflict


def test_a_number_in_use_cannot_be_taken_again_as_reserved():
    reg, _ = take(register(), "doc-a")
    with pytest.raises(GovbusError) as refused:
        take_number(reg, "doc-b", AT, REGISTRAR, reserved_serial=1)
    assert refused.value.code is ErrorCode.conflict


def test_a_serial_not_yet_numbered_cannot_be_used_as_reserved():
    with pytest.raises(GovbusError) as refused:
        take_number(register(), "doc-a", AT, REGISTRAR, reserved_serial=7)
    assert refused.value.code is ErrorCode.not_found


def test_a_reservation_says_for_which_document_or_purpose():
    with pytest.raises(GovbusError) as refused:
        reserve_number(register(), AT, REGISTRAR, purpose="  ")
    assert refused.value.code is ErrorCode.validation_failed


def test_a_document_holding_a_number_cannot_reserve_another():
    reg, _ = take(register(), "doc-a")
    with pytest.raises(GovbusError) as refused:
        reserve_number(reg, AT, REGISTRAR, document_id="doc-a")
    assert refused.value.code is ErrorCode.conflict


def test_a_voided_number_stays_in_the_register_with_its_reason():
    reg, _ = reserve_number(register(), AT, REGISTRAR, purpose="专题会议纪要")
    reg, voided = void_number(reg, 1, "会议取消, 不再发文", AT, REGISTRAR)
    assert voided.status is NumberStatus.voided
    assert voided.void_reason == "会议取消, 不再发文"
    assert voided.voided_by == "u-registrar"
    assert [e.serial for e in reg.entries] == [1]
    assert reg.next_serial == 2 and gaps(reg) == []
    assert reg.history[-1].action == "作废"
    reg, serial = take(reg, "doc-b")
    assert serial == 2  # the voided serial is never handed out again


def test_a_voided_number_cannot_be_used_or_voided_again():
    reg, _ = reserve_number(register(), AT, REGISTRAR, purpose="备用")
    reg, _ = void_number(reg, 1, "不再需要", AT, REGISTRAR)
    with pytest.raises(GovbusError) as used:
        take_number(reg, "doc-a", AT, REGISTRAR, reserved_serial=1)
    assert used.value.code is ErrorCode.conflict
    with pytest.raises(GovbusError) as again:
        void_number(reg, 1, "再次作废", AT, REGISTRAR)
    assert again.value.code is ErrorCode.invalid_transition


def test_a_number_a_document_carries_cannot_be_voided():
    reg, _ = take(register(), "doc-a")
    with pytest.raises(GovbusError) as refused:
        void_number(reg, 1, "错号", AT, REGISTRAR)
    assert refused.value.code is ErrorCode.invalid_transition


def test_voiding_needs_a_reason():
    reg, _ = reserve_number(register(), AT, REGISTRAR, purpose="备用")
    with pytest.raises(GovbusError) as refused:
        void_number(reg, 1, "  ", AT, REGISTRAR)
    assert refused.value.code is ErrorCode.validation_failed


def test_only_the_registrar_reserves_and_voids_numbers():
    with pytest.raises(GovbusError) as reserving:
        reserve_number(register(), AT, DRAFTER, purpose="备用")
    assert reserving.value.code is ErrorCode.forbidden
    reg, _ = reserve_number(register(), AT, REGISTRAR, purpose="备用")
    with pytest.raises(GovbusError) as voiding:
        void_number(reg, 1, "不再需要", AT, DRAFTER)
    assert voiding.value.code is ErrorCode.forbidden

"""The 发文字号 register does not grow one document all year: its older numbers and history
lines move to pages (kit registers), and the register still answers whole, uses a reserved
number and voids one that live in a page, and refuses twice what it refused before."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.registry import CommandSpec, QuerySpec
from govbus_contracts.services.documents import outgoing as specs
from govbus_documents.domain import numbering
from govbus_documents.plugin import service
from govbus_kit import registers
from govbus_kit.bus import request
from govbus_testing import OfficeClock, running

pytestmark = pytest.mark.servers

WINDOW = 5
REGISTRAR = Principal(subject="u-registrar-zhao", roles=frozenset({"registrar"}))
STAFF = {specs.DRAFT_OUTGOING: Principal(subject="u-drafter-qian", roles=frozenset({"drafter"}),
                                   department="秘书科"),
         specs.REVIEW_OUTGOING: Principal(subject="u-reviewer-sun", roles=frozenset({"reviewer"})),
         specs.SIGN_OFF_OUTGOING: Principal(subject="u-signer-zhou", roles=frozenset({"signer"})),
         specs.RECHECK_OUTGOING: REGISTRAR}
#: 10:00 on Wednesday 4 March 2026, Beijing time.
OFFICE_MORNING = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)


async def ask(host: Any, spec: CommandSpec | QuerySpec, payload: dict[str, Any],
              who: Principal = REGISTRAR) -> dict[str, Any]:
    return await request(host.broker, spec, payload, principal=who, timeout=30)


async def signed_notice(host: Any, code: str) -> str:
    """One notice of ``code`` drafted, reviewed, signed and rechecked: ready for 登记."""
    drafted = await ask(host, specs.DRAFT_OUTGOING, {
        "doc_type": "通知", "title": "关于做好政务信息报送工作的通知",
        "body": "各科室:现就有关事项通知如下。",
        "main_recipients": ["秘书科"], "cc_recipients": [], "recipient_departments": ["秘书科"],
        "disclosure": "依申请公开", "issuer_code": code, "issuing_organ": "宜春市人民政府办公室",
    }, STAFF[specs.DRAFT_OUTGOING])
    for spec, extra in ((specs.REVIEW_OUTGOING, {"decision": "通过"}),
                        (specs.SIGN_OFF_OUTGOING, {}),
                        (specs.RECHECK_OUTGOING, {})):
        await ask(host, spec, {"document_id": drafted["document_id"], **extra}, STAFF[spec])
    return str(drafted["document_id"])


async def register_view(host: Any, code: str) -> dict[str, Any]:
    return await ask(host, specs.GET_NUMBER_REGISTER, {"issuer_code": code, "year": 2026})


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numbering, "WINDOW", WINDOW)
    monkeypatch.setattr(registers, "PAGE_SIZE", 4)


async def test_older_numbers_move_to_pages_and_the_register_still_answers_whole(
        servers, settings, small_pages):
    code = "宜府页" + "".join(random.choices("甲乙丙丁戊己庚辛壬癸", k=4))
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        db = host.contexts[service.name].db
        for n in range(1, 13):
            reply = await ask(host, specs.RESERVE_NUMBER, {"issuer_code": code, "year": 2026,
                                                     "purpose": f"第{n}次主任办公会纪要"})
            assert reply["entry"]["serial"] == n
        head: Any = await db["numbering"].find_one({"_id": f"{code}:2026"})
        assert len(head["entries"]) <= WINDOW + 1
        assert len(head["history"]) <= WINDOW + 1
        assert await db["numbering_entries"].count_documents({}) >= 1

        voided = await ask(host, specs.VOID_NUMBER, {"issuer_code": code, "year": 2026, "serial": 2,
                                               "reason": "会议取消"}, REGISTRAR)
        assert voided["entry"]["status"] == "已作废"
        with pytest.raises(GovbusError) as again:
            await ask(host, specs.VOID_NUMBER, {"issuer_code": code, "year": 2026, "serial": 2,
                                          "reason": "会议取消"}, REGISTRAR)
        assert again.value.code is ErrorCode.invalid_transition

        doc_id = await signed_notice(host, code)
        state = await ask(host, specs.REGISTER_OUTGOING,
                          {"document_id": doc_id, "reserved_serial": 3}, REGISTRAR)
        assert state["doc_number"] == f"{code}〔2026〕3号"
        with pytest.raises(GovbusError) as spent:
            await ask(host, specs.VOID_NUMBER, {"issuer_code": code, "year": 2026, "serial": 3,
                                          "reason": "误用"}, REGISTRAR)
        assert spent.value.code is ErrorCode.invalid_transition
        # A retry of the registration, after its number moved to a page, takes none.
        for n in range(13, 20):
            await ask(host, specs.RESERVE_NUMBER, {"issuer_code": code, "year": 2026,
                                             "purpose": f"第{n}次主任办公会纪要"}, REGISTRAR)
        with pytest.raises(GovbusError):
            await ask(host, specs.REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        assert (await ask(host, specs.GET_OUTGOING, {"document_id": doc_id},
                          REGISTRAR))["doc_number"] == f"{code}〔2026〕3号"

        view = await register_view(host, code)
        assert view["next_serial"] == 20
        assert [e["serial"] for e in view["entries"]] == list(range(1, 20))
        status = {e["serial"]: e["status"] for e in view["entries"]}
        assert (status[2], status[3]) == ("已作废", "已使用")
        assert [s for s, st in status.items() if st == "已预留"] == [
            s for s in range(1, 20) if s not in (2, 3)]
        assert next(e for e in view["entries"] if e["serial"] == 3)["document_id"] == doc_id
        head = await db["numbering"].find_one({"_id": f"{code}:2026"})
        assert len(head["entries"]) <= WINDOW + 1

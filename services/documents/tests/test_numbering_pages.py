"""The 发文字号 register does not grow one document all year: its older numbers and history
lines move to pages (kit registers), and the register still answers whole, uses a reserved
number and voids one that live in a page, and refuses twice what it refused before."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.outgoing import (
    GET_OUTGOING,
    REGISTER_OUTGOING,
    RESERVE_NUMBER,
    VOID_NUMBER,
)
from govbus_documents.domain import numbering
from govbus_documents.plugin import service
from govbus_kit import registers

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests"))
from test_numbering_concurrency import (  # noqa: E402
    OFFICE_MORNING,
    REGISTRAR,
    OfficeClock,
    ask,
    rechecked,
    register_view,
)

from helpers import running  # noqa: E402

pytestmark = pytest.mark.servers

WINDOW = 5


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
            reply = await ask(host, RESERVE_NUMBER, {"issuer_code": code, "year": 2026,
                                                     "purpose": f"第{n}次主任办公会纪要"},
                              REGISTRAR)
            assert reply["entry"]["serial"] == n
        head: Any = await db["numbering"].find_one({"_id": f"{code}:2026"})
        assert len(head["entries"]) <= WINDOW + 1
        assert len(head["history"]) <= WINDOW + 1
        assert await db["numbering_entries"].count_documents({}) >= 1

        voided = await ask(host, VOID_NUMBER, {"issuer_code": code, "year": 2026, "serial": 2,
                                               "reason": "会议取消"}, REGISTRAR)
        assert voided["entry"]["status"] == "已作废"
        with pytest.raises(GovbusError) as again:
            await ask(host, VOID_NUMBER, {"issuer_code": code, "year": 2026, "serial": 2,
                                          "reason": "会议取消"}, REGISTRAR)
        assert again.value.code is ErrorCode.invalid_transition

        [doc_id] = await rechecked(host, code, 1)
        state = await ask(host, REGISTER_OUTGOING, {"document_id": doc_id, "reserved_serial": 3},
                          REGISTRAR)
        assert state["doc_number"] == f"{code}〔2026〕3号"
        with pytest.raises(GovbusError) as spent:
            await ask(host, VOID_NUMBER, {"issuer_code": code, "year": 2026, "serial": 3,
                                          "reason": "误用"}, REGISTRAR)
        assert spent.value.code is ErrorCode.invalid_transition
        # A retry of the registration, after its number moved to a page, takes none.
        for n in range(13, 20):
            await ask(host, RESERVE_NUMBER, {"issuer_code": code, "year": 2026,
                                             "purpose": f"第{n}次主任办公会纪要"}, REGISTRAR)
        with pytest.raises(GovbusError):
            await ask(host, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        assert (await ask(host, GET_OUTGOING, {"document_id": doc_id},
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

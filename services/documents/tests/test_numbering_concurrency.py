"""发文字号 through the bus: gapless under concurrent registration, reserved and voided
numbers, and a registration that crashes between its two writes.
"""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from datetime import UTC, datetime
from typing import Any

import nats
import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.outgoing import (
    DRAFT_OUTGOING,
    GET_NUMBER_REGISTER,
    GET_OUTGOING,
    NUMBER_VOIDED,
    RECHECK_OUTGOING,
    REGISTER_OUTGOING,
    RESERVE_NUMBER,
    REVIEW_OUTGOING,
    SIGN_OFF_OUTGOING,
    VOID_NUMBER,
    RegisterOutgoing,
)
from govbus_documents.domain.numbering import parse_doc_number
from govbus_documents.handlers.outgoing import register_outgoing
from govbus_documents.plugin import service
from govbus_kit.bus import request
from govbus_kit.service import CommandContext
from govbus_testing import OfficeClock, eventually, provision, running, service_process
from govbus_testing.office import DRAFTER, REGISTRAR, REVIEWER, SIGNER, ask

pytestmark = pytest.mark.servers

#: 09:30 on Tuesday 3 March 2026, Beijing time.
OFFICE_MORNING = datetime(2026, 3, 3, 1, 30, tzinfo=UTC)


def notice(issuer_code: str, n: int) -> dict[str, Any]:
    return {
        "doc_type": "通知", "title": f"关于做好2026年第{n}批政务信息报送工作的通知",
        "body": "各科室:为进一步改进信息工作,更好地为本级政府服务,现就有关事项通知如下。",
        "main_recipients": ["秘书科", "综合科"], "cc_recipients": [],
        "recipient_departments": ["秘书科", "综合科"], "disclosure": "依申请公开",
        "issuer_code": issuer_code, "issuing_organ": "宜春市人民政府办公室",
    }


async def rechecked(host: Any, issuer_code: str, count: int) -> list[str]:
    """``count`` notices signed and rechecked, ready for 登记 (each stage concurrently)."""
    drafted = await asyncio.gather(*(ask(host, DRAFT_OUTGOING, notice(issuer_code, n), DRAFTER)
                                     for n in range(count)))
    ids = [d["document_id"] for d in drafted]
    for spec, payload, who in (
            (REVIEW_OUTGOING, {"decision": "通过"}, REVIEWER),
            (SIGN_OFF_OUTGOING, {}, SIGNER),
            (RECHECK_OUTGOING, {}, REGISTRAR)):
        await asyncio.gather(*(ask(host, spec, {"document_id": i, **payload}, who)
                               for i in ids))
    return ids


async def register_view(host: Any, issuer_code: str) -> dict[str, Any]:
    return await ask(host, GET_NUMBER_REGISTER, {"issuer_code": issuer_code, "year": 2026},
                     REGISTRAR)


async def test_thirty_concurrent_registrations_take_thirty_consecutive_serials(servers, settings):
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        ids = await rechecked(host, "宜府办字", 30)
        start = (await register_view(host, "宜府办字"))["next_serial"]

        states = await asyncio.gather(*(ask(host, REGISTER_OUTGOING, {"document_id": i},
                                            REGISTRAR) for i in ids))

        numbers = [s["doc_number"] for s in states]
        serials = sorted(parse_doc_number(n)[2] for n in numbers)
        assert len(set(numbers)) == 30
        assert serials == list(range(start, start + 30))
        if servers.kind != "configured":  # fresh servers: the register starts at 1
            assert serials == list(range(1, 31))
        assert all(n.startswith("宜府办字〔2026〕") for n in numbers)
        register = await register_view(host, "宜府办字")
        assert register["next_serial"] == start + 30
        by_document = {e["document_id"]: e["doc_number"] for e in register["entries"]
                       if e["serial"] >= start}
        assert by_document == {s["document_id"]: s["doc_number"] for s in states}
        assert [e["serial"] for e in register["entries"]] == list(range(1, start + 30))


async def test_registrations_overlapping_inside_one_process_never_share_or_skip_a_serial(
        servers, settings):
    """The broker hands a subscriber one request at a time; here the handlers themselves
    overlap, so every serial is decided by the register's compare-and-set."""
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        ids = await rechecked(host, "宜府办明电", 30)
        start = (await register_view(host, "宜府办明电"))["next_serial"]
        documents = host.contexts["documents"]

        def context() -> CommandContext:
            command_id = str(uuid.uuid4())
            return CommandContext(service=documents, principal=REGISTRAR, command_id=command_id,
                                  correlation_id=command_id, request_hash=command_id)

        states = await asyncio.gather(*(
            register_outgoing(RegisterOutgoing(document_id=i), context()) for i in ids))

        serials = sorted(parse_doc_number(s.doc_number or "")[2] for s in states)
        assert serials == list(range(start, start + 30))
        register = await register_view(host, "宜府办明电")
        assert register["next_serial"] == start + 30
        assert [e["serial"] for e in register["entries"]] == list(range(1, start + 30))


async def test_a_reserved_number_is_used_at_registration(servers, settings):
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        first, second = await rechecked(host, "宜府字", 2)
        for_meeting = await ask(host, RESERVE_NUMBER, {
            "issuer_code": "宜府字", "year": 2026, "purpose": "市政府第5次常务会议纪要"},
            REGISTRAR)
        for_second = await ask(host, RESERVE_NUMBER, {
            "issuer_code": "宜府字", "year": 2026, "document_id": second}, REGISTRAR)
        meeting_serial = for_meeting["entry"]["serial"]
        assert for_meeting["entry"]["status"] == "已预留"
        assert for_second["entry"]["serial"] == meeting_serial + 1

        # One document uses the number reserved for a purpose, by its serial.
        state = await ask(host, REGISTER_OUTGOING, {"document_id": first,
                                                    "reserved_serial": meeting_serial},
                          REGISTRAR)
        assert state["doc_number"] == f"宜府字〔2026〕{meeting_serial}号"
        # The other finds the number reserved for it without naming it.
        state = await ask(host, REGISTER_OUTGOING, {"document_id": second}, REGISTRAR)
        assert state["doc_number"] == f"宜府字〔2026〕{meeting_serial + 1}号"

        register = await register_view(host, "宜府字")
        assert register["next_serial"] == meeting_serial + 2
        used = {e["serial"]: e for e in register["entries"]}
        assert (used[meeting_serial]["status"], used[meeting_serial]["document_id"],
                used[meeting_serial]["purpose"]) == ("已使用", first, "市政府第5次常务会议纪要")
        assert (used[meeting_serial + 1]["status"],
                used[meeting_serial + 1]["document_id"]) == ("已使用", second)


async def test_a_voided_number_keeps_its_reason_in_the_register(servers, settings):
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        reserved = await ask(host, RESERVE_NUMBER, {
            "issuer_code": "宜府发", "year": 2026, "purpose": "全市经济工作会议文件"}, REGISTRAR)
        serial = reserved["entry"]["serial"]
        with pytest.raises(GovbusError) as not_registrar:
            await ask(host, VOID_NUMBER, {"issuer_code": "宜府发", "year": 2026,
                                          "serial": serial, "reason": "会议延期"}, DRAFTER)
        assert not_registrar.value.code is ErrorCode.forbidden
        voided = await ask(host, VOID_NUMBER, {
            "issuer_code": "宜府发", "year": 2026, "serial": serial,
            "reason": "会议延期, 该文不再印发"}, REGISTRAR)
        assert voided["entry"]["status"] == "已作废"

        register = await register_view(host, "宜府发")
        entry = next(e for e in register["entries"] if e["serial"] == serial)
        assert (entry["status"], entry["void_reason"], entry["voided_by"]) == (
            "已作废", "会议延期, 该文不再印发", "u-registrar-liu")
        assert [e["serial"] for e in register["entries"]] == list(
            range(1, register["next_serial"]))
        [doc] = await rechecked(host, "宜府发", 1)
        with pytest.raises(GovbusError) as reuse:
            await ask(host, REGISTER_OUTGOING, {"document_id": doc, "reserved_serial": serial},
                      REGISTRAR)
        assert reuse.value.code is ErrorCode.conflict

        async def voided_facts() -> list[dict[str, Any]]:
            nc = await nats.connect(servers.nats_url)
            try:
                sub = await nc.jetstream().pull_subscribe(NUMBER_VOIDED.subject,
                                                          stream="GOV_DOCUMENTS")
                found = []
                try:
                    while True:
                        for m in await sub.fetch(100, timeout=1):
                            found.append(json.loads(m.data))
                            await m.ack()
                except (TimeoutError, nats.errors.TimeoutError):
                    pass
                await sub.unsubscribe()
                return found
            finally:
                await nc.close()

        facts = await eventually(voided_facts, lambda fs: any(
            f["doc_number"] == f"宜府发〔2026〕{serial}号" for f in fs))
        fact = next(f for f in facts if f["doc_number"] == f"宜府发〔2026〕{serial}号")
        assert fact["reason"] == "会议延期, 该文不再印发"


async def test_a_registration_killed_between_its_two_writes_keeps_the_number_it_took(
        servers, settings):
    """kill -9 after the number is taken in the register, before the document records it:
    the client's retry (same command id) completes with that number, none other is taken."""
    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        [doc_id] = await rechecked(host, "宜府办函", 1)
        start = (await register_view(host, "宜府办函"))["next_serial"]
    await provision(settings, service)
    victim = service_process(settings, "documents", faults="outbox.after_state_write=kill")
    command_id = str(uuid.uuid4())
    try:
        async with running(settings, clock=OfficeClock(OFFICE_MORNING)) as client:
            await eventually(lambda: _healthy(client), lambda ok: ok, timeout=30)
            with pytest.raises(GovbusError) as lost:
                await ask(client, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR,
                          message_id=command_id, timeout=5)
            assert lost.value.code in (ErrorCode.timeout, ErrorCode.unavailable)
            assert victim.wait(timeout=15) == -signal.SIGKILL
    finally:
        if victim.poll() is None:
            victim.kill()

    async with running(settings, service, clock=OfficeClock(OFFICE_MORNING)) as host:
        # The register holds the number for the document; the document does not yet.
        register = await register_view(host, "宜府办函")
        assert register["next_serial"] == start + 1
        assert register["entries"][-1]["document_id"] == doc_id
        assert (await ask(host, GET_OUTGOING, {"document_id": doc_id}, REGISTRAR))[
            "status"] == "已复核"

        state = await ask(host, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR,
                          message_id=command_id)
        assert state["doc_number"] == f"宜府办函〔2026〕{start}号"
        assert state["status"] == "已登记"
        assert (await register_view(host, "宜府办函"))["next_serial"] == start + 1


async def _healthy(host: Any) -> bool:
    try:
        reply = await request(host.broker, service.contract.health, {}, timeout=1)
    except GovbusError:
        return False
    return reply["status"] == "ok"

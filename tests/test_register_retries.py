"""A yearly register answers a retried command with its first number, however many numbers
it gave since, and takes no serial for the retry: 收文编号 (documents, incoming), 申请编号
(disclosure, requests) and 发文字号 (documents, outgoing). More than 200 commands come
between the first and its retry (an earlier version remembered only the last 200 commands
of an aggregate)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from govbus_contracts.envelope import Principal
from govbus_contracts.registry import CommandSpec
from govbus_contracts.services.disclosure.requests import SUBMIT_REQUEST
from govbus_contracts.services.documents.incoming import REGISTER_INCOMING
from govbus_contracts.services.documents.outgoing import RESERVE_NUMBER
from govbus_disclosure.plugin import service as disclosure
from govbus_documents.plugin import service as documents
from govbus_kit.bus import request
from govbus_kit.runtime import Host
from govbus_kit.service import Service
from govbus_testing import IsolatedSettings, OfficeClock, running

BETWEEN = 201
REGISTRAR = Principal(subject="li-wenshu", name="李文书", roles=frozenset({"registrar"}),
                      department="办公室")
CITIZEN = Principal.anonymous()


@asynccontextmanager
async def office(settings: Any, service: Service, label: str
                 ) -> AsyncIterator[tuple[Host, Any]]:
    """The service on a database of its own (fresh registers), on a working day of 2026."""
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_{service.name}_{label}_{uuid.uuid4().hex[:8]}")
    async with running(own, service, clock=OfficeClock()) as host:
        yield host, host.contexts[service.name].db


async def register_many(host: Any, spec: CommandSpec, payload: Callable[[int], dict[str, Any]],
                        who: Principal) -> tuple[str, dict[str, Any]]:
    """The first command (its id and reply), then ``BETWEEN`` others, a few at a time."""
    first_id = f"first-{uuid.uuid4()}"
    first = await request(host.broker, spec, payload(0), principal=who, message_id=first_id,
                          timeout=30)
    for start in range(1, BETWEEN + 1, 8):
        await asyncio.gather(*(request(host.broker, spec, payload(i), principal=who, timeout=30)
                               for i in range(start, min(start + 8, BETWEEN + 1))))
    return first_id, first


async def retried(host: Any, spec: CommandSpec, payload: dict[str, Any], who: Principal,
                  message_id: str) -> dict[str, Any]:
    return await request(host.broker, spec, payload, principal=who, message_id=message_id,
                         timeout=30)


async def last_serial(read: Callable[[], Awaitable[dict[str, Any] | None]], field: str) -> int:
    doc = await read()
    assert doc is not None
    return int(doc[field])


async def test_a_retried_incoming_registration_gets_its_first_number_and_spends_none(settings):
    def payload(i: int) -> dict[str, Any]:
        return {"issuer": "区委办公室", "issuer_doc_number": f"区委办发〔2026〕{i + 1}号",
                "doc_type": "通知", "received_on": "2026-03-09", "copies": 1,
                "title": f"关于报送2026年第{i + 1}期工作动态的通知"}

    async with office(settings, documents, "inreg") as (host, db):
        first_id, first = await register_many(host, REGISTER_INCOMING, payload, REGISTRAR)
        assert first["registration_number"] == "收〔2026〕1号"
        register = lambda: db["incoming_register"].find_one({"_id": "2026"})  # noqa: E731
        assert await last_serial(register, "last_serial") == BETWEEN + 1
        again = await retried(host, REGISTER_INCOMING, payload(0), REGISTRAR, first_id)
        assert again == first
        assert await last_serial(register, "last_serial") == BETWEEN + 1
        assert await db["incoming"].count_documents({}) == BETWEEN + 1


async def test_a_retried_disclosure_request_gets_its_first_number_and_spends_none(settings):
    def payload(i: int) -> dict[str, Any]:
        return {"applicant_type": "自然人", "applicant": {"name": f"申请人{i:03d}"},
                "contact": {"phone": f"139{i:08d}"},
                "information": {"description": f"2026年度城区第{i + 1}号道路改造工程竣工验收情况"},
                "form": "电子", "delivery": "在线查看"}

    async with office(settings, disclosure, "reqreg") as (host, db):
        first_id, first = await register_many(host, SUBMIT_REQUEST, payload, CITIZEN)
        assert first["request_number"] == "2026-0001"
        register = lambda: db["request_register"].find_one({"_id": "2026"})  # noqa: E731
        assert await last_serial(register, "last_serial") == BETWEEN + 1
        again = await retried(host, SUBMIT_REQUEST, payload(0), CITIZEN, first_id)
        assert again == first
        assert await last_serial(register, "last_serial") == BETWEEN + 1


async def test_a_retried_number_reservation_gets_its_first_number_and_spends_none(settings):
    def payload(i: int) -> dict[str, Any]:
        return {"issuer_code": "宜府办字", "year": 2026, "purpose": f"第{i + 1}次主任办公会纪要"}

    async with office(settings, documents, "outreg") as (host, db):
        first_id, first = await register_many(host, RESERVE_NUMBER, payload, REGISTRAR)
        assert first["entry"]["serial"] == 1
        register = lambda: db["numbering"].find_one({"_id": first["register_id"]})  # noqa: E731
        assert await last_serial(register, "next_serial") == BETWEEN + 2
        again = await retried(host, RESERVE_NUMBER, payload(0), REGISTRAR, first_id)
        assert again == first
        assert await last_serial(register, "next_serial") == BETWEEN + 2

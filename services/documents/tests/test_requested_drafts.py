"""代拟 on real servers: a service asks the documents service for a 督办通知书 as itself.

A toy asking service (a ``Service`` of a throwaway contract, allowed by the office's
settings under its own name) asks; the draft appears for 督查室; the office's staff take
it through 退回修改, 修改, 核稿, 签发, 复核, 登记 (the number from 府督办's register), 印制,
核发; the dispatched fact on GOV_DOCUMENTS carries what was asked for with the 发文字号. A
retried ask lands on the same draft; a user (even a drafter of 督查室) and a service the
office does not allow are refused, and nothing is drafted; bad input is validation_failed.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from govbus_contracts import Command, ServiceContract
from govbus_contracts.envelope import Principal, deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.registry import CommandSpec
from govbus_contracts.services.documents.outgoing import (
    DISPATCH_OUTGOING,
    DRAFT_REQUESTED_OUTGOING,
    GET_NUMBER_REGISTER,
    GET_OUTGOING,
    LIST_OUTGOING,
    OUTGOING_DISPATCHED,
    PRINT_OUTGOING,
    RECHECK_OUTGOING,
    REGISTER_OUTGOING,
    REVIEW_OUTGOING,
    REVISE_OUTGOING,
    SIGN_OFF_OUTGOING,
    OutgoingState,
)
from govbus_documents.plugin import service as documents
from govbus_documents.settings import DocumentsSettings
from govbus_kit.bus import request
from govbus_kit.service import CommandContext, Service
from govbus_testing import OfficeClock, running, stream_messages
from govbus_testing.office import MONDAY_MORNING, REGISTRAR, REVIEWER, SIGNER, ask

pytestmark = pytest.mark.servers

#: 督查室's drafter: revises the notice when 核稿 returns it
DUCHA = Principal(subject="u-ducha-zhou", name="周敏", roles=frozenset({"drafter"}),
                  department="督查室")


class Forward(Command):
    """What the toy service is told to ask documents (sent on as it is, good or bad)."""

    payload: dict[str, Any]


class _AsIs(BaseModel):
    model_config = ConfigDict(extra="allow")


def asking_service(name: str) -> tuple[Service, CommandSpec]:
    """A throwaway service that asks documents for a draft as itself, under an id derived
    from the command that caused it (as supervision does for an item's 督办通知书)."""
    contract = ServiceContract(name)
    spec = contract.command("forward", Forward, OutgoingState)
    service = Service(contract)

    @service.command(spec)
    async def forward(cmd: Forward, ctx: CommandContext) -> OutgoingState:
        asked = await ctx.service.ask(DRAFT_REQUESTED_OUTGOING, _AsIs(**cmd.payload),
                                      message_id=deterministic_id(name, "notice",
                                                                  ctx.command_id))
        return OutgoingState.model_validate(asked)

    return service, spec


TOY, TOY_FORWARD = asking_service("toyducha")
STRANGER, STRANGER_FORWARD = asking_service("toystranger")
OFFICE = DocumentsSettings(draft_requesters=["toyducha"])


def notice(service: str = "toyducha", **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "requested_by": {"service": service, "service_name": "督查督办", "kind": "督办事项",
                         "reference": "item-12", "label": "督〔2026〕12号"},
        "doc_type": "通知", "title": "关于督促办理城区公交线网优化事项的督办通知书",
        "body": "市交通运输局:\n市政府第12次常务会议议定的城区公交线网优化事项已逾办理期限, "
                "请于5个工作日内报送办理情况。",
        "main_recipients": ["市交通运输局"], "issuer_code": "府督办",
        "issuing_organ": "市人民政府办公室", "drafting_department": "督查室",
        "urgency": "加急", "disclosure": "不予公开", "disclosure_reason": "内部督办事项",
    }
    payload.update(changes)
    return payload


async def forward(host: Any, spec: CommandSpec, payload: dict[str, Any],
                  message_id: str) -> dict[str, Any]:
    return await request(host.broker, spec, {"payload": payload}, message_id=message_id,
                         timeout=30)


async def refused(code: ErrorCode, call: Any) -> GovbusError:
    with pytest.raises(GovbusError) as caught:
        await call
    assert caught.value.code is code, caught.value.message
    return caught.value


async def drafts_of_the_office(host: Any) -> int:
    listed = await ask(host, LIST_OUTGOING, {"issuer_code": "府督办"}, REGISTRAR)
    return int(listed["total"])


async def test_a_requested_notice_is_handled_by_the_office_and_dispatched_with_its_number(
        servers, settings):
    async with running(settings, documents, TOY, clock=OfficeClock(MONDAY_MORNING),
                       service_settings={"documents": OFFICE}) as host:
        state = await forward(host, TOY_FORWARD, notice(), "escalate-item-12")
        doc_id = state["document_id"]
        assert (state["status"], state["revision"]) == ("草稿", 1)
        again = await forward(host, TOY_FORWARD, notice(), "escalate-item-12")
        assert again == state  # a retried ask lands on the same draft, drafted once

        view = await ask(host, GET_OUTGOING, {"document_id": doc_id}, DUCHA)
        assert (view["drafting_department"], view["drafter"], view["drafter_name"]) == (
            "督查室", "system:toyducha", "督查室(督查督办)")
        assert view["requested_by"]["reference"] == "item-12"
        assert view["history"][0]["remarks"] == "代拟: 督办事项 督〔2026〕12号"

        # 核稿 returns it; 督查室's drafter revises; 核稿 approves.
        await ask(host, REVIEW_OUTGOING, {"document_id": doc_id, "decision": "退回修改",
                                          "comments": "请写明报送期限的具体日期"}, REVIEWER)
        state = await ask(host, REVISE_OUTGOING, {
            "document_id": doc_id, "summary": "写明报送期限",
            "body": view["body"] + "(3月9日前报送)"}, DUCHA)
        assert (state["status"], state["revision"]) == ("草稿", 2)
        await ask(host, REVIEW_OUTGOING, {"document_id": doc_id, "decision": "通过",
                                          "revision": 2}, REVIEWER)
        await ask(host, SIGN_OFF_OUTGOING, {"document_id": doc_id, "opinion": "同意"}, SIGNER)
        await ask(host, RECHECK_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        state = await ask(host, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR)
        assert state["doc_number"] == "府督办〔2026〕1号"
        register = await ask(host, GET_NUMBER_REGISTER, {"issuer_code": "府督办",
                                                         "year": 2026}, REGISTRAR)
        assert [(e["serial"], e["document_id"]) for e in register["entries"]] == [(1, doc_id)]
        await ask(host, PRINT_OUTGOING, {"document_id": doc_id,
                                         "printing_office": "市人民政府办公室秘书科"}, REGISTRAR)
        state = await ask(host, DISPATCH_OUTGOING, {"document_id": doc_id, "dispatches": [
            {"recipient": "市交通运输局", "channel": "电子公文传输"}]}, REGISTRAR)
        assert state["status"] == "已核发"
        assert await drafts_of_the_office(host) == 1

    facts = [m for m in await stream_messages(servers.nats_url, OUTGOING_DISPATCHED.subject,
                                              "GOV_DOCUMENTS")
             if m["data"]["document_id"] == doc_id]
    assert len(facts) == 1
    dispatched = facts[0]["data"]
    assert dispatched["doc_number"] == "府督办〔2026〕1号"
    assert dispatched["requested_by"] == {
        "service": "toyducha", "service_name": "督查督办", "kind": "督办事项",
        "reference": "item-12", "label": "督〔2026〕12号"}
    assert dispatched["body"] is None  # 不予公开: the text stays in documents


async def test_users_and_services_not_allowed_are_refused_and_nothing_is_drafted(
        servers, settings):
    async with running(settings, documents, TOY, STRANGER, clock=OfficeClock(MONDAY_MORNING),
                       service_settings={"documents": OFFICE}) as host:
        before = await drafts_of_the_office(host)
        # A user, even a drafter of the asking office, and an administrator.
        admin = Principal(subject="u-admin", roles=frozenset({"admin", "drafter"}),
                          department="督查室")
        for who in (DUCHA, admin):
            await refused(ErrorCode.forbidden, ask(host, DRAFT_REQUESTED_OUTGOING,
                                                   notice(), who))
        # A service the office does not allow, asking as itself.
        await refused(ErrorCode.forbidden, forward(
            host, STRANGER_FORWARD, notice("toystranger"), "stranger-1"))
        # Bad input from the allowed one: changes nothing either.
        # (the documents service's own refusal, passed on by the asking service)
        for field, bad in (("title", ""), ("body", "督" * 100_001)):
            error = await refused(ErrorCode.validation_failed, forward(
                host, TOY_FORWARD, notice(**{field: bad}), f"bad-{field}"))
            assert [p["field"] for p in error.details["problems"]] == [field]
        await refused(ErrorCode.validation_failed, forward(
            host, TOY_FORWARD, notice(disclosure_reason=None), "no-reason"))
        assert await drafts_of_the_office(host) == before

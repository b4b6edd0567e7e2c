"""The item handlers without servers (MemoryHost): each step one line over the domain's rule;
立项 lands once per command id, 登记 takes the year's next serial and spends none on a
refusal, a 领导批示 with 督办 opens its item once however often the fact is delivered, and a
department that is neither lead nor co-department is told nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import INCOMING_INSTRUCTED, IncomingInstructed
from govbus_contracts.services.supervision.items import (
    ASSIGN_ITEM,
    GET_ITEM,
    GIVE_OPINION,
    ITEM_OPENED,
    OPEN_ITEM,
    REGISTER_ITEM,
    REVIEW_ANSWER,
    SUBMIT_ANSWER,
)
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.memory import MemoryHost
from govbus_supervision.plugin import service
from govbus_supervision.settings import SupervisionSettings

JUN1 = datetime(2026, 6, 1, 10, tzinfo=OFFICE_TZ)


@pytest.fixture
def host() -> MemoryHost:
    return MemoryHost(service, clock=ManualClock(JUN1), options=SupervisionSettings())


def opening() -> dict[str, object]:
    return {"title": "加快推进老旧小区加装电梯", "content": "请于期限内报送办理情况。",
            "source": {"kind": "其他督查事项", "manual": {
                "manual_kind": "媒体报道", "origin": "某日报2026年6月1日第4版报道"}}}


async def refused(code: ErrorCode, call) -> None:
    with pytest.raises(GovbusError) as raised:
        await call
    assert raised.value.code is code, raised.value


async def test_an_item_goes_from_opening_to_completion(host, walk):
    opened = await host.command(OPEN_ITEM, opening(), walk.supervisor, command_id="c-open")
    again = await host.command(OPEN_ITEM, opening(), walk.supervisor, command_id="c-open")
    assert again == opened and opened["status"] == "已立项"
    item = opened["id"]
    await refused(ErrorCode.forbidden, host.command(OPEN_ITEM, opening(), walk.lead_handler))

    # A refused 登记 spends no serial; the first one is 督〔2026〕1号.
    await refused(ErrorCode.forbidden, host.command(REGISTER_ITEM, {"id": item}, walk.leader))
    await refused(ErrorCode.not_found, host.command(REGISTER_ITEM, {"id": "nope"},
                                                    walk.supervisor))
    registered = await host.command(REGISTER_ITEM, {"id": item}, walk.supervisor,
                                    command_id="c-reg")
    assert (registered["number"], registered["status"]) == ("督〔2026〕1号", "已登记")
    assert await host.command(REGISTER_ITEM, {"id": item}, walk.supervisor,
                              command_id="c-reg") == registered
    await refused(ErrorCode.invalid_transition, host.command(REGISTER_ITEM, {"id": item},
                                                             walk.supervisor))
    second = await host.command(OPEN_ITEM, opening(), walk.supervisor)
    assert (await host.command(REGISTER_ITEM, {"id": second["id"]}, walk.supervisor)
            )["number"] == "督〔2026〕2号"

    assigned = await host.command(ASSIGN_ITEM, {"id": item, "lead_department": walk.lead,
                                                "co_departments": [walk.co]}, walk.supervisor)
    # 15 个工作日 from 1 Jun (端午 19 Jun is no working day).
    assert (assigned["status"], assigned["due_on"]) == ("办理中", "2026-06-23")
    await refused(ErrorCode.not_found, host.query(GET_ITEM, {"id": item}, walk.other_handler))
    await refused(ErrorCode.not_found, host.command(GIVE_OPINION, {"id": item, "opinion": "x"},
                                                    walk.other_handler))
    await host.command(GIVE_OPINION, {"id": item, "opinion": "同意。"}, walk.co_handler)
    answered = await host.command(SUBMIT_ANSWER, {"id": item, "text": "已完成加装电梯32部。"},
                                  walk.lead_handler)
    assert answered["status"] == "已反馈"
    done = await host.command(REVIEW_ANSWER, {"id": item, "decision": "审结通过"},
                              walk.supervisor)
    assert done["status"] == "已办结"
    view = await host.query(GET_ITEM, {"id": item}, walk.co_handler)
    assert [a["text"] for a in view["answers"]] == ["已完成加装电梯32部。"]
    assert view["version"] == done["version"]


def instructed(**changes: object) -> IncomingInstructed:
    fields: dict[str, object] = dict(
        id="doc-1", registration_number="收〔2026〕7号", status="待承办", issuer="省政府办公厅",
        issuer_doc_number="赣府办字〔2026〕3号", doc_type="通知", classification_level="非密",
        urgency="平件", title="关于加快老旧小区改造的通知", leader="王副市长",
        leader_subject="wang-fqz", instructed_on=date(2026, 6, 1), needs_supervision=True,
        supervision_deadline=date(2026, 6, 30), lead_department="市住建局",
        instruction="请住建局牵头抓紧落实, 6月底前报结果。")
    fields.update(changes)
    return IncomingInstructed.model_validate(fields)


async def test_an_instruction_with_supervision_opens_its_item_once(host, walk):
    await host.deliver(INCOMING_INSTRUCTED, instructed(), event_id="e-1")
    await host.deliver(INCOMING_INSTRUCTED, instructed(), event_id="e-1")
    await host.deliver(INCOMING_INSTRUCTED, instructed(), event_id="e-2")  # redelivered anew
    opened = host.memory.published(ITEM_OPENED.subject)
    assert len(opened) == 1
    item = await host.query(GET_ITEM, {"id": opened[0].aggregate_id}, walk.supervisor)
    assert item["source"]["kind"] == "领导批示"
    assert item["source"]["instruction"]["document_id"] == "doc-1"
    assert item["requested_due_on"] == "2026-06-30"

    await host.deliver(INCOMING_INSTRUCTED, instructed(id="doc-2", needs_supervision=False))
    assert len(host.memory.published(ITEM_OPENED.subject)) == 1


async def test_the_number_carries_the_offices_own_prefix(walk):
    host = MemoryHost(service, clock=ManualClock(JUN1),
                      options=SupervisionSettings(number_prefix="赣督"))
    item = (await host.command(OPEN_ITEM, opening(), walk.supervisor))["id"]
    step = await host.command(REGISTER_ITEM, {"id": item}, walk.supervisor)
    assert step["number"] == "赣督〔2026〕1号"

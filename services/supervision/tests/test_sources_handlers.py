"""Sources from facts, on the handlers without servers (MemoryHost): a 批示 whose 督办期限 has
passed opens its item overdue (once), and a 政府工作报告 target shows its tasks' progress
once their ``item.opened`` facts have been read (each fact delivered as the bus would, twice
for one of them)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.documents.incoming import INCOMING_INSTRUCTED, IncomingInstructed
from govbus_contracts.services.supervision.items import (
    GET_ITEM,
    ITEM_OPENED,
    OPEN_ITEM,
    ItemOpened,
)
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.memory import MemoryHost
from govbus_supervision.plugin import service
from govbus_supervision.settings import SupervisionSettings

OCT9 = datetime(2026, 10, 9, 10, tzinfo=OFFICE_TZ)


@pytest.fixture
def host() -> MemoryHost:
    return MemoryHost(service, clock=ManualClock(OCT9), options=SupervisionSettings())


def instructed(deadline: date) -> IncomingInstructed:
    return IncomingInstructed(
        id="doc-30", registration_number="收〔2026〕130号", status="待承办",
        issuer="省政府办公厅", issuer_doc_number="赣府办字〔2026〕50号", doc_type="通知",
        classification_level="非密", urgency="平件", title="关于做好国庆期间安全生产工作的通知",
        leader="王副市长", leader_subject="wang-fqz", instructed_on=date(2026, 9, 29),
        needs_supervision=True, supervision_deadline=deadline, lead_department="市应急管理局",
        instruction="请应急局牵头落实, 9月30日前报结果。")


async def test_an_instruction_read_after_its_deadline_opens_an_overdue_item_once(host, walk):
    # Read on 9 Oct, after 国庆: the 30 Sep deadline is gone, the item opens all the same.
    await host.deliver(INCOMING_INSTRUCTED, instructed(date(2026, 9, 30)), event_id="e-1")
    await host.deliver(INCOMING_INSTRUCTED, instructed(date(2026, 9, 30)), event_id="e-2")
    (opened,) = host.memory.published(ITEM_OPENED.subject)
    item = await host.query(GET_ITEM, {"id": opened.aggregate_id}, walk.supervisor)
    assert (item["status"], item["requested_due_on"], item["overdue_since"]) == (
        "已立项", "2026-09-30", "2026-10-08")
    assert item["source"]["instruction"]["document_id"] == "doc-30"
    assert item["children"] is None


def work_report(reference: str = "三(二)") -> dict[str, object]:
    return {"kind": "政府工作报告", "work_report": {"year": 2026, "reference": reference}}


async def test_a_target_shows_the_progress_of_the_tasks_read_so_far(host, walk):
    target = await host.command(OPEN_ITEM, {
        "title": "三(二) 着力保障和改善民生", "content": "分解到部门, 项目化、时间表、责任人。",
        "source": work_report()}, walk.supervisor)
    tasks = []
    for department in (walk.lead, walk.co, walk.other):
        tasks.append(await host.command(OPEN_ITEM, {
            "title": f"{department}: 民生任务", "content": "按季度报送进展。",
            "source": work_report("三(二)1"), "parent_id": target["id"],
            "proposed_lead_department": department}, walk.supervisor))
    view = await host.query(GET_ITEM, {"id": target["id"]}, walk.supervisor)
    assert view["children"] == {"tasks": 0, "completed": 0, "overdue": 0, "percent": 0,
                                "items": []}

    # The bus delivers each task's 立项 fact (the first one twice).
    facts = [p for p in host.memory.published(ITEM_OPENED.subject)
             if p.data.get("parent_id") == target["id"]]
    assert len(facts) == 3
    for fact in [facts[0], *facts]:
        await host.deliver(ITEM_OPENED, ItemOpened.model_validate(fact.data), event_id=fact.id)
    await host.deliver(ITEM_OPENED, ItemOpened.model_validate(facts[0].data))  # anew
    listed = await host.memory["target_tasks"].find_one({"_id": target["id"]})
    assert listed is not None and listed["task_ids"] == [t["id"] for t in tasks]
    view = await host.query(GET_ITEM, {"id": target["id"]}, walk.leader)
    counts = {k: v for k, v in view["children"].items() if k != "items"}
    assert counts == {"tasks": 3, "completed": 0, "overdue": 0, "percent": 0}
    assert [(t["id"], t["lead_department"], t["status"], t["reference"])
            for t in view["children"]["items"]] == [
        (t["id"], d, "已立项", "三(二)1") for t, d in zip(tasks, (walk.lead, walk.co, walk.other),
                                                          strict=True)]
    # A task is no target: it has no children of its own.
    assert (await host.query(GET_ITEM, {"id": tasks[0]["id"]}, walk.supervisor)
            )["children"] is None

    # A task cannot hang under a task.
    with pytest.raises(GovbusError) as raised:
        await host.command(OPEN_ITEM, {"title": "x", "content": "x", "source": work_report(),
                                       "parent_id": tasks[0]["id"]}, walk.supervisor)
    assert raised.value.code is ErrorCode.validation_failed

"""政府工作报告 target and tasks through the bus, against the real servers.

Target 三(二) is broken down into three tasks for three departments (项目化、时间表、责任人):
each with its milestones, assigned with the default quarterly reports. One is completed, one
passes its deadline: the target's view counts 3 tasks, 1 completed, 1 overdue and the
derived percent, from the tasks' own records (read by id from the target's list, kept from
the service's own 立项 facts). A department sees its own task and is told the others' do not
exist.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.items import (
    ASSIGN_ITEM,
    GET_ITEM,
    OPEN_ITEM,
    REGISTER_ITEM,
    REVIEW_ANSWER,
    SUBMIT_ANSWER,
)
from govbus_kit.clock import ManualClock
from govbus_supervision.plugin import service as supervision
from govbus_testing import IsolatedSettings, eventually, running
from govbus_testing.office import LEADER, ask, handler

pytestmark = pytest.mark.servers



def work_report(reference: str) -> dict[str, Any]:
    return {"kind": "政府工作报告", "work_report": {"year": 2026, "reference": reference}}


async def test_a_targets_view_counts_its_tasks_done_and_overdue(servers, settings, walk):
    suffix = uuid.uuid4().hex[:6]
    housing, finance, education = (f"{d}-{suffix}" for d in ("市住建局", "市财政局", "市教育局"))
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_supervision_targets_{uuid.uuid4().hex[:8]}")
    clock = ManualClock(walk.at(date(2026, 3, 2)))
    async with running(own, supervision, clock=clock) as host:
        target = await ask(host, OPEN_ITEM, {
            "title": "三(二) 持续保障和改善民生", "content": "分解到部门, 项目化、时间表、责任人。",
            "source": work_report("三(二)")}, walk.supervisor)
        tasks: dict[str, str] = {}
        for n, (department, due) in enumerate(
                [(housing, "2026-06-30"), (finance, "2026-04-30"), (education, "2026-12-31")],
                start=1):
            task = await ask(host, OPEN_ITEM, {
                "title": f"三(二){n} {department}民生任务",
                "content": "按时间节点推进, 按季度报送进展。",
                "source": work_report(f"三(二){n}"), "parent_id": target["id"],
                "proposed_lead_department": department,
                "milestones": [{"title": "完成方案", "due_on": "2026-03-31"},
                               {"title": "全面完成", "due_on": due}]}, walk.supervisor)
            await ask(host, REGISTER_ITEM, {"id": task["id"]}, walk.supervisor)
            step = await ask(host, ASSIGN_ITEM, {"id": task["id"], "lead_department": department,
                                                 "due_on": due}, walk.supervisor)
            assert step["due_on"] == due
            tasks[department] = task["id"]

        # Each task reports quarterly (the work report's default), first on 25 March.
        seen = await ask(host, GET_ITEM, {"id": tasks[housing]}, handler(housing))
        assert seen["assignments"][0]["progress_schedule"] == "每季度"
        assert seen["next_report_due_on"] == "2026-03-25"
        assert [m["title"] for m in seen["milestones"]] == ["完成方案", "全面完成"]
        assert (seen["parent_id"], seen["children"]) == (target["id"], None)

        # The housing task is answered and completed.
        clock.set(walk.at(date(2026, 4, 20)))
        await ask(host, SUBMIT_ANSWER, {"id": tasks[housing], "text": "已完成改造12个小区。"},
                  handler(housing))
        done = await ask(host, REVIEW_ANSWER, {"id": tasks[housing], "decision": "审结通过"},
                         walk.supervisor)
        assert done["status"] == "已办结"

        # 6 May (劳动节 1–5 May): the finance task is past its 30 April deadline.
        clock.set(walk.at(date(2026, 5, 6)))
        view = await eventually(lambda: ask(host, GET_ITEM, {"id": target["id"]}, LEADER),
                                lambda v: v["children"]["tasks"] == 3)
        children = view["children"]
        assert (children["tasks"], children["completed"], children["overdue"],
                children["percent"]) == (3, 1, 1, 33)
        # Each task listed with its 责任单位, deadline, progress and milestones.
        assert [(t["lead_department"], t["status"], t["due_on"], t["overdue"], t["percent"])
                for t in children["items"]] == [
            (housing, "已办结", "2026-06-30", False, 100),
            (finance, "办理中", "2026-04-30", True, 0),
            (education, "办理中", "2026-12-31", False, 0)]
        assert [m["title"] for m in children["items"][2]["milestones"]] == ["完成方案", "全面完成"]
        assert children["items"][2]["next_report_due_on"] == "2026-03-25"  # not yet reported
        listed = await host.contexts[supervision.name].db["target_tasks"].find_one(
            {"_id": target["id"]})
        assert listed["task_ids"] == list(tasks.values())

        # A department sees its own task, not the others', nor the target it is not on.
        for department, task_id in tasks.items():
            mine = await ask(host, GET_ITEM, {"id": task_id}, handler(department))
            assert mine["lead_department"] == department
            for other, other_id in tasks.items():
                if other != department:
                    with pytest.raises(GovbusError) as raised:
                        await ask(host, GET_ITEM, {"id": other_id}, handler(department))
                    assert raised.value.code is ErrorCode.not_found
            with pytest.raises(GovbusError) as raised:
                await ask(host, GET_ITEM, {"id": target["id"]}, handler(department))
            assert raised.value.code is ErrorCode.not_found

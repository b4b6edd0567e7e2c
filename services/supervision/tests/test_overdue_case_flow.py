"""逾期依申请公开 → 督查事项, through the bus against the real servers: disclosure and
supervision in one host on a manual clock.

Two requests arrive online on Thu 27 Aug 2026 and are due on 23 Sep (20 working days,
第三十三条); disclosure's own sweep finds them overdue from Thu 24 Sep. The threshold is five
working days: 中秋 25 Sep, 28–30 Sep, 国庆 1–7 Oct, so 8 Oct is the fourth working day (no
item) and 9 Oct the fifth (the item). The overdue fact delivered again and the sweep run
twice still make one item. The second request is answered on 30 Sep, the third working day
overdue, and never becomes an item.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from govbus_contracts.envelope import Principal
from govbus_contracts.services.disclosure import requests as q
from govbus_contracts.services.supervision.common import SourceKind
from govbus_contracts.services.supervision.items import GET_ITEM, ITEM_OPENED
from govbus_disclosure.handlers.requests import sweep_request_deadlines
from govbus_disclosure.plugin import service as disclosure
from govbus_kit.clock import ManualClock
from govbus_supervision.domain.cases import watch_id
from govbus_supervision.domain.opening import overdue_case_item_id
from govbus_supervision.handlers.cases import sweep_overdue_cases
from govbus_supervision.plugin import service as supervision
from govbus_testing import (
    IsolatedSettings,
    consumer_backlog,
    eventually,
    publish_again,
    running,
    stream_messages,
)
from govbus_testing.office import ask

pytestmark = pytest.mark.servers

KIND = SourceKind.disclosure_overdue
CITIZEN = Principal.anonymous()
OFFICER = Principal(subject="u-chen", name="陈公开", roles=frozenset({"disclosure_officer"}))


def application(description: str) -> dict[str, Any]:
    return {"applicant_type": "自然人",
            "applicant": {"name": "张三", "id_document_type": "居民身份证",
                          "id_document_number": "360902199001011234"},
            "contact": {"phone": "13907950000", "email": "zhangsan@example.cn"},
            "information": {"description": description}, "form": "电子", "delivery": "电子邮件"}


async def test_an_overdue_request_becomes_an_item_on_its_fifth_working_day_overdue(
        servers, settings, walk):
    department = f"市住建局-{uuid.uuid4().hex[:6]}"
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_supervision_cases_{uuid.uuid4().hex[:8]}")
    clock = ManualClock(walk.at(date(2026, 8, 27)))
    async with running(own, disclosure, supervision, clock=clock) as host:
        dctx, sctx = host.contexts[disclosure.name], host.contexts[supervision.name]
        db = sctx.db
        late = await ask(host, q.SUBMIT_REQUEST, application("2025年度老旧小区改造资金安排"),
                         CITIZEN)
        answered = await ask(host, q.SUBMIT_REQUEST, application("2025年度保障房分配名单"),
                             CITIZEN)
        assert (late["due_on"], answered["due_on"]) == ("2026-09-23", "2026-09-23")
        await ask(host, q.ASSIGN_REQUEST, {"request_id": late["id"], "department": department},
                  OFFICER)
        watches = {r: watch_id(KIND, r) for r in (late["id"], answered["id"])}

        # Disclosure's own sweep: overdue from Thu 24 Sep.
        clock.set(walk.at(date(2026, 9, 24)))
        await sweep_request_deadlines(dctx)
        for request_id, wid in watches.items():
            watch = await eventually(lambda wid=wid: db["case_watches"].find_one({"_id": wid}),
                                     lambda w: w is not None)
            assert (watch["status"], watch["opens_on"]) == ("逾期观察中", "2026-10-09")
            assert watch["case"]["case_id"] == request_id
        assert (await db["case_watches"].find_one({"_id": watches[late["id"]]}))["case"][
            "department"] == department

        # The second request is answered on the third working day overdue: its watch ends.
        clock.set(walk.at(date(2026, 9, 30)))
        await ask(host, q.REPLY_REQUEST, {
            "request_id": answered["id"], "reply_type": "予以提供", "outcome": "予以公开",
            "text": "现提供2025年度保障房分配名单"}, OFFICER)
        ended = await eventually(
            lambda: db["case_watches"].find_one({"_id": watches[answered["id"]]}),
            lambda w: w["status"] == "已办结")
        assert (ended["ended_on"], ended["ended_reason"]) == ("2026-09-30", "已答复")

        # 8 Oct, the fourth working day overdue: no item.
        clock.set(walk.at(date(2026, 10, 8)))
        await sweep_overdue_cases(sctx)
        late_item = overdue_case_item_id(KIND, late["id"])
        answered_item = overdue_case_item_id(KIND, answered["id"])
        assert await db["items"].find_one({"_id": late_item}) is None

        # 9 Oct, the fifth: the item, once however often the sweep runs and the fact arrives.
        clock.set(walk.at(date(2026, 10, 9)))
        await sweep_overdue_cases(sctx)
        await sweep_overdue_cases(sctx)
        (fact,) = [m for m in await stream_messages(servers.nats_url, q.REQUEST_OVERDUE.subject,
                                                    "GOV_DISCLOSURE")
                   if m["data"]["id"] == late["id"]]
        await publish_again(servers.nats_url, fact, "GOV_DISCLOSURE", str(uuid.uuid4()))
        await eventually(lambda: consumer_backlog(
            servers.nats_url, "GOV_DISCLOSURE", "supervision-overdue-requests"),
            lambda n: n == 0)
        await sweep_overdue_cases(sctx)
        ours = {"source.case.case_id": {"$in": [late["id"], answered["id"]]}}
        assert [d["_id"] for d in await db["items"].find(ours).to_list()] == [late_item]
        assert await db["items"].find_one({"_id": answered_item}) is None
        opened = await eventually(
            lambda: stream_messages(servers.nats_url, ITEM_OPENED.subject, "GOV_SUPERVISION"),
            lambda ms: any(m["data"]["id"] == late_item for m in ms))
        assert [m["data"]["case_id"] for m in opened if m["data"]["id"] == late_item] == [
            late["id"]]
        assert (await db["case_watches"].find_one({"_id": watches[late["id"]]}))[
            "status"] == "已立项"

        item = await ask(host, GET_ITEM, {"id": late_item}, walk.supervisor)
        assert (item["status"], item["source"]["kind"], item["opened_on"]) == (
            "已立项", KIND.value, "2026-10-09")
        assert item["source"]["case"] == {
            "case_id": late["id"], "case_number": late["request_number"],
            "department": department, "due_on": "2026-09-23", "overdue_since": "2026-09-24"}
        assert item["overdue_since"] == "2026-09-24"
        assert item["title"] == f"政府信息公开申请{late['request_number']}逾期未答复"

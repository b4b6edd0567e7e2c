"""催办 up to the 督办通知书 through the bus, against the real servers: documents and
supervision in one host, on the real 2026 calendar (端午 19 June).

A 批示 with 督办 (deadline 30 June) opens its item; the office registers it and assigns it
with monthly progress reports (the first due 25 June). The sweep, reaching the item by
``_id`` through the due index, reminds the report (22 June), issues the 提醒 (25 June),
marks the report late (26 June), issues the 催办通知 (1 July) and, with a second replica
sweeping at the same moment, the 督办通知书 (8 July), each fact once. Supervision asks the
documents service for the notice; the office's staff review, sign, recheck, number (from
the 督查室 register), print and dispatch it; its 发文字号 lands on the item, once however
often the dispatched fact is delivered. The lead answers late, the office returns the
answer, the lead answers again after the new deadline, the office accepts: the 台账 shows the
levels with the notice's number and the rates count the item completed, not on time.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import pytest

from govbus_contracts.services.documents.outgoing import (
    DISPATCH_OUTGOING,
    GET_NUMBER_REGISTER,
    GET_OUTGOING,
    LIST_OUTGOING,
    OUTGOING_DISPATCHED,
    PRINT_OUTGOING,
    RECHECK_OUTGOING,
    REGISTER_OUTGOING,
    REVIEW_OUTGOING,
    SIGN_OFF_OUTGOING,
)
from govbus_contracts.services.supervision.items import (
    ASSIGN_ITEM,
    GET_ITEM,
    GIVE_OPINION,
    ITEM_ESCALATED,
    ITEM_NOTICE_RECORDED,
    ITEM_PROGRESS_LATE,
    ITEM_PROGRESS_REMINDED,
    OPEN_ITEM,
    REGISTER_ITEM,
    REVIEW_ANSWER,
    SUBMIT_ANSWER,
)
from govbus_contracts.services.supervision.ledger import LEDGER, RATES
from govbus_documents.plugin import service as documents
from govbus_kit.clock import OFFICE_TZ, ManualClock
from govbus_kit.due import shard_of
from govbus_kit.principal import new_key_pair
from govbus_supervision.domain.opening import instruction_item_id
from govbus_supervision.handlers.notices import ask_pending_notices
from govbus_supervision.handlers.sweep import sweep_item_deadlines
from govbus_supervision.plugin import service as supervision
from govbus_supervision.settings import SupervisionSettings
from govbus_testing import (
    IsolatedSettings,
    consumer_backlog,
    eventually,
    publish_again,
    running,
    stream_messages,
)
from govbus_testing.office import REGISTRAR, REVIEWER, SIGNER, ask, handler
from govbus_testing.supervision import SUPERVISOR, unique
from services.supervision.tests.test_item_flow import JUN1, instructed_document

pytestmark = pytest.mark.servers

#: The sweep runs when the test says (the periodic one only once, at start-up).
OFFICE = SupervisionSettings(sweep_seconds=3600)


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=OFFICE_TZ)


async def ours(nats_url: str, subject: str, stream: str, key: str, value: str
               ) -> list[dict[str, Any]]:
    """The facts of this test's item (or document) on the shared stream."""
    return [m for m in await stream_messages(nats_url, subject, stream)
            if m["data"][key] == value]


async def test_an_item_is_escalated_to_a_numbered_notice_then_completed_late(servers,
                                                                             settings):
    lead, co = unique("市住建局"), unique("市财政局")
    lead_h, co_h = handler(lead, "林主办"), handler(co, "钱协办")
    own = IsolatedSettings(**settings.model_dump(),
                           database=f"govbus_supervision_escalation_{uuid.uuid4().hex[:8]}")
    clock = ManualClock(on(6, 1))
    options = {"supervision": OFFICE}
    async with running(own, documents, supervision, clock=clock,
                       service_settings=options) as host:
        ctx = host.contexts[supervision.name]
        db = ctx.db
        doc_id = await instructed_document(host, lead, co)
        item_id = instruction_item_id(doc_id, JUN1)
        await eventually(lambda: db["items"].count_documents({"_id": item_id}),
                         lambda n: n == 1)
        await ask(host, REGISTER_ITEM, {"id": item_id}, SUPERVISOR)
        step = await ask(host, ASSIGN_ITEM, {"id": item_id, "lead_department": lead,
                                             "co_departments": [co],
                                             "progress_schedule": "每月"}, SUPERVISOR)
        assert step["due_on"] == "2026-06-30"
        item = await ask(host, GET_ITEM, {"id": item_id}, SUPERVISOR)
        assert item["next_report_due_on"] == "2026-06-25"
        # 交办 put the item on its next check day (the report's reminder) in the due index,
        # in the same write: the sweep reads that day's buckets by _id, not the collection.
        head = await db["_due"].find_one({"_id": "items/dates"})
        assert "2026-06-22" in head["dates"]
        await ask(host, GIVE_OPINION, {"id": item_id, "opinion": "资金按程序安排。"}, co_h)

        async def sweep_on(month: int, day: int) -> int:
            clock.set(on(month, day))
            return await sweep_item_deadlines(ctx)

        # Before the day nothing; on each day its fact; a second run changes nothing.
        assert await sweep_on(6, 19) == 0  # 端午
        assert await sweep_on(6, 22) == 1  # 进展报告 提醒 (25 June, 3 working days before)
        assert await sweep_on(6, 25) == 1  # 催办 提醒 (30 June, 3 working days before)
        assert await sweep_on(6, 26) == 1  # 进展报告 逾期未报
        before = await db["items"].find_one({"_id": item_id})
        assert await sweep_item_deadlines(ctx) == 0
        assert await db["items"].find_one({"_id": item_id}) == before
        assert await sweep_on(6, 30) == 0
        assert await sweep_on(7, 1) == 1  # 催办通知, the first working day overdue
        assert await sweep_on(7, 7) == 0

        # Replicas sweeping at the same moment (a second one's start-up sweep and both
        # replicas' sweeps): the 督办通知书 once, 5 working days after the 催办通知.
        clock.set(on(7, 8))
        async with running(own, supervision, clock=clock,
                           service_settings=options) as replica:
            # On MongoDB one compare-and-set wins; the local FerretDB's update is a read then
            # a write, so two processes may both write the same change: either way the fact's
            # id is derived from the item, the level and the deadline, and JetStream
            # publishes it once (checked on the stream below).
            await asyncio.gather(sweep_item_deadlines(ctx),
                                 sweep_item_deadlines(replica.contexts[supervision.name]))
            stored = await eventually(
                lambda: db["items"].find_one({"_id": item_id}),
                lambda i: [e["level"] for e in i["escalations"]] == ["提醒", "催办通知",
                                                                     "督办通知书"])
            assert len(stored["notices"]) == 1

        # (published by the relay of whichever replica wrote it, or by the outbox sweep)
        escalated = await eventually(lambda: ours(
            servers.nats_url, ITEM_ESCALATED.subject, "GOV_SUPERVISION", "id", item_id),
            lambda facts: len(facts) >= 3)
        assert [(m["data"]["level"], m["data"]["issued_on"]) for m in escalated] == [
            ("提醒", "2026-06-25"), ("催办通知", "2026-07-01"), ("督办通知书", "2026-07-08")]
        assert len({m["headers"]["ce-id"] for m in escalated}) == 3
        late = await ours(servers.nats_url, ITEM_PROGRESS_LATE.subject, "GOV_SUPERVISION",
                          "id", item_id)
        reminded = await ours(servers.nats_url, ITEM_PROGRESS_REMINDED.subject,
                              "GOV_SUPERVISION", "id", item_id)
        assert [m["data"]["report_due_on"] for m in late + reminded] == ["2026-06-25"] * 2

        # The notice is drafted in documents for 督查室, addressed to the lead department.
        item = await eventually(lambda: ask(host, GET_ITEM, {"id": item_id}, SUPERVISOR),
                                lambda i: i["notices"] and i["notices"][0]["document_id"])
        notice_id = item["notices"][0]["document_id"]
        view = await ask(host, GET_OUTGOING, {"document_id": notice_id}, REGISTRAR)
        assert (view["status"], view["doc_type"], view["main_recipients"],
                view["cc_recipients"], view["issuer_code"], view["drafting_department"]) == (
            "草稿", "通知", [lead], [co], "督查室", "督查室")
        assert view["requested_by"]["reference"] == item_id
        assert view["title"] == "关于督促办理督〔2026〕1号督查事项的督办通知书"
        assert "办理期限为2026年6月30日" in view["body"] and "经2026年7月1日催办" in view["body"]

        # The office's staff: 核稿, 签发, 复核, 登记 (督查室's register), 印制, 核发.
        clock.set(on(7, 9))
        await ask(host, REVIEW_OUTGOING, {"document_id": notice_id, "decision": "通过"},
                  REVIEWER)
        await ask(host, SIGN_OFF_OUTGOING, {"document_id": notice_id, "opinion": "同意"},
                  SIGNER)
        await ask(host, RECHECK_OUTGOING, {"document_id": notice_id}, REGISTRAR)
        numbered = await ask(host, REGISTER_OUTGOING, {"document_id": notice_id}, REGISTRAR)
        assert numbered["doc_number"] == "督查室〔2026〕1号"
        register = await ask(host, GET_NUMBER_REGISTER, {"issuer_code": "督查室",
                                                         "year": 2026}, REGISTRAR)
        assert [(e["serial"], e["document_id"]) for e in register["entries"]] == [
            (1, notice_id)]
        await ask(host, PRINT_OUTGOING, {"document_id": notice_id,
                                         "printing_office": "市人民政府办公室秘书科"}, REGISTRAR)
        await ask(host, DISPATCH_OUTGOING, {"document_id": notice_id, "dispatches": [
            {"recipient": lead, "channel": "电子公文传输"},
            {"recipient": co, "channel": "电子公文传输"}]}, REGISTRAR)

        # Its 发文字号 on the item, once, however often the dispatched fact is delivered.
        item = await eventually(lambda: ask(host, GET_ITEM, {"id": item_id}, SUPERVISOR),
                                lambda i: i["notices"][0]["doc_number"])
        assert (item["notices"][0]["doc_number"], item["notices"][0]["dispatched_on"]) == (
            "督查室〔2026〕1号", "2026-07-09")
        (dispatched,) = await ours(servers.nats_url, OUTGOING_DISPATCHED.subject,
                                   "GOV_DOCUMENTS", "document_id", notice_id)
        await publish_again(servers.nats_url, dispatched, "GOV_DOCUMENTS")
        await eventually(lambda: consumer_backlog(servers.nats_url, "GOV_DOCUMENTS",
                                                  "supervision-dispatched"), lambda n: n == 0)
        recorded = await ours(servers.nats_url, ITEM_NOTICE_RECORDED.subject,
                              "GOV_SUPERVISION", "id", item_id)
        assert [m["data"]["doc_number"] for m in recorded] == ["督查室〔2026〕1号"]
        item = await ask(host, GET_ITEM, {"id": item_id}, SUPERVISOR)
        assert [h["action"] for h in item["history"]].count("督办通知书已核发") == 1
        # One draft in documents for the item.
        drafts = await ask(host, LIST_OUTGOING, {"issuer_code": "督查室"}, REGISTRAR)
        assert drafts["total"] == 1

        # 反馈 (late), 审结退回 with a new deadline, 反馈 again after it, 办结.
        clock.set(on(7, 10))
        await ask(host, SUBMIT_ANSWER, {"id": item_id, "text": "已完成改造8个小区。"}, lead_h)
        step = await ask(host, REVIEW_ANSWER, {
            "id": item_id, "decision": "退回重办", "reasons": ["未说明资金来源"],
            "new_due_on": "2026-07-17"}, SUPERVISOR)
        assert (step["status"], step["due_on"]) == ("办理中", "2026-07-17")
        # The new deadline's cycle: in the same write the item went onto its 提醒 day.
        bucket = await db["_due"].find_one(
            {"_id": f"items/due:2026-07-14/{shard_of(item_id):02d}"})
        assert item_id in bucket["ids"]
        clock.set(on(7, 20))
        await ask(host, SUBMIT_ANSWER, {
            "id": item_id, "text": "已完成改造12个小区, 资金由市财政安排。"}, lead_h)
        done = await ask(host, REVIEW_ANSWER, {"id": item_id, "decision": "审结通过",
                                               "satisfaction": "基本满意"}, SUPERVISOR)
        assert done["status"] == "已办结"
        item = await ask(host, GET_ITEM, {"id": item_id}, SUPERVISOR)
        assert (item["appraisal"]["on_time"], item["appraisal"]["times_returned"]) == (False, 1)
        # Completed: nothing left for the sweep.
        assert await sweep_on(7, 30) == 0

        # The 台账: the levels reached, the notice's number, the missed report.
        (row,) = (await ask(host, LEDGER, {"department": lead}, SUPERVISOR))["rows"]
        assert [(e["level"], e["issued_on"], e["doc_number"]) for e in row["escalations"]] == [
            ("提醒", "2026-06-25", None), ("催办通知", "2026-07-01", None),
            ("督办通知书", "2026-07-08", "督查室〔2026〕1号")]
        assert [(p["due_on"], p["late"]) for p in row["progress"]] == [("2026-06-25", True)]
        assert (row["status"], row["on_time"], row["completed_on"]) == (
            "已办结", False, "2026-07-20")
        rates = await ask(host, RATES, {"period_from": "2026-06-01",
                                        "period_to": "2026-07-31", "department": lead},
                          SUPERVISOR)
        (figures,) = rates["rows"]
        assert (figures["assigned"], figures["completed"], figures["completed_on_time"],
                figures["completion_rate"], figures["on_time_rate"]) == (1, 1, 0, 1.0, 0.0)


def two_processes(settings: Any, label: str, **changes: Any) -> IsolatedSettings:
    """Settings for supervision and documents in two hosts: supervision signs its own
    requests with its key, documents trusts that key; a database of the test's own."""
    key, public = new_key_pair()
    return IsolatedSettings(**{**settings.model_dump(), "service_signing_key": key,
                               "service_public_keys": f"supervision={public}", **changes},
                            database=f"govbus_supervision_{label}_{uuid.uuid4().hex[:8]}")


async def escalated_to_notice(host: Any, clock: ManualClock, lead: str) -> str:
    """An item assigned on 1 June, due 10 June, swept to its 催办通知 (11 June) and its
    督办通知书 (18 June, 5 working days later)."""
    ctx = host.contexts[supervision.name]
    item_id = str((await ask(host, OPEN_ITEM, {
        "title": "城区公交线网优化", "content": "请优化城区公交线网并报送办理情况。",
        "source": {"kind": "其他督查事项", "manual": {
            "manual_kind": "专项督查", "origin": "2026年公共交通专项督查"}}},
        SUPERVISOR))["id"])
    await ask(host, REGISTER_ITEM, {"id": item_id}, SUPERVISOR)
    await ask(host, ASSIGN_ITEM, {"id": item_id, "lead_department": lead,
                                  "due_on": "2026-06-10"}, SUPERVISOR)
    for day in (11, 18):
        clock.set(on(6, day))
        assert await sweep_item_deadlines(ctx) == 1
    return item_id


async def test_a_notice_is_drafted_once_when_documents_was_away_and_the_fact_came_twice(
        servers, settings):
    lead = unique("市交通运输局")
    # Redelivered every 0.3 s, up to 40 tries, while documents is away.
    own = two_processes(settings, "notice", max_deliver=40, retry_backoff_seconds=[0.3])
    clock = ManualClock(on(6, 1))
    options = {"supervision": OFFICE}
    async with running(own, supervision, clock=clock, service_settings=options) as host:
        item_id = await escalated_to_notice(host, clock, lead)

        # documents is away: the fact fails and comes back (a few tries in 1.5 s), nothing
        # is drafted, nothing acknowledged or dead-lettered.
        await asyncio.sleep(1.5)
        assert await consumer_backlog(servers.nats_url, "GOV_SUPERVISION",
                                      "supervision-notices") >= 1
        item = await ask(host, GET_ITEM, {"id": item_id}, SUPERVISOR)
        assert [n["document_id"] for n in item["notices"]] == [None]

        # documents back: the next delivery drafts it.
        async with running(own, documents, clock=clock) as office:
            item = await eventually(lambda: ask(host, GET_ITEM, {"id": item_id}, SUPERVISOR),
                                    lambda i: i["notices"][0]["document_id"])
            notice_id = item["notices"][0]["document_id"]
            await eventually(lambda: consumer_backlog(servers.nats_url, "GOV_SUPERVISION",
                                                      "supervision-notices"),
                             lambda n: n == 0)

            # The escalation delivered again, as itself and as a new event: no second draft.
            (fact,) = [m for m in await ours(servers.nats_url, ITEM_ESCALATED.subject,
                                             "GOV_SUPERVISION", "id", item_id)
                       if m["data"]["level"] == "督办通知书"]
            await publish_again(servers.nats_url, fact, "GOV_SUPERVISION")
            await publish_again(servers.nats_url, fact, "GOV_SUPERVISION", str(uuid.uuid4()))
            await eventually(lambda: consumer_backlog(servers.nats_url, "GOV_SUPERVISION",
                                                      "supervision-notices"),
                             lambda n: n == 0)
            drafts = await ask(office, LIST_OUTGOING, {"issuer_code": "督查室"}, REGISTRAR)
            assert [d["document_id"] for d in drafts["items"]] == [notice_id]
            item = await ask(host, GET_ITEM, {"id": item_id}, SUPERVISOR)
            assert [n["document_id"] for n in item["notices"]] == [notice_id]
            assert [h["action"] for h in item["history"]].count("督办通知书起草") == 1


async def test_a_notice_whose_escalation_was_dead_lettered_is_asked_again_the_next_day(
        servers, settings):
    lead = unique("市城管局")
    own = two_processes(settings, "pending", max_deliver=2, retry_backoff_seconds=[0.1])
    clock = ManualClock(on(6, 1))
    async with running(own, supervision, clock=clock,
                       service_settings={"supervision": OFFICE}) as host:
        ctx = host.contexts[supervision.name]
        item_id = await escalated_to_notice(host, clock, lead)
        # documents away past the last try: the escalation fact goes to the dead letters.
        await eventually(lambda: ours(servers.nats_url, "gov.dlq.supervision.>", "GOV_DLQ",
                                      "id", item_id), lambda letters: len(letters) == 1)
        assert await ask_pending_notices(ctx) == 0  # not the same day: the fact's turn
        async with running(own, documents, clock=clock) as office:
            # The next working day (端午 19 June off), the waiting notice is asked again.
            clock.set(on(6, 22))
            assert await ask_pending_notices(ctx) == 1
            assert await ask_pending_notices(ctx) == 0
            item = await ask(host, GET_ITEM, {"id": item_id}, SUPERVISOR)
            (notice,) = item["notices"]
            drafts = await ask(office, LIST_OUTGOING, {"issuer_code": "督查室"}, REGISTRAR)
            assert [d["document_id"] for d in drafts["items"]] == [notice["document_id"]]
            view = await ask(office, GET_OUTGOING, {"document_id": notice["document_id"]},
                             REGISTRAR)
            assert (view["main_recipients"], view["requested_by"]["reference"]) == (
                [lead], item_id)

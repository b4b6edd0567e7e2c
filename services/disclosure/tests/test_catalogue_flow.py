"""The catalogue through the bus, against a real nats-server and MongoDB-compatible server.

Manual entries published and found by the public search (words, category, dates, pages),
withdrawn out of it, corrected with their versions and audit; the 公开期限 sweep publishing
each fact once however often it runs; forged dispatched events on the documents' stream: a
classified one never reaches the catalogue, a proactive one delivered twice makes one entry.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from govbus_contracts.envelope import Envelope, Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.registry import CommandSpec, QuerySpec
from govbus_contracts.services.disclosure.catalogue import (
    CATALOGUE_OVERDUE,
    CATALOGUE_REFUSED,
    CATALOGUE_REMINDED,
    CORRECT_CATALOGUE_ENTRY,
    GET_CATALOGUE_ENTRY,
    LIST_CATALOGUE,
    PUBLISH_CATALOGUE_ENTRY,
    REGISTER_CATALOGUE_ENTRY,
    REPEAL_CATALOGUE_ENTRY,
    SEARCH_CATALOGUE,
    WITHDRAW_CATALOGUE_ENTRY,
)
from govbus_contracts.services.documents.outgoing import OUTGOING_DISPATCHED
from govbus_disclosure.handlers import catalogue as handlers
from govbus_disclosure.service import service
from govbus_kit.bus import request
from govbus_kit.runtime import Host
from govbus_testing import consumer_backlog, eventually, stream_messages

pytestmark = pytest.mark.servers

OFFICER = Principal(subject="u-gk-zhao", name="赵敏", roles=frozenset({"disclosure_officer"}))
FINANCE = Principal(subject="u-gk-qian", name="钱进", roles=frozenset({"disclosure_officer"}),
                    department="财政局")
PUBLIC = Principal.anonymous()


class ShiftedClock:
    """Real time moved to a chosen office day, so periods count on the 2026 calendar."""

    def __init__(self, start: datetime) -> None:
        self.set(start)

    def set(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


def morning(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 2, tzinfo=UTC)  # 10:00 Beijing time


async def ask(host: Host, spec: CommandSpec | QuerySpec, payload: dict[str, Any],
              who: Principal, message_id: str | None = None) -> dict[str, Any]:
    return await request(host.broker, spec, payload, principal=who, message_id=message_id,
                         timeout=15)


def entry(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "category": "预决算", "title": "宜春市2026年市本级部门预算公开",
        "summary": "市本级一般公共预算和政府性基金预算",
        "body": "根据《中华人民共和国预算法》第十四条, 现将宜春市2026年市本级部门预算公开如下。",
        "information_date": "2026-09-25", "issuing_organ": "宜春市财政局",
        "department": "财政局"}
    payload.update(changes)
    return payload


async def facts_about(servers: Any, entry_id: str) -> list[dict[str, Any]]:
    return [m for m in await stream_messages(servers.nats_url, "gov.disclosure.evt.>",
                                             "GOV_DISCLOSURE")
            if m["headers"].get("ce-subject") == entry_id]


async def test_entries_are_published_searched_filtered_paged_corrected_and_withdrawn(
        servers, disclosure):
    clock = ShiftedClock(morning(date(2026, 9, 28)))
    async with disclosure("cat", clock=clock) as (host, db):
        with pytest.raises(GovbusError) as citizen:
            await ask(host, REGISTER_CATALOGUE_ENTRY, entry(), PUBLIC)
        assert citizen.value.code is ErrorCode.forbidden
        with pytest.raises(GovbusError) as secret:
            await ask(host, REGISTER_CATALOGUE_ENTRY, entry(classification="秘密"), OFFICER)
        assert secret.value.code is ErrorCode.validation_failed
        with pytest.raises(GovbusError) as unknown:
            await ask(host, REGISTER_CATALOGUE_ENTRY, entry(category="小道消息"), OFFICER)
        assert unknown.value.code is ErrorCode.validation_failed
        assert await db["catalogue"].count_documents({}) == 0  # refused: nothing stored

        key = str(uuid.uuid4())
        budget = await ask(host, REGISTER_CATALOGUE_ENTRY, entry(), FINANCE, message_id=key)
        assert (budget["status"], budget["due_on"], budget["published_on"], budget["late"]) == (
            "已公开", "2026-10-29", "2026-09-28", False)
        again = await ask(host, REGISTER_CATALOGUE_ENTRY, entry(), FINANCE, message_id=key)
        assert again["entry_id"] == budget["entry_id"]  # a retried command acts once
        final = await ask(host, REGISTER_CATALOGUE_ENTRY, entry(
            title="宜春市2025年市本级部门决算公开", information_date="2026-09-10",
            summary="2025年度市本级部门决算"), FINANCE)
        plan = await ask(host, REGISTER_CATALOGUE_ENTRY, entry(
            category="规划计划", title="宜春市“十五五”政务公开工作规划",
            summary="政务公开五年规划", body="到2030年, 政务公开标准化规范化水平全面提升。",
            information_date="2026-09-01", issuing_organ="宜春市人民政府办公室",
            department=None), OFFICER)
        pending = await ask(host, REGISTER_CATALOGUE_ENTRY, entry(
            category="统计信息", title="宜春市2026年三季度部门预算执行统计",
            information_date="2026-09-25", publish=False), FINANCE)
        assert pending["status"] == "待公开"
        with pytest.raises(GovbusError) as outside:
            await ask(host, WITHDRAW_CATALOGUE_ENTRY, {"entry_id": plan["entry_id"],
                                                        "reason": "不是本部门"}, FINANCE)
        assert outside.value.code is ErrorCode.forbidden

        # The public search: words, ranking, only what is published.
        found = await ask(host, SEARCH_CATALOGUE, {"q": "部门预算"}, PUBLIC)
        ids = [h["entry_id"] for h in found["hits"]]
        assert ids[0] == budget["entry_id"]
        assert pending["entry_id"] not in ids
        assert set(ids) >= {budget["entry_id"], final["entry_id"]}
        by_category = await ask(host, SEARCH_CATALOGUE, {"q": "政务公开", "category": "规划计划"},
                                PUBLIC)
        assert [h["entry_id"] for h in by_category["hits"]] == [plan["entry_id"]]
        dated = await ask(host, SEARCH_CATALOGUE, {
            "q": "宜春市", "information_from": "2026-09-05", "information_to": "2026-09-20"},
            PUBLIC)
        assert [h["entry_id"] for h in dated["hits"]] == [final["entry_id"]]
        first = await ask(host, SEARCH_CATALOGUE, {"q": "宜春市", "limit": 2}, PUBLIC)
        second = await ask(host, SEARCH_CATALOGUE, {"q": "宜春市", "limit": 2, "offset": 2},
                           PUBLIC)
        assert (first["total"], len(first["hits"]), len(second["hits"])) == (3, 2, 1)
        assert not {h["entry_id"] for h in first["hits"]} & {
            h["entry_id"] for h in second["hits"]}

        # Reading: the public see published entries without the audit; staff see it.
        public_view = await ask(host, GET_CATALOGUE_ENTRY, {"entry_id": budget["entry_id"]},
                                PUBLIC)
        assert (public_view["title"], public_view["audit"]) == (
            "宜春市2026年市本级部门预算公开", [])
        with pytest.raises(GovbusError) as hidden:
            await ask(host, GET_CATALOGUE_ENTRY, {"entry_id": pending["entry_id"]}, PUBLIC)
        assert hidden.value.code is ErrorCode.not_found

        # 更正: the changes and every version kept, the new words searchable at once.
        corrected = await ask(host, CORRECT_CATALOGUE_ENTRY, {
            "entry_id": budget["entry_id"], "reason": "补充三公经费说明",
            "title": "宜春市2026年市本级部门预算及三公经费公开"}, FINANCE)
        assert corrected["status"] == "已公开"
        staff_view = await ask(host, GET_CATALOGUE_ENTRY, {"entry_id": budget["entry_id"]},
                               FINANCE)
        assert [v["title"] for v in staff_view["versions"]] == [
            "宜春市2026年市本级部门预算公开", "宜春市2026年市本级部门预算及三公经费公开"]
        audit = staff_view["audit"][-1]
        assert (audit["action"], audit["by"], audit["reason"], audit["changes"][0]["field"]) == (
            "更正", "u-gk-qian", "补充三公经费说明", "title")
        found = await ask(host, SEARCH_CATALOGUE, {"q": "三公经费"}, PUBLIC)
        assert [h["entry_id"] for h in found["hits"]] == [budget["entry_id"]]

        # 撤回: out of the search and out of public reach; 废止 only for 规章/规范性文件.
        with pytest.raises(GovbusError) as not_repealable:
            await ask(host, REPEAL_CATALOGUE_ENTRY, {"entry_id": final["entry_id"],
                                                      "reason": "失效"}, FINANCE)
        assert not_repealable.value.code is ErrorCode.validation_failed
        await ask(host, WITHDRAW_CATALOGUE_ENTRY, {"entry_id": final["entry_id"],
                                                    "reason": "决算数据有误, 重新编制后公开"},
                  FINANCE)
        with pytest.raises(GovbusError) as twice:
            await ask(host, WITHDRAW_CATALOGUE_ENTRY, {"entry_id": final["entry_id"],
                                                        "reason": "再次"}, FINANCE)
        assert twice.value.code is ErrorCode.invalid_transition
        found = await ask(host, SEARCH_CATALOGUE, {"q": "决算"}, PUBLIC)
        assert final["entry_id"] not in [h["entry_id"] for h in found["hits"]]
        with pytest.raises(GovbusError) as withdrawn:
            await ask(host, GET_CATALOGUE_ENTRY, {"entry_id": final["entry_id"]}, PUBLIC)
        assert withdrawn.value.code is ErrorCode.not_found

        # The staff list, scoped to the officer's department.
        mine = await ask(host, LIST_CATALOGUE, {}, FINANCE)
        assert {i["entry_id"] for i in mine["items"]} == {
            budget["entry_id"], final["entry_id"], pending["entry_id"]}
        everything = await ask(host, LIST_CATALOGUE, {"status": "已公开"}, OFFICER)
        assert {i["entry_id"] for i in everything["items"]} == {
            budget["entry_id"], plan["entry_id"]}
        with pytest.raises(GovbusError) as public_list:
            await ask(host, LIST_CATALOGUE, {}, PUBLIC)
        assert public_list.value.code is ErrorCode.forbidden

        # What the annual report reads is stored as agreed.
        stored = await db["catalogue"].find_one({"_id": final["entry_id"]})
        assert (stored["status"], stored["withdrawn_on"], stored["source"], stored["category"],
                stored["information_date"], stored["published_on"], stored["late"]) == (
            "已撤回", "2026-09-28", "手工", "预决算", "2026-09-10", "2026-09-28", False)

        facts = await eventually(lambda: facts_about(servers, final["entry_id"]),
                                 lambda fs: len(fs) >= 2)
        assert [f["subject"].split(".")[-2] for f in facts] == ["published", "withdrawn"]
        assert facts[1]["data"]["reason"] == "决算数据有误, 重新编制后公开"


async def test_the_overdue_sweep_publishes_each_fact_once_however_often_it_runs(
        servers, disclosure):
    clock = ShiftedClock(morning(date(2026, 9, 28)))
    async with disclosure("sweep", clock=clock) as (host, db):
        ctx = host.contexts[service.name]
        pending = await ask(host, REGISTER_CATALOGUE_ENTRY, entry(publish=False), OFFICER)
        entry_id = pending["entry_id"]
        assert pending["due_on"] == "2026-10-29"

        clock.set(morning(date(2026, 10, 26)))  # 3 working days before
        assert await handlers.sweep_catalogue_deadlines(ctx) == 1
        assert await handlers.sweep_catalogue_deadlines(ctx) == 0
        clock.set(morning(date(2026, 10, 30)))  # the first working day after
        assert await handlers.sweep_catalogue_deadlines(ctx) == 1
        assert await handlers.sweep_catalogue_deadlines(ctx) == 0
        stored = await db["catalogue"].find_one({"_id": entry_id})
        assert (stored["status"], stored["late"], stored["overdue_since"]) == (
            "待公开", True, "2026-10-30")

        clock.set(morning(date(2026, 11, 2)))
        published = await ask(host, PUBLISH_CATALOGUE_ENTRY, {"entry_id": entry_id}, OFFICER)
        assert (published["late"], published["working_days_late"]) == (True, 2)
        assert await handlers.sweep_catalogue_deadlines(ctx) == 0

        facts = await eventually(lambda: facts_about(servers, entry_id),
                                 lambda fs: len(fs) >= 3)
        await_more = await facts_about(servers, entry_id)
        kinds = [f["subject"] for f in await_more]
        assert kinds.count(CATALOGUE_REMINDED.subject) == 1
        assert kinds.count(CATALOGUE_OVERDUE.subject) == 1
        published_fact = next(f for f in facts if f["subject"].endswith(".published.v1"))
        assert (published_fact["data"]["late"], published_fact["data"]["working_days_late"]) \
            == (True, 2)


def forged(document_id: str, *, event_id: str, level: str, title: str, body: str,
           msg_id: str | None = None) -> tuple[bytes, dict[str, str]]:
    import json

    data = {
        "document_id": document_id,
        "doc_number": f"宜府办发〔2026〕{int(uuid.uuid4()) % 900 + 100}号",
        "doc_type": "通知", "disclosure": "主动公开", "classification_level": level,
        "dispatched_at": "2026-09-28T02:00:00Z", "recipients": 2, "title": title, "body": body,
        "issuing_organ": "宜春市人民政府办公室", "date_of_writing": "2026-09-25",
        "attachments": []}
    envelope = Envelope(id=event_id, source="/govbus/documents", type=OUTGOING_DISPATCHED.type,
                        subject=document_id)
    headers = envelope.to_headers()
    if msg_id:
        headers["Nats-Msg-Id"] = msg_id
    return json.dumps(data, ensure_ascii=False).encode(), headers


async def test_forged_dispatches_a_classified_one_never_enters_and_a_repeat_makes_one_entry(
        servers, disclosure):
    import nats

    clock = ShiftedClock(morning(date(2026, 9, 28)))
    secret_title = "关于全市人民防空指挥体系调整的通知"
    secret_body = "根据上级部署, 现将人民防空指挥体系调整事项通知如下。"
    async with disclosure("forged", clock=clock) as (host, db):
        secret_id, public_id = f"doc-secret-{uuid.uuid4()}", f"doc-public-{uuid.uuid4()}"
        nc = await nats.connect(servers.nats_url)
        try:
            js = nc.jetstream()
            body, headers = forged(secret_id, event_id=str(uuid.uuid4()), level="秘密",
                                   title=secret_title, body=secret_body)
            await js.publish(OUTGOING_DISPATCHED.subject, body, headers=headers,
                             stream="GOV_DOCUMENTS")
            event_id = str(uuid.uuid4())
            body, headers = forged(public_id, event_id=event_id, level="非密",
                                   title="关于做好秋冬季森林防火工作的通知",
                                   body="各县(市、区)人民政府: 现就秋冬季森林防火工作通知如下。")
            await js.publish(OUTGOING_DISPATCHED.subject, body, headers=headers,
                             stream="GOV_DOCUMENTS")
            # The same event again (past JetStream's de-duplication), and a new notice of the
            # same document's dispatch.
            _, again = forged(public_id, event_id=event_id, level="非密", title="", body="",
                              msg_id=f"{event_id}-redelivered")
            await js.publish(OUTGOING_DISPATCHED.subject, body, headers=again,
                             stream="GOV_DOCUMENTS")
            _, other = forged(public_id, event_id=str(uuid.uuid4()), level="非密", title="",
                              body="")
            await js.publish(OUTGOING_DISPATCHED.subject, body, headers=other,
                             stream="GOV_DOCUMENTS")
        finally:
            await nc.close()

        await eventually(lambda: db["catalogue_refusals"].count_documents({}), lambda n: n == 1)
        entries = await eventually(lambda: db["catalogue"].find({}).to_list(None),
                                   lambda es: len(es) >= 1)
        await eventually(lambda: consumer_backlog(
            servers.nats_url, "GOV_DOCUMENTS", "disclosure-catalogue"), lambda n: n == 0)
        entries = await db["catalogue"].find({}).to_list(None)
        assert [e["document_id"] for e in entries] == [public_id]
        assert entries[0]["title"] == "关于做好秋冬季森林防火工作的通知"
        assert await db["catalogue"].count_documents({"document_id": secret_id}) == 0
        refusal = await db["catalogue_refusals"].find_one({})
        assert (refusal["document_id"], refusal["classification_level"]) == (secret_id, "秘密")
        assert secret_title not in str(refusal) and secret_body not in str(refusal)

        found = await ask(host, SEARCH_CATALOGUE, {"q": "人民防空指挥体系"}, PUBLIC)
        # Nothing holds those words; the fallback to any word finds only the public notice.
        assert not found["matched_all_terms"]
        assert secret_title not in [h["title"] for h in found["hits"]]
        found = await ask(host, SEARCH_CATALOGUE, {"q": "森林防火"}, PUBLIC)
        assert [h["entry_id"] for h in found["hits"]] == [entries[0]["_id"]]

        refused = await eventually(
            lambda: stream_messages(servers.nats_url, CATALOGUE_REFUSED.subject,
                                    "GOV_DISCLOSURE"),
            lambda ms: any(m["data"]["document_id"] == secret_id for m in ms))
        fact = next(m for m in refused if m["data"]["document_id"] == secret_id)
        assert "title" not in fact["data"] and "body" not in fact["data"]
        assert secret_title not in str(fact)

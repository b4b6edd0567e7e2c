"""Departments as subscribers of the bus (issue 13, "Departments subscribing"), against a
nats-server started with the deploy/nats configuration and two departments' users added as
an operator adds them (`govbus departments nats-user <name>`, pasted below the marker).

- 财政局 has a code in the operator's file (``czj``); 发展和改革委员会 is not in it and gets
  its derived code: both ways of naming a department are exercised.
- The documents, disclosure and supervision services run as their own NATS users, with
  that file.
- A department's credentials receive its copies of real facts (承办 as lead or as
  co-department, 传阅, a disclosure request 分办 to it; a 督查事项 交办 to it as lead or as
  co-department, and its 审结退回), by its durable consumer and live, and nothing of another
  department's; they are refused every other read and every write.
- The supervision service's own user may publish what it publishes (its facts, the
  departments' copies, the one documents command it asks: 代拟 of a 督办通知书) and nothing
  of another service's.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import nats.errors
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from govbus_contracts.envelope import H_ID, H_MSG_ID, Principal
from govbus_contracts.services.disclosure import requests as q
from govbus_contracts.services.documents.incoming import (
    ASSIGN_INCOMING,
    CIRCULATE_INCOMING,
    INCOMING_ASSIGNED,
    INCOMING_CIRCULATED,
    PROPOSE_HANDLING,
    REGISTER_INCOMING,
    REVIEW_INCOMING,
)
from govbus_contracts.services.documents.outgoing import DRAFT_REQUESTED_OUTGOING
from govbus_contracts.services.supervision import items as sv
from govbus_contracts.subjects import DEPARTMENTS_STREAM, department_wildcard, stream_name
from govbus_disclosure.plugin import service as disclosure_service
from govbus_documents.plugin import service as documents_service
from govbus_kit.bus import connect_nats, make_broker, request
from govbus_kit.departments import DepartmentDirectory, copy_message_id, nats_user
from govbus_kit.principal import new_key_pair
from govbus_kit.runtime import Host
from govbus_kit.settings import Settings
from govbus_supervision.plugin import service as supervision_service
from govbus_testing import OfficeClock, deploy_nats, eventually, pulled, stream_messages
from govbus_testing.office import CLERK, MONDAY_MORNING, OFFICER

pytestmark = pytest.mark.servers

if not deploy_nats.BIN.exists():
    pytest.skip("nats-server not installed (make install)", allow_module_level=True)

FINANCE, PLANNING = "财政局", "发展和改革委员会"
#: the operator's file names 财政局 only
OPERATOR_FILE = {FINANCE: "czj"}
DIRECTORY = DepartmentDirectory(OPERATOR_FILE)
CODES = {name: DIRECTORY.code(name) for name in (FINANCE, PLANNING)}

REGISTRATION: dict[str, Any] = {
    "issuer": "省财政厅", "issuer_doc_number": "赣财预〔2026〕8号", "doc_type": "通知",
    "urgency": "平件", "received_on": "2026-03-02", "copies": 1,
    "title": "关于做好2026年预算执行工作的通知", "body": "各设区市财政局: 现就有关事项通知如下。",
}


@pytest.fixture(scope="module")
def departments_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("departments") / "departments.json"
    path.write_text(json.dumps(OPERATOR_FILE, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[deploy_nats.DeployedNats]:
    with deploy_nats.provisioned(tmp_path_factory.mktemp("deploy-nats-departments"),
                                departments=CODES) as server:
        yield server


@asynccontextmanager
async def office(server: deploy_nats.DeployedNats, base: Settings, departments_file: Path,
                 ) -> AsyncIterator[Any]:
    """documents, disclosure and supervision, each as its own user with the operator's
    departments file; yields the gateway's broker."""
    signing, public = new_key_pair()
    hosts = [Host([svc], server.service_settings(svc.name, base, public,
                                                 departments_file=departments_file),
                  clock=OfficeClock(MONDAY_MORNING))
             for svc in (documents_service, disclosure_service, supervision_service)]
    gateway = make_broker(server.gateway_settings(base, signing))
    for host in hosts:
        await host.start()
    await gateway.connect()
    try:
        yield gateway
    finally:
        await gateway.stop()
        for host in hosts:
            await host.stop()


async def ask(gateway: Any, spec: Any, payload: dict[str, Any], who: Principal
              ) -> dict[str, Any]:
    return await request(gateway, spec, payload, principal=who, timeout=15)


async def assigned_incoming(gateway: Any, lead: str, co: list[str],
                            **registration: Any) -> str:
    doc_id = (await ask(gateway, REGISTER_INCOMING, {**REGISTRATION, **registration},
                        CLERK))["id"]
    await ask(gateway, REVIEW_INCOMING, {"id": doc_id, "decision": "受理"}, CLERK)
    await ask(gateway, PROPOSE_HANDLING, {"id": doc_id, "opinion": f"拟由{lead}办理",
                                          "needs_instruction": False}, CLERK)
    await ask(gateway, ASSIGN_INCOMING, {"id": doc_id, "lead_department": lead,
                                         "co_departments": co}, CLERK)
    return doc_id


class Department:
    """A department's system: its own user, its durable consumer on GOV_DEPARTMENTS (as the
    deploy README tells it to create it) and a live subscription to its subjects."""

    def __init__(self, server: deploy_nats.DeployedNats, name: str) -> None:
        self.server, self.name, self.code = server, name, CODES[name]
        self.user = nats_user(self.code)
        self.live: list[dict[str, Any]] = []
        self.received: list[dict[str, Any]] = []

    async def __aenter__(self) -> Department:
        self.nc, self.errors = await deploy_nats.raw_connection(self.server.settings(self.user))
        self.js = self.nc.jetstream()
        await self.js.add_consumer(DEPARTMENTS_STREAM, ConsumerConfig(
            name=self.user, durable_name=self.user, filter_subject=department_wildcard(self.code),
            ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL))
        self.sub = await self.js.pull_subscribe_bind(durable=self.user, stream=DEPARTMENTS_STREAM)

        async def keep(msg: Any) -> None:
            self.live.append({"subject": msg.subject, "data": json.loads(msg.data)})

        await self.nc.subscribe(department_wildcard(self.code), cb=keep)
        await self.nc.flush()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.nc.close()

    async def about(self, aggregate_id: str) -> list[dict[str, Any]]:
        """Its copies (pulled so far) about one 收文 or request."""
        self.received += await pulled(self.sub)
        return [m for m in self.received if m["data"].get("id") == aggregate_id]


async def sniffing(server: deploy_nats.DeployedNats, user: str, subjects: list[str],
                   ) -> tuple[Any, list[str], list[str]]:
    """A connection of ``user`` that tries to listen to ``subjects``: the connection, the
    server's errors (each denied subscription is one) and the subjects overheard."""
    nc, errors = await deploy_nats.raw_connection(server.settings(user))
    overheard: list[str] = []

    async def keep(msg: Any) -> None:
        overheard.append(msg.subject)

    for subject in subjects:
        await nc.subscribe(subject, cb=keep)
    await nc.flush()
    return nc, errors, overheard


def facts(copies: list[dict[str, Any]]) -> list[str]:
    return sorted(m["subject"].split(".", 3)[3] for m in copies)


async def the_fact(server: deploy_nats.DeployedNats, spec: Any, aggregate_id: str,
                   ) -> dict[str, Any]:
    (fact,) = [m for m in await stream_messages(
        server.url, spec.subject, stream_name(spec.service),
        as_user=server.settings("govbus-admin")) if m["data"].get("id") == aggregate_id]
    return fact


async def test_a_department_receives_its_own_work_and_nothing_of_anothers(
        deployed, settings, departments_file):
    async with office(deployed, settings, departments_file) as gateway, \
            Department(deployed, FINANCE) as finance, \
            Department(deployed, PLANNING) as planning:
        # 财政局's system also tries to listen to 发改委's subjects and to everything
        sniffer, sniffed, overheard = await sniffing(
            deployed, finance.user, [department_wildcard(planning.code), "gov.>", ">"])

        shared = await assigned_incoming(gateway, FINANCE, [PLANNING])
        theirs = await assigned_incoming(gateway, PLANNING, [])
        await ask(gateway, CIRCULATE_INCOMING, {"id": shared, "departments": [FINANCE]}, CLERK)
        request_id = (await ask(gateway, q.SUBMIT_REQUEST, {
            "applicant_type": "自然人",
            "applicant": {"name": "张三", "id_document_type": "居民身份证",
                          "id_document_number": "360902199001011234"},
            "contact": {"phone": "13907950000", "email": "zhangsan@example.cn"},
            "information": {"description": "2025年度市本级政府投资项目资金拨付情况"},
            "form": "电子", "delivery": "电子邮件"}, Principal.anonymous()))["id"]
        await ask(gateway, q.ASSIGN_REQUEST, {"request_id": request_id,
                                              "department": PLANNING}, OFFICER)

        # 承办 to 财政局 with 发改委 as co-department: both; 传阅 to 财政局: 财政局 only
        mine = await eventually(lambda: finance.about(shared), lambda c: len(c) == 2)
        assert facts(mine) == ["documents.incoming.assigned.v1",
                               "documents.incoming.circulated.v1"]
        assert all(m["subject"].startswith("gov.dept.czj.") for m in mine)
        co = await eventually(lambda: planning.about(shared), lambda c: len(c) == 1)
        assert facts(co) == ["documents.incoming.assigned.v1"]
        # assigned to 发改委 alone, a request 分办 to 发改委: 财政局 gets nothing of them
        assert facts(await eventually(lambda: planning.about(theirs),
                                      lambda c: len(c) == 1)) == [
            "documents.incoming.assigned.v1"]
        assert facts(await eventually(lambda: planning.about(request_id),
                                      lambda c: len(c) == 1)) == [
            "disclosure.request.assigned.v1"]
        await asyncio.sleep(1.0)  # anything misrouted would have arrived by now
        assert await finance.about(theirs) == [] and await finance.about(request_id) == []

        # the copy is the fact: same body, same CloudEvents headers, its own Nats-Msg-Id
        fact = await the_fact(deployed, INCOMING_ASSIGNED, shared)
        for department, copy in ((finance, mine[0]), (planning, co[0])):
            assert copy["data"] == fact["data"]
            assert copy["subject"] == INCOMING_ASSIGNED.department_subject(department.code)
            assert copy["headers"][H_ID] == fact["headers"][H_ID]
            assert copy["headers"][H_MSG_ID] == copy_message_id(fact["headers"][H_ID],
                                                                department.code)
            assert {k: v for k, v in copy["headers"].items() if k.startswith("ce-")} == {
                k: v for k, v in fact["headers"].items() if k.startswith("ce-")}
        circulated = await the_fact(deployed, INCOMING_CIRCULATED, shared)
        assert mine[1]["data"] == circulated["data"]

        # live, the same copies; overheard, nothing
        assert sorted((m["subject"], m["data"]["id"]) for m in finance.live) == sorted(
            (m["subject"], m["data"]["id"]) for m in mine)
        assert overheard == []
        assert len([e for e in sniffed if "permissions violation" in e.lower()]) == 3, sniffed
        await sniffer.close()


SUPERVISOR = Principal(subject="du-zhou", name="周督查", roles=frozenset({"supervisor"}),
                       department="督查室")


def handler(department: str) -> Principal:
    return Principal(subject=f"h-{department}", name="张承办", roles=frozenset({"handler"}),
                     department=department)


async def assigned_item(gateway: Any, title: str, lead: str, co: list[str]) -> str:
    """立项 (专项督查), 登记, 交办 to ``lead`` with ``co``."""
    item_id = (await ask(gateway, sv.OPEN_ITEM, {
        "title": title, "content": "请于期限内报送办理情况。",
        "source": {"kind": "其他督查事项", "manual": {
            "manual_kind": "专项督查", "origin": "2026年第一季度专项督查"}}}, SUPERVISOR))["id"]
    await ask(gateway, sv.REGISTER_ITEM, {"id": item_id}, SUPERVISOR)
    await ask(gateway, sv.ASSIGN_ITEM, {"id": item_id, "lead_department": lead,
                                        "co_departments": co, "due_on": "2026-04-30"},
              SUPERVISOR)
    return str(item_id)


async def test_a_department_receives_its_supervision_items_and_nothing_of_anothers(
        deployed, settings, departments_file):
    """交办 to 财政局 with 发改委 as co-department: both get it; 审结退回 of that item: both
    again (both handle it anew); an item 交办 to 发改委 alone: 财政局 gets nothing of it, nor
    of the facts addressed to no department (立项, 登记, 协办意见, 反馈)."""
    async with office(deployed, settings, departments_file) as gateway, \
            Department(deployed, FINANCE) as finance, \
            Department(deployed, PLANNING) as planning:
        sniffer, sniffed, overheard = await sniffing(deployed, finance.user, [
            f"gov.dept.{planning.code}.supervision.>", "gov.supervision.evt.>",
            "gov.dept.*.supervision.>"])

        shared = await assigned_item(gateway, "关于预算执行进度滞后问题的督办", FINANCE,
                                     [PLANNING])
        theirs = await assigned_item(gateway, "关于重大项目前期工作的督办", PLANNING, [])
        await ask(gateway, sv.GIVE_OPINION, {"id": shared, "opinion": "项目资金已纳入计划。"},
                  handler(PLANNING))
        await ask(gateway, sv.SUBMIT_ANSWER, {"id": shared, "text": "已完成预算调整。"},
                  handler(FINANCE))
        await ask(gateway, sv.REVIEW_ANSWER, {"id": shared, "decision": "退回重办",
                                              "reasons": ["未说明支出进度"]}, SUPERVISOR)

        expected = ["supervision.item.assigned.v1", "supervision.item.sent_back.v1"]
        mine = await eventually(lambda: finance.about(shared), lambda c: len(c) == 2)
        assert facts(mine) == expected
        assert all(m["subject"].startswith("gov.dept.czj.supervision.") for m in mine)
        co = await eventually(lambda: planning.about(shared), lambda c: len(c) == 2)
        assert facts(co) == expected
        assert facts(await eventually(lambda: planning.about(theirs),
                                      lambda c: len(c) == 1)) == [
            "supervision.item.assigned.v1"]
        await asyncio.sleep(1.0)  # anything misrouted would have arrived by now
        assert await finance.about(theirs) == []
        assert len(await finance.about(shared)) == 2 and len(await planning.about(shared)) == 2

        # the copy is the fact (as the supervision service published it on its own stream)
        for spec, index in ((sv.ITEM_ASSIGNED, 0), (sv.ITEM_SENT_BACK, 1)):
            fact = await the_fact(deployed, spec, shared)
            for department, copies in ((finance, mine), (planning, co)):
                copy = sorted(copies, key=lambda m: m["subject"])[index]
                assert copy["subject"] == spec.department_subject(department.code)
                assert copy["data"] == fact["data"]
                assert copy["headers"][H_MSG_ID] == copy_message_id(fact["headers"][H_ID],
                                                                    department.code)
                assert {k: v for k, v in copy["headers"].items() if k.startswith("ce-")} == {
                    k: v for k, v in fact["headers"].items() if k.startswith("ce-")}
        sent_back = sorted(mine, key=lambda m: m["subject"])[1]["data"]
        assert (sent_back["lead_department"], sent_back["co_departments"],
                sent_back["reasons"], sent_back["status"]) == (
            FINANCE, [PLANNING], ["未说明支出进度"], "办理中")

        # live, the same copies; overheard, nothing (three subscriptions refused)
        live = [(m["subject"], m["data"]["id"]) for m in finance.live
                if ".supervision." in m["subject"]]
        assert sorted(live) == sorted((m["subject"], m["data"]["id"]) for m in mine)
        assert overheard == []
        assert len([e for e in sniffed if "permissions violation" in e.lower()]) == 3, sniffed
        await sniffer.close()


async def test_the_supervision_users_permissions_are_what_it_publishes_and_asks(
        deployed, settings, departments_file):
    """deploy/nats: the supervision user asks the documents service for a 代拟 (its one
    command outside its own subjects) and gets the answer on its own inbox; any other
    documents command, another service's facts or a department's copy of them are refused;
    a department's credentials cannot reach supervision's commands either."""
    async with office(deployed, settings, departments_file):
        nc, errors = await deploy_nats.raw_connection(deployed.settings("supervision"))
        try:
            # Answered by documents (the empty body is refused there, with an error reply):
            # the request went out and the reply came back to _INBOX.supervision.
            reply = await nc.request(DRAFT_REQUESTED_OUTGOING.subject, b"{}", timeout=10)
            assert reply.subject.startswith("_INBOX.supervision.")
            assert not [e for e in errors if "permissions violation" in e.lower()], errors
            forged = [ASSIGN_INCOMING.subject, INCOMING_ASSIGNED.subject,
                      INCOMING_ASSIGNED.department_subject(CODES[FINANCE]),
                      q.ASSIGN_REQUEST.subject, "gov.dlq.documents.x.y"]
            for subject in forged:
                await nc.publish(subject, b"{}")
            await nc.flush()
            await asyncio.sleep(0.3)
            for subject in forged:
                assert any(re.search(rf'publish to "{re.escape(subject)}"', e)
                           for e in errors), (subject, errors)
        finally:
            await nc.close()
    async with Department(deployed, FINANCE) as finance:
        for subject in (sv.ASSIGN_ITEM.subject, sv.GET_ITEM.subject,
                        sv.ITEM_ASSIGNED.department_subject(finance.code)):
            await finance.nc.publish(subject, b"{}")
        await finance.nc.flush()
        await asyncio.sleep(0.3)
        for subject in (sv.ASSIGN_ITEM.subject, sv.GET_ITEM.subject,
                        sv.ITEM_ASSIGNED.department_subject(finance.code)):
            assert any(re.search(rf'publish to "{re.escape(subject)}"', e)
                       for e in finance.errors), (subject, finance.errors)


async def test_a_classified_documents_copy_carries_exactly_the_fact(
        deployed, settings, departments_file):
    """DESIGN: classified bodies never leave documents; the fact of its 承办 carries no title
    and no free text, and the department's copy carries exactly that, nothing more."""
    async with office(deployed, settings, departments_file) as gateway, \
            Department(deployed, FINANCE) as finance:
        doc_id = await assigned_incoming(gateway, FINANCE, [], classification={
            "level": "秘密", "period": "10年"}, title="关于某项目的请示")
        (copy,) = await eventually(lambda: finance.about(doc_id), lambda c: len(c) == 1)
        fact = await the_fact(deployed, INCOMING_ASSIGNED, doc_id)
        assert copy["data"] == fact["data"]
        assert copy["data"]["classification_level"] == "秘密"
        assert copy["data"]["title"] is None
        assert "关于某项目的请示" not in json.dumps(copy, ensure_ascii=False)


async def refused(errors: list[str], attempt: Any) -> None:
    """A JetStream API request the permissions deny gets no answer (the request times out)
    and the server says why on the error callback."""
    before = len(errors)
    with pytest.raises((TimeoutError, nats.errors.TimeoutError, nats.errors.NoRespondersError)):
        await attempt()
    await asyncio.sleep(0.2)
    assert any("permissions violation" in e.lower() for e in errors[before:]), errors


async def test_a_departments_credentials_are_refused_everything_else(deployed):
    async with Department(deployed, PLANNING) as planning, \
            Department(deployed, FINANCE) as finance:
        js, errors = finance.js, finance.errors

        def consumer(name: str, filter_subject: str | None) -> Any:
            return lambda: js.add_consumer(DEPARTMENTS_STREAM, ConsumerConfig(
                name=name, durable_name=name, filter_subject=filter_subject), timeout=1)

        # a consumer with another department's filter, or none, or a wider one
        await refused(errors, consumer(finance.user, department_wildcard(planning.code)))
        await refused(errors, consumer(finance.user, None))
        await refused(errors, consumer(finance.user, "gov.dept.>"))
        # a consumer of another name (其它部门的, or a second of its own), or the legacy call
        await refused(errors, consumer(planning.user, department_wildcard(finance.code)))
        await refused(errors, consumer(finance.user + "-2", department_wildcard(finance.code)))
        await refused(errors, lambda: js.add_consumer(DEPARTMENTS_STREAM, ConsumerConfig(
            durable_name=finance.user, filter_subject=department_wildcard(finance.code)),
            timeout=1))
        # another department's consumer: pulled, read or deleted
        nc = finance.nc
        for api in (f"CONSUMER.MSG.NEXT.{DEPARTMENTS_STREAM}.{planning.user}",
                    f"CONSUMER.INFO.{DEPARTMENTS_STREAM}.{planning.user}",
                    f"CONSUMER.DELETE.{DEPARTMENTS_STREAM}.{planning.user}"):
            await refused(errors, lambda api=api: nc.request(f"$JS.API.{api}", b"{}", timeout=1))
        # other streams, stream management, direct get
        await refused(errors, lambda: js.add_consumer(stream_name("documents"), ConsumerConfig(
            name=finance.user, durable_name=finance.user,
            filter_subject="gov.documents.evt.>"), timeout=1))
        for api in (f"STREAM.INFO.{DEPARTMENTS_STREAM}", f"STREAM.DELETE.{DEPARTMENTS_STREAM}",
                    f"STREAM.MSG.GET.{DEPARTMENTS_STREAM}", f"DIRECT.GET.{DEPARTMENTS_STREAM}",
                    f"STREAM.PURGE.{DEPARTMENTS_STREAM}", "STREAM.NAMES", "INFO"):
            await refused(errors, lambda api=api: nc.request(
                f"$JS.API.{api}", b'{"seq": 1}', timeout=1))
        # publishing: forged work of its own, a fact, a command (denied on the error callback,
        # not at publish())
        admin = await connect_nats(deployed.settings("govbus-admin"))
        try:
            before = (await admin.jetstream().stream_info(DEPARTMENTS_STREAM)).state.last_seq
            forged = [INCOMING_ASSIGNED.department_subject(finance.code), INCOMING_ASSIGNED.subject,
                      ASSIGN_INCOMING.subject, "gov.dlq.documents.x.y"]
            for subject in forged:
                await nc.publish(subject, b"{}", headers={H_MSG_ID: subject})
            await nc.flush()
            await asyncio.sleep(0.3)
            for subject in forged:
                assert any(re.search(rf'publish to "{re.escape(subject)}"', e) for e in errors), (
                    subject, errors)
            after = (await admin.jetstream().stream_info(DEPARTMENTS_STREAM)).state.last_seq
            assert after == before
        finally:
            await admin.close()
        # and its own consumer still works
        assert (await js.consumer_info(DEPARTMENTS_STREAM, finance.user)).name == finance.user


async def test_the_gateway_cannot_write_a_departments_subjects(deployed, settings):
    """gov.*.cmd.> would reach gov.dept.cmd.…: the gateway's user is denied gov.dept.>."""
    nc, errors = await deploy_nats.raw_connection(deployed.gateway_settings(settings, None))
    try:
        await nc.publish("gov.dept.cmd.documents.incoming.assigned.v1", b"{}")
        await nc.flush()
        await asyncio.sleep(0.3)
        assert any("permissions violation" in e.lower() for e in errors), errors
    finally:
        await nc.close()


def test_the_template_in_accounts_conf_is_what_the_command_prints():
    """accounts.conf documents the department user; `govbus departments nats-user` prints
    it (govbus_kit.departments.nats_user_block): the two say the same."""
    text = (deploy_nats.DEPLOY_NATS / "accounts.conf").read_text()
    documented = re.search(r"(?ms)^#      \{\n.*?^#      \}\n", text)
    assert documented is not None
    template = re.sub(r"(?m)^#", "", documented.group(0))
    from govbus_kit.departments import nats_user_block

    printed = nats_user_block("<name>", "code0").split("\n", 1)[1]
    assert template == printed.replace("code0", "<code>").replace("CODE0", "<CODE>")
    assert deploy_nats.DEPARTMENTS_MARKER in text

"""The bus as an attacker inside sees it (issue 9, item 4), against a nats-server started
with the deploy/nats configuration: its users, passwords from the environment and
permissions, as in production.

- reply sniffing: each user reads only its own inbox prefix; everything still works;
- forged dead letters: a service cannot write another's, and `govbus dlq replay` sends
  only what the writer's own consumer read, as the stream holds it;
- unsigned principal: a plain or badly signed ``govbus-principal`` header is refused;
- passwords: the documented recipe cannot make a value nats-server reads as a number;
- 代拟: supervision may ask documents for a draft (one command, nothing else of documents).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from govbus_contracts.envelope import H_ID, H_PRINCIPAL, Envelope, Principal
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.registry import ServiceContract
from govbus_contracts.services.disclosure.catalogue import GET_CATALOGUE_ENTRY
from govbus_contracts.services.documents.outgoing import (
    DRAFT_OUTGOING,
    DRAFT_REQUESTED_OUTGOING,
    GET_OUTGOING,
)
from govbus_contracts.subjects import DLQ_STREAM, dlq_subject, stream_name
from govbus_disclosure.domain.catalogue import entry_id_for_document
from govbus_disclosure.plugin import service as disclosure_service
from govbus_documents.plugin import service as documents_service
from govbus_kit.bus import (
    connect_nats,
    make_broker,
    request,
    sign_services_with,
)
from govbus_kit.dlq import list_dead_letters, replay
from govbus_kit.principal import PrincipalSigner, ServiceSigner, new_key_pair
from govbus_kit.runtime import (
    H_DLQ_CONSUMER,
    H_DLQ_SEQ,
    H_DLQ_STREAM,
    H_DLQ_SUBJECT,
    Host,
)
from govbus_kit.settings import Settings
from govbus_testing import OfficeClock, deploy_nats, eventually
from govbus_testing.office import DRAFTER, MONDAY_MORNING, OFFICER, dispatch_notice

pytestmark = pytest.mark.servers

if not deploy_nats.BIN.exists():
    pytest.skip("nats-server not installed (make install)", allow_module_level=True)

DRAFT = {"doc_type": "通知", "title": "关于开展安全生产大检查的通知",
         "body": "各单位: 现将有关事项通知如下。", "main_recipients": ["市应急管理局"],
         "cc_recipients": [], "recipient_departments": [], "disclosure": "主动公开",
         "issuer_code": "宜府办发", "issuing_organ": "宜春市人民政府办公室"}
LEADER = Principal(subject="u-leader-chen", name="陈局长", department="办公室",
                   roles=frozenset({"leader", "drafter", "admin"}))


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[deploy_nats.DeployedNats]:
    with deploy_nats.provisioned(tmp_path_factory.mktemp("deploy-nats")) as server:
        yield server


@pytest.fixture
def keys() -> tuple[str, str]:
    return new_key_pair()


def _service_settings(server: deploy_nats.DeployedNats, base: Settings, service: str,
                      public_keys: str) -> Settings:
    return server.service_settings(service, base, public_keys)


@asynccontextmanager
async def service_host(server: deploy_nats.DeployedNats, base: Settings, service: Any,
                       public_keys: str, **kwargs: Any) -> AsyncIterator[Host]:
    host = Host([service], _service_settings(server, base, service.name, public_keys),
                **kwargs)
    await host.start()
    try:
        yield host
    finally:
        await host.stop()


@asynccontextmanager
async def bus_as(settings: Settings) -> AsyncIterator[Any]:
    broker = make_broker(settings)
    await broker.connect()
    try:
        yield broker
    finally:
        await broker.stop()


def gateway_settings(server: deploy_nats.DeployedNats, base: Settings, signing_key: str | None
                     ) -> Settings:
    return server.gateway_settings(base, signing_key)


raw_connection = deploy_nats.raw_connection


# --- 1. reply sniffing --------------------------------------------------------------


async def test_a_service_cannot_read_the_replies_to_others(deployed, settings, keys):
    """The documents user subscribes to every inbox it can think of; the disclosure
    service's reply to the gateway never reaches it."""
    signing, public = keys
    async with service_host(deployed, settings, disclosure_service, public), \
            bus_as(gateway_settings(deployed, settings, signing)) as gateway:
        sniffer, errors = await raw_connection(deployed.settings("documents"))
        seen: list[str] = []

        async def keep(msg: Any) -> None:
            seen.append(msg.subject)

        try:
            for subject in ("_INBOX.>", "_INBOX.gateway.>", "_INBOX.disclosure.>", ">"):
                await sniffer.subscribe(subject, cb=keep)
            await sniffer.flush()
            reply = await request(gateway, disclosure_service.contract.health, {}, timeout=5)
            assert reply["service"] == "disclosure"
            await asyncio.sleep(0.5)
        finally:
            await sniffer.close()
        assert seen == []
        denied = [e for e in errors if "permissions violation" in e.lower()]
        assert len(denied) == 4, errors


async def test_commands_queries_and_events_work_under_the_deployed_permissions(
        deployed, settings, keys):
    """Each service as its own user with its own inbox prefix: commands through the
    gateway's user are answered, events are published (acks on the publisher's inbox)
    and consumed by another service's durable pull consumer (on that one's inbox)."""
    signing, public = keys
    async with service_host(deployed, settings, documents_service, public,
                            clock=OfficeClock(MONDAY_MORNING)), \
            service_host(deployed, settings, disclosure_service, public,
                         clock=OfficeClock(MONDAY_MORNING)), \
            bus_as(gateway_settings(deployed, settings, signing)) as gateway:
        state = await dispatch_notice(SimpleNamespace(broker=gateway))
        assert state["status"] == "已核发"
        entry_id = entry_id_for_document(state["document_id"])

        async def catalogued() -> dict[str, Any] | None:
            try:
                return await request(gateway, GET_CATALOGUE_ENTRY, {"entry_id": entry_id},
                                     principal=OFFICER, timeout=10)
            except GovbusError:
                return None

        entry = await eventually(catalogued, lambda e: e is not None, timeout=30)
        assert entry is not None and entry["document_id"] == state["document_id"]
        # the container's probe, `govbus health <service>` with the service's own user
        for name in ("documents", "disclosure"):
            async with bus_as(deployed.settings(name)) as own:
                reply = await request(own, ServiceContract(name).health, {}, timeout=5)
                assert reply["service"] == name


def test_each_deployed_user_reads_only_its_own_inbox_prefix():
    """The allow-lists, read from deploy/nats/accounts.conf: no user may subscribe to the
    whole _INBOX namespace, and the services answer requests by allow_responses only."""
    text = (deploy_nats.DEPLOY_NATS / "accounts.conf").read_text()
    users = re.findall(r"\{\s*user: ([\w-]+)\s*password: \$\w+\s*permissions: \{(.*?)\n"
                       r"        \}\n      \}", text, re.S)
    assert {u for u, _ in users} == {*deploy_nats.SERVICES, "gateway", "govbus-admin"}
    for user, block in users:
        subscribe = block.split("subscribe:")[1]
        assert '"_INBOX.>"' not in subscribe, user
        assert f'"_INBOX.{user}.>"' in subscribe, user
        if user in deploy_nats.SERVICES:
            assert '"_INBOX.>"' not in block, user
            assert "allow_responses: true" in block, user


# --- 2. forged dead letters ------------------------------------------------------------


async def _js_publish_as(settings: Settings, subject: str, body: bytes,
                         headers: dict[str, str]) -> tuple[bool, list[str]]:
    nc, errors = await raw_connection(settings)
    try:
        await nc.jetstream().publish(subject, body, headers=headers, stream=DLQ_STREAM,
                                     timeout=2)
        return True, errors
    except Exception:
        return False, errors
    finally:
        await nc.close()


async def test_a_service_cannot_write_another_services_dead_letters(deployed):
    subject = dlq_subject("disclosure", "disclosure-catalogue",
                          "gov.documents.evt.outgoing.dispatched.v1")
    stored, errors = await _js_publish_as(deployed.settings("documents"), subject, b"{}",
                                          {H_DLQ_SUBJECT: "gov.documents.evt.x.y.v1"})
    assert not stored
    assert any("permissions violation" in e.lower() for e in errors), errors


async def _forge(server: deploy_nats.DeployedNats, writer: str, consumer: str, original: str,
                 headers: dict[str, str], body: bytes) -> int:
    nc, _ = await raw_connection(server.settings(writer))
    try:
        ack = await nc.jetstream().publish(dlq_subject(writer, consumer, original), body,
                                           headers={"Nats-Msg-Id": uuid.uuid4().hex,
                                                    **headers}, stream=DLQ_STREAM, timeout=5)
        return int(ack.seq)
    finally:
        await nc.close()


async def _stream_last(js: Any, stream: str) -> int:
    return int((await js.stream_info(stream)).state.last_seq)


async def test_replay_refuses_a_dead_letter_naming_another_services_subject(deployed):
    """documents writes a dead letter (on its own dlq subject, as it may) whose headers
    name a disclosure event; the operator's replay refuses it and publishes nothing."""
    target = "gov.disclosure.evt.request.received.v1"
    forged = Envelope(source="/disclosure", type="request.received")
    headers = {**forged.to_headers(), H_DLQ_SUBJECT: target,
               H_DLQ_CONSUMER: "documents-anything", H_DLQ_STREAM: stream_name("disclosure"),
               H_DLQ_SEQ: "1"}
    headers.pop("Nats-Msg-Id")
    letters = [
        # headers that contradict the subject the writer could publish on
        await _forge(deployed, "documents", "documents-anything",
                     "gov.documents.evt.outgoing.dispatched.v1", headers, b'{"forged": 1}'),
        # the subject itself names a disclosure event: documents has no consumer there
        await _forge(deployed, "documents", "documents-anything", target, headers,
                     b'{"forged": 2}'),
    ]
    admin = deployed.settings("govbus-admin")
    nc = await connect_nats(admin)
    js = nc.jetstream()
    try:
        before = await _stream_last(js, stream_name("disclosure"))
        for letter in letters:
            with pytest.raises(GovbusError) as refused:
                await replay(js, letter)
            assert refused.value.code is ErrorCode.forbidden
            assert "is not replayed" in refused.value.message
        assert await _stream_last(js, stream_name("disclosure")) == before
        # still there for the operator to look at
        assert {d.id for d in await list_dead_letters(js, 1000)} >= set(letters)
    finally:
        await nc.close()


async def test_replay_sends_the_original_not_what_the_dead_letter_says(deployed, settings,
                                                                         keys):
    """Even on its own consumer and subject, a service cannot make replay publish a body of
    its own: replay takes the message from the stream, by the sequence named."""
    signing, public = keys
    async with service_host(deployed, settings, documents_service, public,
                            clock=OfficeClock(MONDAY_MORNING)), \
            bus_as(gateway_settings(deployed, settings, signing)) as gateway:
        await request(gateway, DRAFT_OUTGOING, DRAFT, principal=DRAFTER, timeout=10)
    admin = deployed.settings("govbus-admin")
    nc = await connect_nats(admin)
    js = nc.jetstream()
    try:
        stream = stream_name("documents")
        # disclosure's real durable on documents' stream (as its service creates it)
        original_seq = await _stream_last(js, stream)
        original = await js.get_msg(stream, original_seq)
        from nats.js.api import ConsumerConfig

        await js.add_consumer(stream, ConsumerConfig(durable_name="disclosure-catalogue-x",
                                                     filter_subject=original.subject))
        headers = {H_ID: "forged-id", H_DLQ_SUBJECT: original.subject,
                   H_DLQ_CONSUMER: "disclosure-catalogue-x", H_DLQ_STREAM: stream,
                   H_DLQ_SEQ: str(original_seq)}
        letter = await _forge(deployed, "disclosure", "disclosure-catalogue-x",
                              original.subject, headers, b'{"forged": true}')
        await replay(js, letter)
        republished = await js.get_msg(stream, await _stream_last(js, stream))
        assert republished.subject == original.subject
        assert republished.data == original.data
        assert republished.headers[H_ID] == original.headers[H_ID]
        await js.delete_consumer(stream, "disclosure-catalogue-x")
    finally:
        await nc.close()


# --- 3. the signed principal ---------------------------------------------------------


async def _draft(gateway: Any, who: Principal) -> dict[str, Any]:
    return await request(gateway, DRAFT_OUTGOING, DRAFT, principal=who, timeout=10)


async def test_a_stolen_credential_cannot_act_as_a_leader(deployed, settings, keys):
    """With the gateway's own NATS password but not its signing key, a plain principal
    header (a leader) is refused; nothing is drafted."""
    _, public = keys
    async with service_host(deployed, settings, documents_service, public,
                            clock=OfficeClock(MONDAY_MORNING)), \
            bus_as(gateway_settings(deployed, settings, None)) as stolen:
        with pytest.raises(GovbusError) as refused:
            await _draft(stolen, LEADER)
        assert refused.value.code is ErrorCode.unauthenticated
        # nor with a signature of the attacker's own key
        forger = PrincipalSigner(new_key_pair()[0])
        message_id = uuid.uuid4().hex
        msg = await stolen.request(
            json.dumps(DRAFT).encode(), DRAFT_OUTGOING.subject, timeout=10,
            headers={H_ID: message_id, H_PRINCIPAL: forger.sign(
                LEADER, subject=DRAFT_OUTGOING.subject, message_id=message_id,
                body=json.dumps(DRAFT).encode())})
        assert json.loads(msg.body)["error"]["code"] == "unauthenticated"


async def test_a_signed_principal_acts_and_an_expired_or_misplaced_one_does_not(
        deployed, settings, keys):
    signing, public = keys
    async with service_host(deployed, settings, documents_service, public,
                            clock=OfficeClock(MONDAY_MORNING)), \
            bus_as(gateway_settings(deployed, settings, signing)) as gateway:
        drafted = await _draft(gateway, DRAFTER)
        assert drafted["document_id"]

        signer = PrincipalSigner(signing, ttl_seconds=60)

        body = json.dumps(DRAFT).encode()

        async def send(assertion: str, message_id: str, payload: bytes = body
                       ) -> dict[str, Any]:
            msg = await gateway.request(payload, DRAFT_OUTGOING.subject,
                                        timeout=10, headers={H_ID: message_id,
                                                             H_PRINCIPAL: assertion})
            return json.loads(msg.body)

        import time

        expired_id = uuid.uuid4().hex
        expired = signer.sign(DRAFTER, subject=DRAFT_OUTGOING.subject,
                              message_id=expired_id, body=body, now=time.time() - 3600)
        assert (await send(expired, expired_id))["error"]["code"] == "unauthenticated"
        # an assertion seen on one message does not carry another
        seen_id = uuid.uuid4().hex
        seen = signer.sign(DRAFTER, subject=DRAFT_OUTGOING.subject, message_id=seen_id,
                           body=body)
        assert (await send(seen, uuid.uuid4().hex))["error"]["code"] == "unauthenticated"
        other = signer.sign(DRAFTER, subject="gov.documents.cmd.other.v1",
                            message_id=seen_id, body=body)
        assert (await send(other, seen_id))["error"]["code"] == "unauthenticated"
        swapped = json.dumps({**DRAFT, "title": "另一份通知"}).encode()
        assert (await send(seen, seen_id, swapped))["error"]["code"] == "unauthenticated"
        assert "document_id" in await send(seen, seen_id)


async def test_both_keys_of_a_rotation_are_accepted(deployed, settings):
    old_signing, old_public = new_key_pair()
    new_signing, new_public = new_key_pair()
    async with service_host(deployed, settings, documents_service,
                            f"{old_public}, {new_public}", clock=OfficeClock(MONDAY_MORNING)):
        for signing in (old_signing, new_signing):
            async with bus_as(gateway_settings(deployed, settings, signing)) as gateway:
                assert (await _draft(gateway, DRAFTER))["document_id"]


# --- 4. passwords ------------------------------------------------------------------------


def test_a_password_read_as_a_number_stops_nats_server(tmp_path: Path):
    """Why the recipe matters: a bare hex password that starts with a digit and an `e`
    is a number to nats-server's configuration parser, and the server does not start."""
    with pytest.raises(RuntimeError, match="could not be parsed"):
        deploy_nats.start(tmp_path, {"documents": "1e2" + "a" * 45})


RECIPE = 'echo "p$(openssl rand -hex 24)"'


def test_the_documented_recipe_starts_with_a_letter_everywhere():
    """Every place in deploy/ that tells how to make a password gives the recipe whose
    value starts with a letter (a string to nats-server whatever the random part is)."""
    places = [p for p in Path(deploy_nats.REPO / "deploy").rglob("*")
              if p.is_file() and "openssl rand" in p.read_text(errors="ignore")]
    assert places
    for path in places:
        for line in path.read_text().splitlines():
            if "openssl rand" in line:
                assert RECIPE in line, f"{path}: {line}"


async def test_recipe_passwords_whose_random_part_reads_as_a_number_start_nats(tmp_path):
    """The recipe's value when the random part starts with `1e`: the server starts and the
    user authenticates with it."""
    password = "p1e2" + "0" * 45
    server = deploy_nats.start(tmp_path, {"documents": password, "gateway": "p9e9" + "f" * 44})
    try:
        nc = await connect_nats(server.settings("documents"))
        assert nc.is_connected
        await nc.close()
    finally:
        server.stop()


# --- 5. a service asks another: supervision's 代拟 ------------------------------------------

#: the one subject of another service a service user may publish (deploy/nats/accounts.conf)
REQUESTED_DRAFT = "gov.documents.cmd.draft_requested_outgoing.v1"
NOTICE = {
    "requested_by": {"service": "supervision", "service_name": "督查督办", "kind": "督办事项",
                     "reference": "item-7", "label": "督〔2026〕7号"},
    "doc_type": "通知", "title": "关于督促办理安全生产大检查事项的督办通知书",
    "body": "市应急管理局:\n请于5个工作日内报送办理情况。", "main_recipients": ["市应急管理局"],
    "issuer_code": "府督办", "issuing_organ": "市人民政府办公室",
    "drafting_department": "督查室", "disclosure": "依申请公开"}


def test_services_publish_no_other_services_subjects_but_supervisions_requested_draft():
    """Read from accounts.conf: the only subject of another service in a service user's
    publish allow-list is supervision's 代拟 command of documents, named exactly (its own
    facts, the departments' copies of them and its dead letters are its own)."""
    assert DRAFT_REQUESTED_OUTGOING.subject == REQUESTED_DRAFT
    text = (deploy_nats.DEPLOY_NATS / "accounts.conf").read_text()
    users = dict(re.findall(r"\{\s*user: ([\w-]+)\s*password: \$\w+\s*permissions: \{(.*?)\n"
                            r"        \}\n      \}", text, re.S))
    for user in deploy_nats.SERVICES:
        publish = users[user].split("publish:")[1].split("subscribe:")[0]
        foreign = [s for s in re.findall(r'"(gov\.[^"]+)"', publish)
                   if not s.startswith((f"gov.{user}.", f"gov.dlq.{user}.",
                                        f"gov.dept.*.{user}."))]
        assert foreign == ([REQUESTED_DRAFT] if user == "supervision" else []), user


async def test_supervision_asks_documents_for_a_draft_and_nothing_else(deployed, settings,
                                                                        keys):
    """Under the deployed permissions: the supervision user's request for a 代拟 reaches
    documents (its own system principal, signed with its own key) and the reply comes back
    on its own inbox; any other documents command or query is denied by NATS itself."""
    signing, public = keys
    supervision_key, supervision_public = new_key_pair()
    documents_settings = _service_settings(deployed, settings, "documents", public
                                           ).model_copy(update={
                                               "service_public_keys":
                                                   f"supervision={supervision_public}"})
    host = Host([documents_service], documents_settings, clock=OfficeClock(MONDAY_MORNING))
    await host.start()
    try:
        async with bus_as(deployed.settings("supervision")) as supervision, \
                bus_as(gateway_settings(deployed, settings, signing)) as gateway:
            sign_services_with(supervision, ServiceSigner(supervision_key, ["supervision"]))
            state = await request(supervision, DRAFT_REQUESTED_OUTGOING, NOTICE,
                                  principal=Principal.system("supervision"),
                                  message_id=uuid.uuid4().hex, timeout=10)
            assert state["status"] == "草稿"
            view = await request(gateway, GET_OUTGOING,
                                 {"document_id": state["document_id"]},
                                 principal=Principal(subject="u-reviewer", roles=frozenset(
                                     {"reviewer"})), timeout=10)
            assert view["requested_by"]["reference"] == "item-7"
    finally:
        await host.stop()
    nc, errors = await raw_connection(deployed.settings("supervision"))
    try:
        for subject in (DRAFT_OUTGOING.subject, GET_OUTGOING.subject,
                        "gov.documents.cmd.draft_requested_outgoing.v2"):
            await nc.publish(subject, b"{}")
        await nc.flush()
        await asyncio.sleep(0.3)
    finally:
        await nc.close()
    denied = [e for e in errors if "permissions violation" in e.lower()]
    assert len(denied) == 3, errors

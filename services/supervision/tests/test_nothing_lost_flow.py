"""Nothing lost on supervision's own consumer: the 批示 the documents service publishes.

A burst of ``incoming.instructed`` facts with 督办 reaches a supervision service that is
killed (SIGKILL, no goodbye) in the middle of it; more arrive while it is down, one of them
a poison message (a body the contract refuses), and one is delivered a second time. A new
process takes over the durable consumer: every 批示 opens exactly one item and announces it
exactly once, the poison one is dead-lettered with its reason and blocks none behind it.

Real nats-server and FerretDB (session fixture); the service runs as ``govbus run
supervision`` in processes of its own.
"""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from datetime import date

import nats
import pytest
from pymongo import AsyncMongoClient

from govbus_contracts.envelope import Envelope
from govbus_contracts.services.documents.common import Classification, DocType, Urgency
from govbus_contracts.services.documents.incoming import (
    INCOMING_INSTRUCTED,
    IncomingInstructed,
    IncomingStatus,
)
from govbus_contracts.services.supervision.items import ITEM_OPENED
from govbus_contracts.subjects import stream_name
from govbus_kit.dlq import list_dead_letters
from govbus_supervision.domain.opening import instruction_item_id
from govbus_supervision.plugin import service as supervision
from govbus_testing import (
    eventually,
    provision,
    publish_again,
    service_process,
    stream_messages,
)

pytestmark = [pytest.mark.servers, pytest.mark.slow]

INSTRUCTED_ON = date(2026, 11, 30)


def instructed(document_id: str, n: int) -> IncomingInstructed:
    return IncomingInstructed(
        id=document_id, registration_number=f"收〔2026〕{n}号",
        status=IncomingStatus.awaiting_assignment,
        issuer="省人民政府办公厅", issuer_doc_number=f"赣府厅字〔2026〕{n}号",
        doc_type=DocType.notice, classification_level=Classification.none,
        urgency=Urgency.normal, title=f"关于做好第{n}项重点工作的通知",
        leader="王副市长", leader_subject="wang-fsz", instructed_on=INSTRUCTED_ON,
        needs_supervision=True, supervision_deadline=date(2027, 1, 29),
        lead_department="市住建局", instruction="请住建局牵头抓好落实, 督查室跟踪督办。")


async def publish(js: nats.js.JetStreamContext, fact: IncomingInstructed) -> str:
    envelope = Envelope(source="/govbus/documents", type=INCOMING_INSTRUCTED.type,
                        subject=fact.id)
    await js.publish(INCOMING_INSTRUCTED.subject, fact.model_dump_json().encode(),
                     headers=envelope.to_headers(), stream=stream_name("documents"))
    return envelope.id


async def test_a_killed_service_loses_no_instruction_and_opens_none_twice(servers, settings):
    await provision(settings, supervision)
    run = uuid.uuid4().hex[:8]
    documents = [f"doc-lost-{run}-{n:02d}" for n in range(40)]
    items = {instruction_item_id(d, INSTRUCTED_ON): d for d in documents}
    nc = await nats.connect(servers.nats_url)
    js = nc.jetstream()
    mongo: AsyncMongoClient[dict] = AsyncMongoClient(settings.mongo_url)
    store = mongo["govbus_supervision"]["items"]

    async def opened() -> set[str]:
        found = await asyncio.gather(*(store.find_one({"_id": i}, {"_id": 1}) for i in items))
        return {doc["_id"] for doc in found if doc is not None}

    victim = service_process(settings, "supervision")
    survivor = None
    try:
        for n, document in enumerate(documents[:30]):
            await publish(js, instructed(document, n))
        # Killed as it works through the burst: some items written, not all.
        await eventually(opened, lambda got: len(got) >= 3, timeout=60)
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(timeout=10) == -signal.SIGKILL
        assert len(await opened()) < len(items)

        # While it is down: the rest, a poison 批示 among them, and one delivered again.
        poison = Envelope(source="/govbus/documents", type=INCOMING_INSTRUCTED.type)
        body = json.loads(instructed(f"doc-poison-{run}", 99).model_dump_json())
        del body["needs_supervision"]
        await js.publish(INCOMING_INSTRUCTED.subject, json.dumps(body).encode(),
                         headers=poison.to_headers(), stream=stream_name("documents"))
        for n, document in enumerate(documents[30:], start=30):
            await publish(js, instructed(document, n))
        (first,) = [m for m in await stream_messages(servers.nats_url,
                                                     INCOMING_INSTRUCTED.subject,
                                                     stream_name("documents"))
                    if m["data"]["id"] == documents[0]]
        await publish_again(servers.nats_url, first, stream_name("documents"))

        survivor = service_process(settings, "supervision")
        assert await eventually(opened, lambda got: got == set(items), timeout=120) == set(items)

        # Each item announced once, whatever was redelivered after the kill.
        async def announced() -> list[str]:
            facts = await stream_messages(servers.nats_url, ITEM_OPENED.subject,
                                          stream_name("supervision"))
            return [m["data"]["id"] for m in facts if m["data"]["id"] in items]

        facts = await eventually(announced, lambda ids: set(ids) == set(items), timeout=60)
        await asyncio.sleep(1.0)  # a straggler would have come by now
        facts = await announced()
        assert sorted(facts) == sorted(items)
        for item_id, document in items.items():
            doc = await store.find_one({"_id": item_id})
            assert doc["source"]["instruction"]["document_id"] == document
            assert doc["status"] == "已立项" and doc["version"] == 1

        async def letters() -> list:
            return [d for d in await list_dead_letters(js, 1000) if d.event_id == poison.id]

        (dead,) = await eventually(letters, lambda d: len(d) == 1, timeout=30)
        assert dead.consumer == "supervision-instructions"
        assert dead.error.startswith("malformed")
    finally:
        for process in (victim, survivor):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=15)
        await nc.close()
        await mongo.close()

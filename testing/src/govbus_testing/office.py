"""An office's staff and walk shared by tests: who drafts, reviews, signs and registers 发文,
who signs for and handles 收文, and a 主动公开 通知 taken by the documents service's own
commands from 起草 to 核发 on a known morning."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from govbus_contracts.envelope import Principal
from govbus_contracts.registry import CommandSpec, QuerySpec
from govbus_contracts.services.documents.outgoing import (
    DISPATCH_OUTGOING,
    DRAFT_OUTGOING,
    PRINT_OUTGOING,
    RECHECK_OUTGOING,
    REGISTER_OUTGOING,
    REVIEW_OUTGOING,
    SIGN_OFF_OUTGOING,
)
from govbus_kit.bus import request

DRAFTER = Principal(subject="u-drafter-li", name="李明", roles=frozenset({"drafter"}),
                    department="秘书科")
REVIEWER = Principal(subject="u-reviewer-wang", name="王芳", roles=frozenset({"reviewer"}))
SIGNER = Principal(subject="u-signer-zhang", name="张伟", roles=frozenset({"signer"}))
REGISTRAR = Principal(subject="u-registrar-liu", name="刘洋", roles=frozenset({"registrar"}))
OFFICER = Principal(subject="u-gk-zhao", name="赵敏", roles=frozenset({"disclosure_officer"}))
#: 收文: the registrar who signs for them (of the 办公室), a leader who instructs.
CLERK = Principal(subject="li-wenshu", name="李文书", roles=frozenset({"registrar"}),
                  department="办公室")
LEADER = Principal(subject="wang-fqz", name="王副区长", roles=frozenset({"leader"}))


def handler(department: str, name: str = "张承办") -> Principal:
    """A handler (承办人) of ``department``."""
    return Principal(subject=f"h-{department}", name=name, roles=frozenset({"handler"}),
                     department=department)


TITLE = "关于做好2026年秋冬季森林防灭火工作的通知"
BODY = ("各县(市、区)人民政府, 市直各单位:\n当前已进入秋冬季森林防灭火关键期, 为切实做好"
        "森林防灭火工作, 确保人民群众生命财产安全, 现将有关事项通知如下。")


#: 09:30 on Monday 2 March 2026, Beijing time.
MONDAY_MORNING = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


async def ask(host: Any, spec: CommandSpec | QuerySpec, payload: dict[str, Any],
              who: Principal, message_id: str | None = None,
              timeout: float = 30) -> dict[str, Any]:
    """One request to a service the host runs, as ``who`` (``message_id``: a retry's)."""
    return await request(host.broker, spec, payload, principal=who, message_id=message_id,
                         timeout=timeout)


async def dispatch_notice(host: Any) -> dict[str, Any]:
    """起草 → 审核 → 签发 → 复核 → 登记 → 印制 → 核发, as in the documents' own flow test."""
    recipients = ["市应急管理局", "市林业局"]
    doc_id = (await ask(host, DRAFT_OUTGOING, {
        "doc_type": "通知", "title": TITLE, "body": BODY, "main_recipients": recipients,
        "cc_recipients": [], "recipient_departments": [], "disclosure": "主动公开",
        "issuer_code": "宜府办发", "issuing_organ": "宜春市人民政府办公室"},
        DRAFTER))["document_id"]
    await ask(host, REVIEW_OUTGOING, {"document_id": doc_id, "decision": "通过"}, REVIEWER)
    await ask(host, SIGN_OFF_OUTGOING, {"document_id": doc_id, "opinion": "同意"}, SIGNER)
    await ask(host, RECHECK_OUTGOING, {"document_id": doc_id}, REGISTRAR)
    await ask(host, REGISTER_OUTGOING, {"document_id": doc_id}, REGISTRAR)
    await ask(host, PRINT_OUTGOING, {"document_id": doc_id, "printing_office": "秘书科"},
              REGISTRAR)
    return await ask(host, DISPATCH_OUTGOING, {"document_id": doc_id, "dispatches": [
        {"recipient": r, "means": "电子公文传输"} for r in recipients]}, REGISTRAR)

"""Routes of the documents service (公文处理). Roles are checked here coarsely; the service
checks on whose data (department scoping, classification, the signer's authority)."""

from __future__ import annotations

from govbus_contracts.services.documents import archive as a
from govbus_contracts.services.documents import incoming as i
from govbus_contracts.services.documents import outgoing as o
from govbus_contracts.services.documents.common import Role as R
from govbus_gateway.routing import Route, route

REGISTRAR = {R.registrar}
OFFICE = {R.registrar, R.leader, R.reviewer, R.signer, R.archivist, R.admin}
READERS = OFFICE | {R.handler, R.drafter}
P = "/documents"

ROUTES: list[Route] = [
    # 收文办理
    route(i.REGISTER_INCOMING, "POST", f"{P}/incoming", roles=REGISTRAR, status=201,
          summary="签收登记 register an incoming document"),
    route(i.REVIEW_INCOMING, "POST", f"{P}/incoming/{{id}}/review", roles=REGISTRAR,
          summary="初审 accept, or return to the sender with reasons"),
    route(i.PROPOSE_HANDLING, "POST", f"{P}/incoming/{{id}}/propose", roles=REGISTRAR,
          summary="拟办 proposed handling"),
    route(i.INSTRUCT_INCOMING, "POST", f"{P}/incoming/{{id}}/instruct", roles={R.leader},
          summary="批示 a leader's instruction"),
    route(i.ASSIGN_INCOMING, "POST", f"{P}/incoming/{{id}}/assign",
          roles={R.registrar, R.leader}, summary="承办 lead and co-departments, deadline"),
    route(i.CIRCULATE_INCOMING, "POST", f"{P}/incoming/{{id}}/circulate", roles=REGISTRAR,
          summary="传阅 circulate with read receipts"),
    route(i.CONFIRM_READING, "POST", f"{P}/incoming/{{id}}/confirm-reading", roles=READERS,
          summary="阅毕 the holder confirms reading"),
    route(i.REMIND_INCOMING, "POST", f"{P}/incoming/{{id}}/remind", roles=REGISTRAR,
          summary="催办 a reminder"),
    route(i.COMPLETE_INCOMING, "POST", f"{P}/incoming/{{id}}/complete",
          roles={R.handler, R.registrar}, summary="办结 completed, with the result"),
    route(i.GET_INCOMING, "GET", f"{P}/incoming/{{id}}", roles=READERS),
    route(i.WHO_HOLDS, "GET", f"{P}/incoming/{{id}}/holders", roles=READERS),
    route(i.LIST_INCOMING, "GET", f"{P}/incoming", roles=READERS),
    # 发文办理
    route(o.DRAFT_OUTGOING, "POST", f"{P}/outgoing", roles={R.drafter}, status=201,
          summary="起草 draft an outgoing document"),
    route(o.REVISE_OUTGOING, "POST", f"{P}/outgoing/{{document_id}}/revise",
          roles={R.drafter}, summary="修改 a new revision of the draft"),
    route(o.REVIEW_OUTGOING, "POST", f"{P}/outgoing/{{document_id}}/review",
          roles={R.reviewer}, summary="审核 (核稿) approve or return with comments"),
    route(o.SIGN_OFF_OUTGOING, "POST", f"{P}/outgoing/{{document_id}}/sign-off",
          roles={R.signer}, summary="签发 by an authorised signer"),
    route(o.RECHECK_OUTGOING, "POST", f"{P}/outgoing/{{document_id}}/recheck",
          roles={R.registrar, R.reviewer}, summary="复核"),
    route(o.REGISTER_OUTGOING, "POST", f"{P}/outgoing/{{document_id}}/register",
          roles=REGISTRAR, summary="登记 assign the 发文字号"),
    route(o.PRINT_OUTGOING, "POST", f"{P}/outgoing/{{document_id}}/print", roles=REGISTRAR,
          summary="印制"),
    route(o.DISPATCH_OUTGOING, "POST", f"{P}/outgoing/{{document_id}}/dispatch",
          roles=REGISTRAR, summary="核发 distribution to every recipient"),
    route(o.GET_OUTGOING, "GET", f"{P}/outgoing/{{document_id}}", roles=READERS),
    route(o.LIST_OUTGOING, "GET", f"{P}/outgoing", roles=READERS),
    # 发文字号
    route(o.RESERVE_NUMBER, "POST", f"{P}/numbers/{{issuer_code}}/{{year}}/reserve",
          roles=REGISTRAR, summary="预留 reserve a number"),
    route(o.VOID_NUMBER, "POST", f"{P}/numbers/{{issuer_code}}/{{year}}/{{serial}}/void",
          roles=REGISTRAR, summary="作废 void a number, with its reason"),
    route(o.GET_NUMBER_REGISTER, "GET", f"{P}/numbers/{{issuer_code}}/{{year}}",
          roles=OFFICE),
]
ROUTES += [
    # 归档 and the archive chain
    route(a.ARCHIVE_DOCUMENT, "POST", f"{P}/archive", roles={R.archivist}, status=201,
          summary="归档 file a completed document with retention and 档号"),
    route(a.VERIFY_ARCHIVE, "POST", f"{P}/archive/verify",
          roles={R.archivist, R.leader, R.admin},
          summary="检测 run the four checks over the archive chain and record the result"),
    route(a.CHECK_ARCHIVE, "GET", f"{P}/archive/check", roles={R.archivist, R.leader, R.admin},
          summary="the four checks, without recording anything"),
    route(a.GET_ARCHIVE_RECORD, "GET", f"{P}/archive/records", roles=READERS,
          summary="one archived item, by 档号 or by the document it holds"),
    # 全文检索
    route(a.SEARCH_DOCUMENTS, "GET", f"{P}/search", roles=READERS,
          summary="全文检索 over 文号, 标题, 发文机关 and 正文, ranked"),
]

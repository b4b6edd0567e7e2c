"""Routes of the supervision service (督查督办): the gateway's entry point (group
``govbus.routes``), loaded by the gateway only. Roles are checked here coarsely; the
service checks the rest (a handler acts for the lead or a co-department only, and any other
department is told an item does not exist)."""

from __future__ import annotations

from govbus_contracts.services.supervision import items as i
from govbus_contracts.services.supervision import ledger as lg
from govbus_contracts.services.supervision.common import Role as R
from govbus_gateway.routing import DownloadSpec, Route, route

OFFICE = {R.supervisor, R.admin}
READERS = set(R)
#: The ledger and the rates: the office and the leaders; a handler the ledger of its
#: department's items (scoped by the service).
FIGURES = {R.supervisor, R.leader, R.admin}
P = "/supervision/items"

ROUTES: list[Route] = [
    route(i.OPEN_ITEM, "POST", P, roles=OFFICE, status=201,
          summary="立项 a supervision item from one source"),
    route(i.OPEN_MEETING_ITEMS, "POST", "/supervision/meetings", roles=OFFICE, status=201,
          summary="立项 several 议定事项 of one meeting, linked by its 纪要 number"),
    route(i.REGISTER_ITEM, "POST", f"{P}/{{id}}/register", roles=OFFICE,
          summary="登记 the year's number, e.g. 督〔2026〕12号"),
    route(i.ASSIGN_ITEM, "POST", f"{P}/{{id}}/assign", roles=OFFICE,
          summary="交办 lead and co-departments, deadline, progress schedule"),
    route(i.RETURN_MISROUTED, "POST", f"{P}/{{id}}/return-misrouted", roles={R.handler},
          summary="退回 the lead department returns an item not its own, within 10 days"),
    route(i.REASSIGN_ITEM, "POST", f"{P}/{{id}}/reassign", roles=OFFICE,
          summary="重新交办 a returned item to the right lead department"),
    route(i.REPORT_PROGRESS, "POST", f"{P}/{{id}}/progress", roles={R.handler},
          summary="进展报告 the lead department's progress report"),
    route(i.REQUEST_EXTENSION, "POST", f"{P}/{{id}}/extension-request", roles={R.handler},
          summary="延期申请 the lead department asks for one extension, with its reason"),
    route(i.DECIDE_EXTENSION, "POST", f"{P}/{{id}}/extension-decision",
          roles=OFFICE | {R.leader},
          summary="延期审批 the office or a leader approves or refuses the extension"),
    route(i.SUSPEND_ITEM, "POST", f"{P}/{{id}}/suspend", roles=OFFICE,
          summary="中止 with the reason and the approver: the deadline stands still"),
    route(i.RESUME_ITEM, "POST", f"{P}/{{id}}/resume", roles=OFFICE,
          summary="恢复办理 the deadline moved by the working days suspended"),
    route(i.ESCALATE_ITEM, "POST", f"{P}/{{id}}/escalate", roles=OFFICE,
          summary="催办 by hand: the next level (提醒 → 催办通知 → 督办通知书 → 通报)"),
    route(i.GIVE_OPINION, "POST", f"{P}/{{id}}/opinion", roles={R.handler},
          summary="协办意见 a co-department's opinion to the lead"),
    route(i.DRAFT_ANSWER, "POST", f"{P}/{{id}}/answer-draft", roles={R.handler},
          summary="答复稿 the lead's draft, seen by the lead and the office only"),
    route(i.SUBMIT_ANSWER, "POST", f"{P}/{{id}}/answer", roles={R.handler},
          summary="反馈 the lead department's answer"),
    route(i.REVIEW_ANSWER, "POST", f"{P}/{{id}}/review", roles=OFFICE,
          summary="审结 accept (办结) or send back with reasons and a new deadline"),
    route(i.RECORD_SATISFACTION, "POST", f"{P}/{{id}}/satisfaction", roles=OFFICE,
          summary="评价登记 a deputy's (member's) satisfaction; 不满意 reopens for 1 month"),
    route(i.CANCEL_ITEM, "POST", f"{P}/{{id}}/cancel", roles=OFFICE,
          summary="撤销立项 with the reason"),
    route(i.GET_ITEM, "GET", f"{P}/{{id}}", roles=READERS,
          summary="one item as the asker may see it"),
    route(lg.LEDGER, "GET", "/supervision/ledger", roles=FIGURES | {R.handler},
          summary="台账 filtered by source, year, department and status, a page at a time"),
    route(lg.EXPORT_LEDGER, "GET", "/supervision/ledger.xlsx", roles=FIGURES | {R.handler},
          summary="台账 as the 督查室's workbook (.xlsx), with the ledger's filters",
          download=DownloadSpec(field="content_base64", media_type=lg.XLSX_MEDIA_TYPE,
                                filename_field="filename", media_type_field="media_type"),
          timeout=60.0),
    route(lg.RATES, "GET", "/supervision/rates", roles=FIGURES,
          summary="办结率, 按期办结率, 满意率 per lead department and period"),
]

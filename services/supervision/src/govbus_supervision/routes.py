"""Routes of the supervision service (督查督办): the gateway's entry point (group
``govbus.routes``), loaded by the gateway only. Roles are checked here coarsely; the
service checks the rest (a handler acts for the lead or a co-department only, and any other
department is told an item does not exist)."""

from __future__ import annotations

from govbus_contracts.services.supervision import items as i
from govbus_contracts.services.supervision import ledger as lg
from govbus_contracts.services.supervision.common import Role as R
from govbus_gateway.routing import Route, route

OFFICE = {R.supervisor, R.admin}
READERS = set(R)
#: The ledger and the rates: the office and the leaders; a handler the ledger of its
#: department's items (scoped by the service).
FIGURES = {R.supervisor, R.leader, R.admin}
P = "/supervision/items"

ROUTES: list[Route] = [
    route(i.OPEN_ITEM, "POST", P, roles=OFFICE, status=201,
          summary="立项 a supervision item from one source"),
    route(i.REGISTER_ITEM, "POST", f"{P}/{{id}}/register", roles=OFFICE,
          summary="登记 the year's number, e.g. 督〔2026〕12号"),
    route(i.ASSIGN_ITEM, "POST", f"{P}/{{id}}/assign", roles=OFFICE,
          summary="交办 lead and co-departments, deadline, progress schedule"),
    route(i.GIVE_OPINION, "POST", f"{P}/{{id}}/opinion", roles={R.handler},
          summary="协办意见 a co-department's opinion to the lead"),
    route(i.DRAFT_ANSWER, "POST", f"{P}/{{id}}/answer-draft", roles={R.handler},
          summary="答复稿 the lead's draft, seen by the lead and the office only"),
    route(i.SUBMIT_ANSWER, "POST", f"{P}/{{id}}/answer", roles={R.handler},
          summary="反馈 the lead department's answer"),
    route(i.REVIEW_ANSWER, "POST", f"{P}/{{id}}/review", roles=OFFICE,
          summary="审结 accept (办结) or send back with reasons and a new deadline"),
    route(i.GET_ITEM, "GET", f"{P}/{{id}}", roles=READERS,
          summary="one item as the asker may see it"),
    route(lg.LEDGER, "GET", "/supervision/ledger", roles=FIGURES | {R.handler},
          summary="台账 filtered by source, year, department and status, a page at a time"),
    route(lg.RATES, "GET", "/supervision/rates", roles=FIGURES,
          summary="办结率, 按期办结率, 满意率 per lead department and period"),
]

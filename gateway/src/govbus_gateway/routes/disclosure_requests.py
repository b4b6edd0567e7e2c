"""Routes of the disclosure service: requests for government information (依申请公开).

Public (no account, rate-limited by the gateway): submit, track, submit the 补正 and
withdraw — each with the tracking code in the JSON body, never in the URL (URLs end up in
access logs and browser histories). Staff steps live under ``/disclosure/requests/{id}/…``;
roles are checked here coarsely, the service checks the department scope.
"""

from __future__ import annotations

from govbus_contracts.services.disclosure import requests as q
from govbus_contracts.services.disclosure.common import Role as R
from govbus_gateway.routing import Route, route

OFFICERS = {R.officer, R.admin}
READERS = {R.officer, R.approver, R.admin}
P = "/disclosure/requests"

ROUTES: list[Route] = [
    # Public. Fixed paths before /{request_id}: routes match in order.
    route(q.SUBMIT_REQUEST, "POST", P, public=True, status=201,
          summary="提交政府信息公开申请; the reply holds the tracking code (shown once)"),
    route(q.TRACK_REQUEST, "POST", f"{P}/track", public=True,
          summary="凭查询码查询: status, deadlines, notices and the reply"),
    route(q.SUBMIT_CORRECTION, "POST", f"{P}/correction", public=True,
          summary="提交补正材料 with the tracking code"),
    route(q.WITHDRAW_REQUEST, "POST", f"{P}/withdrawal", public=True,
          summary="撤回申请 with the tracking code"),
    # Staff.
    route(q.LIST_REQUESTS, "GET", P, roles=READERS,
          summary="申请列表 by status, overdue, year, department (within scope)"),
    route(q.GET_REQUEST, "GET", f"{P}/{{request_id}}", roles=READERS,
          summary="one request with the applicant and its clock (within scope)"),
    route(q.ASSIGN_REQUEST, "POST", f"{P}/{{request_id}}/assign", roles=OFFICERS,
          summary="分办 to a department (central office)"),
    route(q.CONFIRM_RECEIPT, "POST", f"{P}/{{request_id}}/confirm-receipt", roles=OFFICERS,
          summary="确认收到 (第三十一条: 平常信函, 传真, online): the reply period starts"),
    route(q.REQUEST_CORRECTION, "POST", f"{P}/{{request_id}}/request-correction",
          roles=OFFICERS, summary="补正告知: once, within 7 working days of receipt"),
    route(q.RECORD_CORRECTION, "POST", f"{P}/{{request_id}}/record-correction",
          roles=OFFICERS, summary="登记 a 补正 received on paper; the clock restarts"),
    route(q.START_CONSULTATION, "POST", f"{P}/{{request_id}}/consultation/start",
          roles=OFFICERS, summary="征求第三方意见 (not counted)"),
    route(q.END_CONSULTATION, "POST", f"{P}/{{request_id}}/consultation/end",
          roles=OFFICERS, summary="第三方意见 received; the clock runs again"),
    route(q.EXTEND_REQUEST, "POST", f"{P}/{{request_id}}/extend",
          roles={R.approver},
          summary="延长答复期限: once, at most 20 working days, by the approver"),
    route(q.ISSUE_FEE_NOTICE, "POST", f"{P}/{{request_id}}/fee-notice", roles=OFFICERS,
          summary="收费通知 for excess volume (国办函〔2020〕109号)"),
    route(q.RECORD_FEE_PAYMENT, "POST", f"{P}/{{request_id}}/fee-payment", roles=OFFICERS,
          summary="缴费 received; the clock runs again"),
    route(q.REPLY_REQUEST, "POST", f"{P}/{{request_id}}/reply", roles=READERS,
          summary="答复 (第三十六条) with outcome and reason"),
    route(q.GET_REFERRAL, "GET", f"{P}/{{request_id}}/referral", roles={R.complaints_officer},
          summary="第三十九条 referral with the applicant (complaints office only)"),
]

"""Handlers of requests for government information (依申请公开).

Thin: who acts, find the request (by id within the caller's scope, or by the hash of the
applicant's tracking code), let ``domain.requests`` decide, write with the facts: a step is
one line over ``REQUESTS`` (the kit's Workflow). The rules live in
``govbus_disclosure.domain.requests``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from govbus_contracts.envelope import Principal, deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.disclosure.common import SERVICE, Role
from govbus_contracts.services.disclosure.requests import (
    ASSIGN_REQUEST,
    CONFIRM_RECEIPT,
    END_CONSULTATION,
    EXTEND_REQUEST,
    GET_REFERRAL,
    GET_REQUEST,
    ISSUE_FEE_NOTICE,
    LIST_REQUESTS,
    RECORD_CORRECTION,
    RECORD_FEE_PAYMENT,
    REPLY_REQUEST,
    REQUEST_CORRECTION,
    START_CONSULTATION,
    SUBMIT_CORRECTION,
    SUBMIT_REQUEST,
    TRACK_REQUEST,
    WITHDRAW_REQUEST,
    AssignRequest,
    ConfirmReceipt,
    EndConsultation,
    ExtendRequest,
    GetReferral,
    GetRequest,
    IssueFeeNotice,
    ListRequests,
    RecordCorrection,
    RecordFeePayment,
    ReferralView,
    ReplyToRequest,
    RequestCorrection,
    RequestList,
    RequestStatus,
    RequestStepReply,
    RequestSubmitted,
    RequestSummary,
    RequestTracking,
    RequestView,
    StartConsultation,
    SubmitCorrection,
    SubmitRequest,
    TrackRequest,
    WithdrawRequest,
)
from govbus_disclosure.domain.fees import FeeSchedule, applicant_key
from govbus_disclosure.domain.requests import codes, steps, submission, sweep, views
from govbus_disclosure.domain.requests.access import in_scope, scope_filter
from govbus_disclosure.domain.requests.periods import Periods, receipt_date
from govbus_disclosure.domain.requests.record import (
    APPLICANT,
    OPEN_STATUSES,
    ApplicantMonth,
    InformationRequest,
    RequestChange,
    next_in_month,
)
from govbus_disclosure.domain.requests.reply import reply
from govbus_disclosure.handlers.lists import office_list
from govbus_disclosure.handlers.periods import period as office_period
from govbus_disclosure.service import service, sweep_seconds
from govbus_disclosure.settings import DisclosureSettings
from govbus_kit import listing
from govbus_kit.clock import office_date
from govbus_kit.domain import Actor, Outcome, act_as
from govbus_kit.due import AT_ONCE, Due, day, due_index, track_due
from govbus_kit.listing import facet
from govbus_kit.logging import get_logger
from govbus_kit.registers import SerialRegister
from govbus_kit.repository import AggregateRepository
from govbus_kit.service import CommandContext, QueryContext, ServiceContext
from govbus_kit.workflow import Visible, Workflow

COLLECTION = "requests"
#: 申请编号登记簿: 2026-0001, serials per year without gaps.
NUMBERS = SerialRegister("request_register", codes.request_number)
#: tracking-code hash → request id: the code is found by ``_id``, not by scanning requests
#: (FerretDB uses no secondary indexes).
CODES_COLLECTION = "request_codes"
MONTHS_COLLECTION = "request_months"
#: The named set of open requests with a period computed on a provisional calendar year.
PROVISIONAL = "provisional"
_OPEN = frozenset(st.value for st in OPEN_STATUSES)
COMPLAINTS_OFFICER = Role.complaints_officer
STAFF = (Role.officer, Role.admin)
#: Who reads and answers requests: the officers, the 负责人 and admins.
READERS = (Role.officer, Role.approver, Role.admin)

log = get_logger("govbus.disclosure.requests")
#: Where the tracking-code key lives when the operator sets none: in the service's own
#: database, made once by whichever replica starts first, so that every replica and every
#: restart derive the same code for a retried submission.
KEYS_COLLECTION = "service_keys"
TRACKING_KEY_ID = "tracking_code"


async def load_tracking_key(ctx: ServiceContext) -> bytes:
    configured = ctx.own_settings(DisclosureSettings).request_tracking_key
    if configured is not None:
        return configured.get_secret_value().encode()
    keys = ctx.db[KEYS_COLLECTION]
    found = await keys.find_one({"_id": TRACKING_KEY_ID})
    if found is None:
        try:
            await keys.insert_one({"_id": TRACKING_KEY_ID, "key": secrets.token_hex(32)})
        except DuplicateKeyError:  # another replica made it first: use theirs
            pass
        found = await keys.find_one({"_id": TRACKING_KEY_ID})
    assert found is not None
    return bytes.fromhex(str(found["key"]))


def tracking_key(ctx: ServiceContext) -> bytes:
    key: bytes = ctx.state["disclosure.tracking_key"]
    return key


def requests(ctx: ServiceContext) -> AggregateRepository[InformationRequest]:
    return REQUESTS.repository(ctx)


def periods(ctx: ServiceContext, on: date | None = None) -> Periods:
    """The periods in force on ``on``, by default today: a step's own period (补正, 征求意见,
    缴费) begins the day it is taken, and the reply clock keeps the period it started with;
    the sweep asks for the day the request was received (its reminder's version)."""
    on = on or office_date(ctx.clock.now())
    s = ctx.own_settings(DisclosureSettings)

    def days(name: str) -> int:
        return office_period(ctx, name, on).amount

    return Periods(
        calendar=ctx.calendar, reply_working_days=days("reply"),
        max_extension_working_days=days("max_extension"),
        correction_notice_working_days=days("correction_notice"),
        correction_answer_working_days=days("correction_answer"),
        consultation_working_days=days("consultation"),
        fee_payment_working_days=days("fee_payment"),
        remind_working_days_before=office_period(ctx, "reply", on).remind_before,
        online_confirmed_at_once=s.request_online_confirmed_at_once,
        receipt_next_working_day=s.request_receipt_next_working_day,
        fees=FeeSchedule(free_per_month=s.request_fee_free_per_month,
                         per_request=s.request_fee_per_request,
                         first_tier_top=s.request_fee_first_tier_top,
                         band_size=s.request_fee_band_size,
                         band_increase=s.request_fee_band_increase))


def _ack(req: InformationRequest, version: int) -> RequestStepReply:
    return RequestStepReply(id=req.id, request_number=req.request_number, status=req.status,
                            version=version, due_on=req.due_on,
                            due_on_provisional=req.due_on_provisional, closed_on=req.closed_on)


def _not_found(request_id: str) -> GovbusError:
    return GovbusError(ErrorCode.not_found, f"申请 {request_id} 不存在", id=request_id)


def _handled_by(principal: Principal, req: InformationRequest | None,
                request_id: str) -> InformationRequest:
    # Whoever may not handle it is not told that it exists.
    if req is None or not in_scope(principal, req):
        raise _not_found(request_id)
    return req


def _held_by_code(wanted: str) -> Visible[InformationRequest]:
    """The applicant reaches their request by its code alone: any other is unknown."""

    def visible(principal: Principal, req: InformationRequest | None,
                request_id: str) -> InformationRequest:
        if req is None or req.tracking_hash != wanted:
            raise _not_found(request_id)
        return req

    return visible


#: The requests as staff reach them: by id, within their department's scope.
REQUESTS = Workflow(COLLECTION, InformationRequest, RequestStepReply, ack=_ack,
                    visible=_handled_by)

#: A staff step's rule: the request, who acts, now and the periods in force today.
StaffRule = Callable[[InformationRequest, Actor, datetime, Periods], RequestChange]


async def _staff_step(ctx: CommandContext, request_id: str, step: str, rule: StaffRule,
                      roles: tuple[Role, ...] = STAFF) -> RequestStepReply:
    """One step by staff: who acts in one of ``roles`` (or ``forbidden``), then the rule."""
    actor = act_as(ctx.principal, *roles, step=step)
    now = ctx.now()
    p = periods(ctx.service)
    return await REQUESTS.step(ctx, request_id, lambda req: rule(req, actor, now, p))


_NO_SUCH_CODE = "查询码无效"


async def _by_code(ctx: ServiceContext, code: str) -> InformationRequest:
    """The request whose code hashes alike; the same answer for every wrong code."""
    wanted = codes.tracking_hash(code)
    entry = await ctx.db[CODES_COLLECTION].find_one({"_id": wanted})
    req = await requests(ctx).get(str(entry["request_id"])) if entry else None
    if req is None or req.tracking_hash != wanted:
        raise GovbusError(ErrorCode.not_found, _NO_SUCH_CODE)
    return req


async def _applicant_step(ctx: CommandContext, code: str,
                          rule: Callable[[InformationRequest, datetime, Periods],
                                         RequestChange]) -> RequestStepReply:
    """One step by the applicant, who holds the code: now and the periods in force today."""
    req = await _by_code(ctx.service, code)
    now = ctx.now()
    p = periods(ctx.service)
    by_code = replace(REQUESTS, visible=_held_by_code(req.tracking_hash))
    return await by_code.step(ctx, req.id, lambda current: rule(current, now, p))


async def _take_monthly_position(ctx: CommandContext, key: str, received_on: date) -> int:
    """This submission's place among the applicant's requests of the calendar month of
    ``received_on`` (fees, 109号): counted once per command id."""
    month_id = f"{key}:{received_on:%Y-%m}"

    def take(month: ApplicantMonth | None) -> Outcome[ApplicantMonth, int]:
        taken = next_in_month(month, month_id)
        return Outcome(taken, taken.count)

    return await ctx.execute(ctx.service.repository(MONTHS_COLLECTION, ApplicantMonth),
                             month_id, take)


def request_due(doc: Mapping[str, Any]) -> Due:
    """What the deadline sweep and the calendar revision watch: an open request on its next
    alert day, and in the provisional set while one of its periods is provisional."""
    if doc.get("status") not in _OPEN:
        return Due()
    on = day(doc.get("next_alert_on"))
    if on is None and doc.get("status") == RequestStatus.consulting.value:
        # Consultations recorded before the sweep looked at them had no alert day
        # (第三十二条): the next sweep picks them up so that their clock runs again too.
        on = AT_ONCE
    return Due(on=on, sets=frozenset({PROVISIONAL}) if doc.get("provisional_periods")
               else frozenset())


def summary_of(r: InformationRequest) -> RequestSummary:
    return RequestSummary(
        id=r.id, request_number=r.request_number, status=r.status,
        applicant_type=r.applicant_type, description=r.information.description[:100],
        received_on=r.received_on, due_on=r.due_on, overdue_since=r.overdue_since,
        department=r.department, closed_on=r.closed_on, outcome=r.outcome)


def _list_facets(doc: listing.Document) -> list[str]:
    # What the list is filtered by (status, overdue, year) besides the department
    # (``scope_filter``).
    received = str(doc.get("received_on") or "")
    return [facet("status", doc.get("status")),
            facet("overdue", doc.get("overdue_since") is not None),
            facet("year", received[:4])]


REQUEST_LIST = office_list(COLLECTION, InformationRequest, RequestSummary, summary_of,
                           newest="received_on", facets=_list_facets, unread=("history",))


@service.on_startup
async def prepare_requests(ctx: ServiceContext) -> None:
    # The sweeps read the due index by _id (kit due), an applicant's month is a document of
    # its own (request_months) and a tracking code is found by _id (request_codes): no index
    # of the collection serves them.
    track_due(ctx, COLLECTION, request_due)
    ctx.state["disclosure.tracking_key"] = await load_tracking_key(ctx)
    collection = ctx.db[COLLECTION]
    # Lists are served by REQUEST_LIST: the index that served them once goes (and the
    # applicant's, which no query used).
    await listing.drop_indexes(collection, "applicant_key_1_received_on_1",
                               "department_1_received_on_-1")


# --- public: the applicant ----------------------------------------------------------------------


@service.command(SUBMIT_REQUEST)
async def submit_request(cmd: SubmitRequest, ctx: CommandContext) -> RequestSubmitted:
    now = ctx.now()
    today = office_date(now)
    submission.validate_submission(cmd, ctx.principal, today)
    p = periods(ctx.service)
    # Derived from the command id: a retried submission lands on the same request and is
    # shown the same code (derived from the id under the service's key, never stored).
    request_id = deterministic_id(SERVICE, "request", ctx.command_id)
    code = codes.tracking_code(tracking_key(ctx.service), request_id)
    code_hash = codes.tracking_hash(code)
    repo = requests(ctx.service)
    # A retry is recognised by its code's entry (a small collection), so that a first
    # submission does not read the requests collection once more.
    seen = await ctx.service.db[CODES_COLLECTION].find_one({"_id": code_hash})
    existing = await repo.get(request_id) if seen is not None else None
    serial = existing.serial if existing is not None else 0
    received_on = receipt_date(cmd.confirmed_on or cmd.submitted_on or today, p)
    year = received_on.year
    key = applicant_key(cmd.applicant_type.value, id_number=cmd.applicant.id_document_number,
                        credit_code=cmd.applicant.credit_code, email=cmd.contact.email,
                        phone=cmd.contact.phone, name=cmd.applicant.name)
    if existing is None:
        position = await _take_monthly_position(ctx, key, received_on)
        # Once per command id: a retried submission gets the same number back.
        serial = await NUMBERS.take(ctx, year)
    else:
        position = existing.monthly_position

    def decide(current: InformationRequest | None
               ) -> Outcome[InformationRequest, RequestSubmitted]:
        if current is not None:  # the ledger forgot this command id: answer as first
            return Outcome(None, _submitted(current))
        change = submission.submit(cmd, request_id=request_id, year=year, serial=serial,
                                   code_hash=code_hash, applicant_key=key,
                                   monthly_position=position, principal=ctx.principal,
                                   now=now, periods=p)
        return Outcome(change.state, _submitted(change.state), change.events)

    answer = await ctx.execute(repo, request_id, decide)
    # After the request is written (a retry writes it again if this process died between).
    await ctx.service.db[CODES_COLLECTION].update_one(
        {"_id": code_hash}, {"$set": {"request_id": request_id}}, upsert=True)
    if existing is not None and existing.tracking_hash != code_hash:
        # The key changed since the first submission: the first code cannot be shown again.
        raise GovbusError(ErrorCode.conflict, "该申请已提交, 查询码仅在首次提交时显示",
                          request_number=existing.request_number)
    return answer.model_copy(update={"tracking_code": code})


def _submitted(req: InformationRequest) -> RequestSubmitted:
    # Stored in the command ledger without the code: the code is never written down.
    return RequestSubmitted(id=req.id, request_number=req.request_number, status=req.status,
                            received_on=req.received_on, due_on=req.due_on,
                            due_on_provisional=req.due_on_provisional)


@service.query(TRACK_REQUEST)
async def track_request(query: TrackRequest, ctx: QueryContext) -> RequestTracking:
    return views.tracking(await _by_code(ctx.service, query.tracking_code))


@service.command(SUBMIT_CORRECTION)
async def submit_correction(cmd: SubmitCorrection, ctx: CommandContext) -> RequestStepReply:
    return await _applicant_step(ctx, cmd.tracking_code, lambda req, now, p: steps.correct(
        req, cmd.supplement, office_date(now), APPLICANT, now, p))


@service.command(WITHDRAW_REQUEST)
async def withdraw_request(cmd: WithdrawRequest, ctx: CommandContext) -> RequestStepReply:
    return await _applicant_step(ctx, cmd.tracking_code, lambda req, now, p: steps.withdraw(
        req, cmd.reason, now, p))


# --- staff ---------------------------------------------------------------------------------------


@service.command(ASSIGN_REQUEST)
async def assign_request(cmd: AssignRequest, ctx: CommandContext) -> RequestStepReply:
    return await _staff_step(ctx, cmd.request_id, "分办", lambda req, actor, now, p: steps.assign(
        req, cmd.department, actor, ctx.principal, now, p))


@service.command(CONFIRM_RECEIPT)
async def confirm_receipt(cmd: ConfirmReceipt, ctx: CommandContext) -> RequestStepReply:
    return await _staff_step(ctx, cmd.request_id, "确认收到", lambda req, actor, now, p: (
        submission.confirm_receipt(req, cmd.confirmed_on or office_date(now), cmd.remarks,
                                   actor, now, p)))


@service.command(REQUEST_CORRECTION)
async def request_correction(cmd: RequestCorrection, ctx: CommandContext) -> RequestStepReply:
    return await _staff_step(ctx, cmd.request_id, "补正告知", lambda req, actor, now, p: (
        steps.request_correction(req, cmd, actor, now, p)))


@service.command(RECORD_CORRECTION)
async def record_correction(cmd: RecordCorrection, ctx: CommandContext) -> RequestStepReply:
    return await _staff_step(ctx, cmd.request_id, "登记补正材料", lambda req, actor, now, p: (
        steps.correct(req, cmd.supplement, cmd.received_on or office_date(now), actor, now, p)))


@service.command(START_CONSULTATION)
async def start_consultation(cmd: StartConsultation, ctx: CommandContext) -> RequestStepReply:
    return await _staff_step(ctx, cmd.request_id, "征求第三方意见", lambda req, actor, now, p: (
        steps.start_consultation(req, cmd, actor, now, p)))


@service.command(END_CONSULTATION)
async def end_consultation(cmd: EndConsultation, ctx: CommandContext) -> RequestStepReply:
    return await _staff_step(ctx, cmd.request_id, "登记第三方意见", lambda req, actor, now, p: (
        steps.end_consultation(req, cmd, actor, now, p)))


@service.command(EXTEND_REQUEST)
async def extend_request(cmd: ExtendRequest, ctx: CommandContext) -> RequestStepReply:
    # 第三十三条: 经政府信息公开工作机构负责人同意 — the approver, nobody else.
    return await _staff_step(ctx, cmd.request_id, "延长答复期限", lambda req, actor, now, p: (
        steps.extend(req, cmd, actor, now, p)), roles=(Role.approver,))


@service.command(ISSUE_FEE_NOTICE)
async def issue_fee_notice(cmd: IssueFeeNotice, ctx: CommandContext) -> RequestStepReply:
    return await _staff_step(ctx, cmd.request_id, "收费通知", lambda req, actor, now, p: (
        steps.issue_fee(req, req.monthly_position, cmd.payment_working_days, actor, now, p)))


@service.command(RECORD_FEE_PAYMENT)
async def record_fee_payment(cmd: RecordFeePayment, ctx: CommandContext) -> RequestStepReply:
    return await _staff_step(ctx, cmd.request_id, "登记缴费", lambda req, actor, now, p: (
        steps.pay_fee(req, cmd.paid_on or office_date(now), actor, now, p)))


@service.command(REPLY_REQUEST)
async def reply_request(cmd: ReplyToRequest, ctx: CommandContext) -> RequestStepReply:
    return await _staff_step(ctx, cmd.request_id, "答复", lambda req, actor, now, p: (
        reply(req, cmd, actor, now, p)), roles=READERS)


# --- queries -------------------------------------------------------------------------------------


@service.query(GET_REQUEST)
async def get_request(query: GetRequest, ctx: QueryContext) -> RequestView:
    act_as(ctx.principal, *READERS, step="查看申请")
    req = await REQUESTS.load(ctx, query.request_id)
    data = req.model_dump(exclude={"clock", "tracking_hash", "applicant_key"})
    return RequestView.model_validate({**data, "clock": views.clock_record(req)})


@service.query(LIST_REQUESTS)
async def list_requests(query: ListRequests, ctx: QueryContext) -> RequestList:
    act_as(ctx.principal, *READERS, step="查看申请")
    limit = max(1, min(query.limit, 200))
    where = listing.clauses(scope_filter(ctx.principal))
    if query.status is not None:
        where.append(facet("status", query.status.value))
    if query.overdue is not None:
        where.append(facet("overdue", query.overdue))
    if query.year is not None:
        where.append(facet("year", f"{query.year:04d}"))
    if query.department is not None:
        where.append(facet("department", query.department))
    page = await REQUEST_LIST.of(ctx.service).page(where, offset=max(0, query.offset),
                                                    limit=limit)
    items = [RequestSummary.model_validate(item) for item in page.items]
    return RequestList(items=items, total=page.total, offset=query.offset, limit=limit)


@service.query(GET_REFERRAL)
async def get_referral(query: GetReferral, ctx: QueryContext) -> ReferralView:
    # The applicant's identity goes to the complaints office alone (第三十九条 hand-over).
    if COMPLAINTS_OFFICER not in ctx.principal.roles:
        raise GovbusError(ErrorCode.forbidden, "转办事项的申请人信息仅限投诉受理人员查看",
                          required_roles=[COMPLAINTS_OFFICER])
    req = await requests(ctx.service).get(query.request_id)
    if req is None or req.referral is None:
        raise GovbusError(ErrorCode.not_found, f"转办事项 {query.request_id} 不存在",
                          id=query.request_id)
    return ReferralView(
        request_id=req.id, request_number=req.request_number,
        matter_kind=req.referral.matter_kind, matter=req.information.description,
        applicant_type=req.applicant_type, applicant=req.applicant, contact=req.contact,
        received_on=req.received_on, referred_on=req.referral.referred_on)


# --- the deadline sweep ---------------------------------------------------------------------------


async def sweep_request_deadlines(ctx: ServiceContext) -> int:
    """Reminders, overdue notices, consultations whose 15 working days passed unanswered
    (the clock runs again), and closing requests whose 补正 or fee period ran out; returns
    how many facts it wrote. Safe on many replicas and when run twice."""
    now = ctx.clock.now()
    return await due_index(ctx, COLLECTION).sweep_due(
        requests(ctx), lambda req: sweep.due_alerts(req, now, periods(ctx, req.received_on)),
        today=office_date(now),
        what="依申请公开")


async def revise_request_deadlines(ctx: ServiceContext) -> int:
    """The official calendar arrived: recompute every provisional deadline of the open
    requests (the reply's, and the 补正, fee and consultation periods that still run), with
    a deadline-changed fact for each one that moved."""
    now = ctx.clock.now()
    return await due_index(ctx, COLLECTION).sweep_set(
        requests(ctx), PROVISIONAL,
        lambda req: sweep.revise_deadline(req, now, periods(ctx, req.received_on)),
        what="依申请公开 期限重算")


@service.on_calendar_revision
async def request_calendar_revision(ctx: ServiceContext) -> None:
    await revise_request_deadlines(ctx)


@service.every(sweep_seconds, name="request_deadlines")
async def request_deadlines(ctx: ServiceContext) -> None:
    await sweep_request_deadlines(ctx)

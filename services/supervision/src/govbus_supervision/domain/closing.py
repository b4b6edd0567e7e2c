"""审结 → 办结 (with the appraisal fact) or 退回重办; the deputies' satisfaction and 不满意
→ handled again within the re-handling period.

Pure: no I/O, the time and the calendar are passed in.
"""

from __future__ import annotations

from datetime import datetime

from govbus_contracts.envelope import Principal, deterministic_id
from govbus_contracts.errors import ErrorCode, GovbusError
from govbus_contracts.services.supervision.common import (
    SERVICE,
    ReviewDecision,
    Role,
    Satisfaction,
)
from govbus_contracts.services.supervision.items import (
    ITEM_COMPLETED,
    ITEM_REOPENED,
    ITEM_SATISFACTION_RECORDED,
    ITEM_SENT_BACK,
    Appraisal,
    ItemCompleted,
    ItemReopened,
    ItemSatisfactionRecorded,
    ItemSentBack,
    RecordSatisfaction,
    ReviewAnswer,
    ReviewRecord,
    SatisfactionRecord,
)
from govbus_kit.clock import office_date
from govbus_kit.domain import Actor, Change, Emit, act_as, refuse
from govbus_supervision.domain.periods import Periods
from govbus_supervision.domain.record import (
    ItemChange,
    S,
    SupervisionItem,
    fact_of,
    logged,
    require_step,
)


def appraisal_of(item: SupervisionItem, now: datetime, periods: Periods) -> Appraisal:
    """办结 as appraisal counts it: the accepted answer against the deadline in force when it
    was submitted (approved extensions included): the office's time to review is not the
    department's delay."""
    answer = item.answers[-1]
    late = max(0, periods.calendar.working_days_between(answer.due_on, answer.submitted_on))
    return Appraisal(completed_on=office_date(now), due_on=answer.due_on,
                     on_time=answer.submitted_on <= answer.due_on, working_days_late=late,
                     times_returned=item.times_returned,
                     satisfaction=item.current_satisfaction())


def review(item: SupervisionItem, cmd: ReviewAnswer, principal: Principal, now: datetime,
           periods: Periods) -> ItemChange:
    """审结: accept (办结) or send back as inadequate with reasons and a new deadline."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="审结")
    require_step(item, "审结", (S.answered,))
    today = office_date(now)
    if cmd.decision is ReviewDecision.send_back:
        return _send_back(item, cmd, actor, now, periods)
    if cmd.reasons:
        raise refuse("审结通过不需要退回理由", field="reasons")
    if cmd.satisfaction is not None and item.is_motion:
        raise refuse("建议、提案的满意度由代表 (委员) 评价, 请登记其评价", field="satisfaction")
    record = ReviewRecord(decision=cmd.decision, reviewed_on=today, reviewed_by=actor.display)
    rated = item.satisfaction
    if cmd.satisfaction is not None:
        rated = [*rated, SatisfactionRecord(round=item.answers[-1].round,
                                            satisfaction=cmd.satisfaction, recorded_on=today,
                                            recorded_by=actor.display, remarks=cmd.remarks)]
    done = item.model_copy(update={"satisfaction": rated})
    appraisal = appraisal_of(done, now, periods)
    new = logged(done, actor, now, "审结办结", cmd.remarks, status=S.completed,
                 reviews=[*item.reviews, record], appraisal=appraisal, next_report_due_on=None)
    return Change(new, [_completed(new, appraisal)])


def _send_back(item: SupervisionItem, cmd: ReviewAnswer, actor: Actor, now: datetime,
               periods: Periods) -> ItemChange:
    today = office_date(now)
    if not cmd.reasons:
        raise refuse("退回重办须写明理由", field="reasons")
    new_due = cmd.new_due_on or periods.due("send_back", today)
    if new_due <= today:
        raise refuse(f"重办期限 {new_due} 应晚于今天", field="new_due_on")
    record = ReviewRecord(decision=cmd.decision, reasons=list(cmd.reasons), new_due_on=new_due,
                          reviewed_on=today, reviewed_by=actor.display)
    new = logged(item, actor, now, "审结退回", "; ".join(cmd.reasons), status=S.handling,
                 reviews=[*item.reviews, record], times_returned=item.times_returned + 1,
                 due_on=new_due, due_set_on=today,
                 due_on_provisional=periods.calendar.is_provisional_between(today, new_due))
    return Change(new, [Emit(ITEM_SENT_BACK, ItemSentBack(
        **fact_of(new), reasons=list(cmd.reasons), sent_back_on=today,
        times_returned=new.times_returned))])


def rated_unsatisfied(item: SupervisionItem) -> bool:
    """The latest answer was rated 不满意 (it is handled again because of it)."""
    if not item.answers:
        return False
    latest = item.answers[-1].round
    return any(r.round == latest and r.satisfaction is Satisfaction.dissatisfied
               for r in item.satisfaction)


def evaluation_complete(item: SupervisionItem) -> bool:
    """Every signer of a 建议 / 提案 has rated the latest answer (the office, of another
    item)."""
    latest = item.answers[-1].round
    raters = {r.signer for r in item.satisfaction if r.round == latest}
    return set(item.signers) <= raters if item.is_motion else None in raters


def record_satisfaction(item: SupervisionItem, cmd: RecordSatisfaction, principal: Principal,
                        now: datetime, periods: Periods) -> ItemChange:
    """代表 (委员) 评价 of the latest answer, by the supervision office. 不满意: handled
    again and answered within the re-handling period (an answer awaiting 审结 and a 办结 item
    alike). Each signer of a 联名 建议 rates the answer: the others' ratings of an answer one
    signer found 不满意 are still recorded while it is handled again. Once every signer has
    rated the answer of a 办结 item, its completion is announced again with the satisfaction
    (ItemCompleted: the latest of an item counts)."""
    actor = act_as(principal, Role.supervisor, Role.admin, step="登记评价")
    require_step(item, "登记评价", (S.answered, S.completed, S.handling)
                 if rated_unsatisfied(item) else (S.answered, S.completed))
    today = office_date(now)
    round_ = item.answers[-1].round
    if item.is_motion:
        if cmd.signer is None or cmd.signer not in item.signers:
            raise refuse("请写明评价的代表 (委员), 须为本件的联名人", field="signer")
    elif cmd.signer is not None:
        raise refuse("只有建议、提案由代表 (委员) 评价", field="signer")
    if any(r.round == round_ and r.signer == cmd.signer for r in item.satisfaction):
        raise GovbusError(ErrorCode.conflict, f"{cmd.signer or '本事项'}已评价第{round_}次答复")
    record = SatisfactionRecord(round=round_, signer=cmd.signer, satisfaction=cmd.satisfaction,
                                recorded_on=today, recorded_by=actor.display,
                                remarks=cmd.remarks)
    rated = logged(item, actor, now, "登记评价", f"{cmd.signer or ''} {cmd.satisfaction.value}",
                   satisfaction=[*item.satisfaction, record])
    if rated.appraisal is not None:
        rated = rated.model_copy(update={"appraisal": rated.appraisal.model_copy(
            update={"satisfaction": rated.current_satisfaction()})})
    events = [Emit(ITEM_SATISFACTION_RECORDED, ItemSatisfactionRecorded(
        **fact_of(rated), satisfaction=cmd.satisfaction, round=round_, recorded_on=today))]
    if item.status is S.handling:
        return Change(rated, events)  # rated while handled again: the re-handling runs
    if cmd.satisfaction is not Satisfaction.dissatisfied:
        if item.status is S.completed and evaluation_complete(rated) \
                and rated.appraisal is not None:
            # Once per answer (replicas and retries alike).
            events.append(_completed(rated, rated.appraisal, event_id=deterministic_id(
                SERVICE, "item", rated.id, "completed", "rated", str(round_))))
        return Change(rated, events)
    # 代表对答复不满意的, 承办单位应在一个月内重新研究办理并答复 (rehandling period): of an
    # answer reviewed or not, so that an answer a signer found wanting is never 办结 as it is.
    due = periods.due("rehandling", today)
    reopened = logged(rated, actor, now, "不满意重办", f"期限: {due}", status=S.handling,
                      rehandling_rounds=item.rehandling_rounds + 1, due_on=due,
                      due_set_on=today, appraisal=None,
                      due_on_provisional=periods.calendar.is_provisional_between(today, due))
    events.append(Emit(ITEM_REOPENED, ItemReopened(
        **fact_of(reopened), reopened_on=today, rehandling_rounds=reopened.rehandling_rounds)))
    return Change(reopened, events)


def _completed(item: SupervisionItem, appraisal: Appraisal, event_id: str | None = None
               ) -> Emit:
    """办结 as appraisal counts it: at 审结通过, and again with the answer's satisfaction once
    every signer has rated it."""
    return Emit(ITEM_COMPLETED, ItemCompleted(
        **fact_of(item), completed_on=appraisal.completed_on, on_time=appraisal.on_time,
        working_days_late=appraisal.working_days_late, times_returned=appraisal.times_returned,
        rehandling_rounds=item.rehandling_rounds, result_code=item.answers[-1].result_code,
        satisfaction=appraisal.satisfaction), event_id=event_id)
